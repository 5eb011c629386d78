"""A small OpenAI-compatible server on 127.0.0.1 that replies from a script and records every prompt."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class Reply:
    """One scripted reply: text (or a function of the received messages), an optional delay, or garbage."""

    content: str | Callable[[Messages], str] = ""
    delay: float = 0.0
    garbage: bool = False  # answer 200 with a body that is not a completion


class FakeOpenAI:
    """/v1/chat/completions (plain and streamed) and /v1/models; replies are taken from a queue in order."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._completions)
        self.app.get("/v1/models")(self._models)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies (a plain string is a reply with that text)."""
        self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

    @property
    def prompts(self) -> list[Messages]:
        """The messages of every request received, in order."""
        return [r["messages"] for r in self.requests]

    def start(self) -> FakeOpenAI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]}

    async def _completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if not self.replies:
            return JSONResponse({"error": {"message": "no scripted reply left", "type": "fake"}}, status_code=500)
        reply = self.replies.popleft()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.garbage:
            return PlainTextResponse("<html>502 Bad Gateway</html>", media_type="application/json")
        text = reply.content(body["messages"]) if callable(reply.content) else reply.content
        if body.get("stream"):
            return StreamingResponse(self._chunks(text), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _chunks(self, text: str):
        pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}, *({"content": p} for p in pieces)]
        for i, delta in enumerate([*deltas, {}]):
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if i == len(deltas) else None}],
            }
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            await asyncio.sleep(0)
        yield "data: [DONE]\n\n"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
