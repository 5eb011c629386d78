"""The HTTP API under bounded load: 200 requests from 16 concurrent clients, a fifth of them malformed."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from servers import generous, serve_asgi

from assistant import Assistant
from assistant.http import create_app

pytestmark = pytest.mark.slow  # the session assistant indexes the full corpus
LIMIT = 64 * 1024
CLIENTS = 16
PILOT = "中试基地能获得什么补贴？"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Call:
    """One request of the load: what it sends and which statuses are right for it."""

    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] | None = None

    @property
    def well_formed(self) -> bool:
        return not self.kind.startswith("bad:")


def ask(question: str, **extra: object) -> bytes:
    return json.dumps({"question": question, **extra}, ensure_ascii=False).encode()


WELL_FORMED = [
    Call("ask-zh", "POST", "/api/ask", ask(PILOT), JSON),
    Call("ask-zh", "POST", "/api/ask", ask("厦门科技成果转化信用贷最高多少？"), JSON),
    Call("ask-en", "POST", "/api/ask", ask("What is Quanzhou's R&D spending target?"), JSON),
    Call("ask-unanswerable", "POST", "/api/ask", ask("深圳对中试基地有什么补贴？"), JSON),
    Call(
        "ask-followup",
        "POST",
        "/api/ask",
        ask("那厦门呢？", history=[{"role": "user", "content": PILOT}, {"role": "assistant", "content": "……"}]),
        JSON,
    ),
    Call("ask-top-k", "POST", "/api/ask", ask(PILOT, top_k=3), JSON),
    Call("stream", "POST", "/api/ask/stream", ask(PILOT), JSON),
    Call(
        "chat",
        "POST",
        "/v1/chat/completions",
        json.dumps({"model": "policyqa", "messages": [{"role": "user", "content": PILOT}]}).encode(),
        JSON,
    ),
    Call("chat-no-user", "POST", "/v1/chat/completions", b'{"messages": [{"role": "system", "content": "x"}]}', JSON),
    Call("health", "GET", "/api/health"),
    Call("documents", "GET", "/api/documents"),
]
MALFORMED = [
    Call("bad:json", "POST", "/api/ask", b'{"question": ', JSON),
    Call("bad:not-utf8", "POST", "/api/ask", b'{"question": "\xff\xfe"}', JSON),
    Call("bad:array", "POST", "/api/ask", b"[]", JSON),
    Call("bad:type", "POST", "/api/ask", b'{"question": 5}', JSON),
    Call("bad:missing", "POST", "/api/ask", b"{}", JSON),
    Call("bad:extra-field", "POST", "/api/ask", ask(PILOT, colour="red"), JSON),
    Call("bad:history", "POST", "/api/ask", ask(PILOT, history="abc"), JSON),
    Call("bad:history-turn", "POST", "/api/ask", ask(PILOT, history=[{"role": "robot", "content": None}]), JSON),
    Call("bad:top-k", "POST", "/api/ask", ask(PILOT, top_k=0), JSON),
    Call("bad:empty", "POST", "/api/ask", ask(""), JSON),
    Call("bad:blank", "POST", "/api/ask", ask(" \u3000\n"), JSON),
    Call("bad:no-words", "POST", "/api/ask", ask("？？？😀"), JSON),
    Call("bad:too-long", "POST", "/api/ask", ask("补贴" * 5000), JSON),
    Call("bad:huge-body", "POST", "/api/ask", ask("补" * 40_000), JSON),
    Call("bad:nested", "POST", "/api/ask", b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}", JSON),
    Call("bad:form", "POST", "/api/ask", b"question=x", {"content-type": "application/x-www-form-urlencoded"}),
    Call("bad:method", "GET", "/api/ask"),
    Call("bad:stream-empty", "POST", "/api/ask/stream", ask(""), JSON),
    Call("bad:chat-empty", "POST", "/v1/chat/completions", b'{"messages": []}', JSON),
]


def load_plan(total: int = 200, malformed_share: float = 0.2) -> list[Call]:
    rng = random.Random(6)
    bad = round(total * malformed_share)
    calls = [MALFORMED[i % len(MALFORMED)] for i in range(bad)]
    calls += [WELL_FORMED[i % len(WELL_FORMED)] for i in range(total - bad)]
    rng.shuffle(calls)
    return calls


@pytest.fixture(scope="module")
def base_url(assistant: Assistant) -> Iterator[str]:
    with serve_asgi(create_app(assistant, max_body_bytes=LIMIT, guards=generous(assistant.settings))) as url:
        yield url


async def run_load(base_url: str, calls: list[Call]) -> list[tuple[Call, httpx.Response | Exception]]:
    queue: asyncio.Queue[Call] = asyncio.Queue()
    for call in calls:
        queue.put_nowait(call)
    results: list[tuple[Call, httpx.Response | Exception]] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while not queue.empty():
                call = queue.get_nowait()
                try:
                    response = await http.request(call.method, call.path, content=call.body, headers=call.headers)
                    await response.aread()
                    results.append((call, response))
                except Exception as exc:  # a dropped connection is a failure to report, not to raise
                    results.append((call, exc))

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return results


async def test_load_with_malformed_requests_fails_no_well_formed_one(base_url: str, assistant: Assistant) -> None:
    calls = load_plan()
    started = time.perf_counter()
    results = await run_load(base_url, calls)
    seconds = time.perf_counter() - started
    assert len(results) == 200 and seconds < 60
    errors = [(c.kind, r) for c, r in results if isinstance(r, Exception)]
    assert errors == []
    good = [(c, r) for c, r in results if c.well_formed and isinstance(r, httpx.Response)]
    bad = [(c, r) for c, r in results if not c.well_formed and isinstance(r, httpx.Response)]
    assert len(bad) == 40
    assert [(c.kind, r.status_code) for c, r in good if r.status_code != 200] == []
    for call, response in good:
        if call.path == "/api/ask":
            body = response.json()
            # Under load the answers stay what they are alone: answered with citations, or (the one question
            # about a city no document covers) refused.
            if call.kind == "ask-unanswerable":
                assert body["refused"] and not body["citations"], call.kind
            else:
                assert not body["refused"] and body["citations"], call.kind
    assert [(c.kind, r.status_code) for c, r in bad if not 400 <= r.status_code < 500] == []
    for call, response in bad:
        error = response.json()["error"]
        assert error["message"] and error["code"] == response.status_code, call.kind
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        health = await http.get("/api/health")
    assert health.json() == {
        "status": "ok",
        "documents": len(assistant.snapshot().docs),
        "chunks": len(assistant.snapshot().chunks),
    }
