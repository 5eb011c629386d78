"""Hits → scored candidate sentences: concept coverage, table cells by asked column, clause windows."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.lang.figures import figure_text
from assistant.lang.lexicon import YEAR
from assistant.retrieve import Query
from assistant.types import Hit

_NUMBER = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|元|%|％|家|个|项|人|名|倍|年|场|件|亿|万)")
_FIGURE_QUESTION = re.compile(r"多少|几|金额|比例|额度|最高|how much|how many|amount|percent|rate|target|figure", re.I)
# "什么补贴" / "what subsidy" is answered by how much: an amount, or the ratio a subsidy is computed by.
_SUPPORT_QUESTION = re.compile(r"补贴|补助|资助|奖励|奖补|subsid|grant|funding|reward|award", re.I)
RATIO_PHRASE = re.compile(r"按[^，。,；;]{2,24}比例")
_WHO_QUESTION = re.compile(
    r"谁|哪个单位|哪家单位|哪些单位|哪个部门|哪些部门|\bwho\b|which (?:organi[sz]ation|institut|compan|department)",
    re.I,
)
_ORGANISATION = re.compile(r"有限公司|公司|研究院|研究所|大学|学院|委员会|协会|商会|集团|[市省区县]\S{0,6}局")
_CLAUSE = re.compile(r"(?<=[，,：:])")
_PUNCT = re.compile(r"[\s\W_]+")
_MAX_SENTENCE_CHARS = 110
OWN_WORDS_WEIGHT = 0.1
CARRIED_WEIGHT = 0.5  # a follow-up's words carried over from the previous question


@dataclass(frozen=True)
class Candidate:
    """A verbatim sentence (or clause window) of a hit, with its relevance score."""

    hit_index: int
    text: str
    score: float
    coverage: float
    order: int = 0  # index of the sentence within its chunk
    own: float = 1.0  # share of the question the sentence covers in its own words (not its document's title)


def concept_weights(query: Query, snap: Snapshot) -> list[tuple[tuple[str, ...], float]]:
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
        if not known and term.isascii():
            continue  # an English word no passage uses cannot be matched in Chinese text
        weight = max(idf(f) for f in known) if known else idf(term)
        weighted.append((tuple(f.lower() for f in forms), weight * (CARRIED_WEIGHT if term in query.carried else 1.0)))
    return weighted


def keyword_weights(query: Query, snap: Snapshot) -> dict[str, float]:
    """Every surface form of the question's concepts with its concept's weight (for clause and cell focus)."""
    return {form: weight for forms, weight in concept_weights(query, snap) for form in forms}


def _covered(concepts: list[tuple[tuple[str, ...], float]], text: str) -> float:
    return sum(weight for forms, weight in concepts if any(f in text for f in forms))


def _clause_window(sentence: str, weights: dict[str, float], wants: str = "figure") -> str:
    """For a long sentence, the contiguous clauses that hold the matched keywords (verbatim); clauses with what
    the question wants (a figure, or for "who" an organisation's name) count extra."""
    if len(sentence) <= _MAX_SENTENCE_CHARS:
        return sentence
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    wanted = {"figure": (_NUMBER, 0.5), "who": (_ORGANISATION, 2.0)}.get(wants)
    gains = [sum(w for t, w in weights.items() if t in c) for c in clauses]
    if wanted:
        gains = [g + (wanted[1] if wanted[0].search(c) else 0) for g, c in zip(gains, clauses, strict=True)]
    best, best_gain = (0, len(clauses)), -1.0
    for i in range(len(clauses)):
        length = 0
        for j in range(i, len(clauses)):
            length += len(clauses[j])
            if length > _MAX_SENTENCE_CHARS and j > i:
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


def _place_fit(query: Query, doc_city: str, sentence: str) -> float:
    """+ when the sentence or its document is about a place the question names, - when it is about none."""
    if not query.places:
        return 0.0
    return 0.2 if doc_city in query.places or any(p in sentence for p in query.places) else -0.2


def score_candidates(query: Query, hits: Sequence[Hit], snap: Snapshot, question: str) -> list[Candidate]:
    """Every sentence of every hit, scored by weighted keyword coverage, figures, place and retrieval rank."""
    concepts = concept_weights(query, snap)
    weights = keyword_weights(query, snap)
    total = sum(w for _, w in concepts) or 1.0
    wants_support = bool(_SUPPORT_QUESTION.search(question))
    wants_figure = wants_support or bool(_FIGURE_QUESTION.search(question))
    wants = "who" if _WHO_QUESTION.search(question) else "figure" if wants_figure else ""
    years = YEAR.findall(query.text)
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
            if not table and len(pieces) > 1 and _is_heading_of(sentence, context):
                continue  # the heading already lends its words to the sentences under it
            lowered = sentence.lower()
            matched = _covered(concepts, f"{lowered} {about}")
            in_context = _covered(concepts, f"{lowered} {about} {context.lower()}") - matched
            coverage = (matched + 0.5 * in_context) / total
            own = _covered(concepts, lowered) / total  # among equals, the sentence that says it itself
            score = (
                coverage
                + OWN_WORDS_WEIGHT * own
                + 0.15 / (1 + i)
                + max(hit.dense_score - 0.8, 0)
                + _place_fit(query, doc.city if doc else "", sentence)
            )
            if wants_figure and _NUMBER.search(figure_text(sentence) if table else sentence):
                # A table cell's unit is in its header or the unit column ("总投资（亿元）: 1500").
                score += 0.15
            elif wants_support and RATIO_PHRASE.search(sentence):
                score += 0.15
            text = focus_table_row(sentence, weights, years) if table else _clause_window(sentence, weights, wants)
            candidates.append(Candidate(i, text, score, coverage, order, own))
    return sorted(candidates, key=lambda c: -c.score)
