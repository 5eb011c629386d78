"""The index: a SQLite chunk store, Chroma vectors and BM25 on disk; incremental by content hash.

Consistency: a document is written to the chunk store as `pending`, its vectors are replaced in
Chroma, and only then is it marked `ready`. Readers see ready documents only, so a crash mid-ingest
(even kill -9) leaves the previous state visible and the document is re-ingested on the next run.
An ingest that changed anything writes a new BM25 generation and bumps the store's generation number;
every process over the same folder reloads its snapshot when it sees the new number.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.ingest.chunkstore import ChunkStore, FileStamp, IndexCorruptError
from assistant.ingest.embed import CachedEmbedder
from assistant.ingest.snapshot import Snapshot, prune_generations, read_snapshot, write_bm25
from assistant.lang.lexicon import Lexicon
from assistant.settings import Settings
from assistant.types import Chunk, Document

__all__ = ["ChunkStore", "Index", "IndexBusyError", "IndexCorruptError", "IngestReport", "Snapshot", "indexed_text"]

log = logging.getLogger("assistant.ingest.store")


class IndexBusyError(RuntimeError):
    """Another process is ingesting into the same index."""


def indexed_text(doc: Document, chunk: Chunk) -> str:
    """What is embedded and keyword-indexed: the chunk under its city and section path.

    Not the title: a title repeated on every chunk makes every chunk of a document match its topic.
    """
    section = "" if chunk.kind == "table_row" else chunk.section  # a row already starts with its caption
    context = " | ".join(x for x in (doc.city, section) if x)
    return f"{context}\n{chunk.text}" if context else chunk.text


@dataclass(frozen=True)
class VectorStore:
    """The Chroma collection, as `client` (the attribute llama-index's ChromaVectorStore gives it)."""

    client: Any


def open_vector_store(settings: Settings) -> VectorStore:
    """The Chroma collection: embedded PersistentClient, or HttpClient when a host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    else:
        client = chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    # No embedding function: Chroma must never embed (its default model would be downloaded).
    collection = client.get_or_create_collection(
        settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    return VectorStore(collection)


def forget_local_client(path: Path) -> None:
    """Drop chromadb's cached client of a local folder: it keeps one even when opening the folder failed.

    The one adapter that touches another library's private state: chromadb offers only clear_system_cache(),
    which would drop every client of the process (a Chroma server's too), not the one of a damaged folder.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


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


# Bump when chunking, indexed_text() or the store's layout changes, so existing indexes are rebuilt
# (from the embedding cache: nothing is embedded again). 7: lazy store, BM25 generations on disk.
# 8: chunk ids are content hashes (`{doc_id}#{sha1[:12]}`), no longer positions.
# 9: Markdown pipe tables and tables with no "表 N" caption are chunked as table rows.
# 10: documents keep the short names their text defines (Document.aliases) and the issuer a title opens with.
# 11: tokens: question words on 哪/几 dropped; an unknown two-character word ending in a stopword cut to its head.
INDEX_FORMAT = "11"


class Index:
    """Chunk store + vector store + BM25, kept consistent by content hash."""

    def __init__(
        self,
        index_dir: Path,
        vector_store: VectorStore,
        embedder: CachedEmbedder,
        lexicon: Lexicon,
        chunk_max_tokens: int = 320,
        recovered: list[str] | None = None,
    ) -> None:
        self.index_dir = index_dir
        # A document is current only if its file and the way it was indexed are both unchanged.
        # The glossary shapes BM25 tokens: editing it re-indexes (cheaply: embeddings are cached by text).
        self.fingerprint = f"{INDEX_FORMAT}/{embedder.name}/{chunk_max_tokens}/{lexicon.digest}"
        self.store = ChunkStore(index_dir / "chunks.sqlite")
        self.vector_store = vector_store
        self.embedder = embedder
        self.lexicon = lexicon
        # What open_index() set aside or found damaged, for surfaces to show.
        self.recovered: list[str] = recovered if recovered is not None else []

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

    def current_files(self, damaged: set[str]) -> dict[str, FileStamp]:
        """Files indexed the current way, by path: one with the same size and mtime is not read again."""
        stamps = self.store.file_stamps(f"/{self.fingerprint}")
        return {path: s for path, s in stamps.items() if s.document.doc_id not in damaged}

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

    def write_document(
        self,
        doc: Document,
        chunks: Sequence[Chunk],
        on_embedded: Callable[[int], None],
        file: tuple[int, int] = (-1, -1),
        known: bool = True,
    ) -> int:
        """Replace one document's chunks and vectors; returns the number of chunks.

        `file` is the file's (size, mtime_ns); a document not `known` to the store has no old vectors to delete.
        """
        texts = [indexed_text(doc, c) for c in chunks]
        tokens = [self.lexicon.tokenize(t) for t in texts]
        vectors = self.embedder.embed_passages(texts, on_batch=on_embedded)
        self.store.put_pending(doc, f"{doc.content_hash}/{self.fingerprint}", chunks, tokens, file)
        collection = self.vector_store.client
        if known:  # a filtered delete scans the collection's metadata: skipped for a new document
            collection.delete(where={"doc_id": doc.doc_id})
        if chunks:
            # The keys llama-index's ChromaVectorStore writes, so its delete(doc_id) still applies.
            metadatas = [
                {"doc_id": doc.doc_id, "document_id": doc.doc_id, "ref_doc_id": doc.doc_id, "position": c.position}
                for c in chunks
            ]
            collection.add(ids=[c.chunk_id for c in chunks], embeddings=vectors, metadatas=metadatas)
        self.store.mark_ready(doc.doc_id)
        return len(chunks)

    def missing_vectors(self) -> tuple[set[str], list[str]]:
        """(documents with chunks the vector store lacks, ids of vectors that belong to no stored chunk).

        When Chroma holds as many vectors as the store holds chunks they are taken to match, without
        listing either (at 400,000 chunks a listing takes seconds).
        """
        collection = getattr(self.vector_store, "client", None)  # ChromaVectorStore's collection
        if collection is None or collection.count() == self.store.count_chunks():
            return set(), []
        present = set(collection.get(include=[])["ids"])
        by_doc = self.store.chunk_ids()
        orphans = sorted(present.difference(*by_doc.values()))
        return {doc_id for doc_id, ids in by_doc.items() if not ids <= present}, orphans

    def delete_vectors(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 1000):
            self.vector_store.client.delete(ids=list(ids[start : start + 1000]))

    def remove_document(self, doc_id: str) -> None:
        self.vector_store.client.delete(where={"doc_id": doc_id})
        self.store.remove(doc_id)

    @property
    def generation(self) -> int:
        """The published generation: bumped by every ingest that changed the index."""
        return self.store.state("generation")

    def publish(self, changed: bool) -> int:
        """After an ingest: write BM25 for a new generation when anything changed (or a build is missing)."""
        generation = self.generation
        folder = self.index_dir / "bm25" / f"g{generation}"
        if not (changed or self.store.state("dirty") or not folder.exists()):
            return generation
        # Past any folder left by an earlier chunk store (one set aside as damaged, or emptied).
        existing = [int(f.name[1:]) for f in (self.index_dir / "bm25").glob("g*") if f.name[1:].isdigit()]
        generation = max([generation, *existing]) + 1
        if self.store.count_chunks(ready_only=True):
            write_bm25(self.store, self.index_dir / "bm25" / f"g{generation}")
        self.store.publish(generation)
        prune_generations(self.index_dir / "bm25", keep_from=generation - 1)
        return generation

    def snapshot(self) -> Snapshot:
        """The ready documents at the published generation, with its BM25 memory-mapped."""
        return read_snapshot(self.store, self.index_dir / "bm25", self.generation)

    def dense_search(
        self, query_vector: np.ndarray, k: int, doc_ids: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks: Chroma's collection, ids and distances only;
        only of `doc_ids` when given (a Chroma `where`, so a small scope still fills its k)."""
        where = {"doc_id": {"$in": sorted(doc_ids)}} if doc_ids else None
        try:
            result = self.vector_store.client.query(
                query_embeddings=[np.asarray(query_vector, dtype=np.float32)],
                n_results=k,
                include=["distances"],
                where=where,
            )
        except Exception as exc:  # a damaged or unreachable vector store: keyword search still answers
            log.warning("dense search failed, answering from keyword search alone: %s", exc)
            return []
        ids, distances = result["ids"][0], result["distances"][0]
        self.store.chunks(ids)  # one query for all of them, instead of one per `in snap.chunks` that follows
        # 1 - distance, computed as llama-index did (through exp and log) so that ties and rankings are kept.
        return [(i, 1.0 + math.log(max(math.exp(-float(d)), 1e-12))) for i, d in zip(ids, distances, strict=True)]
