"""How an answer is written out: document labels, quote lines, comparison tables, numbered citations."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.ingest.store import Snapshot
from assistant.lang.figures import RATIO_PHRASE
from assistant.lang.places import gazetteer
from assistant.types import Candidate, Citation, Hit

AMOUNT = re.compile(
    r"(?:最高|不超过|不低于|每年|累计)?\d[\d.,]*\s*(?:万亿|亿|万|千)?\s*(?:元|美元|欧元|港元)|\d[\d.]*\s*[%‰]"
)


def short_title(title: str) -> str:
    """A title short enough to prefix a quote: the 《policy》 it names, else its first 24 characters."""
    named = re.findall(r"《([^《》]{4,40})》", title)
    if named:
        return f"《{named[-1]}》"
    return f"《{title[:24]}{'…' if len(title) > 24 else ''}》"


def source_label(snap: Snapshot, doc_id: str, english: bool) -> str:
    """How an answer names a document: its 文号, else a short title; English answers lead with the city."""
    doc = snap.docs.get(doc_id)
    if doc is None:
        return doc_id
    label = doc.doc_number or short_title(doc.title)
    if english and doc.city:
        return f"{gazetteer().english_name(doc.city)} — {label}"
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
) -> str:
    """Amounts across cities/documents as a small Markdown table: city | document | amount | passage [n]."""
    head = "| City | Document | Amount | Passage |" if english else "| 城市 | 文件 | 金额 | 原文 |"
    rows = [head, "|---|---|---|---|"]
    for cand in chosen:
        chunk = hits[cand.hit_index].chunk
        doc = snap.docs.get(chunk.doc_id)
        city = doc.city if doc else ""
        amounts = "、".join(dict.fromkeys(AMOUNT.findall(cand.text) or RATIO_PHRASE.findall(cand.text)))
        rows.append(
            f"| {gazetteer().english_name(city) if english else city} "
            f"| {(doc.doc_number or short_title(doc.title)) if doc else chunk.doc_id} "
            f"| {amounts or ('not stated' if english else '未写明')} "
            f"| “{cand.text.replace('|', '｜')}”[{numbers[chunk.chunk_id]}] |"
        )
    return "\n".join(rows)


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


def quoted_citations(chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> list[Citation]:
    """One citation per quoted chunk, numbered in order of first use, carrying the sentences quoted from it."""
    quotes: dict[str, list[str]] = {}
    first: dict[str, Hit] = {}
    for cand in chosen:
        hit = hits[cand.hit_index]
        first.setdefault(hit.chunk.chunk_id, hit)
        quotes.setdefault(hit.chunk.chunk_id, []).append(cand.text)
    return [citation_for(hit, snap, n, " … ".join(quotes[cid])) for n, (cid, hit) in enumerate(first.items(), start=1)]
