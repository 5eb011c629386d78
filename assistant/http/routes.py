"""/api/*: ask (JSON or server-sent events), documents, health; ingest and delete for admins.

No `from __future__ import annotations` here: the request model is built per app (it declares the
configured question length), and FastAPI reads the endpoints' annotations as objects.
"""

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from assistant.http import audit
from assistant.http.limits import Guards
from assistant.http.schemas import (
    AnswerOut,
    ApiError,
    AskRequest,
    DocumentOut,
    HealthOut,
    answer_json,
    ask_request_model,
    checked,
    document_json,
    error_responses,
    read_filters,
)
from assistant.ingest.store import IngestReport
from assistant.types import Answer, Turn

if TYPE_CHECKING:
    from assistant.pipeline import Assistant, Filters

log = logging.getLogger("assistant.http")
_LINE_END = re.compile(r"(?<=\n)")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STREAM_ERROR = {"error": {"message": "internal server error", "type": "server_error", "code": 500}}


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event; data that is not a string is sent as JSON."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


async def answer_stream(
    assistant: "Assistant",
    question: str,
    history: Sequence[Turn],
    top_k: int | None,
    mode: str | None,
    filters: "Filters" = None,
    strict: bool = True,
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
        if isinstance(item, Answer) and strict:
            checked(item)

    async def replay() -> AsyncIterator[str | Answer]:
        for item in head:
            yield item
        if not (head and isinstance(head[-1], Answer)):
            async for item in stream:
                yield item

    return replay()


READ_ERRORS = error_responses(400, 401, 413, 422, 429)
ASK_ERRORS = error_responses(400, 401, 413, 422, 429, 503, 504)
CHANGE_ERRORS = error_responses(401, 403, 409, 413, 429)


def api_routes(assistant: "Assistant", max_body_bytes: int | None, guards: Guards) -> APIRouter:
    """The /api router over an Assistant."""
    api = APIRouter(prefix="/api", tags=["api"], max_body_size=max_body_bytes)
    settings = getattr(assistant, "settings", None)  # tests' stand-ins may have no settings
    add_ask_routes(api, assistant, guards, ask_request_model(getattr(settings, "max_question_chars", 1000)))
    add_corpus_routes(api, assistant, guards)
    add_read_routes(api, assistant, guards)
    return api


def add_ask_routes(api: APIRouter, assistant: "Assistant", guards: Guards, ask_model: type[AskRequest]) -> None:
    """POST /api/ask and /api/ask/stream; `ask_model` declares the configured question length."""

    @api.post("/ask", response_model=AnswerOut, responses=ASK_ERRORS, dependencies=[Depends(guards.asking())])
    async def ask(body: ask_model) -> dict[str, Any]:  # type: ignore[valid-type]
        """Answer a question with numbered citations."""
        request = cast(AskRequest, body)
        history = [t.model_dump() for t in request.history]
        scope = read_filters(request.filters)
        answer = await guards.slots.run(
            lambda: assistant.aask(request.question, history, top_k=request.top_k, mode=request.mode, filters=scope)
        )
        return answer_json(checked(answer))

    @api.post(
        "/ask/stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "`delta` events, then `answer`"},
            **ASK_ERRORS,
        },
        dependencies=[Depends(guards.asking())],
    )
    async def ask_stream(body: ask_model) -> StreamingResponse:  # type: ignore[valid-type]
        """Server-sent events: `delta` {text} as the answer grows, then `answer` (AnswerOut); `error` on failure."""
        request = cast(AskRequest, body)
        history = [t.model_dump() for t in request.history]
        scope = read_filters(request.filters)
        # The slot and the time limit cover the work done here (retrieval, the extractive answer) up to the
        # first text; an LLM's remaining stream is remote and bounded by its own timeout.
        items = await guards.slots.run(
            lambda: answer_stream(assistant, request.question, history, request.top_k, request.mode, scope)
        )

        async def events() -> AsyncIterator[str]:
            try:
                async for item in items:
                    yield sse(answer_json(item), "answer") if isinstance(item, Answer) else sse({"text": item}, "delta")
            except Exception:
                log.exception("answer stream failed")
                yield sse(STREAM_ERROR, "error")

        return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


def add_corpus_routes(api: APIRouter, assistant: "Assistant", guards: Guards) -> None:
    """Admin: POST /api/ingest and DELETE /api/documents/{doc_id}, each audited."""

    @api.post("/ingest", responses=CHANGE_ERRORS)
    async def ingest(who: str = Depends(guards.changing())) -> dict[str, Any]:
        """Admin: index new and changed corpus files (the IngestReport); 409 while another ingest runs."""
        report = await audited(guards, who, "ingest", "", b"", lambda: assistant.ingest())
        return asdict(report)

    @api.delete("/documents/{doc_id}", responses={**CHANGE_ERRORS, **error_responses(404)})
    async def delete(doc_id: str, who: str = Depends(guards.changing())) -> dict[str, Any]:
        """Admin: remove a document's file from the corpus and its passages from the index."""
        doc = await asyncio.to_thread(assistant.document, doc_id)
        if doc is None:
            raise ApiError(404, f"no document {doc_id!r}", "not_found")
        source = Path(doc.source_path)
        data = source.read_bytes() if source.is_file() else b""  # the audit log keeps the hash of what was removed
        report = await audited(guards, who, "delete", source.name, data, lambda: assistant.delete_document(doc_id))
        return asdict(report)


def add_read_routes(api: APIRouter, assistant: "Assistant", guards: Guards) -> None:
    """GET /api/documents, /api/documents/{doc_id} and /api/health, for readers."""
    reading = [Depends(guards.reader)]

    @api.get(
        "/documents",
        response_model=list[DocumentOut],
        response_model_exclude_none=True,
        responses=READ_ERRORS,
        dependencies=reading,
    )
    async def documents() -> list[dict[str, Any]]:
        """The indexed documents with their metadata and chunk counts."""
        return [document_json(info) for info in await asyncio.to_thread(assistant.documents)]

    @api.get(
        "/documents/{doc_id}",
        response_model=DocumentOut,
        response_model_exclude_none=True,
        responses={**READ_ERRORS, **error_responses(404)},
        dependencies=reading,
    )
    async def document(doc_id: str) -> dict[str, Any]:
        """One document's metadata and full cleaned text."""
        doc = await asyncio.to_thread(assistant.document, doc_id)
        if doc is None:
            raise ApiError(404, f"no document {doc_id!r}", "not_found")
        return document_json(doc, with_text=True)

    @api.get("/health", response_model=HealthOut, responses=READ_ERRORS, dependencies=reading)
    async def health() -> dict[str, Any]:
        """Liveness plus what is indexed."""
        snap = await asyncio.to_thread(assistant.snapshot)
        return {"status": "ok" if snap.chunks else "empty", "documents": len(snap.docs), "chunks": len(snap.chunks)}


async def audited(
    guards: Guards, who: str, action: str, file: str, data: bytes, change: Callable[[], IngestReport]
) -> IngestReport:
    """Run a corpus change in a worker thread and append its outcome to the audit log (failures too)."""
    digest = audit.sha256_of(data) if data else ""
    try:
        report = await asyncio.to_thread(change)
    except Exception as exc:
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        audit.record(guards.audit, who, action, f"failed: {reason}", file, digest)
        if hasattr(exc, "reason"):  # a DocumentError: the file was rejected, the corpus is unchanged
            raise ApiError(400, f"{file}: {reason}", "rejected_document") from exc
        raise
    audit.record(
        guards.audit,
        who,
        action,
        "ok",
        file,
        digest,
        added=report.added,
        updated=report.updated,
        removed=report.removed,
    )
    return report
