"""/v1/*: an OpenAI-compatible chat endpoint, so existing chat clients work; answers carry `citations`.

The system (and developer) messages are the caller's instructions: the LLM answerer adds them under its own
rules (prompts/instructions.md), so they can shape tone or length but not loosen the citation rules (every
reply is verified); the extractive answerer has no prompt and ignores them.
A question the pipeline cannot search (empty, too long, no words, no user message) is answered, not
refused with a 400: the reply is the pipeline's explanation with `refused: true`, as a chat UI shows it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from assistant.http.limits import Guards
from assistant.http.routes import SSE_HEADERS, STREAM_ERROR, sse
from assistant.http.schemas import ApiError, ChatRequest, answer_json, error_responses, read_filters
from assistant.http.usage import cited, sources_block, truncate, usage
from assistant.types import Answer
from assistant.ui.render import sentences

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

log = logging.getLogger("assistant.http")
MODEL_ID = "policyqa"


def model_modes(assistant: Assistant) -> dict[str, str | None]:
    """Served model id → answer mode (None: the configured one); `-llm` only when an LLM is configured."""
    base = getattr(getattr(assistant, "settings", None), "openai_model_id", MODEL_ID)
    modes: dict[str, str | None] = {base: None, f"{base}-extractive": "extractive"}
    if getattr(assistant, "llm", None) is not None:
        modes[f"{base}-llm"] = "llm"
    return modes


def chat_question(request: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    """The last user message is the question ("" without one); the user/assistant messages before it the history."""
    last = max((i for i, m in enumerate(request.messages) if m.role == "user"), default=-1)
    earlier = request.messages[:last] if last >= 0 else request.messages
    history = [{"role": m.role, "content": m.plain_text()} for m in earlier if m.role in ("user", "assistant")]
    return (request.messages[last].plain_text() if last >= 0 else ""), history


def system_text(request: ChatRequest) -> str:
    """The caller's system and developer messages, joined: instructions for the LLM answerer."""
    return "\n".join(m.plain_text() for m in request.messages if m.role in ("system", "developer")).strip()


def _extras(answer: Answer) -> dict[str, Any]:
    """Top-level fields beyond the OpenAI shape; clients that do not know them ignore them."""
    return {
        "citations": answer_json(answer)["citations"],
        "refused": answer.refused,
        "refusal_kind": answer.refusal_kind,
        "scope": answer.scope,
    }


def shaped(answer: Answer, request: ChatRequest, sources: bool) -> tuple[Answer, str, str]:
    """(answer with only the citations left in its text, message content, finish_reason) after max_tokens."""
    text, cut = truncate(answer.text, request.max_completion_tokens or request.max_tokens)
    if cut:
        answer = replace(answer, text=text, citations=cited(answer, text))
    content = text + (sources_block(answer.citations) if sources else "")
    return answer, content, "length" if cut else "stop"


def model_not_found(model: str) -> ApiError:
    return ApiError(404, f"The model `{model}` does not exist", "invalid_request_error", code="model_not_found")


def openai_routes(assistant: Assistant, max_body_bytes: int | None, guards: Guards) -> APIRouter:
    """The /v1 router: chat completions (plain or streamed) and the model list."""
    v1 = APIRouter(prefix="/v1", tags=["openai"], max_body_size=max_body_bytes)
    modes = model_modes(assistant)
    sources = bool(getattr(getattr(assistant, "settings", None), "openai_sources_block", False))

    @v1.get("/models", responses=error_responses(401, 429), dependencies=[Depends(guards.reader)])
    async def models() -> dict[str, Any]:
        """The served model (configured answer mode), `-extractive`, and `-llm` when an LLM is configured."""
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "policyqa"} for m in modes]
        return {"object": "list", "data": data}

    @v1.post(
        "/chat/completions",
        response_model=None,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "chat.completion, or its chunks when streamed"},
            **error_responses(400, 401, 404, 413, 422, 429, 503, 504),
        },
        dependencies=[Depends(guards.asking())],
    )
    async def chat(request: ChatRequest) -> dict[str, Any] | StreamingResponse:
        """A chat.completion (or chat.completion.chunk events ending in [DONE]) with the answer and its citations."""
        if request.model not in modes:
            raise model_not_found(request.model)
        question, history = chat_question(request)
        mode = modes[request.model]
        prompt = [m.plain_text() for m in request.messages]
        scope = read_filters(request.filters)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": request.model}
        answer = await guards.slots.run(
            lambda: assistant.aask(
                question, history, top_k=request.top_k, mode=mode, filters=scope, instructions=system_text(request)
            )
        )
        answer, content, finish = shaped(answer, request, sources)
        counted = usage(prompt, content)
        if not request.stream:
            choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            return {**head, "object": "chat.completion", "choices": [choice], "usage": counted, **_extras(answer)}
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        events = completion_chunks(head, answer, content, finish, counted if include_usage else None)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)

    return v1


async def completion_chunks(
    head: dict[str, Any], answer: Answer, content: str, finish: str, counted: dict[str, int] | None
) -> AsyncIterator[str]:
    """The chat.completion.chunk events of a finished answer, sentence by sentence; usage last when asked for."""

    def frame(choices: list[dict[str, Any]], **extra: Any) -> str:
        return sse({**head, "object": "chat.completion.chunk", "choices": choices, **extra})

    def delta(part: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        return frame([{"index": 0, "delta": part, "finish_reason": finish_reason}], **extra)

    try:
        yield delta({"role": "assistant", "content": ""})
        for piece in sentences(content) or [content]:
            yield delta({"content": piece})
        yield delta({}, finish, **_extras(answer))
        if counted is not None:
            yield frame([], usage=counted)
    except Exception:
        log.exception("chat stream failed")
        yield sse(STREAM_ERROR)
    yield sse("[DONE]")
