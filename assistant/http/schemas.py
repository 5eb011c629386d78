"""Request and response models of the HTTP API, and the JSON of pipeline records."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException

from assistant.library import DocumentInfo
from assistant.retrieve.scope import ScopeError, scope_from_filters
from assistant.types import Answer, Document, Scope


def _json_integer(value: Any) -> Any:
    """3.0 is an integer in JSON Schema; strict mode would refuse it (and still refuses "3" and true)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


TopK = Annotated[int, Field(ge=1, le=50), BeforeValidator(_json_integer)]
TokenCount = Annotated[int, Field(ge=1), BeforeValidator(_json_integer)]


class Turn(BaseModel):
    model_config = ConfigDict(strict=True)  # requests are checked as the schema reads: no "3" for 3, no 0 for false
    role: Literal["user", "assistant"]
    content: str


# A letter or a digit in Python's sense (Unicode L*/N*): the pipeline's own test for a question it can search.
HAS_WORDS = r"[^\W_]"


Names = str | list[str]
DATE = r"^(?:19|20)\d{2}(?:-(?:0?[1-9]|1[0-2])(?:-(?:0?[1-9]|[12]\d|3[01]))?)?$"
Day = Annotated[str, Field(pattern=DATE)] | Annotated[int, Field(ge=1900, le=2099), BeforeValidator(_json_integer)]


class FiltersIn(BaseModel):
    """Answer from these documents only; singular and plural keys alike (city or cities, …)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")
    city: Names | None = None
    cities: Names | None = None
    issuer: Names | None = None
    issuers: Names | None = None
    kind: Names | None = Field(
        default=None, description="reply/答复, plan/规划, news/新闻, notice/通知, measures/政策措施"
    )
    kinds: Names | None = None
    doc_id: Names | None = None
    doc_ids: Names | None = None
    date_from: Day | None = Field(default=None, description="inclusive: 2025, 2025-05 or 2025-05-20")
    date_to: Day | None = None


class AskRequest(BaseModel):
    # extra="forbid": a misspelt option fails loudly; python-re: the pattern means what the pipeline and
    # the schema's readers (hypothesis, schemathesis) take it to mean
    model_config = ConfigDict(extra="forbid", regex_engine="python-re", strict=True)
    question: str = Field(min_length=1, pattern=HAS_WORDS)
    history: list[Turn] = Field(default_factory=list, max_length=100)
    top_k: TopK | None = None
    mode: Literal["extractive", "llm"] | None = None
    filters: FiltersIn | None = None  # answer from those documents only


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
    model_config = ConfigDict(strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def plain_text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


# Pydantic's error type for each question limit the schema declares → the pipeline's 400 message for it.
QUESTION_ERRORS = {
    "string_too_short": "问题为空，请输入一个问题。 / The question is empty.",
    "string_too_long": "问题过长，请缩短后再问。 / The question is too long.",
    "string_pattern_mismatch": "问题中没有文字，请换一种问法。 / The question has no words in it.",
}


def ask_request_model(max_question_chars: int) -> type[AskRequest]:
    """AskRequest whose schema declares the configured question length limit."""
    question = Annotated[str, Field(min_length=1, max_length=max_question_chars, pattern=HAS_WORDS)]
    return create_model("AskRequest", __base__=AskRequest, question=(question, ...))


class StreamOptions(BaseModel):
    model_config = ConfigDict(strict=True)
    include_usage: bool = False  # a last chunk with empty choices and the usage, as OpenAI sends it


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # temperature, top_p, … are accepted and ignored
    model: str = Field(default="policyqa", examples=["policyqa"])
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: TokenCount | None = Field(default=None, description="cut the answer at the last sentence that fits")
    max_completion_tokens: TokenCount | None = Field(default=None, description="the newer name of max_tokens")
    top_k: TopK | None = None
    filters: FiltersIn | None = Field(default=None, description="an extra field: as in /api/ask")


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    message: str
    type: str
    code: int | str
    details: list[dict[str, Any]] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


_WHEN = {
    400: "malformed JSON, or a question the pipeline cannot search",
    401: "missing or invalid Bearer token (admin token or API key)",
    403: "corpus change from a non-loopback client while no admin token is configured",
    404: "unknown document, route or model",
    409: "another ingest holds the index lock",
    413: "request body over the configured limit",
    422: "well-formed JSON of the wrong shape; `details` lists each field",
    429: "over this client's rate limit; retry after `Retry-After` seconds",
    503: "every answer slot is busy for longer than the queue timeout",
    504: "the answer took longer than the answer timeout",
}
_RETRY = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all in the ErrorOut shape."""
    return {
        s: {"model": ErrorOut, "description": _WHEN[s], **({"headers": _RETRY} if s in (429, 503) else {})}
        for s in statuses
    }


class ApiError(HTTPException):
    """An HTTP error with a machine-readable type (and headers such as Retry-After or WWW-Authenticate)."""

    def __init__(
        self, status: int, message: str, kind: str, headers: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.kind = kind
        self.code = code


def error_response(
    status: int,
    message: str,
    kind: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    """The one error shape: {"error": {"message", "type", "code"[, "details"]}} (OpenAI-compatible).

    `code` is the HTTP status unless a string code is given (OpenAI's "model_not_found").
    """
    body: dict[str, Any] = {"message": message, "type": kind, "code": code or status}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def checked(answer: Answer) -> Answer:
    """The answer, or a 400 when the pipeline found the question unusable (empty, too long, no words)."""
    if answer.refusal_kind == "invalid_question":
        raise ApiError(400, answer.text, "invalid_question")
    return answer


def read_filters(filters: FiltersIn | None) -> Scope:
    """The request's filters as a Scope, or a 400 naming what cannot be read."""
    try:
        return scope_from_filters(filters.model_dump(exclude_none=True) if filters is not None else None)
    except ScopeError as exc:
        raise ApiError(400, str(exc), "invalid_filters") from exc


def answer_json(answer: Answer) -> dict[str, Any]:
    """The public JSON of an Answer (the AnswerOut schema)."""
    payload = {k: getattr(answer, k) for k in AnswerOut.model_fields if k != "citations"}
    return {**payload, "citations": [CitationOut(**asdict(c)).model_dump() for c in answer.citations]}


def document_json(info: DocumentInfo | Document, with_text: bool = False) -> dict[str, Any]:
    """A DocumentInfo (or a bare Document) as DocumentOut JSON; only the file name, never the server path."""
    doc, chunks = (info.document, info.chunks) if isinstance(info, DocumentInfo) else (info, None)
    fields = {k: getattr(doc, k) for k in ("doc_id", "title", "issuer", "doc_number", "date", "city", "kind")}
    out = DocumentOut(**fields, file=Path(doc.source_path).name, chunks=chunks)
    return out.model_dump(exclude_none=True) | ({"text": doc.text} if with_text else {})
