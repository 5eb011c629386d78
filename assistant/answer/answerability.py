"""A learned answerability score: weak signals combined by two small logistic regressions.

Two ways a question goes unanswered need two detectors. When the subject is absent from the corpus
(`not_covered`), retrieval itself is weak: low dense and BM25 scores, rare words found nowhere. When the
subject is there but the asked fact is not (`not_stated`, a near miss), retrieval looks fine and only the
best sentence's fit to the question gives it away. One regression fitted on both kinds learns the more
numerous one and misses the other, so each kind has its own, with its own threshold.
No single signal separates either kind from answerable questions (word overlap, embedding similarity and
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
from typing import Any, Literal

from assistant.answer.score import wanted_values
from assistant.ingest.store import Snapshot
from assistant.lang.figures import value_kinds
from assistant.lang.lexicon import CJK
from assistant.types import Candidate, Hit, Intent

MODEL = Path(__file__).resolve().parent / "answerability.json"
FEATURES = (
    "coverage",  # IDF-weighted share of the question's concepts in the best sentence (and its context)
    "own",  # the same, in the sentence's own words
    "coverage_margin",  # the best sentence's coverage minus the runner-up's: one sentence says it, or none
    "bigrams_sentence",  # share of the question's Chinese character bigrams in the best sentence
    "bigrams_passage",  # ... in the passage holding it
    "bigrams_any",  # ... in the retrieved passage holding most of them (tokenizer-free: names jieba cuts apart)
    "rare_in_sentence",  # share of the question's rarest two concepts in the best sentence
    "rare_in_passage",  # ... in the passage holding it
    "dense_top",  # cosine similarity of the best passage
    "dense_margin",  # best minus the mean of the top five: a clear winner or a flat field
    "bm25_top",  # best BM25 score per question keyword (English words no passage uses left out)
    "typed_missing",  # the question asks for a kind of value the best sentence lacks
    "concepts",  # log of how many concepts the question has
)
Kind = Literal["not_covered", "not_stated"]
KINDS: tuple[Kind, ...] = ("not_covered", "not_stated")


@dataclass(frozen=True)
class Detector:
    """Logistic-regression weights over some of FEATURES, and the probability below which to refuse."""

    columns: tuple[int, ...]  # indices into FEATURES of the values the weights apply to
    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    threshold: float

    def probability(self, values: Sequence[float]) -> float:
        """P(answerable) for one question's feature values (all of FEATURES)."""
        chosen = [values[i] for i in self.columns]
        z = self.bias + sum(
            w * (v - m) / s for w, v, m, s in zip(self.weights, chosen, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Detector:
        return cls(
            columns=tuple(FEATURES.index(name) for name in data["features"]),
            weights=tuple(data["weights"]),
            bias=float(data["bias"]),
            means=tuple(data["means"]),
            scales=tuple(data["scales"]),
            threshold=float(data["threshold"]),
        )


@dataclass(frozen=True)
class Answerability:
    """One detector per refusal kind."""

    detectors: dict[Kind, Detector]

    def refuses(self, kind: Kind, values: Sequence[float]) -> bool:
        """True when the detector of `kind` puts P(answerable) below its threshold."""
        detector = self.detectors.get(kind)
        return detector is not None and detector.probability(values) < detector.threshold


@functools.cache
def load_answerability(path: Path = MODEL) -> Answerability | None:
    """The fitted model, or None when none has been trained (refusal then uses the hand-set floors alone)."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    detectors = data.get("detectors")
    if not isinstance(detectors, dict) or any(f not in FEATURES for d in detectors.values() for f in d["features"]):
        return None  # fitted on other features: refit with `python -m evals.answerability`
    return Answerability(
        {kind: Detector.from_json(data["detectors"][kind]) for kind in KINDS if kind in data["detectors"]}
    )


def _rare_concepts(intent: Intent, snap: Snapshot) -> list[tuple[str, ...]]:
    """The question's two rarest concepts (by document frequency), each with its surface forms."""
    forms = [tuple(f.lower() for f in fs) for term, fs in intent.query.concepts if len(term) > 1]
    frequency = [(min(snap.df.get(f, 0) for f in fs), fs) for fs in forms]
    # An English word no passage uses says nothing: English questions are matched through their Chinese terms.
    frequency = [(df, fs) for df, fs in frequency if df or not all(f.isascii() for f in fs)]
    return [fs for _, fs in sorted(frequency, key=lambda x: x[0])[:2]]


def question_bigrams(intent: Intent) -> set[str]:
    """Character bigrams of the question's concepts, each in its first Chinese form (an English question's
    concepts map to the Chinese terms the glossary gives)."""
    grams: set[str] = set()
    for term, forms in intent.query.concepts:
        piece = next((f for f in (term, *forms) if CJK.search(f)), "").lower()
        grams |= {piece[i : i + 2] for i in range(len(piece) - 1)}
    return grams


def _share(grams: set[str], text: str) -> float:
    return sum(g in text for g in grams) / len(grams) if grams else 0.0


def features(intent: Intent, hits: Sequence[Hit], candidates: Sequence[Candidate], snap: Snapshot) -> list[float]:
    """The values of FEATURES for one question, its retrieved passages and its scored candidates."""
    best = candidates[0]
    passage = hits[best.hit_index].chunk.text.lower()
    sentence = best.text.lower()
    rare = _rare_concepts(intent, snap)
    dense = sorted((h.dense_score for h in hits), reverse=True)
    # Per keyword the corpus knows (an English question's English words match no Chinese passage).
    keywords = max(sum(1 for k in intent.query.own_keywords if snap.df.get(k, 0) or not k.isascii()), 1)
    wanted = wanted_values(intent) if intent.answer_type in ("date", "year", "amount", "ratio", "count") else None
    grams = question_bigrams(intent)
    runner_up = max((c.coverage for c in candidates[1:] if c.text != best.text), default=0.0)
    return [
        best.coverage,
        best.own,
        best.coverage - runner_up,
        _share(grams, sentence),
        _share(grams, passage),
        max((_share(grams, h.chunk.text.lower()) for h in hits), default=0.0),
        sum(any(f in sentence for f in fs) for fs in rare) / max(len(rare), 1),
        sum(any(f in passage for f in fs) for fs in rare) / max(len(rare), 1),
        dense[0] if dense else 0.0,
        (dense[0] - sum(dense[:5]) / len(dense[:5])) if dense else 0.0,
        max((h.bm25_score for h in hits), default=0.0) / keywords,
        float(bool(wanted) and not value_kinds(best.text) & (wanted or frozenset())),
        math.log(1 + len(intent.query.concepts)),
    ]
