"""Hits → scored candidate sentences: concept coverage, table cells by asked column, clause windows."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.lang.figures import value_kinds
from assistant.settings import AnswerSettings
from assistant.types import AnswerType, Candidate, Hit, Intent, Query

_ORGANISATION = re.compile(r"有限公司|公司|研究院|研究所|大学|学院|委员会|协会|商会|集团|[市省区县]\S{0,6}局")
_CLAUSE = re.compile(r"(?<=[，,：:])")
# Items joined by 、 ("纺织鞋服、石油化工、建材家居"): three or more, each a short run without other punctuation.
_ENUMERATION = re.compile(r"[^\s、，,。；;：:（）()“”\"|]{1,16}(?:、[^\s、，,。；;：:（）()“”\"|]{1,16}){2,}")
_PUNCT = re.compile(r"[\s\W_]+")
# The value kinds (lang.figures.value_kinds) that answer each type of question.
WANTED_VALUES: dict[AnswerType, frozenset[str]] = {
    "date": frozenset({"date"}),
    "year": frozenset({"date", "year"}),
    "amount": frozenset({"money"}),
    "ratio": frozenset({"percent"}),
    "count": frozenset({"count", "number"}),
    "figure": frozenset({"count", "number", "money", "percent"}),
}


def wanted_values(intent: Intent) -> frozenset[str]:
    """The kinds of value that answer the question; a support question also takes the ratio it is paid by."""
    wanted = WANTED_VALUES.get(intent.answer_type, frozenset())
    if "第几" in intent.question:
        wanted = wanted | {"ordinal"}  # "第几名？" asks a rank, which an ordinal states
    if intent.support and intent.answer_type in ("amount", "explanation", "list"):
        wanted = wanted | {"money", "percent", "ratio_phrase"}
    return wanted


def enumerated(text: str) -> int:
    """How many items the longest 、-joined enumeration of a text has (0 when it has none of three or more)."""
    return max((m.group(0).count("、") + 1 for m in _ENUMERATION.finditer(text)), default=0)


def enumeration_fit(intent: Intent, text: str) -> float:
    """For a list question: 1 when the text enumerates as many items as the question names ("六大…" and six
    items), 0.5 when it enumerates some other number of them, 0 otherwise (or for another kind of question)."""
    if not intent.wants_list:
        return 0.0
    items = enumerated(text)
    if not items:
        return 0.0
    return 1.0 if items == intent.list_size else 0.5


def concept_weights(query: Query, snap: Snapshot, carried_weight: float = 0.5) -> list[tuple[tuple[str, ...], float]]:
    """Each concept of the question with its IDF weight (its rarest form; a term no passage has counts as rare)."""
    n = max(len(snap.chunks), 1)

    def idf(term: str) -> float:
        df = snap.df.get(term.lower(), snap.df.get(term, 0))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    weighted = []
    for term, forms in query.concepts:
        if len(term) < 2 and not term.isdigit():
            continue
        known = [f for f in forms if snap.df.get(f.lower(), snap.df.get(f, 0))]
        if not known and all(f.isascii() for f in forms):
            continue  # an English word no passage uses, with no translation, cannot be matched in Chinese text
        weight = max(idf(f) for f in known) if known else idf(term)
        weighted.append((tuple(f.lower() for f in forms), weight * (carried_weight if term in query.carried else 1.0)))
    return weighted


def _covered(concepts: list[tuple[tuple[str, ...], float]], text: str) -> float:
    return sum(weight for forms, weight in concepts if any(f in text for f in forms))


def _clause_window(sentence: str, weights: dict[str, float], wanted: frozenset[str], who: bool, limit: int) -> str:
    """For a long sentence, the contiguous clauses that hold the matched keywords (verbatim); clauses with what
    the question wants (a figure, or for "who" an organisation's name) count extra."""
    if len(sentence) <= limit:
        return sentence
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    gains = [sum(w for t, w in weights.items() if t in c) for c in clauses]
    if who:
        gains = [g + (2.0 if _ORGANISATION.search(c) else 0) for g, c in zip(gains, clauses, strict=True)]
    elif wanted:
        gains = [g + (0.5 if value_kinds(c) & wanted else 0) for g, c in zip(gains, clauses, strict=True)]
    best, best_gain = (0, len(clauses)), -1.0
    for i in range(len(clauses)):
        length = 0
        for j in range(i, len(clauses)):
            length += len(clauses[j])
            if length > limit and j > i:
                break
            gain = sum(gains[i : j + 1])
            if gain > best_gain:
                best, best_gain = (i, j + 1), gain
    return "".join(clauses[best[0] : best[1]]).strip("，,：: ")


def focus_table_row(row: str, weights: dict[str, float], years: Sequence[str]) -> str:
    """The cells of a table row worth quoting: its name, unit and the columns the question asks for."""
    cells = [tuple(re.split(r":\s?", c, maxsplit=1)) if ":" in c else ("", c) for c in row.split(" | ")[1:]]
    cells = [(h, v.strip()) for h, v in cells if h != "序号"]
    asked = [
        i
        for i, (h, v) in enumerate(cells)
        if any(y in h for y in years)
        or any(t.lower() in f"{h} {v}".lower() for t in weights if not t.isdigit() and len(t) > 1)
    ]
    name = next((i for i, (h, _) in enumerate(cells) if "名称" in h), 0)
    unit = [i for i, (h, v) in enumerate(cells) if "单位" in h and len(v) <= 8]
    columns = [i for i in asked if i != name]
    if years:
        columns = [i for i in columns if any(y in cells[i][0] for y in years)] or columns
    keep = sorted({name, *unit, *columns}) if columns else [i for i, (_, v) in enumerate(cells) if v and len(v) <= 40]
    # An asked-for cell that is empty stays visible (as "header:"), so the answer shows the gap.
    return " | ".join(f"{cells[i][0]}: {cells[i][1]}".rstrip() if cells[i][0] else cells[i][1] for i in keep)


def _is_heading_of(sentence: str, section: str) -> bool:
    """True when the sentence is the chunk's own heading line."""
    bare = sentence.strip("# *")
    return bool(bare) and any(bare == part.strip("# *") for part in section.split(" > "))


def _novelty(sentence: str, weights: dict[str, float]) -> int:
    """Characters of a sentence that are not the question's own words (a sentence that only echoes is useless)."""
    rest = sentence
    for token in sorted(weights, key=len, reverse=True):
        rest = rest.replace(token, "")
    return len(_PUNCT.sub("", rest))


def _place_fit(places: Sequence[str], doc_city: str, sentence: str) -> float:
    """+1 when the sentence or its document is about a place the question names, -1 when about none, else 0."""
    if not places:
        return 0.0
    return 1.0 if doc_city in places or any(p in sentence for p in places) else -1.0


def score_candidates(intent: Intent, hits: Sequence[Hit], snap: Snapshot, settings: AnswerSettings) -> list[Candidate]:
    """Every sentence of every hit, scored by weighted keyword coverage, wanted value, place and retrieval rank."""
    query = intent.query
    concepts = concept_weights(query, snap, settings.carried_weight)
    weights = {form: weight for forms, weight in concepts for form in forms}
    total = sum(w for _, w in concepts) or 1.0
    wanted = wanted_values(intent)
    who = intent.answer_type == "entity"
    candidates = []
    for i, hit in enumerate(hits):
        table = hit.chunk.kind == "table_row"
        pieces = [hit.chunk.text] if table else split_sentences(hit.chunk.text)
        context = hit.chunk.section
        doc = snap.docs.get(hit.chunk.doc_id)
        # Words naming the document itself hold for each of its sentences, not just the one repeating them.
        about = f"{doc.title} {doc.city} {doc.doc_number} {doc.addressee}".lower() if doc else ""
        for order, piece in enumerate(pieces):
            sentence = piece.strip()
            if len(sentence) < 4 or (not table and _novelty(sentence, weights) < 2):
                continue
            if not table and len(pieces) > 1 and _is_heading_of(sentence, f"{context} > {doc.title if doc else ''}"):
                continue  # the heading or the title line already lends its words to the sentences under it
            lowered = sentence.lower()
            matched = _covered(concepts, f"{lowered} {about}")
            in_context = _covered(concepts, f"{lowered} {about} {context.lower()}") - matched
            coverage = (matched + 0.5 * in_context) / total
            own = _covered(concepts, lowered) / total  # among equals, the sentence that says it itself
            score = (
                coverage
                + settings.own_words_weight * own
                + settings.rank_bonus / (1 + i)
                + max(hit.dense_score - settings.dense_floor, 0)
                + settings.place_weight * _place_fit(intent.constraints.places, doc.city if doc else "", sentence)
            )
            if wanted and value_kinds(sentence) & wanted:
                score += settings.value_bonus
            score += settings.enumeration_bonus * enumeration_fit(intent, sentence)
            if table:
                text = focus_table_row(sentence, weights, intent.constraints.years)
            else:
                text = _clause_window(sentence, weights, wanted, who, settings.max_sentence_chars)
            candidates.append(Candidate(i, text, score, coverage, order, own))
    return sorted(candidates, key=lambda c: -c.score)
