"""A learned answerability score: several weak signals combined by a small logistic regression.

No single signal separates answerable questions from near misses (word overlap, embedding similarity and
retrieval margins each catch a fraction); their combination, fitted on dev data by
`python -m evals.answerability`, does better. The weights are data (answerability.json), not code.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.score import wanted_values
from assistant.ingest.store import Snapshot
from assistant.lang.figures import value_kinds
from assistant.types import Candidate, Hit, Intent

MODEL = Path(__file__).resolve().parent / "answerability.json"
FEATURES = (
    "coverage",  # IDF-weighted share of the question's concepts in the best sentence (and its context)
    "own",  # the same, in the sentence's own words
    "rare_in_sentence",  # share of the question's rarest two concepts in the best sentence
    "rare_in_passage",  # ... in the passage holding it
    "dense_top",  # cosine similarity of the best passage
    "dense_margin",  # best minus the mean of the top five: a clear winner or a flat field
    "bm25_top",  # best BM25 score per question keyword
    "typed_missing",  # the question asks for a kind of value the best sentence lacks
    "concepts",  # log of how many concepts the question has
)


@dataclass(frozen=True)
class Answerability:
    """Logistic-regression weights over FEATURES, and the probability below which to refuse."""

    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    threshold: float

    def probability(self, values: Sequence[float]) -> float:
        """P(answerable) for one question's feature values."""
        z = self.bias + sum(
            w * (v - m) / s for w, v, m, s in zip(self.weights, values, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@functools.cache
def load_answerability(path: Path = MODEL) -> Answerability | None:
    """The fitted model, or None when none has been trained (refusal then uses the hand-set floors alone)."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        return None  # fitted on other features: refit with `python -m evals.answerability`
    return Answerability(
        weights=tuple(data["weights"]),
        bias=float(data["bias"]),
        means=tuple(data["means"]),
        scales=tuple(data["scales"]),
        threshold=float(data["threshold"]),
    )


def _rare_concepts(intent: Intent, snap: Snapshot) -> list[tuple[str, ...]]:
    """The question's two rarest concepts (by document frequency), each with its surface forms."""
    forms = [tuple(f.lower() for f in fs) for term, fs in intent.query.concepts if len(term) > 1]
    frequency = [(min(snap.df.get(f, 0) for f in fs), fs) for fs in forms]
    return [fs for _, fs in sorted(frequency, key=lambda x: x[0])[:2]]


def features(intent: Intent, hits: Sequence[Hit], candidates: Sequence[Candidate], snap: Snapshot) -> list[float]:
    """The values of FEATURES for one question, its retrieved passages and its scored candidates."""
    best = candidates[0]
    passage = hits[best.hit_index].chunk.text.lower()
    sentence = best.text.lower()
    rare = _rare_concepts(intent, snap)
    dense = sorted((h.dense_score for h in hits), reverse=True)
    keywords = max(len(intent.query.own_keywords), 1)
    wanted = wanted_values(intent) if intent.answer_type in ("date", "year", "amount", "ratio", "count") else None
    return [
        best.coverage,
        best.own,
        sum(any(f in sentence for f in fs) for fs in rare) / max(len(rare), 1),
        sum(any(f in passage for f in fs) for fs in rare) / max(len(rare), 1),
        dense[0] if dense else 0.0,
        (dense[0] - sum(dense[:5]) / len(dense[:5])) if dense else 0.0,
        max((h.bm25_score for h in hits), default=0.0) / keywords,
        float(bool(wanted) and not value_kinds(best.text) & (wanted or frozenset())),
        math.log(1 + len(intent.query.concepts)),
    ]
