"""A multi-part question's answers, one per part, composed in order with one citation numbering."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.settings import AnswerSettings
from assistant.types import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")
# Parts are headed in words, not digits: a digit outside a quote would read as an unsupported figure.
_HEADS_ZH = ("问一", "问二", "问三", "问四", "问五", "问六")
_HEADS_EN = ("Part one", "Part two", "Part three", "Part four", "Part five", "Part six")
MAX_PARTS = len(_HEADS_ZH)


def part_budget(settings: AnswerSettings, parts: int) -> AnswerSettings:
    """The parts share one answer's budget: a short answer each."""
    return settings.model_copy(
        update={
            "max_sentences": max(1, settings.max_sentences // parts),
            "max_chars": max(settings.max_sentence_chars, settings.max_chars // parts),
            "refusal_summary": False,  # the corpus summary once per part would crowd out the answered parts
        }
    )


def _renumbered(answer: Answer, numbering: dict[str, int], citations: list[Citation]) -> str:
    """The answer's text with its [n] markers mapped onto the joint numbering (shared passages keep one n)."""
    mapping: dict[int, int] = {}
    for citation in answer.citations:
        if citation.chunk_id not in numbering:
            numbering[citation.chunk_id] = len(numbering) + 1
            citations.append(replace(citation, n=numbering[citation.chunk_id]))
        mapping[citation.n] = numbering[citation.chunk_id]
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", answer.text)


def join_parts(question: str, answers: Sequence[Answer], english: bool) -> Answer:
    """One answer, each part's (already verified) answer under its number; refused only when every part is."""
    numbering: dict[str, int] = {}
    citations: list[Citation] = []
    blocks = []
    for head, answer in zip(_HEADS_EN if english else _HEADS_ZH, answers, strict=False):
        blocks.append(f"{head}{': ' if english else '：'}{_renumbered(answer, numbering, citations)}")
    refused = all(a.refused for a in answers)
    kinds = {a.refusal_kind for a in answers if a.refused}
    return Answer(
        question=question,
        text="\n\n".join(blocks),
        citations=citations,
        refused=refused,
        refusal_kind=(kinds.pop() if len(kinds) == 1 else "not_covered") if refused else "",
        verification=[note for a in answers for note in a.verification],
    )
