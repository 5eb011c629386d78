"""Quality gate: the full system's headline metrics against evals/thresholds.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    """The [min] and [max] tables of a thresholds file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {"min": dict(data.get("min", {})), "max": dict(data.get("max", {}))}


def check_thresholds(
    summary: Mapping[str, float | int | None], thresholds: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per headline metric that misses its threshold (or was not measured); empty when all pass."""
    failures = []
    for bound, limits in thresholds.items():
        for metric, limit in limits.items():
            value = summary.get(metric)
            if value is None:
                failures.append(f"{metric}: not measured (threshold {bound} {limit})")
            elif (bound == "min" and value < limit) or (bound == "max" and value > limit):
                failures.append(
                    f"{metric} = {value:.4g}, {'below the minimum' if bound == 'min' else 'above the maximum'} {limit}"
                )
    return failures
