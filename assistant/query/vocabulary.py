"""The question vocabulary (vocabulary.toml), compiled once: the only place that classifies question wording."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from assistant.types import AnswerType

VOCABULARY = Path(__file__).resolve().parent / "vocabulary.toml"


@dataclass(frozen=True)
class Vocabulary:
    """Compiled patterns: answer types in priority order, cues, document kinds, follow-up and part marks."""

    answer_types: tuple[tuple[AnswerType, re.Pattern[str]], ...]
    compare: re.Pattern[str]
    support: re.Pattern[str]
    document_fact: re.Pattern[str]
    list_size: re.Pattern[str]
    wh: re.Pattern[str]
    which_documents: re.Pattern[str]
    document_words: re.Pattern[str]
    target: re.Pattern[str]
    actual: re.Pattern[str]
    growth: re.Pattern[str]
    document_kinds: tuple[tuple[str, re.Pattern[str]], ...]
    followup_start: re.Pattern[str]
    followup_end: re.Pattern[str]
    followup_part: re.Pattern[str]
    followup_max_chinese: int
    followup_max_english: int
    period: re.Pattern[str]
    part_separators: re.Pattern[str]
    part_asks: re.Pattern[str]
    largest: re.Pattern[str]
    smallest: re.Pattern[str]
    organisation_suffixes: tuple[str, ...]
    value_words: frozenset[str] = frozenset()  # name the kind of value asked, not what is measured
    contrasts: tuple[tuple[str, ...], ...] = ()  # tiers documents tell apart, each from the highest
    contrasts_english: tuple[tuple[re.Pattern[str], str], ...] = ()  # how English names a tier

    def answer_type(self, text: str) -> AnswerType:
        """The first answer type whose wording the text uses; "explanation" when none does."""
        return next((kind for kind, pattern in self.answer_types if pattern.search(text)), "explanation")

    def asks(self, answer_type: AnswerType, text: str) -> bool:
        """True when the text uses the wording of `answer_type` (whether or not another type came first)."""
        return any(kind == answer_type and pattern.search(text) for kind, pattern in self.answer_types)

    def kinds_named(self, text: str) -> list[tuple[str, re.Match[str]]]:
        """Each document kind the text names, with where it names it."""
        return [(kind, m) for kind, pattern in self.document_kinds for m in pattern.finditer(text)]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@functools.cache
def load_vocabulary(path: Path = VOCABULARY) -> Vocabulary:
    """Read and compile the vocabulary file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cues, followup = data["cues"], data["followup"]
    return Vocabulary(
        answer_types=tuple((cast(AnswerType, k), _compile(v)) for k, v in data["answer_types"].items()),
        compare=_compile(cues["compare"]),
        support=_compile(cues["support"]),
        document_fact=_compile(cues["document_fact"]),
        list_size=_compile(cues["list_size"]),
        wh=_compile(cues["wh"]),
        which_documents=_compile(cues["which_documents"]),
        document_words=_compile(cues["document_words"]),
        target=_compile(cues["target"]),
        actual=_compile(cues["actual"]),
        growth=_compile(cues["growth"]),
        document_kinds=tuple((k, _compile(v)) for k, v in data["document_kinds"].items()),
        followup_start=_compile(followup["start"]),
        followup_end=_compile(followup["end"]),
        followup_part=_compile(followup["part"]),
        followup_max_chinese=int(followup["max_chinese_chars"]),
        followup_max_english=int(followup["max_english_words"]),
        period=_compile(data["periods"]["pattern"]),
        part_separators=_compile(data["parts"]["separators"]),
        part_asks=_compile(data["parts"]["asks"]),
        largest=_compile(data["superlative"]["largest"]),
        smallest=_compile(data["superlative"]["smallest"]),
        organisation_suffixes=tuple(sorted(data["organisations"]["suffixes"], key=len, reverse=True)),
        value_words=frozenset(data["measure"]["value_words"]),
        contrasts=tuple(tuple(tiers) for tiers in data["contrasts"].values()),
        contrasts_english=tuple((_compile(rf"\b(?:{k})\b"), v) for k, v in data["contrasts_english"].items()),
    )
