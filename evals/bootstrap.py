"""`python -m evals.bootstrap`: bootstrap bounds of the full system's metrics on the test split, for the floors.

Resamples the split's items with replacement (seeded), recomputes every metric, and reports the one-sided
lower bound (floors, [min]) or upper bound (ceilings, [max]) at the given level, overall and per category.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from evals.baselines import Passage
from evals.harness import ItemResult, summarize
from evals.metrics import percentile
from evals.thresholds import THRESHOLDS, load_thresholds

EVALS = Path(__file__).resolve().parent
REPORT = EVALS / "reports" / "latest" / "report.json"
BOUNDS = EVALS / "bootstrap.json"
CATEGORY_METRIC = "key_fact_accuracy"


def load_results(report: Path, split: str, system: str = "full") -> list[ItemResult]:
    """The per-item results of one system and split, rebuilt from a report.json."""
    records = json.loads(report.read_text(encoding="utf-8"))["systems"][system]["items"]
    names = {f.name for f in fields(ItemResult)}
    results = []
    for record in records:
        if record.get("split") != split:
            continue
        data = {k: v for k, v in record.items() if k in names}
        data["recall"] = {int(k): v for k, v in data["recall"].items()}
        data["all_evidence"] = {int(k): v for k, v in data["all_evidence"].items()}
        data["retrieved"] = [Passage(p["doc_id"], p["text"]) for p in data["retrieved"]]
        results.append(ItemResult(**data))
    return results


def bootstrap(
    results: Sequence[ItemResult], metrics: Sequence[str], resamples: int, seed: int, level: float
) -> dict[str, dict[str, float | None]]:
    """Per metric: the point value, the one-sided lower and upper bounds at `level` (e.g. 0.95)."""
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {m: [] for m in metrics}
    for _ in range(resamples):
        summary = summarize(rng.choices(results, k=len(results)))
        for metric in metrics:
            value = summary.get(metric)
            if value is not None:
                draws[metric].append(float(value))
    point = summarize(results)
    tail = 100 * (1 - level)
    return {
        m: {"point": point.get(m), "lower": percentile(draws[m], tail), "upper": percentile(draws[m], 100 - tail)}
        for m in metrics
    }


def compute_bounds(report: Path, split: str, resamples: int, seed: int, level: float) -> dict[str, Any]:
    """Bounds for every gated metric overall and for the per-category metric in each category."""
    limits = load_thresholds(THRESHOLDS)
    results = load_results(report, split)
    metrics = sorted(set(limits["min"]) | set(limits["max"]))
    by_category: dict[str, Any] = {}
    for category in sorted({r.category for r in results}):
        members = [r for r in results if r.category == category]
        if any(r.answerable for r in members):
            by_category[category] = bootstrap(members, [CATEGORY_METRIC], resamples, seed, level)[CATEGORY_METRIC]
    return {
        "report": str(report.relative_to(EVALS.parent)) if report.is_relative_to(EVALS.parent) else str(report),
        "split": split,
        "items": len(results),
        "resamples": resamples,
        "seed": seed,
        "level": level,
        "overall": bootstrap(results, metrics, resamples, seed, level),
        "per_category": {CATEGORY_METRIC: by_category},
    }


def render(bounds: dict[str, Any]) -> str:
    """A Markdown table of point values, bootstrap bounds and the current thresholds."""
    limits = load_thresholds(THRESHOLDS)
    level = round(100 * bounds["level"])
    lines = [
        f"{bounds['split']} split, {bounds['items']} items, {bounds['resamples']} resamples, seed {bounds['seed']}",
        "",
        f"| metric | point | {level}% lower | {level}% upper | threshold |",
        "|---|---|---|---|---|",
    ]
    for metric, b in bounds["overall"].items():
        bound = f"min {limits['min'][metric]}" if metric in limits["min"] else f"max {limits['max'].get(metric)}"
        lines.append(f"| {metric} | {_num(b['point'])} | {_num(b['lower'])} | {_num(b['upper'])} | {bound} |")
    for category, b in bounds["per_category"][CATEGORY_METRIC].items():
        floor = limits["per_category_min"].get(CATEGORY_METRIC)
        lines.append(
            f"| {CATEGORY_METRIC} in {category} | {_num(b['point'])} | {_num(b['lower'])} | {_num(b['upper'])} | min {floor} |"
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def main(argv: Sequence[str] | None = None) -> int:
    """Compute the bounds, write evals/bootstrap.json, print the table."""
    parser = argparse.ArgumentParser(prog="python -m evals.bootstrap", description=__doc__)
    parser.add_argument("--report", type=Path, default=REPORT, help="a report.json with the full system's items")
    parser.add_argument("--split", default="test")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", type=float, default=0.95, help="one-sided confidence level of the bounds")
    parser.add_argument("--out", type=Path, default=BOUNDS)
    args = parser.parse_args(argv)
    bounds = compute_bounds(args.report.resolve(), args.split, args.resamples, args.seed, args.level)
    args.out.write_text(json.dumps(bounds, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(bounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
