"""Scored sentences → Answer: select, group by document or city, render as lines or a table, cite."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answer.document_facts import asks_document_date, date_answers
from assistant.answer.layout import AMOUNT, citation_for, quoted_citations, render_lines, render_table, source_label
from assistant.answer.lead import lead_line, newest_first
from assistant.answer.refusal import judge, refusal_text, uncovered
from assistant.answer.score import WANTED_VALUES, score_candidates
from assistant.answer.tables import Change, Pick, cells, change, describe_change, superlative
from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.lang.figures import RATIO_PHRASE, extract_figures
from assistant.lang.places import gazetteer
from assistant.settings import AnswerSettings, RefusalSettings
from assistant.types import Answer, Candidate, Hit, Intent, Verdict

_LIST_INTRO = re.compile(r"[：:]$|如下|以下(?!简称)")  # "(以下简称《措施》)" introduces a short name, not a list
_ITEM_MARK = re.compile(r"^(?:——|—|[一二三四五六七八九十]是|（[一二三四五六七八九十]+）|\d+[.、．])")
_MAX_LIST_CHUNKS = 8  # chunks followed past the intro's own when a list runs on
_WHICH_DOCUMENTS_COVERAGE = 0.95  # a document "mentions" the topic when a sentence covers (nearly) as much as the best
_SECOND_PERSON = re.compile(r"[您你]")
_SUPPORT_VERB = re.compile(r"补贴|补助|资助|奖励|奖补|资金支持|经费")


def _similar(a: str, b: str) -> bool:
    """Near-duplicates: most bigrams shared, and some figure too (one city's 300万元 is not another's 500万元)."""
    figures_a, figures_b = {f.value for f in extract_figures(a)}, {f.value for f in extract_figures(b)}
    if figures_a and figures_b and not figures_a & figures_b:
        return False
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return a == b
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) > 0.7


def select_sentences(
    candidates: Sequence[Candidate], settings: AnswerSettings, broad: bool, leaders: int = 0
) -> list[Candidate]:
    """Greedy in the given order (callers put each group's best first), no near-duplicates, within the budget.

    The first `leaders` candidates (each compared document's or city's best) are exempt from the score floor
    and widen the budget: a comparison needs every side, even when one side's sentence says less of the question.
    """
    if not candidates:
        return []
    floor = candidates[0].score * (settings.list_floor if broad else settings.floor)
    # Every compared side is heard: ten cities compared need ten quotes, whatever the usual budget.
    max_sentences = max(settings.max_sentences, leaders)
    max_chars = max(settings.max_chars, leaders * settings.max_sentence_chars)
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
    when the list runs past the chunk's end, the next chunks of its section or subsections (added to `hits`)."""
    if not _LIST_INTRO.search(intro.text):
        return []
    chunk = hits[intro.hit_index].chunk
    following = [(intro.hit_index, n, s.strip()) for n, s in enumerate(split_sentences(chunk.text)) if n > intro.order]
    # The list runs on into the next chunks of the same section, or of its subsections when each item is headed
    # ("（一）电子信息。…" under "一、支持方向").
    for position in range(chunk.position + 1, chunk.position + 1 + _MAX_LIST_CHUNKS):
        after = snap.chunk_at(chunk.doc_id, position)
        inside = after is not None and (
            after.section == chunk.section or (bool(chunk.section) and after.section.startswith(f"{chunk.section} > "))
        )
        if after is None or not inside or after.kind != "text":
            break
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


def _support_rows(chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> list[Candidate]:
    """The quotes that state support (an amount, a ratio, or a support verb) — the rows of a comparison table —
    and, for a compared city none of whose quotes does, its best quote (its row then shows no amount)."""
    rows = [c for c in chosen if AMOUNT.search(c.text) or RATIO_PHRASE.search(c.text) or _SUPPORT_VERB.search(c.text)]
    if not rows:
        return []
    heard = {_city(snap, hits[c.hit_index].chunk.doc_id) for c in rows}
    for cand in chosen:
        city = _city(snap, hits[cand.hit_index].chunk.doc_id)
        if city not in heard:
            heard.add(city)
            rows.append(cand)
    return rows


def _wants_table(intent: Intent, chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> bool:
    """A question about support or amounts answered from more than one place's documents."""
    cities = {_city(snap, hits[c.hit_index].chunk.doc_id) for c in chosen}
    asks_amount = intent.support or intent.answer_type in ("amount", "ratio")
    return asks_amount and len(cities) > 1 and any(AMOUNT.search(c.text) for c in chosen)


def _grouped(
    intent: Intent, candidates: list[Candidate], hits: Sequence[Hit], snap: Snapshot
) -> tuple[list[Candidate], int, bool]:
    """Candidates with each side's best first when the question compares (or spans several places)."""
    if intent.which_documents:
        # "哪些文件提到了…": each document's best sentence that says it (as much of the question as the best does).
        floor = candidates[0].coverage * _WHICH_DOCUMENTS_COVERAGE if candidates else 0.0
        grouped, leaders = _best_per_group(candidates, hits, lambda doc_id: doc_id, floor)
        return grouped[:leaders], leaders, True
    if intent.compare and len(intent.constraints.places) > 1:
        # "泉州和厦门…": each named place's best sentence first.
        grouped, leaders = _best_per_group(candidates, hits, lambda doc_id: _city(snap, doc_id), 0.25)
        return grouped, leaders, True
    compared = [named for named, _ in intent.constraints.tiers if len(named) > 1]
    if intent.compare and compared:
        # "良好和优秀分别…": each tier's best sentence first, in the question's order.
        firsts: list[Candidate] = []
        for tier in compared[0]:
            found = next((c for c in candidates if tier in c.text and all(c is not x for x in firsts)), None)
            firsts += [found] if found else []
        return [*firsts, *(c for c in candidates if all(c is not x for x in firsts))], len(firsts), True
    if intent.compare:
        # One document would otherwise crowd out the others; keep the best sentence of each.
        grouped, leaders = _best_per_group(candidates, hits, lambda doc_id: doc_id, 0.25)
        return grouped, leaders, True
    if not intent.constraints.places and len({_city(snap, h.chunk.doc_id) for h in hits}) > 1:
        # A question about no place in particular, answered by several places' documents: each place speaks.
        floor = candidates[0].coverage * 0.6 if candidates else 0.0
        grouped, _ = _best_per_group(candidates, hits, lambda doc_id: _city(snap, doc_id), floor)
        return grouped, 0, len({_city(snap, hits[c.hit_index].chunk.doc_id) for c in grouped[:2]}) > 1
    return candidates, 0, False


def compose_answer(
    intent: Intent, hits: Sequence[Hit], snap: Snapshot, settings: AnswerSettings, refusal: RefusalSettings
) -> Answer:
    """The extractive answer: verbatim sentences with [n] citations, or a graded refusal."""
    question, english = intent.question, intent.english
    if asks_document_date(intent):
        dated, with_datelines = date_answers(intent, hits, snap)
        days = [c for c in dated if len(snap.docs[with_datelines[c.hit_index].chunk.doc_id].date) > 4]
        if dated and intent.answer_type == "date" and not days:
            # Asked for the day, and the documents give only a year (their 文号): the day is not stated.
            verdict = Verdict(refused=True, kind="not_stated", missing=["date"], quoted=dated[:1])
            return _refused(intent, verdict, with_datelines, snap, settings)
        if dated:
            return _document_dates(intent, dated, with_datelines, snap)
    # A change computed along the table row about the asked measure answers before any sentence is judged: the
    # row states both values, even when no sentence states the difference.
    found = change(intent, list(hits), snap)
    if found is not None and not uncovered(intent, hits, snap):
        return _changed(intent, found, snap)
    candidates = score_candidates(intent, hits, snap, settings)
    verdict = judge(intent, hits, candidates, snap, refusal)
    if verdict.refused:
        return _refused(intent, verdict, hits, snap, settings)
    if intent.answer_type == "superlative":
        pick = superlative(intent, list(hits), snap)
        if pick is not None:
            return _picked(intent, pick, snap)
    # The sentences that meet every constraint lead. Others follow only where the question asks for breadth (a
    # list, a comparison) or for no particular value: beside a figure asked for, they are near misses.
    meeting = {id(c) for c in verdict.quoted}
    typed = intent.answer_type in WANTED_VALUES and not (intent.wants_list or intent.compare)
    candidates = [*verdict.quoted, *(c for c in candidates if id(c) not in meeting and not typed)]
    candidates, leaders, compare = _grouped(intent, candidates, hits, snap)
    chosen = select_sentences(candidates, settings, intent.wants_list or compare, leaders)
    if intent.wants_list and not compare:
        # A compared side's enumeration would crowd out the other sides.
        chosen, hits = _with_list_items(chosen, list(hits), snap, settings)
    table = _wants_table(intent, chosen, hits, snap)
    if table:
        chosen = _support_rows(chosen, hits, snap) or chosen
    chosen = newest_first(intent, chosen, hits, snap)
    citations = quoted_citations(chosen, hits, snap)
    numbers = {c.chunk_id: c.n for c in citations}
    labels = {c.doc_id: source_label(snap, c.doc_id, english) for c in citations}
    for doc_id in _addressed_docs(chosen, hits, snap):
        # "您们提出的…" names no one; say whom the reply answers.
        addressee = snap.docs[doc_id].addressee
        labels[doc_id] += f" (to {addressee})" if english else f"（致{addressee}）"
    if table:
        text = render_table(chosen, hits, numbers, snap, english)
    else:
        text = render_lines(chosen, hits, numbers, labels, english)
        lead = _documents_lead(intent, chosen, hits, numbers, labels) or lead_line(intent, chosen, hits, numbers)
        text = f"{lead}\n{text}" if lead else text
    unheard = _unheard_places(intent, chosen, hits, snap)
    if unheard:
        # "温州和常州…分别…" where only 温州's documents say it: the other side is named as missing, not dropped.
        if english:
            text += f"\n{', '.join(gazetteer().english_name(p) for p in unheard)}: the documents do not say."
        else:
            text += f"\n{'、'.join(unheard)}：文档中没有找到所问的内容。"
    return Answer(question=question, text=text, citations=citations, refused=False)


def _unheard_places(intent: Intent, chosen: Sequence[Candidate], hits: Sequence[Hit], snap: Snapshot) -> list[str]:
    """The places a comparison names that no quote of the answer is about (by its document or by name)."""
    if not intent.compare or len(intent.constraints.places) < 2:
        return []
    heard = " ".join(f"{_city(snap, hits[c.hit_index].chunk.doc_id)} {c.text}" for c in chosen)
    return [p for p in intent.constraints.places if p not in heard]


def _refused(intent: Intent, verdict: Verdict, hits: Sequence[Hit], snap: Snapshot, settings: AnswerSettings) -> Answer:
    """A refusal in the question's language, citing the passages it quotes."""
    return Answer(
        question=intent.question,
        text=refusal_text(verdict, snap, intent.english, settings.refusal_summary),
        citations=quoted_citations(verdict.quoted, hits, snap),
        refused=True,
        refusal_kind=verdict.kind,
    )


def _documents_lead(
    intent: Intent, chosen: Sequence[Candidate], hits: Sequence[Hit], numbers: dict[str, int], labels: dict[str, str]
) -> str:
    """For "哪些文件提到了…": the documents that do, each with its [n] ("答：2份文件：泉科函〔2026〕108号[1]；…")."""
    if not intent.which_documents or not chosen:
        return ""
    seen: dict[str, int] = {}
    for cand in chosen:
        chunk = hits[cand.hit_index].chunk
        seen.setdefault(chunk.doc_id, numbers[chunk.chunk_id])
    named = ("; " if intent.english else "；").join(f"{labels[d]}[{n}]" for d, n in seen.items())
    if intent.english:
        return f"Answer: {len(seen)} document{'s' if len(seen) > 1 else ''}: {named}"
    return f"答：{len(seen)}份文件：{named}"


def _document_dates(intent: Intent, quotes: list[Candidate], hits: list[Hit], snap: Snapshot) -> Answer:
    """Each asked document's date first ("泉科函〔2025〕81号：2025-05-20[1]"), then the lines that state them."""
    citations = quoted_citations(quotes, hits, snap)
    numbers = {c.chunk_id: c.n for c in citations}
    labels = {c.doc_id: source_label(snap, c.doc_id, intent.english) for c in citations}
    dates = []
    colon = ": " if intent.english else "："
    for cand in quotes:
        chunk = hits[cand.hit_index].chunk
        date = snap.docs[chunk.doc_id].date
        if len(date) == 4:
            # The text states no day, only the year its 文号 or dateline carries: say so, whatever was asked.
            date = f"{date} (no day stated)" if intent.english else f"{date}年（未写明具体日期）"
        dates.append(f"{labels[chunk.doc_id]}{colon}{date}[{numbers[chunk.chunk_id]}]")
    lead = ("Answer: " if intent.english else "答：") + ("; " if intent.english else "；").join(dates)
    text = f"{lead}\n{render_lines(quotes, hits, numbers, labels, intent.english)}"
    return Answer(question=intent.question, text=text, citations=citations, refused=False)


def _changed(intent: Intent, found: Change, snap: Snapshot) -> Answer:
    """A change computed along a table row: the two values and their difference first, then the row, cited."""
    row_quote = found.quote()
    citation = citation_for(Hit(chunk=found.row, score=0.0), snap, 1, row_quote)
    label = source_label(snap, found.row.doc_id, intent.english)
    lead = ("Answer: " if intent.english else "答：") + describe_change(found, intent.english) + "[1]"
    text = f"{lead}\n{label}{': ' if intent.english else '：'}“{row_quote}”[1]"
    return Answer(question=intent.question, text=text, citations=[citation], refused=False)


def _picked(intent: Intent, pick: Pick, snap: Snapshot) -> Answer:
    """A superlative computed over a table: the row's name and value first, then the row's cells, cited."""
    name_cell = next((f"{h}: {v}" for h, v in cells(pick.row) if v == pick.name), pick.name)
    quote = f"{name_cell} | {pick.column}: {pick.value}"
    citation = citation_for(Hit(chunk=pick.row, score=0.0), snap, 1, quote)
    label = source_label(snap, pick.row.doc_id, intent.english)
    if intent.english:
        lead = f"Answer: {pick.name} ({pick.column}: {pick.value}, compared over every row of the table)[1]"
    else:
        lead = f"答：{pick.name}（{pick.column}: {pick.value}，比较该表各行得出）[1]"
    text = f"{lead}\n{label}{': ' if intent.english else '：'}“{quote}”[1]"
    return Answer(question=intent.question, text=text, citations=[citation], refused=False)


def _with_list_items(
    chosen: list[Candidate], hits: list[Hit], snap: Snapshot, settings: AnswerSettings
) -> tuple[list[Candidate], list[Hit]]:
    """For a list question: the enumeration an intro ("…的目标：") announces, in the document's order.

    The intro stands for the list when it is about as good as the best sentence; a weaker one ("现将有关情况答复
    如下：") introduces a whole reply, not the list asked for.
    """
    intro = next(
        (c for c in chosen if _LIST_INTRO.search(c.text) and c.score >= settings.intro_min * chosen[0].score), None
    )
    if intro is not None:
        items = list_items(intro, hits, snap, settings.list_max_chars)
        if items:
            chosen = [intro, *items]
    return sorted(chosen, key=lambda c: (c.hit_index, c.order)), hits


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
