"""A seeded sample of CMRC 2018 (read from ../shared/benchmarks, never copied here): the corpus and its questions.

Each sampled passage gets a half (dev or test) and a role: ingested whole (its questions are answerable),
withheld (not ingested; its questions should be refused), or a near miss (ingested without the sentences
holding one question's answer, that question asked; it should be refused).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARK = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "cmrc2018" / "cmrc2018_dev.json"
CACHE = Path.home() / ".cache" / "policyqa" / "cmrc"
SAMPLE_VERSION = 1  # bump when the sampling changes, so cached corpora are not reused
WITHHELD_SHARE = 0.2  # withheld passages, as a share of the ingested ones
NEAR_MISS_SHARE = 0.2  # ingested passages turned into near misses
MIN_REST_CHARS = 150  # a near-miss passage keeps at least this much text …
MIN_REST_SHARE = 0.5  # … and this share of the original ("still substantial", the benchmark's README)
_SENTENCE = re.compile(r"[^。！？]+[。！？]*|[。！？]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CmrcQuestion:
    """One benchmark question with its gold spans and what the assistant should do with it."""

    query_id: str
    context_id: str
    question: str
    answers: tuple[str, ...]
    kind: str  # answerable | withheld | near_miss
    half: str  # dev | test


@dataclass(frozen=True)
class CmrcSample:
    """The documents to ingest (file stem → text) and the questions to ask."""

    key: str  # hash of the sampling parameters: names the cache folder
    documents: dict[str, str]
    questions: list[CmrcQuestion]


def squash(text: Any) -> str:
    """Whitespace removed; numbers (29 answers are JSON numbers) compared as text."""
    return _SPACE.sub("", str(text))


def holds_span(text: str, answers: Sequence[Any]) -> bool:
    """Whether a text contains one of the gold spans, whitespace-normalised."""
    flat = squash(text)
    return any(squash(a) and squash(a) in flat for a in answers)


def without_answer(text: str, answers: Sequence[Any]) -> str | None:
    """The passage without every sentence (split on 。！？) holding a gold span, or None when too little is left
    or a span survives (it spanned sentences)."""
    kept = [s for s in _SENTENCE.findall(text) if not holds_span(s, answers)]
    rest = "".join(kept).strip()
    if len(rest) < max(MIN_REST_CHARS, MIN_REST_SHARE * len(text)) or holds_span(rest, answers):
        return None
    return rest


def load_benchmark(path: Path = BENCHMARK) -> list[dict[str, Any]]:
    """The benchmark's passages, ordered by context id."""
    return sorted(json.loads(path.read_text(encoding="utf-8")), key=lambda p: p["context_id"])


def _document(passage: dict[str, Any], body: str) -> str:
    return f"{passage.get('title', '').strip()}\n\n{body}\n"


def _questions(passage: dict[str, Any], kind: str, half: str) -> list[CmrcQuestion]:
    return [
        CmrcQuestion(q["query_id"], passage["context_id"], q["query_text"], tuple(map(str, q["answers"])), kind, half)
        for q in passage["qas"]
    ]


def _near_miss(passage: dict[str, Any], half: str, rng: random.Random) -> tuple[str, CmrcQuestion] | None:
    """A passage cut down for one of its questions (tried in seeded order), or None when none allows it."""
    qas = list(passage["qas"])
    rng.shuffle(qas)
    for qa in qas:
        rest = without_answer(passage["context_text"], qa["answers"])
        if rest is not None and not holds_span(passage.get("title", ""), qa["answers"]):
            [question] = _questions({**passage, "qas": [qa]}, "near_miss", half)
            return _document(passage, rest), question
    return None


def sample_key(passages: int, seed: int, withheld: int, near_misses: int) -> str:
    """A short hash naming one sample (and its cache folder)."""
    raw = json.dumps([SAMPLE_VERSION, passages, seed, withheld, near_misses, MIN_REST_CHARS, MIN_REST_SHARE])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def build_sample(
    data: Sequence[dict[str, Any]],
    passages: int,
    seed: int,
    withheld: int | None = None,
    near_misses: int | None = None,
) -> CmrcSample:
    """`passages` ingested passages (some as near misses) plus `withheld` ones, halves and roles all seeded."""
    withheld = round(passages * WITHHELD_SHARE) if withheld is None else withheld
    near_misses = round(passages * NEAR_MISS_SHARE) if near_misses is None else near_misses
    rng = random.Random(seed)
    pool = rng.sample(list(data), passages + withheld)
    order = [p["context_id"] for p in pool]
    rng.shuffle(order)
    half = {cid: ("dev" if i < len(order) // 2 else "test") for i, cid in enumerate(order)}
    documents: dict[str, str] = {}
    questions: list[CmrcQuestion] = []
    for passage in pool[passages:]:
        questions += _questions(passage, "withheld", half[passage["context_id"]])
    made = 0
    for passage in pool[:passages]:
        cid = passage["context_id"]
        cut = _near_miss(passage, half[cid], rng) if made < near_misses else None
        if cut is not None:
            documents[cid], question = cut
            questions.append(question)
            made += 1
        else:
            documents[cid] = _document(passage, passage["context_text"])
            questions += _questions(passage, "answerable", half[cid])
    return CmrcSample(sample_key(passages, seed, withheld, near_misses), documents, questions)


def write_corpus(sample: CmrcSample, folder: Path) -> Path:
    """The sample's documents as .txt files in `folder` (rewritten only when changed; strays removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in set(folder.glob("*.txt")) - {folder / f"{cid}.txt" for cid in sample.documents}:
        stale.unlink()
    for cid, text in sample.documents.items():
        path = folder / f"{cid}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder
