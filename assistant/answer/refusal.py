"""When to refuse, and how to say so: not covered at all, or covered without what was asked (graded)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.answerability import features, load_answerability
from assistant.answer.score import WANTED_VALUES, wanted_values
from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.lang.figures import value_kinds
from assistant.lang.lexicon import CJK, normalize_query
from assistant.lang.places import gazetteer
from assistant.query.intent import names_organisation, tiers_named
from assistant.settings import RefusalSettings
from assistant.types import Candidate, Document, Hit, Intent, Verdict

# "上海、深圳、武汉、成都等地区": places named only as examples in a list are not what a passage is about.
_PASSING_MENTION = re.compile(r"(?:[\u4e00-\u9fff]{2,5}、){2,}[\u4e00-\u9fff]{2,5}等")
_EMPTY_CELL = re.compile(r"(?:^|\| )[^|:]{1,30}:\s*(?:\||$)")  # a focused table cell with no value
# A statement of what is planned rather than what was achieved.
_TARGET_SENTENCE = re.compile(r"目标|力争|预计|计划|到\d{4}年|将(?:达到|实现|突破|建成)|target|goal|expected to", re.I)
# A statement of a change: growth, an increase or a decrease, against a year before or a base.
_CHANGE = re.compile(
    r"增长|增加|新增|增速|增幅|提高|提升|翻(?:一)?番|同比|环比|比上年|较上年|减少|下降|降低|上升|扩大|缩小|"
    r"growth|grew|increase|rise|rose|decrease|decline|fell",
    re.I,
)


def _states_change(text: str, wanted: frozenset[str] | None) -> bool:
    """True when one clause of the text states a change with a value of the wanted kind."""
    return any(
        _CHANGE.search(clause) and (not wanted or value_kinds(clause) & wanted)
        for clause in re.split(r"[，,；;。]", text)
    )


_ACTUAL_SENTENCE = re.compile(r"已|截至|截止|累计|共有|现有|实现了|完成了|达到了|\d{4}年(?:全年|末|底)")

REFUSAL_ZH = "文档中没有找到可以回答这个问题的内容。"
REFUSAL_EN = "The documents do not contain an answer to this question."
# How a refusal names what the closest passage lacks.
LACKS_ZH = {
    "date": "日期",
    "year": "时间",
    "amount": "金额",
    "ratio": "比例",
    "count": "数量",
    "figure": "具体数字",
    "actual": "实际完成值（只有目标）",
    "aspect": "所问的内容",
    "change": "变化量（只有数值本身）",
}
LACKS_EN = {
    "date": "the date",
    "year": "the time",
    "amount": "the amount",
    "ratio": "the ratio",
    "count": "the number",
    "figure": "the figure",
    "actual": "the actual value (only a target)",
    "aspect": "what was asked",
    "change": "the change (only the level)",
}


def _context(hit: Hit, doc: Document | None, dates: bool = True) -> str:
    """A passage's document (place, title, and unless not `dates`, 文号 and date) and section."""
    meta = (
        (f"{doc.city} {doc.title} {doc.doc_number} {doc.date}" if dates else f"{doc.city} {doc.title}") if doc else ""
    )
    return f"{meta} {hit.chunk.section}"


def _place_met(place: str, text: str, doc: Document | None) -> bool:
    """A place is met by name in the text, or by the document's own place lying in it or containing it."""
    if gazetteer().mentions(place, text):
        return True
    wanted, home = gazetteer().get(place), gazetteer().get(doc.city) if doc and doc.city else None
    return bool(wanted and home and (home.within(wanted) or wanted.within(home)))


def uncovered(intent: Intent, hits: Sequence[Hit], snap: Snapshot) -> list[str]:
    """Places, years and planning periods the question names that no retrieved passage or its document has,
    and organisations the corpus never names."""
    texts = {
        h.chunk.chunk_id: _PASSING_MENTION.sub("", f"{_context(h, snap.docs.get(h.chunk.doc_id))} {h.chunk.text}")
        for h in hits
    }
    joined = " ".join(texts.values())
    docs = [snap.docs.get(h.chunk.doc_id) for h in hits]
    missing = [p for p in intent.constraints.places if not any(_place_met(p, joined, d) for d in docs)]
    missing += [y for y in intent.constraints.years if y not in joined]
    missing += [p for p in intent.constraints.periods if p not in joined]
    # An organisation no document mentions at all (its name is no search token of the corpus) is not covered.
    missing += [o for o in intent.constraints.organisations if o not in joined and not snap.df.get(o.lower(), 0)]
    return missing


def _names_measure(measure: Sequence[tuple[str, ...]], text: str) -> bool:
    text = text.lower()
    return not measure or any(f.lower() in text for forms in measure for f in forms)


def asked_tiers(intent: Intent, hits: Sequence[Hit]) -> list[tuple[str, tuple[str, ...]]]:
    """Each tier the question names alone of its set (省级 of 国家级/省级/市级…) where a retrieved passage names
    another of the set: the documents tell the tiers apart, so an answer must be about the one asked."""
    texts = [h.chunk.text for h in hits]
    return [
        (named[0], tiers)
        for named, tiers in intent.constraints.tiers
        if len(named) == 1 and any(tiers_named(tiers, t) - {named[0]} for t in texts)
    ]


def lacks(
    intent: Intent, cand: Candidate, hit: Hit, doc: Document | None, tiers: Sequence[tuple[str, tuple[str, ...]]] = ()
) -> list[str]:
    """What one quotable sentence (with its section and document) fails to meet of the question, jointly; `tiers`
    are the tiers it must be about (see asked_tiers)."""
    # A year may be stated earlier in the passage ("2022年，…。新增…32家"), not after the sentence. A table row
    # states its own: its years are its columns, not the paragraphs above the table.
    upto = max(hit.chunk.text.find(cand.text[:12]), 0) if " | " not in cand.text else 0
    before = hit.chunk.text[:upto]
    context = f"{_context(hit, doc)} {before} {cand.text}"
    missing: list[str] = []
    places = intent.constraints.places
    if places and not intent.compare and not all(_place_met(p, context, doc) for p in places):
        missing += [p for p in places if not _place_met(p, context, doc)]
    if not intent.compare:
        # The year of a document's 文号 ("〔2025〕") or date is when it was issued, not the year of what it states,
        # unless the year is how the question names the document ("2024年印发的通知").
        names_document = intent.about_document or intent.constraints.kinds or intent.constraints.documents
        dated = context if names_document else f"{_context(hit, doc, dates=False)} {before} {cand.text}"
        missing += [y for y in intent.constraints.years if y not in dated]
        missing += [o for o in intent.constraints.organisations if not _organisation_met(o, cand.text, context)]
    if intent.answer_type == "yesno":
        # "苏州对孵化器有用地优惠吗？" asks whether the subject has what the question ends on: a sentence about the
        # subject that never names it says nothing either way.
        aspect = asked_aspect(intent)
        if aspect and not any(f.lower() in context.lower() for forms in aspect for f in forms):
            missing.append("aspect")
    # The sentence with its title, section and the sentence before it (Chinese leaves a subject to that one).
    previous = split_sentences(before)[-1:] if tiers or intent.constraints.measure else []
    around = f"{doc.title if doc else ''} {hit.chunk.section} {''.join(previous)} {cand.text}"
    if not intent.compare:
        missing += [f"tier:{tier}" for tier, of in tiers if tier not in tiers_named(of, around)]
    measure = intent.constraints.measure
    # A figure of something else ("覆盖企业412家" for a count of 高新技术企业) is no answer, even of the right kind.
    if (
        measure
        and intent.answer_type in WANTED_VALUES
        and not (intent.compare or intent.wants_list or intent.about_document)
        and not _names_measure(measure, around)
    ):
        missing.append("aspect")
    wanted = wanted_values(intent) if intent.answer_type in LACKS_ZH else None
    if intent.constraints.growth and intent.answer_type in WANTED_VALUES and not _states_change(cand.text, wanted):
        # "较上年多了几亿元？" asks a change: a level ("达到95亿元") is none, nor a rate beside it ("同比增长18%").
        missing.append("change")
    if wanted and not value_kinds(cand.text) & wanted:
        missing.append(intent.answer_type)
    elif (
        wanted
        and _bare_value(cand.text)
        and not intent.about_document
        and not _names_topic(intent, f"{hit.chunk.section} {cand.text}")
    ):
        # A bare date or amount line ("2025年3月5日" under the signature) states a value, but not of what was asked.
        missing.append(intent.answer_type)
    if (
        intent.constraints.target is False
        and _TARGET_SENTENCE.search(cand.text)
        and not _ACTUAL_SENTENCE.search(cand.text)
    ):
        missing.append("actual")
    return missing


_WHOLE_PLACE = re.compile(r"全(?:国|省|市|区|县|镇|州|盟)")  # "全市…": a figure of the whole place, no organisation's


def _organisation_met(name: str, sentence: str, context: str) -> bool:
    """An organisation the question names is met by a sentence that names it (or may abbreviate it: any of its
    characters, as 一汽集团 abbreviates 第一汽车集团), or that names no subject of its own and follows it in the
    passage, its section or its document's title (a subject stated once and left out after, as Chinese does).
    "…某大学与某研究院共建的中心，2024年成交额…" is about those two; "全市成交额…" about the whole city."""
    if any(ch in sentence for ch in name):
        return True
    return not names_organisation(sentence) and not _WHOLE_PLACE.search(sentence) and name in context


_VALUE_WORDS = re.compile(r"[\d.,，、%‰:：\-—~～至年月日号时分万亿元\s]+")
_BARE_LINE_CHARS = 4  # a line with at most this many characters besides its values says nothing of its own


def _bare_value(text: str) -> bool:
    """True for a line that is a value and little else: a dateline, an amount on its own."""
    return len(_VALUE_WORDS.sub("", text)) <= _BARE_LINE_CHARS


def asked_aspect(intent: Intent) -> list[tuple[str, ...]]:
    """The forms of the concepts in the last phrase of a Chinese question (places and years aside): what a
    yes/no question asks its subject about. Empty for an English question or one of a single phrase."""
    text = normalize_query(intent.question).lower()
    places = {p.lower() for p in intent.constraints.places}
    terms = [
        (t.lower(), forms)
        for t, forms in intent.query.concepts
        if CJK.search(t) and t.lower() not in places and not t.isdigit() and t not in intent.query.carried
    ]
    covered = [False] * len(text)
    for term, _ in terms:
        for found in re.finditer(re.escape(term), text):
            covered[found.start() : found.end()] = [True] * len(term)
    runs = [m for m in re.finditer(r"1+", "".join("1" if c else "0" for c in covered))]
    if len(runs) < 2:
        return []
    last = text[runs[-1].start() : runs[-1].end()]
    return [tuple(forms) for term, forms in terms if term in last and len(term) > 1]


def _names_topic(intent: Intent, text: str) -> bool:
    """True when the text names any of the question's concepts other than its places and years."""
    text = text.lower()
    places = set(intent.constraints.places)
    return any(
        any(f.lower() in text for f in forms)
        for term, forms in intent.query.concepts
        if term not in places and not term.isdigit() and not gazetteer().get(term)
    )


def joint_verdicts(
    intent: Intent, hits: Sequence[Hit], candidates: Sequence[Candidate], snap: Snapshot, settings: RefusalSettings
) -> list[tuple[Candidate, list[str]]]:
    """The candidates close enough to the best to be evidence, each with what it lacks of the question. When
    the question asks a kind of value, "best" is the best sentence holding one: a title line that names every
    word of the question but no date sets no bar for the sentence that gives the date."""
    wanted = wanted_values(intent) if intent.answer_type in LACKS_ZH else None
    best = next((c for c in candidates if wanted and value_kinds(c.text) & wanted), candidates[0])
    relevant = [
        c
        for c in candidates
        if c.score >= best.score * settings.support_share and c.coverage >= best.coverage * settings.figure_coverage
    ]
    if wanted:  # those holding such a value first: only they can answer, and they say what the documents do give
        relevant.sort(key=lambda c: not value_kinds(c.text) & wanted)
    relevant = relevant[: settings.evidence_sentences]
    tiers = asked_tiers(intent, hits)
    return [
        (c, lacks(intent, c, hits[c.hit_index], snap.docs.get(hits[c.hit_index].chunk.doc_id), tiers)) for c in relevant
    ]


def leading(candidates: Sequence[Candidate], first: Candidate) -> list[Candidate]:
    """The candidates with `first` moved to the front."""
    return [first, *(c for c in candidates if c is not first)]


def judge(
    intent: Intent, hits: Sequence[Hit], candidates: Sequence[Candidate], snap: Snapshot, settings: RefusalSettings
) -> Verdict:
    """Refuse when the question's places/years/periods are absent, the evidence is weak, or no sentence meets
    every constraint jointly; otherwise the sentences that do, best first."""
    if not hits or not candidates:
        return Verdict(refused=True, kind="not_covered")
    missing = uncovered(intent, hits, snap)
    places = intent.constraints.places
    if intent.compare and set(places) - set(missing):
        # A comparison answers for the places the documents cover; the answer names the others as missing.
        missing = [m for m in missing if m not in places]
    if missing:
        return Verdict(refused=True, kind="not_covered", missing=missing)
    best = candidates[0]
    top_dense = max(h.dense_score for h in hits)
    # The learned detectors replace the hand-set floors. They were fitted on hybrid retrieval: without dense
    # scores (keyword-only fallback, BM25 baseline) their inputs are out of range, and the floors decide.
    model = load_answerability() if settings.learned and top_dense > 0 else None
    if model is not None:
        if model.refuses("not_covered", features(intent, hits, candidates, snap)):
            return Verdict(refused=True, kind="not_covered")
    elif best.coverage < settings.hard_floor or (
        best.coverage < settings.min_coverage and top_dense < settings.min_dense
    ):
        return Verdict(refused=True, kind="not_covered")
    verdicts = joint_verdicts(intent, hits, candidates, snap, settings)
    meeting = [c for c, lacking in verdicts if not lacking]
    if not meeting:
        closest, lacking = verdicts[0] if verdicts else (best, [])
        return Verdict(refused=True, kind="not_stated", missing=lacking, quoted=[closest])
    if " | " in meeting[0].text and _EMPTY_CELL.search(meeting[0].text):
        return Verdict(refused=True, kind="not_stated", missing=[intent.answer_type], quoted=[meeting[0]])
    # The near-miss detector judges the sentence the answer would quote: the best one that meets the question.
    if model is not None and model.refuses("not_stated", features(intent, hits, leading(candidates, meeting[0]), snap)):
        # The subject is there, the asked fact seemingly not: say what the closest sentence does say.
        return Verdict(refused=True, kind="not_stated", quoted=[meeting[0]])
    return Verdict(refused=False, quoted=meeting)


def coverage_summary(snap: Snapshot, english: bool) -> str:
    """One line naming what the corpus covers: its places and a few document labels."""
    cities = sorted({d.city for d in snap.docs.values() if d.city})
    labels = [d.doc_number or d.title for d in sorted(snap.docs.values(), key=lambda d: d.doc_id)][:6]
    more = len(snap.docs) - len(labels)
    listing = "；".join(labels) + (f" 等 {len(snap.docs)} 份" if more > 0 else "")
    if english:
        cities = [f"{gazetteer().english_name(c)} ({c})" for c in cities]
        return f"The corpus covers {', '.join(cities) or 'no city'}: {listing}."
    return f"文档范围：{'、'.join(cities) or '—'}（{listing}）。"


def _lacking_words(missing: Sequence[str], english: bool) -> str:
    words = LACKS_EN if english else LACKS_ZH
    tiers = [m.removeprefix("tier:") for m in missing if m.startswith("tier:")]
    missing = [m for m in missing if not m.startswith("tier:")]
    if english:
        named = [words.get(m, gazetteer().english_name(m)) for m in missing] + [f"anything on “{t}”" for t in tiers]
    else:
        named = [words.get(m, m) for m in missing] + [f"关于“{t}”的内容" for t in tiers]
    return (", ".join(named) if english else "、".join(named)) if named else ""


def refusal_text(verdict: Verdict, snap: Snapshot, english: bool, summary: bool = True) -> str:
    """The refusal message in the question's language; a not-stated one quotes what the documents do say, a
    not-covered one names what the corpus covers (unless `summary` is False: one part of a longer answer)."""
    if verdict.kind == "not_stated" and verdict.quoted:
        quote = verdict.quoted[0].text
        years = [m for m in verdict.missing if m.isdigit()]
        lacking = _lacking_words([m for m in verdict.missing if not m.isdigit()], english)
        if years:
            lacking = ("the year asked" if english else "所问年份的内容") + (
                f", {lacking}" if english and lacking else f"、{lacking}" if lacking else ""
            )
        if english:
            what = lacking or "what was asked"
            return f"The documents mention this but do not state {what}. The closest passage: “{quote}”[1]"
        return f"文档提到了相关内容，但没有给出{lacking or '所问的内容'}。最接近的原文：“{quote}”[1]"
    head = REFUSAL_EN if english else REFUSAL_ZH
    if verdict.missing:
        names = _lacking_words(verdict.missing, english)
        head = f"The documents say nothing about {names}." if english else f"文档中没有关于{names}的内容。"
    return f"{head} {coverage_summary(snap, english)}" if summary else head
