"""report.json and report.md: systems side by side, per-category tables, and the full system's failures."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evals.harness import ItemResult

HEADLINE = [
    ("R@1", "recall_at_1", "pct"),
    ("R@3", "recall_at_3", "pct"),
    ("R@5", "recall_at_5", "pct"),
    ("all-ev@5", "all_evidence_at_5", "pct"),
    ("MRR@5", "mrr_at_5", "num"),
    ("deep R@10", "deep_recall_at_10", "pct"),
    ("key facts", "key_fact_accuracy", "pct"),
    ("facts anywhere", "key_fact_accuracy_anywhere", "pct"),
    ("all facts", "all_facts_rate", "pct"),
    ("cites evidence", "evidence_cited_rate", "pct"),
    ("refusal P", "refusal_precision", "pct"),
    ("refusal R", "refusal_recall", "pct"),
    ("refusal kind", "refusal_kind_accuracy", "pct"),
    ("false refusals", "false_refusal_rate", "pct"),
    ("median chars", "answer_chars_median", "int"),
    ("p50 ms", "latency_p50_ms", "ms"),
    ("p95 ms", "latency_p95_ms", "ms"),
]
SUPPORT_COLUMN = (
    "cited support",
    "citation_support",
    "pct",
)  # shown for LLM answers; verbatim quotes hold it by construction
GROUP_COLUMNS = [("n", "items", "int")] + [
    c for c in HEADLINE if c[1] not in {"recall_at_1", "recall_at_3", "deep_recall_at_10", "latency_p95_ms"}
]
PREVIEW_CHARS = 120


def fmt(value: float | int | None, kind: str) -> str:
    """A metric value as a table cell."""
    if value is None:
        return "n/a"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "num":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return f"{value:.0f}"


def table(
    rows: Sequence[tuple[str, Mapping[str, Any]]], columns: Sequence[tuple[str, str, str]], first: str
) -> list[str]:
    """A Markdown table: one row per (label, summary)."""
    lines = [f"| {first} | " + " | ".join(c[0] for c in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, summary in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(summary.get(key), kind) for _, key, kind in columns) + " |")
    return lines


def item_record(result: ItemResult, previews: bool) -> dict[str, Any]:
    """A per-item result as JSON, with its derived scores."""
    record = asdict(result)
    failures = result.failures()
    # Passage previews only where someone will look for the cause: keeps the committed latest/ small.
    shown = previews and failures
    record["retrieved"] = [{"doc_id": p.doc_id, "text": p.text} for p in result.retrieved] if shown else []
    record |= {"fact_score": result.fact_score, "all_facts": result.all_facts, "failures": failures}
    return record


def build_report(
    meta: Mapping[str, Any],
    descriptions: Mapping[str, str],
    results: Mapping[str, Sequence[ItemResult]],
    summaries: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything a run measured, as one JSON-ready dict."""
    systems = {
        name: {
            "description": descriptions[name],
            "summary": summaries[name],
            "items": [item_record(r, name == "full") for r in results[name]],
        }
        for name in results
    }
    return {**meta, "systems": systems}


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def failure_section(results: Sequence[ItemResult]) -> list[str]:
    """Each failed item: why, the question, expected facts, the answer and the top-5 passages."""
    failed = [r for r in results if r.failures()]
    lines = [f"## Failures of the full system ({len(failed)} of {len(results)} items)", ""]
    for r in failed:
        lines += [f"### {r.id} ({r.category}, {r.lang}, {r.split or 'no split'})", ""]
        lines += [f"- **why:** {'; '.join(r.failures())}", f"- **question:** {r.question}"]
        lines.append(f"- **expected key facts:** {', '.join(r.key_facts) if r.key_facts else '(none: should refuse)'}")
        lines += [f"- **refused:** {r.refused}", "- **answer:**", ""]
        lines += ["  > " + line for line in (r.answer or "(empty)").splitlines()]
        lines += ["", "- **top-5 retrieved:**", ""]
        for rank, passage in enumerate(r.retrieved[:5], 1):
            mark = " ← first evidence match" if rank == r.first_rank else ""
            lines.append(f"  {rank}. `{passage.doc_id}` {_one_line(passage.text, PREVIEW_CHARS)}{mark}")
        lines.append("")
    return lines


def split_rows(systems: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Headline rows: each system on the test split, the dev split, then all items."""
    return [
        (f"{name} · {split}", s["summary"][split]["overall"])
        for name, s in systems.items()
        for split in ("test", "dev", "all")
        if split in s["summary"]
    ]


def _group_tables(summary: Mapping[str, Any], split: str) -> list[str]:
    """Per-category, per-language and per-category × language tables of one split."""
    lines = [f"## Full system per category ({split})", ""]
    rows = [(cat, s) for cat, s in summary["by_category"].items()] + [("**overall**", summary["overall"])]
    lines += table(rows, GROUP_COLUMNS, "category")
    lines += ["", f"## Full system per language ({split})", ""]
    lines += table(list(summary["by_lang"].items()), GROUP_COLUMNS, "lang")
    lines += ["", f"## Full system per category × language ({split})", ""]
    return lines + table(list(summary["by_category_lang"].items()), GROUP_COLUMNS, "category/lang") + [""]


def render_markdown(
    report: Mapping[str, Any], results: Mapping[str, Sequence[ItemResult]], charts: Sequence[str]
) -> str:
    """The human-readable report."""
    systems = report["systems"]
    columns = HEADLINE + ([SUPPORT_COLUMN] if report.get("answer_mode") == "llm" else [])
    lines = [f"# Evaluation report — {report['created']}", ""]
    lines += [
        f"Gold set `{report['gold']}`: {report['items']} items{report['filter_note']}. Index `{report['index_dir']}`.",
        "",
    ]
    lines += ["## Headline: test split (gated), dev split (tuned on), all items", ""]
    lines += table(split_rows(systems), columns, "system · split")
    lines += ["", "Systems:", ""] + [f"- **{name}**: {s['description']}" for name, s in systems.items()]
    lines += ["", *(f"- {note}" for note in report["notes"]), ""]
    lines += ["Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in report["timings"].items()), ""]
    lines += [f"![{name}]({name})" for name in charts] + [""]
    if "full" in systems:
        for split in ("test", "dev"):
            if split in systems["full"]["summary"]:
                lines += _group_tables(systems["full"]["summary"][split], split)
        lines += failure_section(results["full"])
    return "\n".join(lines).rstrip() + "\n"


def write_report(folder: Path, report: Mapping[str, Any], markdown: str) -> None:
    """report.json and report.md into a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (folder / "report.md").write_text(markdown, encoding="utf-8")
