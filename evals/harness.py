"""Run gold items through systems and score them: per-item results, then summaries per group."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.baselines import Passage, System
from evals.credit import credited_facts, evidence_cited, facts_anywhere
from evals.metrics import (
    KS,
    mean,
    percentile,
    score_refusals,
    score_retrieval,
    score_support,
)
from evals.split import SPLITS

GOLD = Path(__file__).resolve().parent / "gold.jsonl"
USED_KS = tuple(k for k in KS if k <= 5)  # recall from the answerer's own top_k (5) hits
DEEP_K = max(KS)  # a separate, deeper retrieval list, reported as such
FAILURE_K = 5  # evidence outside the answerer's top 5 counts as a retrieval failure
SNIPPET_CHARS = 120  # report.json keeps the top FAILURE_K passages cut to this length
WARM_UP_QUESTION = "这些文件是哪些机构发布的？"  # not a gold question: warming up must not pre-answer one


@dataclass
class ItemResult:
    """One gold item through one system, scored."""

    id: str
    category: str
    lang: str
    split: str
    question: str
    answerable: bool
    refusal_kind: str
    key_facts: list[str]
    facts_found: list[bool]  # credited only in an answer segment citing an evidence passage
    facts_anywhere: list[bool]  # anywhere in the answer text (the scoring before the audit)
    answer: str
    refused: bool
    answered_kind: str  # the refusal kind the answerer gave ("" when it answered)
    latency_ms: float
    retrieval_scored: bool  # answerable with evidence: counts towards recall and MRR
    first_rank: int | None = None  # within the answerer's top_k hits
    recall: dict[int, float] = field(default_factory=dict)  # from the answerer's top_k hits
    all_evidence: dict[int, bool] = field(default_factory=dict)
    deep_recall: float | None = None  # recall@DEEP_K of a separate, deeper retrieval
    evidence_cited: bool | None = None  # None when refused or not retrieval-scored
    supported: bool | None = None  # None when refused
    unsupported: list[str] = field(default_factory=list)
    cited_docs: list[str] = field(default_factory=list)
    retrieved_docs: list[str] = field(default_factory=list)  # documents of the answerer's top_k hits
    retrieved: list[Passage] = field(default_factory=list)  # the top FAILURE_K hits, cut to SNIPPET_CHARS

    @property
    def fact_score(self) -> float:
        return sum(self.facts_found) / len(self.facts_found) if self.facts_found else 0.0

    @property
    def fact_score_anywhere(self) -> float:
        return sum(self.facts_anywhere) / len(self.facts_anywhere) if self.facts_anywhere else 0.0

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
            missing = [f for f, ok in zip(self.key_facts, self.facts_found, strict=True) if not ok]
            reasons.append("key facts not in a segment citing the evidence: " + ", ".join(missing))
        if not self.answerable and not self.refused:
            reasons.append(f"answered an unanswerable ({self.refusal_kind}) question")
        elif not self.answerable and self.answered_kind != self.refusal_kind:
            reasons.append(f"refused as {self.answered_kind or '(no kind)'}, expected {self.refusal_kind}")
        if self.supported is False:
            reasons.append("not supported by its citations: " + ", ".join(self.unsupported))
        if self.retrieval_scored:
            reasons += self._retrieval_failure()
        return reasons

    def _retrieval_failure(self) -> list[str]:
        if self.first_rank is None:
            return [f"no evidence passage among the answerer's top {FAILURE_K} hits"]
        if not self.all_evidence.get(FAILURE_K, False):
            return [f"only {self.recall[FAILURE_K]:.0%} of the evidence documents in the top {FAILURE_K}"]
        return []


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """The gold items of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_item(system: System, item: dict[str, Any]) -> ItemResult:
    """Answer one gold item and score it, retrieval included, on the hits the answerer drew on."""
    history = item.get("history", [])
    reply = system.answer(item["question"], history)
    facts, evidence = item["key_facts"], item["evidence"]
    answered = not reply.refused
    # A segment's citation includes the document label the answer prints beside its quote (文号, title).
    labelled = {n: Passage(p.doc_id, f"{reply.labels.get(n, '')}\n{p.text}") for n, p in reply.cited.items()}
    result = ItemResult(
        id=item["id"],
        category=item["category"],
        lang=item["lang"],
        split=item.get("split", ""),
        question=item["question"],
        answerable=item["answerable"],
        refusal_kind=item.get("refusal_kind", ""),
        key_facts=facts,
        facts_found=[answered and ok for ok in credited_facts(reply.text, labelled, facts, evidence)],
        facts_anywhere=[answered and ok for ok in facts_anywhere(reply.text, facts)],
        answer=reply.text,
        refused=reply.refused,
        answered_kind=reply.refusal_kind if reply.refused else "",
        latency_ms=round(reply.latency_ms, 2),
        retrieval_scored=bool(item["answerable"] and evidence),
        cited_docs=[p.doc_id for p in reply.cited.values()],
        retrieved_docs=[p.doc_id for p in reply.used],
        retrieved=[Passage(p.doc_id, p.text[:SNIPPET_CHARS]) for p in reply.used[:FAILURE_K]],
    )
    if result.retrieval_scored:
        score = score_retrieval(reply.used, evidence, facts, USED_KS)
        result.first_rank, result.recall, result.all_evidence = score.first_rank, score.recall, score.all_evidence
        deep = system.retrieve(item["question"], history, DEEP_K)
        result.deep_recall = score_retrieval(deep, evidence, facts, (DEEP_K,)).recall[DEEP_K]
        result.evidence_cited = evidence_cited(reply.cited, evidence, facts) if answered else None
    if answered:
        support = score_support(reply.text, facts, reply.sources)
        result.supported = support.supported
        result.unsupported = support.unsupported_facts + support.unsupported_numbers
    return result


def evaluate(
    systems: Sequence[System], items: Sequence[dict[str, Any]], on_item: Callable[[str], None] | None = None
) -> dict[str, list[ItemResult]]:
    """Every item through every system; each system answers one untimed warm-up question (not a gold one) first."""
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
    unanswerable = [r for r in results if not r.answerable]
    scored = [r for r in answerable if r.retrieval_scored]
    answered = [r for r in results if not r.refused]
    refusals = score_refusals((r.answerable, r.refused) for r in results)
    summary: dict[str, float | int | None] = {
        "items": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    for k in USED_KS:
        summary[f"recall_at_{k}"] = mean(r.recall[k] for r in scored)
    summary |= {
        "all_evidence_at_5": mean(float(r.all_evidence[FAILURE_K]) for r in scored),
        "mrr_at_5": mean((1.0 / r.first_rank if r.first_rank else 0.0) for r in scored),
        "deep_recall_at_10": mean(r.deep_recall or 0.0 for r in scored),
        "key_fact_accuracy": mean(r.fact_score for r in answerable),
        "key_fact_accuracy_anywhere": mean(r.fact_score_anywhere for r in answerable),
        "all_facts_rate": mean(float(r.all_facts) for r in answerable),
        "evidence_cited_rate": mean(float(bool(r.evidence_cited)) for r in scored if not r.refused),
        "citation_support": mean(float(bool(r.supported)) for r in answered),
        "refusal_precision": refusals.precision,
        "refusal_recall": refusals.recall,
        "refusal_kind_accuracy": mean(float(r.refused and r.answered_kind == r.refusal_kind) for r in unanswerable),
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


def summarize_splits(results: Sequence[ItemResult]) -> dict[str, Any]:
    """Grouped summaries of the dev split, the test split, and all items together."""
    splits = {name: [r for r in results if r.split == name] for name in sorted(SPLITS, reverse=True)}  # test first
    return {name: summarize_groups(rs) for name, rs in splits.items() if rs} | {"all": summarize_groups(results)}
