"""The SQLite chunk store: documents (hash, status, file stamp, text) and chunks (with BM25 tokens).

Readers look up what a question's hits need, row by row; nothing here loads the whole corpus except
`ready_tokens()`, which only an ingest calls to rebuild BM25. A `generation` counter, bumped by each
ingest that changed something, tells other processes over the same folder to reload.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from assistant.ingest.load import text_key
from assistant.types import Chunk, Document

log = logging.getLogger("assistant.ingest.store")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, content_hash TEXT, status TEXT, meta TEXT, text TEXT, text_key TEXT,
    file_size INTEGER, file_mtime_ns INTEGER);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT, position INTEGER, text TEXT, section TEXT,
    start INTEGER, end_ INTEGER, kind TEXT, tokens TEXT);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, position);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER);
"""
_CHUNK = "c.chunk_id, c.doc_id, c.position, c.text, c.section, c.start, c.end_, c.kind"


class IndexCorruptError(RuntimeError):
    """The index files cannot be read; delete the index directory and ingest again."""


@dataclass(frozen=True)
class FileStamp:
    """What an indexed file looked like: size and mtime decide whether it must be read again."""

    size: int
    mtime_ns: int
    document: Document  # metadata only: text is ""
    text_key: str


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(chunk_id=row[0], doc_id=row[1], position=row[2], text=row[3], section=row[4], start=row[5], end=row[6], kind=row[7])  # fmt: skip


@contextmanager
def _damage_as_corrupt() -> Iterator[None]:
    """A damaged database file becomes IndexCorruptError; locked or busy (OperationalError) is not damage."""
    try:
        yield
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise IndexCorruptError(
            f"the chunk store is damaged ({exc}); restart to set it aside and rebuild the index"
        ) from exc


class ChunkStore:
    """SQLite tables of documents and chunks; one connection shared by threads under a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{path}: {exc}") from exc
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Chunk] = OrderedDict()  # recently read chunks, across snapshots
        self.cache_size = 4096

    def _migrate(self) -> None:
        """An index of an older format (no text column) is emptied: the next ingest rebuilds it from the embedding cache."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}
        if columns and "text" not in columns:
            log.warning("the index has an older format: it is rebuilt by the next ingest (embeddings are reused)")
            self._db.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS chunks;")

    @contextmanager
    def _readable(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (a consistent view while another process writes); damage is IndexCorruptError."""
        with self._lock, _damage_as_corrupt():
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.rollback()

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        """One statement, atomic by itself (no transaction to open and close); damage is IndexCorruptError."""
        with self._lock, _damage_as_corrupt():
            return self._db.execute(sql, args).fetchall()

    def hashes(self) -> dict[str, tuple[str, str]]:
        with self._readable() as db:
            rows = db.execute("SELECT doc_id, content_hash, status FROM docs").fetchall()
        return {doc_id: (content_hash, status) for doc_id, content_hash, status in rows}

    def file_stamps(self, stamp_suffix: str) -> dict[str, FileStamp]:
        """Ready documents indexed the current way (hash ends with `stamp_suffix`), by source path."""
        with self._readable() as db:
            rows = db.execute(
                "SELECT meta, content_hash, text_key, file_size, file_mtime_ns FROM docs WHERE status = 'ready'"
            ).fetchall()
        stamps = {}
        for meta, content_hash, key, size, mtime in rows:
            if content_hash.endswith(stamp_suffix) and size is not None:
                doc = Document.from_json(json.loads(meta))
                stamps[doc.source_path] = FileStamp(size, mtime, doc, key)
        return stamps

    def chunk_ids(self) -> dict[str, set[str]]:
        """Chunk ids by document, whatever the document's status."""
        with self._readable() as db:
            rows = db.execute("SELECT doc_id, chunk_id FROM chunks").fetchall()
        found: dict[str, set[str]] = {}
        for doc_id, chunk_id in rows:
            found.setdefault(doc_id, set()).add(chunk_id)
        return found

    def count_chunks(self, ready_only: bool = False) -> int:
        where = " JOIN docs d ON c.doc_id = d.doc_id WHERE d.status = 'ready'" if ready_only else ""
        with self._readable() as db:
            return int(db.execute(f"SELECT COUNT(*) FROM chunks c{where}").fetchone()[0])

    def put_pending(
        self, doc: Document, stamp: str, chunks: Sequence[Chunk], tokens: Sequence[list[str]], file: tuple[int, int]
    ) -> None:
        rows = [
            (c.chunk_id, c.doc_id, c.position, c.text, c.section, c.start, c.end, c.kind, json.dumps(t))
            for c, t in zip(chunks, tokens, strict=True)
        ]
        meta = json.dumps(asdict(replace(doc, text="")), ensure_ascii=False)
        with self._lock, self._db:
            self._cache.clear()
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.doc_id,))
            self._db.execute(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)",
                (doc.doc_id, stamp, meta, doc.text, text_key(doc.text), *file),
            )
            self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("INSERT OR REPLACE INTO state VALUES ('dirty', 1)")

    def restamp(self, stamps: dict[str, tuple[int, int]]) -> None:
        """Record new (size, mtime_ns) of files read again and found unchanged (touched, copied)."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE docs SET file_size = ?, file_mtime_ns = ? WHERE doc_id = ?",
                [(size, mtime, doc_id) for doc_id, (size, mtime) in stamps.items()],
            )

    def mark_ready(self, doc_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE docs SET status = 'ready' WHERE doc_id = ?", (doc_id,))

    def remove(self, doc_id: str) -> None:
        with self._lock, self._db:
            self._cache.clear()
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,))
            self._db.execute("INSERT OR REPLACE INTO state VALUES ('dirty', 1)")

    def state(self, key: str) -> int:
        rows = self._rows("SELECT value FROM state WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else 0

    def set_state(self, key: str, value: int) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    def publish(self, generation: int) -> None:
        """Make `generation` current (its BM25 files are written) and clear the dirty mark."""
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO state VALUES ('generation', ?)", (generation,))
            self._db.execute("INSERT OR REPLACE INTO state VALUES ('dirty', 0)")

    def ready_docs(self) -> dict[str, Document]:
        """The ready documents' metadata (text left out: see document_text)."""
        with self._readable() as db:
            rows = db.execute("SELECT meta FROM docs WHERE status = 'ready'").fetchall()
        return {d.doc_id: d for d in (Document.from_json(json.loads(meta)) for (meta,) in rows)}

    def document_text(self, doc_id: str) -> str | None:
        rows = self._rows("SELECT text FROM docs WHERE doc_id = ? AND status = 'ready'", (doc_id,))
        return rows[0][0] if rows else None

    def doc_with_text_key(self, key: str) -> str | None:
        with self._readable() as db:
            row = db.execute("SELECT doc_id FROM docs WHERE text_key = ? AND status = 'ready'", (key,)).fetchone()
        return row[0] if row else None

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Those of `chunk_ids` that belong to ready documents: from the cache, the rest in one query per 500."""
        found: dict[str, Chunk] = {}
        with self._lock:
            for chunk_id in chunk_ids:
                if chunk_id in self._cache:
                    self._cache.move_to_end(chunk_id)
                    found[chunk_id] = self._cache[chunk_id]
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in found]
        for start in range(0, len(missing), 500):
            part = missing[start : start + 500]
            rows = self._rows(
                f"SELECT {_CHUNK} FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
                f" WHERE c.chunk_id IN ({','.join('?' * len(part))}) AND d.status = 'ready'",
                part,
            )
            read = {chunk.chunk_id: chunk for chunk in map(_chunk, rows)}
            found |= read
            with self._lock:
                self._cache.update(read)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return found

    def forget_chunks(self) -> None:
        """Empty the chunk cache (another process may have re-ingested a document)."""
        with self._lock:
            self._cache.clear()

    def chunk_at(self, doc_id: str, position: int) -> Chunk | None:
        """A ready document's chunk at a position (its order in the document): one lookup in chunks_doc."""
        rows = self._rows(
            f"SELECT {_CHUNK} FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
            " WHERE c.doc_id = ? AND c.position = ? AND d.status = 'ready'",
            (doc_id, position),
        )
        return _chunk(rows[0]) if rows else None

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        with self._readable() as db:
            rows = db.execute(
                f"SELECT {_CHUNK} FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
                " WHERE c.doc_id = ? AND d.status = 'ready' ORDER BY c.position",
                (doc_id,),
            ).fetchall()
        return [_chunk(r) for r in rows]

    def chunk_counts(self) -> dict[str, int]:
        with self._readable() as db:
            rows = db.execute(
                "SELECT c.doc_id, COUNT(*) FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
                " WHERE d.status = 'ready' GROUP BY c.doc_id"
            ).fetchall()
        return dict(rows)

    def ready_chunk_ids(self) -> list[str]:
        with self._readable() as db:
            rows = db.execute(
                "SELECT c.chunk_id FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
                " WHERE d.status = 'ready' ORDER BY c.doc_id, c.position"
            ).fetchall()
        return [r[0] for r in rows]

    def ready_tokens(self) -> tuple[list[str], list[list[str]]]:
        """(chunk ids, BM25 tokens) of the ready documents, by document and position: the BM25 rows."""
        with self._readable() as db:
            rows = db.execute(
                "SELECT c.chunk_id, c.tokens FROM chunks c JOIN docs d ON c.doc_id = d.doc_id"
                " WHERE d.status = 'ready' ORDER BY c.doc_id, c.position"
            ).fetchall()
        return [r[0] for r in rows], [json.loads(r[1]) for r in rows]
