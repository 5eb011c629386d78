"""A view of the index that reads lazily: BM25 memory-mapped from disk, chunks and texts from the chunk store.

Memory grows with the hits, not the corpus: a bounded LRU of chunks, the BM25 score matrix as memory
maps (pages are touched only for a question's tokens), the vocabulary and document frequencies in a
small SQLite file. Each ingest writes a new generation folder `bm25/g<n>/`; readers switch on reload.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from assistant.ingest.chunkstore import ChunkStore
from assistant.types import Chunk, Document

EMPTY_TOKEN = "\u2205"  # stands in for a chunk without tokens (bm25s cannot index an empty list)


class LazyChunks(Mapping[str, Chunk]):
    """Chunks of the snapshot's documents, read from the store on demand (through its bounded cache)."""

    def __init__(self, store: ChunkStore, docs: Mapping[str, Document], count: int) -> None:
        self._store, self._docs, self._count = store, docs, count

    def __getitem__(self, chunk_id: str) -> Chunk:
        chunk = self._store.chunks([chunk_id]).get(chunk_id) if isinstance(chunk_id, str) else None
        if chunk is None or chunk.doc_id not in self._docs:  # written after this snapshot: not visible yet
            raise KeyError(chunk_id)
        return chunk

    def __contains__(self, chunk_id: object) -> bool:
        try:
            self[chunk_id]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return (c for c in self._store.ready_chunk_ids() if c.rsplit("#", 1)[0] in self._docs)


class TokenTable(Mapping[str, int]):
    """One column (BM25 token id, or document frequency) of a generation's vocabulary, looked up in SQLite."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, column: str) -> None:
        self._db, self._lock, self._column = db, lock, column

    def __getitem__(self, token: str) -> int:
        with self._lock:
            row = self._db.execute(f"SELECT {self._column} FROM vocab WHERE token = ?", (token,)).fetchone()
        if row is None or (self._column == "df" and not row[0]):
            raise KeyError(token)
        return int(row[0])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vocab").fetchone()[0])

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            tokens = [t for (t,) in self._db.execute("SELECT token FROM vocab")]
        return iter(tokens)


class RowIds(Sequence[str]):
    """The chunk id of each BM25 row, memory-mapped."""

    def __init__(self, path: Path) -> None:
        self._ids = np.load(path, mmap_mode="r")

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [x.decode() for x in self._ids[i]]
        return bytes(self._ids[int(i)]).decode()


@dataclass(frozen=True)
class Snapshot:
    """A consistent view of the ready documents: metadata in memory, chunks and texts on demand."""

    docs: Mapping[str, Document]  # metadata; text is "" (see document_text)
    chunks: Mapping[str, Chunk]
    chunk_ids: Sequence[str]  # BM25 row → chunk id
    bm25: Any  # bm25s.BM25 over memory maps, or None when the index is empty
    df: Mapping[str, int]  # in how many chunks each BM25 token occurs
    generation: int = 0
    store: ChunkStore | None = None
    doc_rows: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # doc id → its BM25 rows [start, end)
    _texts: OrderedDict[str, str] = field(default_factory=OrderedDict, repr=False)

    def chunk_at(self, doc_id: str, position: int) -> Chunk | None:
        """A document's chunk at a position (None past either end): how a chunk's neighbours are found,
        since ids are content hashes, not positions."""
        if self.store is None or doc_id not in self.docs:
            return None
        return self.store.chunk_at(doc_id, position)

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """One document's chunks in order (one indexed query, not a scan of the corpus)."""
        if self.store is None or doc_id not in self.docs:
            return []
        return self.store.chunks_of(doc_id)

    def document_text(self, doc_id: str) -> str:
        """A document's full cleaned text ("" when unknown), read from the store; the last few are kept."""
        if doc_id in self._texts:
            return self._texts[doc_id]
        text = (self.store.document_text(doc_id) if self.store and doc_id in self.docs else None) or ""
        self._texts[doc_id] = text
        while len(self._texts) > 16:
            self._texts.popitem(last=False)
        return text

    def rows_within(self, doc_ids: set[str]) -> np.ndarray:
        """A mask over BM25 rows: True for the chunks of these documents."""
        mask = np.zeros(len(self.chunk_ids), dtype=bool)
        for doc_id in doc_ids:
            start, end = self.doc_rows.get(doc_id, (0, 0))
            mask[start:end] = True
        return mask


def write_bm25(store: ChunkStore, target: Path) -> None:
    """Build BM25 over the ready chunks' stored tokens and write it to `target` (atomically)."""
    ids, tokens = store.ready_tokens()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    df: Counter[str] = Counter()
    for token_list in tokens:
        df.update(set(token_list))
    bm25 = bm25s.BM25()
    bm25.index([t or [EMPTY_TOKEN] for t in tokens], show_progress=False)
    del tokens
    bm25.save(scratch)
    np.save(scratch / "rows.npy", np.array([i.encode() for i in ids], dtype=bytes))
    rows: dict[str, list[int]] = {}
    for row, chunk_id in enumerate(ids):
        rows.setdefault(chunk_id.rsplit("#", 1)[0], [row, row])[1] = row + 1
    with sqlite3.connect(scratch / "lookup.sqlite") as db:
        db.execute("CREATE TABLE vocab (token TEXT PRIMARY KEY, id INTEGER, df INTEGER)")
        db.executemany("INSERT INTO vocab VALUES (?, ?, ?)", ((t, i, df[t]) for t, i in bm25.vocab_dict.items()))
        db.execute("CREATE TABLE doc_rows (doc_id TEXT PRIMARY KEY, start INTEGER, end_ INTEGER)")
        db.executemany("INSERT INTO doc_rows VALUES (?, ?, ?)", ((d, s, e) for d, (s, e) in rows.items()))
    os.replace(scratch, target)


def read_snapshot(store: ChunkStore, root: Path, generation: int) -> Snapshot:
    """The snapshot of one generation: BM25 from `root/g<generation>` (memory-mapped), the rest from the store."""
    docs = store.ready_docs()
    store.forget_chunks()  # a document may have been re-ingested by another process
    folder = root / f"g{generation}"
    count = store.count_chunks(ready_only=True)
    chunks = LazyChunks(store, docs, count)
    if not (folder / "lookup.sqlite").exists():
        return Snapshot(docs, chunks, [], None, {}, generation, store)
    db = sqlite3.connect(f"file:{folder / 'lookup.sqlite'}?mode=ro", uri=True, check_same_thread=False)
    lock = threading.Lock()
    bm25 = bm25s.BM25.load(folder, mmap=True, load_vocab=False)
    bm25.vocab_dict = TokenTable(db, lock, "id")
    doc_rows = {d: (s, e) for d, s, e in db.execute("SELECT doc_id, start, end_ FROM doc_rows")}
    row_ids = RowIds(folder / "rows.npy")
    return Snapshot(docs, chunks, row_ids, bm25, TokenTable(db, lock, "df"), generation, store, doc_rows)


def prune_generations(root: Path, keep_from: int) -> None:
    """Delete generation folders older than `keep_from` (a reader may still map the one before the newest)."""
    for folder in root.glob("g*"):
        if folder.name[1:].isdigit() and int(folder.name[1:]) < keep_from:
            shutil.rmtree(folder, ignore_errors=True)
    for scratch in root.glob(".building-*"):  # left by an ingest that was killed mid-build
        shutil.rmtree(scratch, ignore_errors=True)
