"""Scored sentences → Answer: select, group by document or city, render as lines or a table, cite."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant.answer.refusal import Evidence, judge_evidence, refusal_text
from assistant.answer.score import RATIO_PHRASE, Candidate, score_candidates
from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.lang.lexicon import YEAR
from assistant.retrieve import Query, document_naming
from assistant.types import Answer, Citation, Hit

_LIST_QUESTION = re.compile(
    r"哪些|哪几|哪[两三四五六七八九十]|几[个项种类条家]|有什么|包括|分别|which|what are|list", re.I
)
_COMPARE = re.compile(r"分别|对比|比较|相比|区别|不同|两地|各自|compare|comparison|versus|\bvs\b|\bboth\b|differ", re.I)
_LIST_INTRO = re.compile(r"[：:]$|如下|以下")
_ITEM_MARK = re.compile(r"^(?:——|—|[一二三四五六七八九十]是|（[一二三四五六七八九十]+）|\d+[.、．])")
LIST_MAX_CHARS = 420
INTRO_MIN = 0.85
_AMOUNT = re.compile(r"(?:最高|不超过|不低于|每年|累计)?\d[\d.,]*\s*(?:万元|亿元|元|%)")
_SECOND_PERSON = re.compile(r"[您你]")
_SUPPORT_VERB = re.compile(r"补贴|补助|资助|奖励|奖补|资金支持|经费")
_AMOUNT_QUESTION = re.compile(
    r"补贴|补助|资助|奖励|奖补|资金|支持|金额|多少钱|subsid|fund|grant|support|reward|award|how much", re.I
)


def _similar(a: str, b: str) -> bool:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return a == b
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) > 0.7


def select_sentences(
    candidates: Sequence[Candidate],
    max_sentences: int,
    max_chars: int,
    list_question: bool,
    compare: bool,
    leaders: int = 0,
) -> list[Candidate]:
    """Greedy in the given order (callers put each group's best first), no near-duplicates, within the budget.

    The first `leaders` candidates (each compared document's or city's best) are exempt from the score floor:
    a comparison needs every side, even when one side's sentence says less of the question.
    """
    if not candidates:
        return []
    floor = candidates[0].score * (0.55 if list_question or compare else 0.7)
    pool = [*candidates[:leaders], *(c for c in candidates[leaders:] if c.score >= floor)]
    chosen: list[Candidate] = []
    length = 0
    for cand in pool:
        if len(chosen) >= max_sentences:
            break
        if any(_similar(cand.text, c.text) for c in chosen):
            continue
        if chosen and cand.own == 0:
            continue  # a letterhead or index line shares its document's title with the question, nothing more
        if chosen and length + len(cand.text) > max_chars:
            continue
        chosen.append(cand)
        length += len(cand.text)
    return chosen


def list_items(intro: Candidate, hits: list[Hit], snap: Snapshot, max_chars: int) -> list[Candidate]:
    """The enumeration a list intro ("…的目标：") announces: the item sentences after it, in its chunk and,
    when the list runs past the chunk's end, the next chunk of the same section (added to `hits`)."""
    if not _LIST_INTRO.search(intro.text):
        return []
    chunk = hits[intro.hit_index].chunk
    following = [(intro.hit_index, n, s.strip()) for n, s in enumerate(split_sentences(chunk.text)) if n > intro.order]
    after = snap.chunks.get(f"{chunk.doc_id}#{chunk.position + 1}")
    if after is not None and after.section == chunk.section and after.kind == "text":
        hits.append(Hit(chunk=after, score=0.0))
        following += [(len(hits) - 1, n, s.strip()) for n, s in enumerate(split_sentences(after.text))]
    marked = [f for f in following if _ITEM_MARK.match(f[2])]
    items = marked or [f for f in following if f[2]][:3]
    kept, length = [], len(intro.text)
    for hit_index, order, text in items[:8]:
        if length + len(text) > max_chars:
            break
        kept.append(Candidate(hit_index, text, 0.0, 0.0, order))
        length += len(text)
    return kept


def short_title(title: str) -> str:
    """A title short enough to prefix a quote: the 《policy》 it names, else its first 24 characters."""
    named = re.findall(r"《([^《》]{4,40})》", title)
    if named:
        return f"《{named[-1]}》"
    return f"《{title[:24]}{'…' if len(title) > 24 else ''}》"


def source_label(snap: Snapshot, doc_id: str, english: bool, place_names: dict[str, str] | None = None) -> str:
    """How an answer names a document: its 文号, else a short title; English answers lead with the city."""
    doc = snap.docs.get(doc_id)
    if doc is None:
        return doc_id
    label = doc.doc_number or short_title(doc.title)
    if english and doc.city:
        return f"{(place_names or {}).get(doc.city, doc.city)} — {label}"
    return label


def render_lines(
    chosen: Sequence[Candidate], hits: Sequence[Hit], numbers: dict[str, int], labels: dict[str, str], english: bool
) -> str:
    """One line per run of quotes from the same document: `label：“quote”[n]“quote”[m]`."""
    lines: list[str] = []
    previous = None
    for cand in chosen:
        chunk = hits[cand.hit_index].chunk
        quote = f"“{cand.text}”[{numbers[chunk.chunk_id]}]"
        if chunk.doc_id == previous:
            lines[-1] += quote
        else:
            lines.append(f"{labels[chunk.doc_id]}{': ' if english else '：'}{quote}")
        previous = chunk.doc_id
    return "\n".join(lines)


def render_table(
    chosen: Sequence[Candidate],
    hits: Sequence[Hit],
    numbers: dict[str, int],
    snap: Snapshot,
    english: bool,
    place_names: dict[str, str] | None = None,
) -> str:
    """Amounts across cities/documents as a small Markdown table: city | document | amount | passage [n]."""
    head = "| City | Document | Amount | Passage |" if english else "| 城市 | 文件 | 金额 | 原文 |"
    rows = [head, "|---|---|---|---|"]
    for cand in chosen:
        chunk = hits[cand.hit_index].chunk
        doc = snap.docs.get(chunk.doc_id)
        city = doc.city if doc else ""
        amounts = "、".join(dict.fromkeys(_AMOUNT.findall(cand.text) or RATIO_PHRASE.findall(cand.text)))
        rows.append(
            f"| {(place_names or {}).get(city, city) if english else city} "
            f"| {(doc.doc_number or short_title(doc.title)) if doc else chunk.doc_id} "
            f"| {amounts or ('not stated' if english else '未写明')} "
            f"| “{cand.text.replace('|', '｜')}”[{numbers[chunk.chunk_id]}] |"
        )
    return "\n".join(rows)


def _support_rows(chosen: Sequence[Candidate]) -> list[Candidate]:
    """The quotes that state support (an amount, a ratio, or a support verb) — the rows of a comparison table."""
    return [c for c in chosen if _AMOUNT.search(c.text) or RATIO_PHRASE.search(c.text) or _SUPPORT_VERB.search(c.text)]


def _wants_table(question: str, chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> bool:
    """A question about support amounts answered from more than one city (or document of different cities)."""
    cities = {_city(snap, hits[c.hit_index].chunk.doc_id) for c in chosen}
    return bool(_AMOUNT_QUESTION.search(question)) and len(cities) > 1 and any(_AMOUNT.search(c.text) for c in chosen)


def compose_answer(
    question: str,
    query: Query,
    hits: Sequence[Hit],
    snap: Snapshot,
    max_sentences: int = 4,
    max_chars: int = 260,
    place_names: dict[str, str] | None = None,
    lexicon: Any = None,
) -> Answer:
    """The extractive answer: verbatim sentences with [n] citations, or a refusal."""
    candidates = score_candidates(query, hits, snap, question)
    evidence = Evidence(
        question=question, query=query, hits=list(hits), candidates=candidates, snap=snap, lexicon=lexicon
    )
    verdict = judge_evidence(evidence)
    if verdict.refused:
        return Answer(
            question=question,
            text=refusal_text(verdict, snap, english=query.english, place_names=place_names),
            citations=_citations(verdict.quoted, hits, snap),
            refused=True,
            refusal_kind=verdict.kind,
        )
    list_question = bool(_LIST_QUESTION.search(question))
    named, _ = document_naming(query.text, snap)
    compare = (
        bool(_COMPARE.search(question))
        or len(query.places) > 1
        or len(set(YEAR.findall(query.text))) > 1
        or len(named) > 1
    )
    leaders = 0
    if compare and len(query.places) > 1:
        # "泉州和厦门…": each named city's best sentence first.
        candidates, leaders = _best_per_group(candidates, hits, lambda doc_id: _city(snap, doc_id), 0.25)
    elif compare:
        # One document would otherwise crowd out the others; keep the best sentence of each.
        candidates, leaders = _best_per_group(candidates, hits, lambda doc_id: doc_id, 0.25)
    elif not query.places and len({_city(snap, h.chunk.doc_id) for h in hits}) > 1:
        # A question about no place in particular, answered by several cities' documents: each city speaks.
        floor = candidates[0].coverage * 0.6 if candidates else 0.0
        candidates, _ = _best_per_group(candidates, hits, lambda doc_id: _city(snap, doc_id), floor)
        compare = len({_city(snap, hits[c.hit_index].chunk.doc_id) for c in candidates[:2]}) > 1
    chosen = select_sentences(candidates, max_sentences, max_chars, list_question, compare, leaders)
    # The intro of an enumeration ("…的目标：") answers a list question when it is about as good as the best
    # sentence; a weaker one ("现将有关情况答复如下：") introduces a whole reply, not the list asked for.
    intro = (
        next((c for c in chosen if _LIST_INTRO.search(c.text) and c.score >= INTRO_MIN * chosen[0].score), None)
        if list_question
        else None
    )
    if intro is not None:
        hits = list(hits)
        items = list_items(intro, hits, snap, LIST_MAX_CHARS)
        if items:
            chosen = [intro, *items]
    chosen = sorted(chosen, key=lambda c: (c.hit_index, c.order)) if list_question else chosen
    if _wants_table(question, chosen, hits, snap):
        chosen = _support_rows(chosen) or chosen
    first_seen = {doc: i for i, doc in reversed(list(enumerate(hits[c.hit_index].chunk.doc_id for c in chosen)))}
    chosen = sorted(chosen, key=lambda c: first_seen[hits[c.hit_index].chunk.doc_id])  # stable: one run per document
    citations = _citations(chosen, hits, snap)
    numbers = {c.chunk_id: c.n for c in citations}
    labels = {c.doc_id: source_label(snap, c.doc_id, query.english, place_names) for c in citations}
    for doc_id in _addressed_docs(chosen, hits, snap):
        # "您们提出的…" names no one; say whom the reply answers.
        addressee = snap.docs[doc_id].addressee
        labels[doc_id] += f" (to {addressee})" if query.english else f"（致{addressee}）"
    if _wants_table(question, chosen, hits, snap):
        text = render_table(chosen, hits, numbers, snap, query.english, place_names)
    else:
        text = render_lines(chosen, hits, numbers, labels, query.english)
    return Answer(question=question, text=text, citations=citations, refused=False)


def _addressed_docs(chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> set[str]:
    """Replies quoted where they speak to their reader (您/你), and whose addressee is known."""
    docs = {hits[c.hit_index].chunk.doc_id for c in chosen if _SECOND_PERSON.search(c.text)}
    return {d for d in docs if d in snap.docs and snap.docs[d].addressee}


def _city(snap: Snapshot, doc_id: str) -> str:
    doc = snap.docs.get(doc_id)
    return doc.city if doc else ""


def _best_per_group(
    candidates: Sequence[Candidate], hits: Sequence[Hit], group_of: Callable[[str], str], min_coverage: float
) -> tuple[list[Candidate], int]:
    """Candidates reordered so each group's (document's, city's) best candidate comes first, in score order;
    and how many such leaders there are."""
    seen: set[str] = set()
    leaders, rest = [], []
    for cand in candidates:
        group = group_of(hits[cand.hit_index].chunk.doc_id)
        if group not in seen and cand.coverage >= min_coverage:
            seen.add(group)
            leaders.append(cand)
        else:
            rest.append(cand)
    return leaders + rest, len(leaders)


def citation_for(hit: Hit, snap: Snapshot, n: int, quote: str = "") -> Citation:
    """A numbered citation of a retrieved passage, with its document's metadata."""
    doc = snap.docs.get(hit.chunk.doc_id)
    return Citation(
        n=n,
        doc_id=hit.chunk.doc_id,
        chunk_id=hit.chunk.chunk_id,
        title=doc.title if doc else hit.chunk.doc_id,
        doc_number=doc.doc_number if doc else "",
        date=doc.date if doc else "",
        section=hit.chunk.section,
        text=hit.chunk.text,
        score=round(hit.score, 6),
        quote=quote,
    )


def _citations(chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> list[Citation]:
    """One citation per quoted chunk, numbered in order of first use, carrying the sentences quoted from it."""
    quotes: dict[str, list[str]] = {}
    first: dict[str, Hit] = {}
    for cand in chosen:
        hit = hits[cand.hit_index]
        first.setdefault(hit.chunk.chunk_id, hit)
        quotes.setdefault(hit.chunk.chunk_id, []).append(cand.text)
    return [citation_for(hit, snap, n, " … ".join(quotes[cid])) for n, (cid, hit) in enumerate(first.items(), start=1)]
