"""When to refuse, and how to say so: not covered at all, or mentioned without the figure asked for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.ingest.store import Snapshot
from assistant.lang.figures import figure_text
from assistant.lang.lexicon import YEAR
from assistant.types import Hit

# What kind of figure a question asks for, and what such a figure looks like in a passage.
EXPECTED_FIGURES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(
            r"哪一天|哪天|几月几日|什么时候(?:发布|印发|出台)|发布日期|印发日期|what date|which day|when was .* (?:issued|published|released)",
            re.I,
        ),
        re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月|\d{4}-\d{1,2}-\d{1,2}"),
    ),
    (
        re.compile(
            r"比例|百分之|百分比|占比|费率|利率|贴息|percentage|percent|ratio|share of|interest rate|\brate\b", re.I
        ),
        re.compile(r"\d\s*[%％]|百分之|\d+\s*[:：︰]\s*\d"),
    ),
    (
        re.compile(
            r"多少(?:钱|万|元|资金|经费|租金|补贴|奖励|资助|补助)|(?:补贴|奖励|资助|补助|减免|给)多少|金额|额度|"
            r"how much (?:money|funding|support|subsidy|reward|award)|amount|spending|expenditure",
            re.I,
        ),
        re.compile(r"\d[\d.,]*\s*(?:万元|亿元|元)"),
    ),
    (
        re.compile(r"(?<!哪)几(?:个|家|项|名|人|次|所|条|批|场)|多少(?:个|家|项|名|人|次|所|条|批|场)|how many", re.I),
        re.compile(r"\d+\s*(?:个|家|项|名|人|次|所|条|批|场|件|多)"),
    ),
)
# "上海、深圳、武汉、成都等地区": places named only as examples in a list are not what a passage is about.
_PASSING_MENTION = re.compile(r"(?:[\u4e00-\u9fff]{2,5}、){2,}[\u4e00-\u9fff]{2,5}等")
# Named planning periods ("十四五") are constraints like years: another period is another plan.
_PERIOD = re.compile(r"十[一二三四五六七八九]五")
_EMPTY_CELL = re.compile(r"(?:^|\| )[^|:]{1,30}:\s*(?:\||$)")  # a focused table cell with no value

# Calibrated on evals/gold.jsonl (answerable vs unanswerable); see evals/README.md.
MIN_COVERAGE = 0.45
FIGURE_COVERAGE = 0.75
MIN_DENSE = 0.84
HARD_FLOOR = 0.2  # below this, too little of the question is in any passage, however similar it reads


REFUSAL_ZH = "文档中没有找到可以回答这个问题的内容。"
REFUSAL_EN = "The documents do not contain an answer to this question."


@dataclass(frozen=True)
class Evidence:
    """What the answerer found for a question."""

    question: str
    query: Any  # retrieve.Query
    hits: list[Hit]
    candidates: Sequence[Any]  # answer.Candidate, best first
    snap: Snapshot
    lexicon: Any = None  # lexicon.Lexicon: place aliases and regions


@dataclass(frozen=True)
class Verdict:
    """Whether to refuse, why, and the passages worth quoting with the refusal."""

    refused: bool
    kind: str = ""  # not_covered | not_stated
    missing: list[str] = field(default_factory=list)  # places/years the documents lack
    quoted: list[Any] = field(default_factory=list)


def _missing_constraints(ev: Evidence) -> list[str]:
    """Places and years the question names that the best evidence (its sentences or documents) does not."""
    best = ev.candidates[0].score
    support = [c for c in ev.candidates if c.score >= best * 0.6][:8]
    texts = []
    for hit_index in dict.fromkeys(c.hit_index for c in support):
        hit = ev.hits[hit_index]
        doc = ev.snap.docs.get(hit.chunk.doc_id)
        meta = f"{doc.city} {doc.title} {doc.doc_number} {doc.date}" if doc else ""
        texts.append(f"{meta} {hit.chunk.section} {hit.chunk.text}")
    joined = _PASSING_MENTION.sub("", " ".join(texts))
    cities = {d.city for d in ev.snap.docs.values() if d.city}
    missing = [p for p in ev.query.places if p not in cities and not _place_in(p, joined, ev.lexicon, cities)]
    missing += [y for y in dict.fromkeys(YEAR.findall(ev.query.text)) if y not in joined]
    # A planning period ("十五五") counts as covered when any retrieved document mentions it.
    hit_docs = " ".join(ev.snap.document_text(d) for d in dict.fromkeys(h.chunk.doc_id for h in ev.hits))
    missing += [p for p in dict.fromkeys(_PERIOD.findall(ev.query.text)) if p not in hit_docs]
    return missing


def _place_in(place: str, text: str, lexicon: Any, cities: set[str]) -> bool:
    """A place is in the evidence by name or alias (沪 for 上海), or as the region of a corpus city."""
    if place in text:
        return True
    if lexicon is None:
        return False
    if any(alias in text for alias in lexicon.place_aliases.get(place, ())):
        return True
    return any(lexicon.regions.get(city) == place for city in cities)


def judge_evidence(ev: Evidence) -> Verdict:
    """Refuse when the question's places/years are absent, the evidence is weak, or the figure is not stated."""
    if not ev.hits or not ev.candidates:
        return Verdict(refused=True, kind="not_covered")
    missing = _missing_constraints(ev)
    if missing:
        return Verdict(refused=True, kind="not_covered", missing=missing)
    best = ev.candidates[0]
    top_dense = max(h.dense_score for h in ev.hits)
    if best.coverage < HARD_FLOOR or (best.coverage < MIN_COVERAGE and top_dense < MIN_DENSE):
        return Verdict(refused=True, kind="not_covered")
    figure = expected_figure(ev.question)
    if figure is not None:
        # The figure must sit in a sentence that is about the question, not anywhere nearby.
        relevant = [
            c for c in ev.candidates if c.score >= best.score * 0.6 and c.coverage >= best.coverage * FIGURE_COVERAGE
        ][:8]
        if not any(figure.search(figure_text(c.text)) for c in relevant):
            return Verdict(refused=True, kind="not_stated", quoted=[best])
    if " | " in best.text and _EMPTY_CELL.search(best.text):
        return Verdict(refused=True, kind="not_stated", quoted=[best])
    return Verdict(refused=False)


def expected_figure(question: str) -> re.Pattern[str] | None:
    """The pattern of the figure a question asks for (a date, a percentage, an amount), if any."""
    for asks, looks_like in EXPECTED_FIGURES:
        if asks.search(question):
            return looks_like
    return None


def coverage_summary(snap: Snapshot, english: bool, place_names: dict[str, str] | None = None) -> str:
    """One line naming what the corpus covers: its cities and a few document labels."""
    cities = sorted({d.city for d in snap.docs.values() if d.city})
    if english:
        cities = [f"{(place_names or {}).get(c, c)} ({c})" for c in cities]
    labels = [d.doc_number or d.title for d in sorted(snap.docs.values(), key=lambda d: d.doc_id)][:6]
    more = len(snap.docs) - len(labels)
    listing = "；".join(labels) + (f" 等 {len(snap.docs)} 份" if more > 0 else "")
    if english:
        return f"The corpus covers {', '.join(cities) or 'no city'}: {listing}."
    return f"文档范围：{'、'.join(cities) or '—'}（{listing}）。"


def refusal_text(verdict: Verdict, snap: Snapshot, english: bool, place_names: dict[str, str] | None = None) -> str:
    """The refusal message in the question's language."""
    if verdict.kind == "not_stated" and verdict.quoted:
        quote = verdict.quoted[0].text
        if english:
            return f"The documents mention this but do not state the figure: “{quote}”[1]"
        return f"文档提到了这一点，但没有给出具体数字：“{quote}”[1]"
    head = REFUSAL_EN if english else REFUSAL_ZH
    if verdict.missing:
        names = (
            ", ".join(
                f"{(place_names or {}).get(m, m)} ({m})" if m in (place_names or {}) else m for m in verdict.missing
            )
            if english
            else "、".join(verdict.missing)
        )
        head = f"The documents say nothing about {names}." if english else f"文档中没有关于{names}的内容。"
    return f"{head} {coverage_summary(snap, english, place_names)}"
