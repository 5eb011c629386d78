"""`python -m bench.compare BEFORE.json AFTER.json`: a markdown table of the scale rows of two bench runs, side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

# (label, path into a scale row); a path step that is missing gives "—" (older runs lack the fresh load).
METRICS: list[tuple[str, tuple[str, ...]]] = [
    ("serving peak RSS MB (one replica)", ("http", "server_peak_rss_mb")),
    ("serving peak RSS MB (all processes)", ("http", "server_total_rss_mb")),
    ("server start-up s", ("http", "server_startup_s")),
    ("ask p50 ms (in-process)", ("worker", "query", "warm_ask", "p50_ms")),
    ("ask p95 ms (in-process)", ("worker", "query", "warm_ask", "p95_ms")),
    ("retrieve p50 ms", ("worker", "query", "warm_retrieve", "p50_ms")),
    ("HTTP req/s, repeated questions", ("http", "throughput_rps")),
    ("HTTP p50 ms, repeated", ("http", "latency", "p50_ms")),
    ("HTTP req/s, never-seen questions", ("http", "fresh", "throughput_rps")),
    ("HTTP p50 ms, never-seen", ("http", "fresh", "latency", "p50_ms")),
    ("HTTP errors (both loads)", ("http", "errors")),
    ("serving processes", ("http", "workers")),
    ("unchanged re-ingest s", ("worker", "reingest_unchanged_s")),
    ("ingest s", ("worker", "ingest_s")),
    ("ingest peak RSS MB", ("worker", "peak_rss_mb")),
]


def _get(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = row
    for step in path:
        if not isinstance(value, dict) or step not in value:
            return 1 if path == ("http", "workers") else "—"  # runs before --workers served from one process
        value = value[step]
    if path == ("http", "errors"):
        value += row["http"].get("fresh", {}).get("errors", 0)
    return value


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One table per scale present in both runs: metric, before, after."""
    old = {s["factor"]: s for s in before["scale"] if "worker" in s}
    new = {s["factor"]: s for s in after["scale"] if "worker" in s}
    lines = []
    for factor in sorted(old.keys() & new.keys()):
        lines += [
            f"### ×{factor} ({new[factor]['worker']['chunks']:,} chunks)",
            "",
            "| | before | after |",
            "| --- | --- | --- |",
        ]
        lines += [f"| {label} | {_get(old[factor], path)} | {_get(new[factor], path)} |" for label, path in METRICS]
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before, after = (json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after))
    print("\n".join(compare(before, after)))


if __name__ == "__main__":
    main()
