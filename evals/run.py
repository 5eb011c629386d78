"""`python -m evals.run`: evaluate the systems on the gold set side by side and write a report."""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant import Assistant, Settings
from evals.baselines import SYSTEMS, System, build_systems
from evals.charts import draw_charts
from evals.harness import GOLD, ItemResult, evaluate, load_gold, summarize_splits
from evals.report import HEADLINE, build_report, render_markdown, table, write_report
from evals.thresholds import THRESHOLDS, check_category_thresholds, check_thresholds, load_thresholds

EVALS = Path(__file__).resolve().parent
NOTES = [
    "How the systems answer: every system, stock-llamaindex included, is answered by the assistant's extractive"
    " answerer (Assistant.answer_from_hits) over its own top_k retrieved passages; stock-llamaindex retrieves on the"
    " question alone (no history), the answerer still reads the history.",
    "Retrieval metrics (R@1/3/5, all-ev@5, MRR@5) come from the very hits the answerer drew on (its top_k = 5);"
    " 'deep R@10' is a separate top-10 retrieval, reported only as a retrieval depth figure. They count answerable"
    " items with evidence; for cross-document items recall@k is the fraction of evidence documents matched.",
    "Key facts are credited only inside an answer segment (a line cut after each run of [n] markers) whose [n] cites"
    " a passage from an evidence document overlapping its quote; 'facts anywhere' is the lenient scoring used before"
    " (the fact anywhere in the answer text). 'cites evidence': answered answerable items whose citations include a"
    " passage holding the evidence quote of every evidence document. Citation support (every number in a cited"
    " passage) is 100% by construction for verbatim quotes and is shown only for LLM answers.",
    "Refusal kind: unanswerable items refused with the gold kind (not_covered / not_stated).",
    "Latency is the wall time of retrieval plus answering per question after one untimed warm-up question that is"
    " not in the gold set; each question is embedded afresh (memory-only cache). It depends on the machine's load.",
    "The thresholds (evals/thresholds.toml) gate the test split; tune on the dev split only.",
]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__)
    parser.add_argument("--gold", type=Path, default=GOLD, help="gold JSONL file")
    parser.add_argument(
        "--config", default=",".join(SYSTEMS), help=f"systems to compare, comma-separated ({', '.join(SYSTEMS)})"
    )
    parser.add_argument("--only", metavar="CATEGORY", help="evaluate one gold category only")
    parser.add_argument("--split", choices=("dev", "test"), help="evaluate one split only (tune with --split dev)")
    parser.add_argument("--quick", action="store_true", help="the full system only (for CI)")
    parser.add_argument(
        "--check-thresholds",
        action="store_true",
        help="exit 1 when a headline metric of the full system misses evals/thresholds.toml",
    )
    parser.add_argument("--index-dir", type=Path, help="index folder (default: the settings' index_dir, .index/)")
    parser.add_argument(
        "--without-english-glossary",
        action="store_true",
        help="drop the glossary's [english] section (a corpus nobody wrote English entries for: the dictionary"
        " alone carries English questions); the corpus copy and its index live in ~/.cache/policyqa/unglossed",
    )
    parser.add_argument("--out", type=Path, default=EVALS / "reports", help="folder for the timestamped report folders")
    return parser.parse_args(argv)


UNGLOSSED = Path.home() / ".cache" / "policyqa" / "unglossed"


def without_english_glossary(settings: Settings, root: Path = UNGLOSSED) -> Settings:
    """The settings over a copy of the corpus whose glossary has no [english] section, with its own index."""
    corpus = root / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(settings.corpus_dir, corpus)
    glossary = corpus / "glossary.toml"
    if glossary.is_file():
        kept, skipping = [], False
        for line in glossary.read_text(encoding="utf-8").splitlines():
            if line.startswith("["):
                skipping = line.strip() == "[english]"
            if not skipping:
                kept.append(line)
        glossary.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return settings.model_copy(update={"corpus_dir": corpus, "index_dir": root / "index"})


def select_items(gold: Path, only: str | None, split: str | None = None) -> list[dict[str, Any]]:
    """The gold items to evaluate."""
    items = load_gold(gold)
    if split:
        items = [item for item in items if item.get("split") == split]
    if only:
        items = [item for item in items if item["category"] == only]
        if not items:
            raise SystemExit(f"no gold items in category {only!r}")
    return items


def run_systems(
    systems: Sequence[System], items: Sequence[dict[str, Any]], timings: dict[str, float]
) -> dict[str, list[ItemResult]]:
    """Every item through every system with one progress bar; records each system's evaluation time."""
    results: dict[str, list[ItemResult]] = {}
    with tqdm(total=len(systems) * len(items), desc="evaluating", unit="q") as bar:
        for system in systems:
            bar.set_postfix_str(system.name)
            started = time.perf_counter()
            results |= evaluate([system], items, on_item=lambda _: bar.update())
            timings[f"evaluate {system.name}"] = time.perf_counter() - started
    return results


def _shown(path: Path) -> str:
    """A path relative to the working directory when it lies inside it (reports are committed)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def publish(folder: Path, latest: Path) -> None:
    """Replace the stable (committed) `latest/` copy with this run's report and charts.

    Its report.json keeps per-item results for the full system only, so the committed copy stays small.
    """
    if latest.exists():
        shutil.rmtree(latest)
    shutil.copytree(folder, latest)
    report = json.loads((latest / "report.json").read_text(encoding="utf-8"))
    for name, system in report.get("systems", {}).items():
        if name != "full":
            system.pop("items", None)
    (latest / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def build(settings: Settings, names: Sequence[str], timings: dict[str, float]) -> list[System]:
    """Open (and update) the index, then build the named systems over it, timing each step."""
    started = time.perf_counter()
    base = Assistant.from_settings(settings)
    base.ingest(progress=True)
    timings["ingest"] = time.perf_counter() - started
    systems = []
    for name in names:
        built = time.perf_counter()
        systems += build_systems([name], base)
        timings[f"build {name}"] = time.perf_counter() - built
    return systems


def write_outputs(
    args: argparse.Namespace, meta: dict[str, Any], systems: Sequence[System], results: dict[str, list[ItemResult]]
) -> Path:
    """The timestamped report folder: charts, report.json, report.md."""
    summaries = {name: summarize_splits(rs) for name, rs in results.items()}
    folder = args.out / datetime.now().strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    shown = {name: s.get("test", s["all"]) for name, s in summaries.items()}
    charts = draw_charts(folder, shown, {name: [r.latency_ms for r in rs] for name, rs in results.items()})
    report = build_report(meta | {"charts": charts}, {s.name: s.description for s in systems}, results, summaries)
    write_report(folder, report, render_markdown(report, results, charts))
    return folder


def gate(splits: dict[str, Any]) -> int:
    """Exit code of --check-thresholds: 1 (listing each miss on stderr) when a headline or per-category
    metric of the test split misses; the dev split is never gated."""
    if "test" not in splits:
        raise SystemExit("--check-thresholds needs gold items with split = test (python -m evals.split)")
    groups = splits["test"]
    limits = load_thresholds(THRESHOLDS)
    failures = check_thresholds(groups["overall"], limits) + check_category_thresholds(groups["by_category"], limits)
    for line in failures:
        print(f"THRESHOLD FAILED (test split): {line}", file=sys.stderr)
    if not failures:
        print("all headline metrics of the test split meet evals/thresholds.toml")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, write the report, optionally check the thresholds; returns the exit code."""
    args = parse_args(argv)
    names = ["full"] if args.quick else [n.strip() for n in args.config.split(",") if n.strip()]
    if args.check_thresholds and (
        args.only or args.split == "dev" or args.without_english_glossary or "full" not in names
    ):
        raise SystemExit("--check-thresholds needs the full system on the whole test split (no --only, no dev)")
    items = select_items(args.gold, args.only, args.split)
    started = time.perf_counter()
    settings = Settings() if args.index_dir is None else Settings(index_dir=args.index_dir)
    if args.without_english_glossary:
        settings = without_english_glossary(settings)
    timings: dict[str, float] = {}
    systems = build(settings, names, timings)
    results = run_systems(systems, items, timings)
    timings["total"] = time.perf_counter() - started
    meta = {
        "created": datetime.now().isoformat(timespec="seconds"),
        "gold": _shown(args.gold),
        "items": len(items),
        "filter_note": (f" (category {args.only} only)" if args.only else "")
        + (f" ({args.split} split only)" if args.split else "")
        + (" (glossary without its [english] section)" if args.without_english_glossary else ""),
        "answer_mode": settings.answer_mode,
        "index_dir": str(settings.index_dir),
        "notes": NOTES,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    folder = write_outputs(args, meta, systems, results)
    complete = (
        not args.only
        and not args.split
        and not args.without_english_glossary
        and set(names) == set(SYSTEMS)
        and args.gold.resolve() == GOLD
    )
    if complete:
        publish(folder, args.out / "latest")
    groups = {name: summarize_splits(rs) for name, rs in results.items()}
    rows = [(f"{name} · {split}", g[split]["overall"]) for name, g in groups.items() for split in g]
    print("\n".join(table(rows, HEADLINE, "system · split")))
    print(
        f"\nreport: {folder / 'report.md'}"
        + (f" (copied to {args.out / 'latest'})" if complete else " (latest/ unchanged: partial run)")
    )
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return gate(groups["full"]) if args.check_thresholds else 0


if __name__ == "__main__":
    sys.exit(main())
