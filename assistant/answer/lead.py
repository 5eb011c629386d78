"""The answer's first line and order: the clause that states the asked value first; the newest document first."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.score import enumeration_fit, wanted_values
from assistant.ingest.store import Snapshot
from assistant.lang.figures import row_cells, value_kinds
from assistant.types import Candidate, Hit, Intent

_CLAUSES = re.compile(r"(?<=[，,；;：:])")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇\d]+条\s*")
_ASKED_WORD = re.compile(r"([\u4e00-\u9fff]{2})是?(?:多少|几)")  # "单个项目最高多少" → 最高


def lead_line(intent: Intent, chosen: Sequence[Candidate], hits: Sequence[Hit], numbers: dict[str, int]) -> str:
    """ "答：<the clause holding the asked value>[n]" from the best quote, or "" when the quote is that clause
    already (or the question asks for no particular kind of value)."""
    if intent.wants_list and not intent.compare:
        return _list_lead(intent, chosen, hits, numbers)
    wanted = wanted_values(intent)
    if not chosen or not wanted or intent.compare:
        return ""
    best = chosen[0]
    n = numbers[hits[best.hit_index].chunk.chunk_id]
    if " | " in best.text:
        return _row_lead(intent, best.text, n)
    clauses = [c.strip("，,；;：: ") for c in _CLAUSES.split(best.text) if c.strip()]
    valued = [c for c in clauses if value_kinds(c) & wanted]
    # Of the clauses stating such a value, the one with the word the question puts before 多少 ("最高多少" → the
    # cap, not the threshold beside it), then the one about what the question itself names ("自然科学基金项目呢？":
    # its own words outweigh those it carries over from the turn before).
    found = _ASKED_WORD.search(intent.question)
    asked = found.group(1) if found else ""
    clause = max(valued, key=lambda c: (bool(asked) and asked in c, _about(intent, c)), default="")
    clause = _ARTICLE.sub("", clause)  # "第六条 本办法自…": the article's number is no part of the answer
    if not clause or len(clause) >= len(best.text) - 2:
        return ""
    return f"{'Answer: ' if intent.english else '答：'}{clause}[{n}]"


def _row_lead(intent: Intent, row: str, n: int) -> str:
    """ "答：<value with its unit>[n]" for the one cell of a table row the question asks (the column of its year; or
    "<column>：<value>" for the row's only figure): the quote below names the row. "" when that is not one cell."""
    label, cells = row_cells(row)
    years = intent.constraints.years
    asked = [(h, v) for h, v in cells if any(y in h for y in years)] if years else cells
    if len(asked) != 1 or not label:
        return ""
    header, value = asked[0]
    # The asked year's column goes without saying; another column is named, its unit left to the value.
    stated = value if years else f"{re.sub(r'[（(][^）)]*[）)]', '', header)}：{value}"
    return f"{'Answer: ' if intent.english else '答：'}{stated}[{n}]"


def _list_lead(intent: Intent, chosen: Sequence[Candidate], hits: Sequence[Hit], numbers: dict[str, int]) -> str:
    """ "答：<the clause that enumerates the items>[n]" when the question names how many ("四大…包括什么") and a
    quote's clause lists exactly that many; "" otherwise, or when the quote is that clause already."""
    if not intent.list_size:
        return ""
    for cand in chosen:
        for clause in (c.strip("，,；;：: ") for c in _CLAUSES.split(cand.text)):
            if enumeration_fit(intent, clause) == 1.0:
                if len(clause) >= len(cand.text) - 2:
                    return ""
                n = numbers[hits[cand.hit_index].chunk.chunk_id]
                return f"{'Answer: ' if intent.english else '答：'}{clause}[{n}]"
    return ""


def _about(intent: Intent, clause: str) -> tuple[int, int]:
    """How much of the question a clause names: the length of its own concepts there, then of those it carries
    over from the turn before (which only break ties: "稳定运营后呢？" is about 稳定运营, not the 技术转移机构
    it carries)."""
    text = clause.lower()
    named = [
        (term in intent.query.carried, len(term))
        for term, forms in intent.query.concepts
        if any(f.lower() in text for f in forms)
    ]
    return sum(n for carried, n in named if not carried), sum(n for carried, n in named if carried)


def newest_first(intent: Intent, chosen: list[Candidate], hits: Sequence[Hit], snap: Snapshot) -> list[Candidate]:
    """One run of quotes per document. When every quote states the asked kind of value, the newest document's
    come first and older ones follow as history; otherwise (and in a comparison) the order of relevance."""
    first_seen: dict[str, int] = {}
    for i, cand in enumerate(chosen):
        first_seen.setdefault(hits[cand.hit_index].chunk.doc_id, i)

    def date_of(doc_id: str) -> str:
        doc = snap.docs.get(doc_id)
        return doc.date if doc else ""

    dated = {date_of(d) for d in first_seen}
    wanted = wanted_values(intent)
    typed = bool(wanted) and all(value_kinds(c.text) & wanted for c in chosen)
    if intent.compare or not typed or len(dated) < 2 or "" in dated:
        return sorted(chosen, key=lambda c: first_seen[hits[c.hit_index].chunk.doc_id])
    order = sorted(first_seen, key=date_of, reverse=True)  # ISO dates sort as text
    rank = {d: i for i, d in enumerate(order)}
    return sorted(chosen, key=lambda c: rank[hits[c.hit_index].chunk.doc_id])
