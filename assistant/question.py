"""The question as it arrives: checked, its history made readable, and answered early when it is not searched."""

from __future__ import annotations

import re
import unicodedata

from assistant.ingest.store import Snapshot
from assistant.lang.lexicon import Lexicon, is_english
from assistant.query.smalltalk import small_talk
from assistant.retrieve.scope import describe_scope, documents_in_scope
from assistant.types import Answer, Scope

# Emoji and pictographs, dingbats, the emoji variation selector and tag characters: no meaning for search.
_PICTOGRAPHS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\U000e0020-\U000e007f]")


def without_pictographs(question: str) -> str:
    """The question without emoji: "补贴？😀" retrieves and answers like "补贴？"."""
    return _PICTOGRAPHS.sub("", question)


def invalid_question(question: object, limit: int) -> str:
    """Why a question cannot be searched, or "" when it can."""
    if not isinstance(question, str) or not question.strip():
        return "问题为空，请输入一个问题。 / The question is empty."
    if len(question) > limit:
        return f"问题过长（{len(question)} 字符，上限 {limit}），请缩短后再问。 / The question is too long ({len(question)} characters; the limit is {limit})."
    if not any(unicodedata.category(ch)[0] in "LN" for ch in question):
        return "问题中没有文字，请换一种问法。 / The question has no words in it."
    return ""


def usable_history(history: object) -> list[dict[str, str]]:
    """The chat turns that can be read, as role/content pairs: dicts with a string role and text content."""
    if not isinstance(history, list | tuple):
        return []
    turns = []
    for turn in history:
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str):
            continue
        content = turn.get("content")
        if isinstance(content, list):  # multimodal parts: keep their text
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if isinstance(content, str):
            turns.append({"role": turn["role"], "content": content})
    return turns


def early_answer(question: str, snap: Snapshot, scope: Scope, lexicon: Lexicon, max_chars: int) -> Answer | None:
    """The answer to a question that is not searched (invalid, small talk, an empty scope, nothing indexed)."""
    problem = invalid_question(question, max_chars)
    if problem:
        return Answer(
            question=str(question)[:200], text=problem, citations=[], refused=True, refusal_kind="invalid_question"
        )
    talk = small_talk(question, snap, lexicon)  # a greeting, a request for help, or no words it knows
    if talk is not None:
        return talk
    if scope and not documents_in_scope(scope, snap.docs.values()) and snap.chunks:
        where = describe_scope(scope, {d.doc_id: d.title for d in snap.docs.values()})
        text = f"文档库中没有符合筛选条件（{where}）的文档，请放宽筛选。 / No document matches the filter ({where})."
        return Answer(question=question, text=text, citations=[], refused=True, refusal_kind="empty_scope", scope=where)
    if not snap.chunks:
        text = (
            "The index is empty: run `python -m assistant ingest` (or `make run`) first."
            if is_english(question)
            else "索引为空：请先运行 `python -m assistant ingest`（或 `make run`）建立索引。"
        )
        return Answer(question=question, text=text, citations=[], refused=True, refusal_kind="no_index")
    return None
