"""`python -m evals.cmrc`: the outside benchmark (CMRC 2018) as an open corpus, with both refusal kinds.

Reports on the test half of the sampled passages: accuracy (the answer contains a gold span), hit@5 (the
question's own passage among the hits the answer drew on), median answer length, false refusals,
withheld-passage and near-miss refusal; beside it, the peers' refusal: a threshold on the best passage's
dense similarity, set on the dev half so that 5% of answerable dev questions are refused.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from evals.baselines import AssistantSystem, fresh_queries
from evals.cmrc_sample import BENCHMARK, CACHE, CmrcQuestion, build_sample, holds_span, load_benchmark, write_corpus
from evals.metrics import mean, percentile

OUT = Path(__file__).resolve().parent / "reports" / "cmrc"
BASELINE_REFUSALS = 0.05  # the peers' threshold refuses this share of answerable dev questions


@dataclass(frozen=True)
class CmrcResult:
    """One question asked of the assistant, scored."""

    query_id: str
    kind: str
    half: str
    refused: bool
    correct: bool  # not refused and the answer holds a gold span
    hit_at_5: bool  # the question's own passage among the answerer's top 5 hits
    similarity: float  # dense similarity of the best passage a dense retrieval finds
    answer_chars: int


def open_assistant(root: Path, corpus: Path, embed_cache: Path | None = None) -> Assistant:
    """An assistant over `corpus` with its index in `root/index`, ingested (a no-op when nothing changed)."""
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        collection="cmrc",
        embed_cache=embed_cache or root.parent / "embeddings.sqlite",
    )
    assistant = Assistant.from_settings(settings)
    assistant.ingest(progress=True)
    return assistant


def ask_all(assistant: Assistant, questions: Sequence[CmrcQuestion]) -> list[CmrcResult]:
    """Every question through the assistant's own retrieval and answerer, plus a dense top-1 similarity."""
    system = AssistantSystem("full", assistant)
    dense_settings = assistant.settings.model_copy(update={"retrieval_mode": "dense"})
    dense = Assistant(dense_settings, assistant.index, fresh_queries(assistant.embedder), assistant.lexicon)
    results = []
    for q in questions:
        reply = system.answer(q.question, [])
        best = dense.retrieve(q.question, [], 1)
        results.append(
            CmrcResult(
                query_id=q.query_id,
                kind=q.kind,
                half=q.half,
                refused=reply.refused,
                correct=not reply.refused and holds_span(reply.text, q.answers),
                hit_at_5=q.context_id in {p.doc_id for p in reply.used[:5]},
                similarity=round(best[0].dense_score, 4) if best else 0.0,
                answer_chars=len(reply.text),
            )
        )
    return results


def tune_threshold(results: Sequence[CmrcResult], share: float = BASELINE_REFUSALS) -> float:
    """The similarity below which `share` of the answerable dev questions fall (the peers' refusal threshold)."""
    sims = [r.similarity for r in results if r.half == "dev" and r.kind == "answerable"]
    return percentile(sims, 100 * share) or 0.0


def summarize(
    results: Sequence[CmrcResult], refuse: Any = None, accuracy: bool = True
) -> dict[str, float | int | None]:
    """Metrics of one group; `refuse(result) -> bool` replaces the assistant's own refusal when given."""
    refused = refuse or (lambda r: r.refused)
    by_kind = {kind: [r for r in results if r.kind == kind] for kind in ("answerable", "withheld", "near_miss")}
    answerable = by_kind["answerable"]
    own = refuse is None
    return {
        "answerable": len(answerable),
        "withheld": len(by_kind["withheld"]),
        "near_miss": len(by_kind["near_miss"]),
        "accuracy": mean(float(r.correct and not refused(r)) for r in answerable) if accuracy else None,
        "hit_at_5": mean(float(r.hit_at_5) for r in answerable),
        "answer_chars_median": percentile([r.answer_chars for r in answerable if not r.refused], 50) if own else None,
        "false_refusal_rate": mean(float(refused(r)) for r in answerable),
        "withheld_refused": mean(float(refused(r)) for r in by_kind["withheld"]),
        "near_miss_refused": mean(float(refused(r)) for r in by_kind["near_miss"]),
    }


def summaries(results: Sequence[CmrcResult], threshold: float) -> dict[str, dict[str, Any]]:
    """Per half: the assistant's own refusal, the similarity threshold, and either of the two."""
    below = lambda r: r.similarity < threshold  # noqa: E731
    out: dict[str, dict[str, Any]] = {}
    for half in ("test", "dev"):
        group = [r for r in results if r.half == half]
        out[half] = {
            "assistant": summarize(group),
            "similarity threshold": summarize(group, below, accuracy=False),
            "assistant or threshold": summarize(group, lambda r: r.refused or below(r)),
        }
    return out


COLUMNS = [
    ("accuracy", "accuracy", "pct"),
    ("hit@5", "hit_at_5", "pct"),
    ("median chars", "answer_chars_median", "int"),
    ("false refusals", "false_refusal_rate", "pct"),
    ("withheld refused", "withheld_refused", "pct"),
    ("near misses refused", "near_miss_refused", "pct"),
    ("answerable / withheld / near-miss questions", "counts", "raw"),
]


def render(report: dict[str, Any]) -> str:
    """latest.md: the test half (reported) and the dev half (the threshold was tuned there)."""
    lines = [f"# CMRC 2018 open-corpus evaluation — {report['created']}", "", report["description"], ""]
    for half in ("test", "dev"):
        lines += [f"## {half.capitalize()} half" + (" (reported)" if half == "test" else " (threshold tuned here)"), ""]
        lines += ["| refusal | " + " | ".join(c[0] for c in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
        for name, row in report["halves"][half].items():
            row = {**row, "counts": f"{row['answerable']} / {row['withheld']} / {row['near_miss']}"}
            lines.append(f"| {name} | " + " | ".join(_cell(row.get(key), kind) for _, key, kind in COLUMNS) + " |")
        lines.append("")
    lines += ["Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in report["timings"].items()), ""]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """A path with the home folder written as ~ (the report is committed)."""
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if kind == "pct" else f"{value:.0f}" if kind == "int" else str(value)


def run(passages: int, seed: int, cache: Path) -> dict[str, Any]:
    """Sample, write and ingest the corpus (cached), ask every question, and score both halves."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    sample = build_sample(load_benchmark(BENCHMARK), passages, seed)
    root = cache / sample.key
    assistant = open_assistant(root, write_corpus(sample, root / "corpus"))
    timings["sample and ingest"] = time.perf_counter() - started
    asked = time.perf_counter()
    results = ask_all(assistant, sample.questions)
    timings["ask"] = time.perf_counter() - asked
    threshold = tune_threshold(results)
    return {
        "created": datetime.now().isoformat(timespec="seconds"),
        "description": (
            f"Seed {seed}: {passages} CMRC 2018 passages ingested ({sum(q.kind == 'near_miss' for q in sample.questions)}"
            f" of them as near misses), {len({q.context_id for q in sample.questions if q.kind == 'withheld'})} more"
            f" withheld; sample {sample.key}, index in `{_shown(root)}`. Similarity-threshold baseline: refuse when the best"
            f" dense similarity is below {threshold:.4f}, the {100 * BASELINE_REFUSALS:.0f}th percentile over the"
            " answerable questions of the dev half. 'assistant or threshold' refuses when either does."
        ),
        "seed": seed,
        "passages": passages,
        "sample": sample.key,
        "threshold": threshold,
        "halves": summaries(results, threshold),
        "timings": {k: round(v, 1) for k, v in timings.items()},
        "results": [asdict(r) for r in results],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write evals/reports/cmrc/latest.md and latest.json."""
    parser = argparse.ArgumentParser(prog="python -m evals.cmrc", description=__doc__)
    parser.add_argument("--passages", type=int, default=200, help="passages ingested (withheld ones come on top)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=CACHE, help="folder for the sampled corpora and their indexes")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    report = run(args.passages, args.seed, args.cache)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    markdown = render(report)
    (args.out / "latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
