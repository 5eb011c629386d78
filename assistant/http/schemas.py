"""Request and response models of the HTTP API, and the JSON of pipeline records."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from assistant.retrieve.scope import ScopeError, scope_from_filters
from assistant.types import Answer, Scope


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option fails loudly instead of being ignored
    question: str
    history: list[Turn] = Field(default_factory=list, max_length=100)
    top_k: int | None = Field(default=None, ge=1, le=50)
    mode: Literal["extractive", "llm"] | None = None
    filters: dict[str, Any] | None = None  # city, issuer, kind, date_from, date_to, doc_ids: answer from those only


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    n: int
    doc_id: str
    chunk_id: str
    title: str
    doc_number: str  # 文号
    date: str
    section: str
    text: str
    quote: str
    score: float


class AnswerOut(BaseModel):
    question: str
    text: str
    refused: bool
    refusal_kind: str
    notice: str
    mode: str
    citations: list[CitationOut]
    timings: dict[str, float]
    scope: str = ""  # the filters applied, in words ("仅在：厦门 · 2025年以后")


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    issuer: str
    doc_number: str
    date: str
    city: str
    kind: str
    file: str
    chunks: int | None = None
    text: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok", "empty"]
    documents: int
    chunks: int


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def plain_text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, … are accepted and ignored
    model: str = "policyqa"
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    top_k: int | None = Field(default=None, ge=1, le=50)
    filters: dict[str, Any] | None = None  # an extra field: as in /api/ask


class ApiError(HTTPException):
    """An HTTP error with a machine-readable type."""

    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(status_code=status, detail=message)
        self.kind = kind


def error_response(status: int, message: str, kind: str, details: list[dict] | None = None) -> JSONResponse:
    """The one error shape: {"error": {"message", "type", "code"[, "details"]}} (OpenAI-compatible)."""
    body: dict[str, Any] = {"message": message, "type": kind, "code": status}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def checked(answer: Answer) -> Answer:
    """The answer, or a 400 when the pipeline found the question unusable (empty, too long, no words)."""
    if answer.refusal_kind == "invalid_question":
        raise ApiError(400, answer.text, "invalid_question")
    return answer


def read_filters(filters: dict[str, Any] | None) -> Scope:
    """The request's filters as a Scope, or a 400 naming what cannot be read."""
    try:
        return scope_from_filters(filters)
    except ScopeError as exc:
        raise ApiError(400, str(exc), "invalid_filters") from exc


def answer_json(answer: Answer) -> dict[str, Any]:
    """The public JSON of an Answer (the AnswerOut schema)."""
    payload = {k: getattr(answer, k) for k in AnswerOut.model_fields if k != "citations"}
    return {**payload, "citations": [CitationOut(**asdict(c)).model_dump() for c in answer.citations]}


def document_json(info: Any, with_text: bool = False) -> dict[str, Any]:
    """A DocumentInfo (or a bare Document) as DocumentOut JSON; only the file name, never the server path."""
    doc = getattr(info, "document", info)
    fields = {k: getattr(doc, k) for k in ("doc_id", "title", "issuer", "doc_number", "date", "city", "kind")}
    out = DocumentOut(**fields, file=Path(doc.source_path).name, chunks=getattr(info, "chunks", None))
    return out.model_dump(exclude_none=True) | ({"text": doc.text} if with_text else {})
