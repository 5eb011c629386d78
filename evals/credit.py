"""Which key facts an answer earns: a fact counts only in an answer segment whose [n] cites an evidence passage."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher

from evals.metrics import (
    BIGRAM_SHARE,
    bigram_share,
    contains_normalized,
    fact_in_text,
    normalize,
    passage_matches_quote,
)

OVERLAP_CHARS = 12  # a shared run this long (or the whole quote, if shorter) ties a passage to an evidence quote
_MARKERS = re.compile(r"(?:\[\d{1,2}\])+")
_NUMBER = re.compile(r"\d{1,2}")


def answer_segments(text: str) -> list[tuple[str, frozenset[int]]]:
    """Each line cut after every run of [n] markers: (segment text, the markers that close it).

    Text after a line's last marker run is a segment citing nothing.
    """
    segments: list[tuple[str, frozenset[int]]] = []
    for line in text.splitlines():
        start = 0
        for run in _MARKERS.finditer(line):
            numbers = frozenset(int(n) for n in _NUMBER.findall(run.group()))
            segments.append((line[start : run.end()], numbers))
            start = run.end()
        if line[start:].strip():
            segments.append((line[start:], frozenset()))
    return segments


def passage_overlaps_quote(passage: str, quote: str) -> bool:
    """Whether a passage holds an evidence quote, a run of it (a chunk boundary may cut the quote), or most of
    its character bigrams (the same statement worded slightly differently elsewhere in the document)."""
    if passage_matches_quote(passage, quote):
        return True
    text, wanted = normalize(passage), normalize(quote)
    if not text or not wanted:
        return False
    if len(wanted) >= OVERLAP_CHARS and bigram_share(wanted, text) >= BIGRAM_SHARE:
        return True
    match = SequenceMatcher(None, wanted, text, autojunk=False).find_longest_match(0, len(wanted), 0, len(text))
    return match.size >= min(len(wanted), OVERLAP_CHARS)


def evidence_passages(cited: Mapping[int, tuple[str, str]], evidence: Sequence[dict]) -> set[int]:
    """The citation numbers whose passage (doc_id, text) is from an evidence document and overlaps its quote."""
    return {
        n
        for n, (doc_id, text) in cited.items()
        if any(ev["doc_id"] == doc_id and passage_overlaps_quote(text, ev["quote"]) for ev in evidence)
    }


def credited_facts(
    answer: str, cited: Mapping[int, tuple[str, str]], key_facts: Sequence[str], evidence: Sequence[dict]
) -> list[bool]:
    """Per key fact: does it occur in a segment of the answer that cites an evidence passage?"""
    good = evidence_passages(cited, evidence)
    segments = [normalize(text) for text, numbers in answer_segments(answer) if numbers & good]
    return [any(contains_normalized(s, normalize(fact)) for s in segments) for fact in key_facts]


def facts_anywhere(answer: str, key_facts: Sequence[str]) -> list[bool]:
    """Per key fact: does it occur anywhere in the answer (the lenient scoring used before the audit)?"""
    return [fact_in_text(fact, answer) for fact in key_facts]


def evidence_cited(cited: Mapping[int, tuple[str, str]], evidence: Sequence[dict], key_facts: Sequence[str]) -> bool:
    """Whether every evidence document has a cited passage that holds its quote (the cited passage is the evidence)."""
    documents = {ev["doc_id"] for ev in evidence}
    found = {
        doc_id
        for doc_id, text in cited.values()
        if any(ev["doc_id"] == doc_id and passage_matches_quote(text, ev["quote"], key_facts) for ev in evidence)
    }
    return bool(documents) and documents <= found
