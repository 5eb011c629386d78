"""/v1/*: an OpenAI-compatible chat endpoint, so existing chat clients work; answers carry `citations`."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.http.routes import SSE_HEADERS, STREAM_ERROR, answer_stream, sse
from assistant.http.schemas import ApiError, ChatRequest, answer_json, checked, read_filters
from assistant.types import Answer

log = logging.getLogger("assistant.http")
MODEL_ID = "policyqa"
MODES: dict[str, str | None] = {MODEL_ID: None, f"{MODEL_ID}-extractive": "extractive", f"{MODEL_ID}-llm": "llm"}


def chat_question(request: ChatRequest) -> tuple[str, list[dict]]:
    """The last user message is the question; the user/assistant messages before it are the history."""
    last = max((i for i, m in enumerate(request.messages) if m.role == "user"), default=-1)
    if last < 0:
        raise ApiError(400, "messages contain no user message", "invalid_request_error")
    earlier = request.messages[:last]
    history = [{"role": m.role, "content": m.plain_text()} for m in earlier if m.role in ("user", "assistant")]
    return request.messages[last].plain_text(), history


def _extras(answer: Answer) -> dict[str, Any]:
    """Top-level fields beyond the OpenAI shape; clients that do not know them ignore them."""
    return {
        "citations": answer_json(answer)["citations"],
        "refused": answer.refused,
        "refusal_kind": answer.refusal_kind,
        "scope": answer.scope,
    }


def openai_routes(assistant: Any, max_body_bytes: int | None) -> APIRouter:
    """The /v1 router: chat completions (plain or streamed) and the model list."""
    v1 = APIRouter(prefix="/v1", tags=["openai"], max_body_size=max_body_bytes)

    @v1.get("/models")
    async def models() -> dict[str, Any]:
        """`policyqa` uses the configured answer mode; `-extractive` / `-llm` force one."""
        has_llm = getattr(assistant, "llm", None) is not None
        ids = [m for m, mode in MODES.items() if mode != "llm" or has_llm]
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": "policyqa"} for m in ids],
        }

    @v1.post("/chat/completions", response_model=None)
    async def chat(request: ChatRequest) -> dict[str, Any] | StreamingResponse:
        """A chat.completion (or chat.completion.chunk events ending in [DONE]) with the answer and its citations."""
        question, history = chat_question(request)
        mode = MODES.get(request.model)
        scope = read_filters(request.filters)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": request.model}
        if not request.stream:
            answer = checked(await assistant.aask(question, history, top_k=request.top_k, mode=mode, filters=scope))
            message = {"role": "assistant", "content": answer.text}
            usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # not counted
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return {**head, "object": "chat.completion", "choices": [choice], "usage": usage, **_extras(answer)}

        items = await answer_stream(assistant, question, history, request.top_k, mode, scope)

        def frame(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return sse({**head, "object": "chat.completion.chunk", "choices": [choice], **extra})

        async def events() -> AsyncIterator[str]:
            yield frame({"role": "assistant", "content": ""})
            try:
                async for item in items:
                    yield frame({}, "stop", **_extras(item)) if isinstance(item, Answer) else frame({"content": item})
            except Exception:
                log.exception("chat stream failed")
                yield sse(STREAM_ERROR)
            yield sse("[DONE]")

        return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)

    return v1
