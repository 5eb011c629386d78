"""The index: a SQLite chunk store, Chroma vectors (via llama-index) and BM25; incremental by content hash.

Consistency: a document is written to the chunk store as `pending`, its vectors are replaced in
Chroma, and only then is it marked `ready`. Readers see ready documents only, so a crash mid-ingest
(even kill -9) leaves the previous state visible and the document is re-ingested on the next run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from assistant.ingest.embed import CachedEmbedder
from assistant.lang.lexicon import Lexicon
from assistant.types import Chunk, Document

log = logging.getLogger("assistant.ingest.store")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, content_hash TEXT, status TEXT, meta TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT, position INTEGER, text TEXT, section TEXT,
    start INTEGER, end_ INTEGER, kind TEXT, tokens TEXT);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


class IndexBusyError(RuntimeError):
    """Another process is ingesting into the same index."""


class IndexCorruptError(RuntimeError):
    """The index files cannot be read; delete the index directory and ingest again."""


def indexed_text(doc: Document, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed: the chunk under its city and section path.

    Not the title: a title repeated on every chunk makes every chunk of a document match its topic.
    """
    section = "" if chunk.kind == "table_row" else chunk.section  # a row already starts with its caption
    context = " | ".join(x for x in (doc.city, section) if x)
    return f"{context}\n{chunk.text}" if context else chunk.text


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the ready documents, with a BM25 index over their chunks."""

    docs: dict[str, Document]
    chunks: dict[str, Chunk]
    chunk_ids: list[str]
    bm25: Any  # bm25s.BM25, or None when the index is empty
    df: dict[str, int]  # in how many chunks each BM25 token occurs


def open_vector_store(settings: Any) -> Any:
    """A llama-index ChromaVectorStore: embedded PersistentClient, or HttpClient when a host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    else:
        client = chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    # No embedding function: Chroma must never embed (its default model would be downloaded).
    collection = client.get_or_create_collection(
        settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    return ChromaVectorStore(chroma_collection=collection)


def forget_local_client(path: Path) -> None:
    """Drop chromadb's cached client of a local folder: it keeps one even when opening the folder failed."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


class ChunkStore:
    """SQLite tables of documents (with hash and status) and chunks (with BM25 tokens)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{path}: {exc}") from exc
        self._lock = threading.Lock()

    def hashes(self) -> dict[str, tuple[str, str]]:
        with self._lock, self._readable():
            rows = self._db.execute("SELECT doc_id, content_hash, status FROM docs").fetchall()
        return {doc_id: (content_hash, status) for doc_id, content_hash, status in rows}

    def chunk_ids(self) -> dict[str, set[str]]:
        """Chunk ids by document, whatever the document's status."""
        with self._lock, self._readable():
            rows = self._db.execute("SELECT doc_id, chunk_id FROM chunks").fetchall()
        found: dict[str, set[str]] = {}
        for doc_id, chunk_id in rows:
            found.setdefault(doc_id, set()).add(chunk_id)
        return found

    @contextmanager
    def _readable(self) -> Iterator[None]:
        """One read transaction (a consistent view while another process writes); damage is IndexCorruptError."""
        try:
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                self._db.rollback()
        except sqlite3.OperationalError:
            raise  # locked or busy: not damage
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(
                f"the chunk store is damaged ({exc}); restart to set it aside and rebuild the index"
            ) from exc

    def put_pending(self, doc: Document, stamp: str, chunks: Sequence[Chunk], tokens: Sequence[list[str]]) -> None:
        rows = [
            (c.chunk_id, c.doc_id, c.position, c.text, c.section, c.start, c.end, c.kind, json.dumps(t))
            for c, t in zip(chunks, tokens, strict=True)
        ]
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.doc_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, 'pending', ?)",
                (doc.doc_id, stamp, json.dumps(asdict(doc), ensure_ascii=False)),
            )
            self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def mark_ready(self, doc_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE docs SET status = 'ready' WHERE doc_id = ?", (doc_id,))

    def remove(self, doc_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,))

    def load_ready(self) -> tuple[dict[str, Document], list[Chunk], list[list[str]]]:
        with self._lock, self._readable():
            doc_rows = self._db.execute("SELECT meta FROM docs WHERE status = 'ready'").fetchall()
            chunk_rows = self._db.execute(
                "SELECT c.chunk_id, c.doc_id, c.position, c.text, c.section, c.start, c.end_, c.kind, c.tokens"
                " FROM chunks c JOIN docs d ON c.doc_id = d.doc_id WHERE d.status = 'ready'"
                " ORDER BY c.doc_id, c.position"
            ).fetchall()
        docs = {d.doc_id: d for d in (Document(**json.loads(meta)) for (meta,) in doc_rows)}
        chunks = [
            Chunk(chunk_id=r[0], doc_id=r[1], position=r[2], text=r[3], section=r[4], start=r[5], end=r[6], kind=r[7])
            for r in chunk_rows
        ]
        tokens = [json.loads(row[8]) for row in chunk_rows]
        return docs, chunks, tokens


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    errors: list[str]
    chunks_embedded: int
    seconds: float


# Bump when chunking or indexed_text() changes, so existing indexes are rebuilt.
INDEX_FORMAT = "6"


class Index:
    """Chunk store + vector store + BM25, kept consistent by content hash."""

    def __init__(
        self,
        index_dir: Path,
        vector_store: Any,
        embedder: CachedEmbedder,
        lexicon: Lexicon,
        chunk_max_tokens: int = 320,
    ) -> None:
        self.index_dir = index_dir
        # A document is current only if its file and the way it was indexed are both unchanged.
        # The glossary shapes BM25 tokens: editing it re-indexes (cheaply: embeddings are cached by text).
        self.fingerprint = f"{INDEX_FORMAT}/{embedder.name}/{chunk_max_tokens}/{lexicon.digest}"
        self.store = ChunkStore(index_dir / "chunks.sqlite")
        self.vector_store = vector_store
        self.embedder = embedder
        self.lexicon = lexicon
        self.recovered: list[str] = []  # what open_index() set aside as damaged, for surfaces to show

    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """An exclusive, non-blocking lock across processes; a second ingest fails with a clear message."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / "ingest.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(
                    f"another ingest is already running on {self.index_dir}; try again when it finishes"
                ) from exc
            handle.write(str(os.getpid()))
            handle.flush()
            yield

    def plan(self, documents: Sequence[Document]) -> tuple[list[Document], list[str], list[str]]:
        """(documents to (re)index, doc ids to remove, doc ids unchanged).

        A document whose vectors are missing (a deleted or replaced Chroma folder) is not current.
        """
        known = self.store.hashes()
        wanted = {d.doc_id for d in documents}
        damaged, orphans = self.missing_vectors()
        self.delete_vectors(orphans)  # safe: plan() runs under the ingest lock, so nothing is being written

        def current(d: Document) -> bool:
            return d.doc_id not in damaged and known.get(d.doc_id) == (f"{d.content_hash}/{self.fingerprint}", "ready")

        todo = [d for d in documents if not current(d)]
        unchanged = [d.doc_id for d in documents if current(d)]
        return todo, sorted(set(known) - wanted), unchanged

    def write_document(self, doc: Document, chunks: Sequence[Chunk], on_embedded: Callable[[int], None]) -> int:
        """Replace one document's chunks and vectors; returns the number of chunks."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        texts = [indexed_text(doc, c) for c in chunks]
        tokens = [self.lexicon.tokenize(t) for t in texts]
        vectors = self.embedder.embed_passages(texts, on_batch=on_embedded)
        self.store.put_pending(doc, f"{doc.content_hash}/{self.fingerprint}", chunks, tokens)
        self.vector_store.delete(doc.doc_id)
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=c.text,
                embedding=vectors[i].tolist(),
                metadata={"doc_id": doc.doc_id, "section": c.section, "position": c.position},
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc.doc_id)},
            )
            for i, c in enumerate(chunks)
        ]
        if nodes:
            self.vector_store.add(nodes)
        self.store.mark_ready(doc.doc_id)
        return len(chunks)

    def missing_vectors(self) -> tuple[set[str], list[str]]:
        """(documents with chunks the vector store lacks, ids of vectors that belong to no stored chunk)."""
        collection = getattr(self.vector_store, "client", None)  # ChromaVectorStore's collection
        if collection is None:
            return set(), []
        present = set(collection.get(include=[])["ids"])
        by_doc = self.store.chunk_ids()
        orphans = sorted(present.difference(*by_doc.values()))
        return {doc_id for doc_id, ids in by_doc.items() if not ids <= present}, orphans

    def delete_vectors(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 1000):
            self.vector_store.client.delete(ids=list(ids[start : start + 1000]))

    def remove_document(self, doc_id: str) -> None:
        self.vector_store.delete(doc_id)
        self.store.remove(doc_id)

    def snapshot(self) -> Snapshot:
        """Read the ready documents and build BM25 over their stored tokens."""
        docs, chunks, tokens = self.store.load_ready()
        bm25 = None
        df: Counter[str] = Counter()
        for token_list in tokens:
            df.update(set(token_list))
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index([t or ["\u2205"] for t in tokens], show_progress=False)
        return Snapshot(
            docs=docs,
            chunks={c.chunk_id: c for c in chunks},
            chunk_ids=[c.chunk_id for c in chunks],
            bm25=bm25,
            df=dict(df),
        )

    def dense_search(
        self, query_vector: np.ndarray, k: int, doc_ids: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, only of `doc_ids` when given (a Chroma `where`)."""
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        where = (
            MetadataFilters(filters=[MetadataFilter(key="doc_id", value=sorted(doc_ids), operator=FilterOperator.IN)])
            if doc_ids
            else None
        )
        try:
            result = self.vector_store.query(
                VectorStoreQuery(query_embedding=query_vector.tolist(), similarity_top_k=k, filters=where)
            )
        except Exception as exc:  # a damaged or unreachable vector store: keyword search still answers
            log.warning("dense search failed, answering from keyword search alone: %s", exc)
            return []
        # ChromaVectorStore reports exp(-distance); with cosine distance that inverts to 1 + ln(s).
        return [
            (i, 1.0 + math.log(max(s, 1e-12))) for i, s in zip(result.ids or [], result.similarities or [], strict=True)
        ]
