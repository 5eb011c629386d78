"""The optional LLM answerer: any OpenAI-compatible endpoint through llama-index OpenAILike, verified like
the extractive answer; any failure falls back to the extractive answer with a notice, never an exception."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.answer.layout import citation_for
from assistant.answer.prompts import PromptSet
from assistant.answer.refusal import refusal_text
from assistant.answer.verify import drop_unsupported, markers_in, renumber, verify_answer
from assistant.ingest.store import Snapshot
from assistant.settings import Settings
from assistant.types import Answer, Citation, Hit, Intent, Query, Turn, Verdict

log = logging.getLogger(__name__)

UNAVAILABLE = "LLM 不可用，已改用摘录式回答 / LLM unreachable, answered extractively"
BAD_CITATION = (
    "LLM 引用了不存在的资料段落，已改用摘录式回答 / The LLM cited a nonexistent passage, answered extractively"
)
FAILED_CHECK = "LLM 回答未通过核验，已改用摘录式回答 / The LLM answer failed verification, answered extractively"
DROPPED = "已删除 {n} 句未获文档支持的内容 / {n} unsupported sentence(s) removed from the LLM answer"
COOLDOWN_S = 30.0  # after a failure, answer extractively for a while instead of waiting on a dead endpoint
_DELIMITERS = re.compile(r"<<<|>>>")
_HISTORY_MESSAGES = 6
_CONDENSED_PREFIX = re.compile(r"^(?:改写后的问题|独立问题|问题|standalone question|question)\s*[:：]\s*", re.I)
_PUNCTUATION = re.compile(r"[\s\W_]+")


def build_llm(settings: Settings) -> LLMAnswerer:
    """The LLM answerer for the configured endpoint (nothing global is touched)."""
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(
        api_base=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "not-needed",
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        is_chat_model=True,
        context_window=settings.llm_context_window,
        max_tokens=settings.llm_max_tokens,
        reuse_client=False,  # async clients must not outlive the event loop of one request
    )
    return LLMAnswerer(llm, PromptSet.load())


def passage_citations(hits: Sequence[Hit], snap: Snapshot) -> list[Citation]:
    """Every retrieved passage as a numbered citation, in retrieval order (the numbering the LLM sees)."""
    return [citation_for(hit, snap, n) for n, hit in enumerate(hits, start=1)]


def _data(text: str) -> str:
    """Text placed inside a delimited data section, unable to close it early."""
    return _DELIMITERS.sub(lambda m: "‹‹‹" if m.group() == "<<<" else "›››", text)


def format_passages(citations: Sequence[Citation]) -> str:
    """The numbered passages of the answer prompt, each with its source label."""
    blocks = []
    for c in citations:
        source = "".join(x for x in (c.doc_number, f"《{c.title.strip('《》')}》") if x)
        parts = (f"来源：{source}", f"章节：{c.section}" if c.section else "", f"日期：{c.date}" if c.date else "")
        where = "｜".join(x for x in parts if x)
        blocks.append(f"[{c.n}] {_data(where)}\n{_data(c.text.strip())}")
    return "\n\n".join(blocks)


class LLMAnswerer:
    """Condenses follow-ups and answers from numbered passages; every reply is verified before it is used.

    An Answerer (assistant.answer.answerer); it also condenses follow-ups and streams.
    """

    def __init__(self, llm: LLM, prompts: PromptSet, cooldown: float = COOLDOWN_S) -> None:
        self.llm = llm
        self.prompts = prompts
        self.cooldown = cooldown
        self._down_until = 0.0

    # --- follow-ups -------------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[Turn]) -> str | None:
        """The follow-up rewritten as a standalone question, or None (no history, or the LLM failed)."""
        messages = self._condense_messages(question, history)
        if messages is None:
            return None
        try:
            return _standalone(self.llm.chat(messages).message.content, question)
        except Exception as exc:  # unreachable, timeout, malformed reply: keep the rule-based follow-up
            self._failed("condense", exc)
            return None

    def _condense_messages(self, question: str, history: Sequence[Turn]) -> list[ChatMessage] | None:
        turns = [m for m in history if m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)]
        if not turns or self._is_down():
            return None
        lines = [
            f"{'用户' if m['role'] == 'user' else '助手'}：{_data(m['content'].strip())[:400]}"
            for m in turns[-_HISTORY_MESSAGES:]
        ]
        prompt = self.prompts.condense.render(history="\n".join(lines), question=_data(question))
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    # --- answers ----------------------------------------------------------------------------------
    def answer(self, intent: Intent, hits: Sequence[Hit], snap: Snapshot, fallback: Answer | None = None) -> Answer:
        """The verified LLM answer, or `fallback` (the extractive answer; else a refusal) with a notice saying why."""
        query, fallback = intent.query, fallback or _not_covered(intent, snap, self.prompts.hash)
        if self._is_down():
            return self._fallback(fallback, UNAVAILABLE)
        messages, citations = self.messages(query, hits, snap, intent.instructions)
        try:
            reply = self.llm.chat(messages).message.content
        except Exception as exc:
            self._failed("answer", exc)
            return self._fallback(fallback, UNAVAILABLE)
        return self._finish(reply, query, citations, snap, fallback)

    async def astream(
        self, intent: Intent, hits: Sequence[Hit], snap: Snapshot, fallback: Answer | None = None
    ) -> AsyncIterator[str | Answer]:
        """The reply's text as it arrives, then the verified Answer (which may differ: see Answer.notice)."""
        query, fallback = intent.query, fallback or _not_covered(intent, snap, self.prompts.hash)
        if self._is_down():
            yield self._fallback(fallback, UNAVAILABLE)
            return
        messages, citations = self.messages(query, hits, snap, intent.instructions)
        parts: list[str] = []
        try:
            async for chunk in await self.llm.astream_chat(messages):
                if chunk.delta:
                    parts.append(chunk.delta)
                    yield chunk.delta
        except Exception as exc:
            self._failed("stream", exc)
            yield self._fallback(fallback, UNAVAILABLE)
            return
        yield self._finish("".join(parts), query, citations, snap, fallback)

    def messages(
        self, query: Query, hits: Sequence[Hit], snap: Snapshot, instructions: str = ""
    ) -> tuple[list[ChatMessage], list[Citation]]:
        """The system and user messages for a question, and the citations their passage numbers refer to.

        A caller's own instructions (an OpenAI system message) follow the rules, fenced, and cannot loosen them:
        every reply is verified whatever they say.
        """
        citations = passage_citations(hits, snap)
        system = self.prompts.system.render(refusal=self.prompts.refusal_phrase)
        if instructions.strip():
            system += "\n\n" + self.prompts.instructions.render(instructions=_data(instructions.strip()[:2000]))
        user = self.prompts.answer.render(
            passages=format_passages(citations),
            question=_data(query.text),
            language="英文（English）" if query.english else "中文",
        )
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=system),
            ChatMessage(role=MessageRole.USER, content=user),
        ]
        return messages, citations

    def _finish(
        self, reply: object, query: Query, citations: list[Citation], snap: Snapshot, fallback: Answer
    ) -> Answer:
        """Verify the reply: refusal, invalid citations → fallback, unsupported sentences dropped."""
        text = reply.strip() if isinstance(reply, str) else ""
        if not text:
            return self._fallback(fallback, UNAVAILABLE)  # an empty or non-text reply
        if self._is_refusal(text):
            return replace(_not_covered_text(fallback.question, snap, query.english), prompt_hash=self.prompts.hash)
        checked = verify_answer(text, citations)
        if checked.invalid_markers:
            return self._fallback(fallback, BAD_CITATION, checked.notes())
        kept, notes = drop_unsupported(text, citations)
        used = verify_answer(kept, citations).cited
        if not used:
            return self._fallback(fallback, FAILED_CHECK, notes or ["LLM 回答没有引用任何资料段落"])
        return Answer(
            question=fallback.question,
            text=renumber(kept, used),
            citations=[replace(citations[n - 1], n=i) for i, n in enumerate(used, start=1)],
            refused=False,
            mode="llm",
            notice=DROPPED.format(n=len(notes)) if notes else "",
            prompt_hash=self.prompts.hash,
            verification=notes,
        )

    def _is_refusal(self, text: str) -> bool:
        phrase = _PUNCTUATION.sub("", self.prompts.refusal_phrase)
        return phrase in _PUNCTUATION.sub("", text) and not markers_in(text)

    def _fallback(self, fallback: Answer, notice: str, notes: Sequence[str] = ()) -> Answer:
        return replace(
            fallback,
            notice=notice,
            prompt_hash=self.prompts.hash,
            verification=[*fallback.verification, *notes],
        )

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, what: str, exc: Exception) -> None:
        """Log a failed call and pause LLM use for the cooldown."""
        self._down_until = time.monotonic() + self.cooldown
        log.warning("LLM %s failed: %s: %s", what, type(exc).__name__, exc)


def _not_covered_text(question: str, snap: Snapshot, english: bool) -> Answer:
    """The LLM's own refusal: the documents do not cover the question."""
    text = refusal_text(Verdict(refused=True, kind="not_covered"), snap, english)
    return Answer(question=question, text=text, citations=[], refused=True, mode="llm", refusal_kind="not_covered")


def _not_covered(intent: Intent, snap: Snapshot, prompt_hash: str) -> Answer:
    """The answer when no fallback was given and the LLM cannot answer."""
    return replace(_not_covered_text(intent.question, snap, intent.english), prompt_hash=prompt_hash)


def _standalone(reply: object, question: str) -> str | None:
    """The condensed question from the reply, or None when it is empty or implausibly long."""
    lines = [line.strip() for line in str(reply or "").splitlines() if line.strip()]
    if not lines:
        return None
    text = _CONDENSED_PREFIX.sub("", lines[0]).strip("“”\"' ")
    return text if 0 < len(text) <= 3 * len(question) + 200 else None
