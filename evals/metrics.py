"""Pure evaluation metrics: normalization, number-aware matching, retrieval, citation and refusal scores."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

KS = (1, 3, 5, 10)
LONG_QUOTE_CHARS = 40  # longer quotes may be cut by a chunk boundary: fall back to bigram overlap
BIGRAM_SHARE = 0.6
MAX_CELL_GAP = 16  # characters a chunker may put between two table cells of a quote (labels, separators)

_WHITESPACE = re.compile(r"\s+")
_PUNCTUATION = str.maketrans({"，": ",", "︰": ":", "：": ":"})  # before NFKC, which turns ︰ into ".."
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_MARKER = re.compile(r"\[\d{1,2}\]")  # the answerer's citation markers [n]


def _squash_space(match: re.Match[str]) -> str:
    """Whitespace vanishes, except between two digits, where it keeps two numbers apart (table cells)."""
    text, start, end = match.string, match.start(), match.end()
    return " " if start > 0 and end < len(text) and "0" <= text[start - 1] <= "9" and "0" <= text[end] <= "9" else ""


def normalize(text: str) -> str:
    """NFKC, full-width comma/colon unified with ASCII, whitespace removed (one space kept between digits)."""
    return _WHITESPACE.sub(_squash_space, unicodedata.normalize("NFKC", text.translate(_PUNCTUATION)))


def _is_digit(text: str, i: int) -> bool:
    return 0 <= i < len(text) and "0" <= text[i] <= "9"


def _extends_number(text: str, start: int, end: int) -> bool:
    """True when the span text[start:end] is glued to more digits (or a decimal part) on a numeric edge."""
    glued_before = _is_digit(text, start - 1) or (start >= 2 and text[start - 1] == "." and _is_digit(text, start - 2))
    glued_after = _is_digit(text, end) or (end < len(text) and text[end] == "." and _is_digit(text, end + 1))
    return (_is_digit(text, start) and glued_before) or (_is_digit(text, end - 1) and glued_after)


def _find_number_aware(text: str, needle: str, start: int) -> int:
    """The first number-aware occurrence of needle in text at or after start, or -1."""
    found = text.find(needle, start)
    while found >= 0 and _extends_number(text, found, found + len(needle)):
        found = text.find(needle, found + 1)
    return found


def contains_normalized(haystack: str, needle: str) -> bool:
    """Number-aware substring test on already-normalized strings: "13" is not in "130", "2013", "13.5"."""
    return bool(needle) and _find_number_aware(haystack, needle, 0) >= 0


def fact_in_text(fact: str, text: str) -> bool:
    """Whether a key fact occurs in a text (whitespace-insensitive, number-aware)."""
    return contains_normalized(normalize(text), normalize(fact))


def extract_numbers(text: str) -> list[str]:
    """The numbers written in a text (citation markers [n] excluded), normalized, in order."""
    return _NUMBER.findall(normalize(_MARKER.sub(" ", text)))


def bigram_share(quote: str, passage: str) -> float:
    """Share of the quote's distinct character bigrams that also occur in the passage."""
    grams = {quote[i : i + 2] for i in range(len(quote) - 1)}
    if not grams:
        return 0.0
    return sum(gram in passage for gram in grams) / len(grams)


def _cells_in_order(quote: str, passage: str) -> bool:
    """A table quote (cells joined by spaces) whose cells appear in order, close together, in the passage."""
    cells = [normalize(cell) for cell in quote.split()]
    if len(cells) < 2:
        return False
    anchor = _find_number_aware(passage, cells[0], 0)
    while anchor >= 0:
        position = anchor + len(cells[0])
        for cell in cells[1:]:
            found = _find_number_aware(passage, cell, position)
            if found < 0 or found - position > MAX_CELL_GAP:
                break
            position = found + len(cell)
        else:
            return True
        anchor = _find_number_aware(passage, cells[0], anchor + 1)
    return False


def passage_matches_quote(passage: str, quote: str, key_facts: Sequence[str] = ()) -> bool:
    """Whether a retrieved passage holds an evidence quote (verbatim, as table cells, or mostly when cut)."""
    text, wanted = normalize(passage), normalize(quote)
    if contains_normalized(text, wanted) or _cells_in_order(quote, text):
        return True
    if len(wanted) <= LONG_QUOTE_CHARS or bigram_share(wanted, text) < BIGRAM_SHARE:
        return False
    facts = [normalize(f) for f in key_facts if contains_normalized(wanted, normalize(f))]
    return all(contains_normalized(text, fact) for fact in facts)


@dataclass(frozen=True)
class RetrievalScore:
    """Where the evidence shows up in a ranked passage list."""

    first_rank: int | None  # 1-based rank of the first passage matching any evidence
    recall: dict[int, float]  # k → fraction of evidence documents matched within the top k
    all_evidence: dict[int, bool]  # k → every evidence document matched within the top k

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_rank if self.first_rank else 0.0


def score_retrieval(
    passages: Sequence[tuple[str, str]], evidence: Sequence[dict], key_facts: Sequence[str], ks: Iterable[int] = KS
) -> RetrievalScore:
    """Evidence recall@k, all-evidence@k and first rank for one item's ranked (doc_id, text) passages."""
    documents = sorted({ev["doc_id"] for ev in evidence})
    matched_at: dict[str, int] = {}
    for rank, (doc_id, text) in enumerate(passages, 1):
        if doc_id in matched_at or doc_id not in documents:
            continue
        quotes = [ev["quote"] for ev in evidence if ev["doc_id"] == doc_id]
        if any(passage_matches_quote(text, quote, key_facts) for quote in quotes):
            matched_at[doc_id] = rank
    first = min(matched_at.values(), default=None)
    recall = {k: sum(r <= k for r in matched_at.values()) / max(len(documents), 1) for k in ks}
    return RetrievalScore(first, recall, {k: recall[k] == 1.0 for k in recall})


@dataclass(frozen=True)
class SupportScore:
    """Whether an answer's key facts and numbers are backed by the passages it cites."""

    supported: bool
    unsupported_facts: list[str]
    unsupported_numbers: list[str]


# The marks an answer puts on a figure it computed over a table (assistant/answer/verify.py says the same).
COMPUTED_MARKS = ("（按表中数值计算）", "(computed from the table)")


def score_support(answer: str, key_facts: Sequence[str], cited: Sequence[str]) -> SupportScore:
    """Every key fact found in the answer, and every number in it, must occur in some cited text."""
    texts = [normalize(text) for text in cited]
    facts = [f for f in key_facts if fact_in_text(f, answer)]
    bad_facts = [f for f in facts if not any(contains_normalized(t, normalize(f)) for t in texts)]
    bad_numbers = sorted({n for n in extract_numbers(answer) if not any(contains_normalized(t, n) for t in texts)})
    # A figure the answer marks as computed from a table is backed when two cited numbers give it as a difference.
    computed = " ".join(line for line in answer.splitlines() if any(mark in line for mark in COMPUTED_MARKS))
    differences = {abs(a - b) for t in texts for a in _values(t) for b in _values(t)}
    bad_numbers = [n for n in bad_numbers if not (n in extract_numbers(computed) and _value(n) in differences)]
    return SupportScore(not bad_facts and not bad_numbers, bad_facts, bad_numbers)


def _value(number: str) -> Decimal | None:
    try:
        return Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None


def _values(text: str) -> set[Decimal]:
    return {v for n in extract_numbers(text) if (v := _value(n)) is not None}


@dataclass(frozen=True)
class RefusalScore:
    """Refusal precision and recall (positive = unanswerable) and the false-refusal rate."""

    precision: float | None  # of refused items, the share that were unanswerable
    recall: float | None  # of unanswerable items, the share refused
    false_refusal_rate: float | None  # of answerable items, the share refused


def score_refusals(outcomes: Iterable[tuple[bool, bool]]) -> RefusalScore:
    """From (answerable, refused) pairs."""
    pairs = list(outcomes)
    refused = [answerable for answerable, was_refused in pairs if was_refused]
    unanswerable = [was_refused for answerable, was_refused in pairs if not answerable]
    answerable = [was_refused for is_answerable, was_refused in pairs if is_answerable]
    return RefusalScore(
        precision=ratio(sum(not a for a in refused), len(refused)),
        recall=ratio(sum(unanswerable), len(unanswerable)),
        false_refusal_rate=ratio(sum(answerable), len(answerable)),
    )


def ratio(part: float, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    items = list(values)
    return sum(items) / len(items) if items else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation, or None for no values."""
    items = sorted(values)
    if not items:
        return None
    position = (len(items) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(items) - 1)
    return items[low] + (items[high] - items[low]) * (position - low)
