"""Run gold items through systems and score them: per-item results, then summaries per group."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.baselines import Passage, System
from evals.metrics import (
    KS,
    fact_in_text,
    mean,
    percentile,
    score_refusals,
    score_retrieval,
    score_support,
)

GOLD = Path(__file__).resolve().parent / "gold.jsonl"
RETRIEVE_K = max(KS)
FAILURE_K = 5  # evidence outside the top 5 counts as a retrieval failure
SNIPPET_CHARS = 120  # report.json keeps the top FAILURE_K passages cut to this length
WARM_UP_QUESTION = "中试基地能获得什么补贴？"


@dataclass
class ItemResult:
    """One gold item through one system, scored."""

    id: str
    category: str
    lang: str
    question: str
    answerable: bool
    refusal_kind: str
    key_facts: list[str]
    facts_found: list[bool]
    answer: str
    refused: bool
    latency_ms: float
    retrieval_scored: bool  # answerable with evidence: counts towards recall and MRR
    first_rank: int | None = None
    recall: dict[int, float] = field(default_factory=dict)
    all_evidence: dict[int, bool] = field(default_factory=dict)
    supported: bool | None = None  # None when refused
    unsupported: list[str] = field(default_factory=list)
    cited_docs: list[str] = field(default_factory=list)
    retrieved_docs: list[str] = field(default_factory=list)  # documents of the top RETRIEVE_K passages
    retrieved: list[Passage] = field(default_factory=list)  # the top FAILURE_K passages, cut to SNIPPET_CHARS

    @property
    def fact_score(self) -> float:
        return sum(self.facts_found) / len(self.facts_found) if self.facts_found else 0.0

    @property
    def all_facts(self) -> bool:
        return bool(self.facts_found) and all(self.facts_found)

    @property
    def answer_chars(self) -> int:
        return len(self.answer)

    def failures(self) -> list[str]:
        """Why this item counts as failed (empty when it passed)."""
        reasons = []
        if self.answerable and self.refused:
            reasons.append("refused an answerable question")
        elif self.answerable and not self.all_facts:
            reasons.append(
                "missing key facts: "
                + ", ".join(f for f, ok in zip(self.key_facts, self.facts_found, strict=True) if not ok)
            )
        if not self.answerable and not self.refused:
            reasons.append(f"answered an unanswerable ({self.refusal_kind}) question")
        if self.supported is False:
            reasons.append("not supported by its citations: " + ", ".join(self.unsupported))
        if self.retrieval_scored:
            reasons += self._retrieval_failure()
        return reasons

    def _retrieval_failure(self) -> list[str]:
        if self.first_rank is None:
            return [f"no evidence passage in the top {RETRIEVE_K}"]
        if self.first_rank > FAILURE_K:
            return [f"evidence first at rank {self.first_rank}, outside the top {FAILURE_K}"]
        if not self.all_evidence.get(FAILURE_K, False):
            return [f"only {self.recall[FAILURE_K]:.0%} of the evidence documents in the top {FAILURE_K}"]
        return []


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """The gold items of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_item(system: System, item: dict[str, Any]) -> ItemResult:
    """Answer, retrieve (scored on its own, as before answering), and score one gold item."""
    history = item.get("history", [])
    # Answer first, so its timing pays for embedding the question; retrieval reuses that embedding.
    reply = system.answer(item["question"], history)
    passages = system.retrieve(item["question"], history, RETRIEVE_K)
    facts = item["key_facts"]
    result = ItemResult(
        id=item["id"],
        category=item["category"],
        lang=item["lang"],
        question=item["question"],
        answerable=item["answerable"],
        refusal_kind=item.get("refusal_kind", ""),
        key_facts=facts,
        facts_found=[not reply.refused and fact_in_text(f, reply.text) for f in facts],
        answer=reply.text,
        refused=reply.refused,
        latency_ms=round(reply.latency_ms, 2),
        retrieval_scored=bool(item["answerable"] and item["evidence"]),
        cited_docs=[p.doc_id for p in reply.cited],
        retrieved_docs=[p.doc_id for p in passages],
        retrieved=[Passage(p.doc_id, p.text[:SNIPPET_CHARS]) for p in passages[:FAILURE_K]],
    )
    if result.retrieval_scored:
        score = score_retrieval(passages, item["evidence"], facts)
        result.first_rank, result.recall, result.all_evidence = score.first_rank, score.recall, score.all_evidence
    if not reply.refused:
        support = score_support(reply.text, facts, reply.sources)
        result.supported = support.supported
        result.unsupported = support.unsupported_facts + support.unsupported_numbers
    return result


def evaluate(
    systems: Sequence[System], items: Sequence[dict[str, Any]], on_item: Callable[[str], None] | None = None
) -> dict[str, list[ItemResult]]:
    """Every item through every system; each system answers one untimed warm-up question first."""
    results: dict[str, list[ItemResult]] = {}
    for system in systems:
        system.answer(WARM_UP_QUESTION, [])
        results[system.name] = []
        for item in items:
            results[system.name].append(evaluate_item(system, item))
            if on_item is not None:
                on_item(system.name)
    return results


def summarize(results: Sequence[ItemResult]) -> dict[str, float | int | None]:
    """Headline metrics of a group of results (None where a metric has no items to count)."""
    answerable = [r for r in results if r.answerable]
    scored = [r for r in answerable if r.retrieval_scored]
    answered = [r for r in results if not r.refused]
    refusals = score_refusals((r.answerable, r.refused) for r in results)
    summary: dict[str, float | int | None] = {
        "items": len(results),
        "answerable": len(answerable),
        "unanswerable": len(results) - len(answerable),
    }
    for k in KS:
        summary[f"recall_at_{k}"] = mean(r.recall[k] for r in scored)
    for k in KS:
        summary[f"all_evidence_at_{k}"] = mean(float(r.all_evidence[k]) for r in scored)
    summary |= {
        "mrr": mean((1.0 / r.first_rank if r.first_rank else 0.0) for r in scored),
        "key_fact_accuracy": mean(r.fact_score for r in answerable),
        "all_facts_rate": mean(float(r.all_facts) for r in answerable),
        "citation_support": mean(float(bool(r.supported)) for r in answered),
        "refusal_precision": refusals.precision,
        "refusal_recall": refusals.recall,
        "false_refusal_rate": refusals.false_refusal_rate,
        "answer_chars_median": percentile([r.answer_chars for r in answered], 50),
        "latency_p50_ms": percentile([r.latency_ms for r in results], 50),
        "latency_p95_ms": percentile([r.latency_ms for r in results], 95),
    }
    return summary


def summarize_groups(results: Sequence[ItemResult]) -> dict[str, Any]:
    """Summaries overall, per category, per language, and per category × language."""

    def grouped(key: Callable[[ItemResult], str]) -> dict[str, Any]:
        names = sorted({key(r) for r in results})
        return {name: summarize([r for r in results if key(r) == name]) for name in names}

    return {
        "overall": summarize(results),
        "by_category": grouped(lambda r: r.category),
        "by_lang": grouped(lambda r: r.lang),
        "by_category_lang": grouped(lambda r: f"{r.category}/{r.lang}"),
    }
