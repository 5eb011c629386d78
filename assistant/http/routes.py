"""/api/*: ask (JSON or server-sent events), ingest, documents, health."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.http.schemas import (
    AnswerOut,
    ApiError,
    AskRequest,
    DocumentOut,
    HealthOut,
    answer_json,
    checked,
    document_json,
    read_filters,
)
from assistant.types import Answer

log = logging.getLogger("assistant.http")
_LINE_END = re.compile(r"(?<=\n)")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STREAM_ERROR = {"error": {"message": "internal server error", "type": "server_error", "code": 500}}


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event; data that is not a string is sent as JSON."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


async def answer_stream(
    assistant: Any, question: str, history: list[dict], top_k: int | None, mode: str | None, filters: Any = None
) -> AsyncIterator[str | Answer]:
    """Partial texts, then the final Answer.

    The assistant's own `astream` when it has one, else the finished answer line by line. The first
    items are awaited here, before any byte is sent, so an invalid question is still a 400.
    """

    async def items() -> AsyncIterator[str | Answer]:
        astream = getattr(assistant, "astream", None)
        if astream is not None:
            async for item in astream(question, history, top_k=top_k, mode=mode, filters=filters):
                yield item
            return
        answer = await assistant.aask(question, history, top_k=top_k, mode=mode, filters=filters)
        if answer.refusal_kind != "invalid_question":
            for line in _LINE_END.split(answer.text):
                if line:
                    yield line
        yield answer

    stream = items()
    head: list[str | Answer] = []
    async for item in stream:  # an early answer may come as its text, then the Answer
        head.append(item)
        if isinstance(item, Answer) or len(head) == 2:
            break
    for item in head:
        if isinstance(item, Answer):
            checked(item)

    async def replay() -> AsyncIterator[str | Answer]:
        for item in head:
            yield item
        if not (head and isinstance(head[-1], Answer)):
            async for item in stream:
                yield item

    return replay()


def api_routes(assistant: Any, max_body_bytes: int | None) -> APIRouter:
    """The /api router over an Assistant."""
    api = APIRouter(prefix="/api", tags=["api"], max_body_size=max_body_bytes)

    @api.post("/ask", response_model=AnswerOut)
    async def ask(request: AskRequest) -> dict[str, Any]:
        """Answer a question with numbered citations; an empty or unusable question is a 400."""
        history = [t.model_dump() for t in request.history]
        scope = read_filters(request.filters)
        answer = await assistant.aask(request.question, history, top_k=request.top_k, mode=request.mode, filters=scope)
        return answer_json(checked(answer))

    @api.post(
        "/ask/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "`delta` events, then `answer`"}},
    )
    async def ask_stream(request: AskRequest) -> StreamingResponse:
        """Server-sent events: `delta` {text} as the answer grows, then `answer` (AnswerOut); `error` on failure."""
        history = [t.model_dump() for t in request.history]
        scope = read_filters(request.filters)
        items = await answer_stream(assistant, request.question, history, request.top_k, request.mode, scope)

        async def events() -> AsyncIterator[str]:
            try:
                async for item in items:
                    yield sse(answer_json(item), "answer") if isinstance(item, Answer) else sse({"text": item}, "delta")
            except Exception:
                log.exception("answer stream failed")
                yield sse(STREAM_ERROR, "error")

        return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)

    @api.post("/ingest")
    async def ingest() -> dict[str, Any]:
        """Index new and changed corpus files (the IngestReport); 409 while another ingest runs."""
        return asdict(await asyncio.to_thread(assistant.ingest))

    @api.get("/documents", response_model=list[DocumentOut], response_model_exclude_none=True)
    async def documents() -> list[dict[str, Any]]:
        """The indexed documents with their metadata and chunk counts."""
        return [document_json(info) for info in await asyncio.to_thread(assistant.documents)]

    @api.get("/documents/{doc_id}", response_model=DocumentOut, response_model_exclude_none=True)
    async def document(doc_id: str) -> dict[str, Any]:
        """One document's metadata and full cleaned text."""
        doc = await asyncio.to_thread(assistant.document, doc_id)
        if doc is None:
            raise ApiError(404, f"no document {doc_id!r}", "not_found")
        return document_json(doc, with_text=True)

    @api.get("/health", response_model=HealthOut)
    async def health() -> dict[str, Any]:
        """Liveness plus what is indexed."""
        snap = await asyncio.to_thread(assistant.snapshot)
        return {"status": "ok" if snap.chunks else "empty", "documents": len(snap.docs), "chunks": len(snap.chunks)}

    return api
