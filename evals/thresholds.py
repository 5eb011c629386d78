"""Quality gate: the full system's headline metrics against evals/thresholds.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    """The [min], [max] and [per_category_min] tables of a thresholds file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {key: dict(data.get(key, {})) for key in ("min", "max", "per_category_min")}


def check_thresholds(
    summary: Mapping[str, float | int | None], thresholds: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per headline metric that misses its threshold (or was not measured); empty when all pass."""
    failures = []
    for bound in ("min", "max"):
        for metric, limit in thresholds.get(bound, {}).items():
            value = summary.get(metric)
            if value is None:
                failures.append(f"{metric}: not measured (threshold {bound} {limit})")
            elif (bound == "min" and value < limit) or (bound == "max" and value > limit):
                failures.append(
                    f"{metric} = {value:.4g}, {'below the minimum' if bound == 'min' else 'above the maximum'} {limit}"
                )
    return failures


def check_category_thresholds(
    by_category: Mapping[str, Mapping[str, float | int | None]], thresholds: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per category whose metric is below its [per_category_min]; a category where the metric does
    not apply (key facts of the unanswerable questions) is skipped."""
    failures = []
    for metric, limit in thresholds.get("per_category_min", {}).items():
        for category, summary in sorted(by_category.items()):
            value = summary.get(metric)
            if value is not None and value < limit:
                failures.append(f"{metric} in {category} = {value:.4g}, below the minimum {limit}")
    return failures
