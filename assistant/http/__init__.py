"""HTTP API: /api/* for programs, OpenAI-compatible /v1/* for chat clients. Routing only; "/" is left free.

Errors are JSON `{"error": {"message", "type", "code"}}`: 400 malformed JSON, an invalid question
(empty, too long, no words) or a rejected upload, 401 a missing or wrong Bearer token, 403 a corpus
change from another machine while no admin token is set, 404 unknown document, route or model, 405
(with `Allow`) a wrong method, 409 another ingest holds the index lock, 413 a body over
`api_max_body_bytes`, 422 a well-formed body of the wrong shape, 429 (with `Retry-After`) over a rate
limit, 503 no answer slot free, 504 an answer over its time limit, 500 anything unexpected (logged
server-side; no traceback in the response). See docs/serving.md and docs/security.md.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.http.limits import Guards
from assistant.http.openai_compat import openai_routes
from assistant.http.routes import api_routes
from assistant.http.schemas import QUESTION_ERRORS, error_response
from assistant.ingest.store import IndexBusyError

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

log = logging.getLogger("assistant.http")
API_PREFIXES = ("/api/", "/v1/")
_KINDS = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class DeclaredSizeLimit:
    """Answers 413 (JSON) before reading a body whose Content-Length is over the limit, on API paths only.

    Bodies without a Content-Length (chunked) are cut off by the routers' own `max_body_size` as they
    stream in. Other paths (a mounted Gradio app and its uploads) keep their own limits.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIXES):
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                message = f"request body of {int(declared)} bytes is over the limit of {self.max_body_bytes}"
                response = error_response(413, message, "request_too_large")
                response.headers["Connection"] = "close"  # the unread body must not be parsed as a next request
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first matching route's)."""
    methods: set[str] = set()
    pending = list(app.router.routes)
    while pending:
        route = pending.pop()
        inner = getattr(route, "original_router", None)  # FastAPI wraps included routers
        if inner is not None:
            pending.extend(inner.routes)
        elif (pattern := getattr(route, "path_regex", None)) is not None and pattern.match(scope["path"]):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def create_app(assistant: Assistant, max_body_bytes: int | None = None, guards: Guards | None = None) -> FastAPI:
    """The FastAPI app over an Assistant (mount Gradio on it at "/" with gr.mount_gradio_app if wanted).

    `guards` (auth, rate limits, answer slots, audit log) default to what the assistant's settings say.
    """
    settings = getattr(assistant, "settings", None)  # tests' stand-ins may have no settings
    limit = max_body_bytes if max_body_bytes is not None else getattr(settings, "api_max_body_bytes", 1 << 20)
    app = FastAPI(
        title="Policy QA assistant",
        version="1.0",
        summary="Cited, verbatim answers over Chinese S&T policy documents",
    )
    guards = guards or Guards.from_settings(settings)
    app.state.guards = guards
    app.include_router(api_routes(assistant, limit, guards))
    app.include_router(openai_routes(assistant, limit, guards))
    app.add_middleware(DeclaredSizeLimit, max_body_bytes=limit)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = getattr(exc, "kind", _KINDS.get(exc.status_code, "http_error"))
        headers = dict(exc.headers or {})  # Allow on a 405, Retry-After on a 429, WWW-Authenticate on a 401
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return error_response(exc.status_code, str(exc.detail), kind, headers=headers, code=getattr(exc, "code", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(400, "the request body is not valid JSON", "invalid_json", details)
        if details and all(d["loc"] == ["body", "question"] and d["type"] in QUESTION_ERRORS for d in details):
            blank = not str(exc.errors()[0].get("input", "")).strip()
            message = QUESTION_ERRORS["string_too_short" if blank else str(details[0]["type"])]
            return error_response(400, message, "invalid_question", details)
        return error_response(
            422, "the request does not match the schema; see details", "invalid_request_error", details
        )

    @app.exception_handler(IndexBusyError)
    async def index_busy(request: Request, exc: IndexBusyError) -> JSONResponse:
        return error_response(409, str(exc), "index_busy")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal server error", "server_error")

    return app


__all__ = ["create_app"]
