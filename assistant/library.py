"""The corpus behind an Assistant: ingest, uploads, deletion, re-indexing, listings, and the current snapshot."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.ingest.chunk import split_document
from assistant.ingest.embed import CachedEmbedder
from assistant.ingest.load import DocumentError, is_ignored, load_corpus, load_file, manifest_digest, text_key
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ingest.store import Index, IngestReport, Snapshot, indexed_text
from assistant.settings import Settings
from assistant.types import Document

ProgressCallback = Callable[[int, int, str], None]  # (done, total, what)


@dataclass(frozen=True)
class DocumentInfo:
    """A document as listed to users: its metadata and how many chunks it has."""

    document: Document
    chunks: int


def safe_file_name(name: str) -> str:
    """A plain file name from an uploaded name: no folders, no `..`, no control or shell characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]+", "_", base).strip(" .")
    if not base or base.startswith(".") or base.lower() in ("manifest.toml", "glossary.toml"):
        raise DocumentError(name or "(unnamed)", "not an acceptable file name")
    return base[:150]


class Library:
    """The corpus folder and its index: every change goes through here, and so does every read of the snapshot."""

    def __init__(self, settings: Settings, index: Index, embedder: CachedEmbedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._checked = 0.0  # when the store's generation was last compared with the snapshot's

    def snapshot(self) -> Snapshot:
        """The current consistent view of the index; reloaded when any process over the index has ingested.

        The store's generation number is read at most every `reload_check_s` seconds (one SQLite row).
        """
        with self._snapshot_lock:
            now = time.monotonic()
            if self._snapshot is None or (
                now - self._checked >= self.settings.reload_check_s
                and self.index.generation != self._snapshot.generation
            ):
                self._snapshot = self.index.snapshot()
            if now - self._checked >= self.settings.reload_check_s:
                self._checked = now
            return self._snapshot

    def ingest(self, progress: bool | ProgressCallback = False) -> IngestReport:
        """Index new and changed files, drop removed ones; a file with its indexed size and mtime is not even read."""
        started, started_ns = time.perf_counter(), time.time_ns()
        stamps = self.index.current_files(damaged=self.index.missing_vectors()[0])
        manifest = manifest_digest(self.settings.corpus_dir)
        if manifest != self.index.store.state("manifest"):
            stamps = {}  # an edited manifest may change any file's metadata: read them all (only changed ones re-index)
        documents, errors = load_corpus(
            self.settings.corpus_dir, self.settings.max_file_bytes, prefer=self.index.store.hashes(), known=stamps
        )
        with self.index.ingest_lock():
            todo, removed, unchanged = self.index.plan(documents)
            current = set(unchanged)  # read again (touched, copied) but the same: remember the new size and mtime
            self.index.store.restamp(
                {d.doc_id: _file_stamp(d, started_ns) for d in documents if d.text and d.doc_id in current}
            )
            known = set(self.index.store.hashes())
            chunked = [(doc, split_document(doc, self.settings.chunk_max_tokens)) for doc in todo]
            total = self.embedder.count_missing([indexed_text(doc, c) for doc, chunks in chunked for c in chunks])
            report_progress = _progress_reporter(progress, total)
            embedded = 0
            for doc, chunks in chunked:
                embedded += self.index.write_document(
                    doc, chunks, report_progress, _file_stamp(doc, started_ns), doc.doc_id in known
                )
            for doc_id in removed:
                self.index.remove_document(doc_id)
            self.index.publish(changed=bool(todo or removed))
            self.index.store.set_state("manifest", manifest)
        with self._snapshot_lock:
            self._snapshot = self.index.snapshot()
        return IngestReport(
            added=[d.doc_id for d in todo if d.doc_id not in known],
            updated=[d.doc_id for d in todo if d.doc_id in known],
            removed=removed,
            unchanged=unchanged,
            errors=[str(e) for e in errors],
            chunks_embedded=embedded,
            seconds=round(time.perf_counter() - started, 3),
        )

    def add_file(self, name: str, data: bytes, progress: bool | ProgressCallback = False) -> IngestReport:
        """Save an uploaded file into the corpus and ingest it; a bad file raises DocumentError naming it.

        The file is checked before it is written, so a rejected upload changes nothing.
        """
        safe = safe_file_name(name)
        if Path(safe).suffix.lower() not in SUPPORTED_SUFFIXES or is_ignored(Path(safe)):
            raise DocumentError(safe, f"not a document file (one of {', '.join(SUPPORTED_SUFFIXES)}; not README*)")
        if len(data) > self.settings.max_file_bytes:
            raise DocumentError(safe, f"file too large ({len(data)} bytes > {self.settings.max_file_bytes})")
        corpus = self.settings.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=corpus.parent) as scratch:
            probe = Path(scratch) / safe
            probe.write_bytes(data)
            document = load_file(probe)  # raises DocumentError with the reason
            other = self.snapshot().docs.get(self.index.store.doc_with_text_key(text_key(document.text)) or "")
            if other is not None and other.doc_id != document.doc_id:
                raise DocumentError(safe, f"same text as {Path(other.source_path).name}, already indexed")
            os.replace(probe, corpus / safe)
        report = self.ingest(progress)
        mine = [e for e in report.errors if e.startswith(f"{safe}: ")]
        if mine:
            raise DocumentError(safe, mine[0].split(": ", 1)[-1])
        return report

    def delete_document(self, doc_id: str) -> IngestReport:
        """Remove a document's file from the corpus and its chunks from the index."""
        snap = self.snapshot()
        doc = snap.docs.get(doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id!r}")
        path = Path(doc.source_path)
        corpus = self.settings.corpus_dir.resolve()
        if path.resolve().parent != corpus and corpus not in path.resolve().parents:
            raise DocumentError(path, "is outside the corpus folder; not deleted")
        path.unlink(missing_ok=True)
        return self.ingest()

    def reindex_document(self, doc_id: str) -> IngestReport:
        """Read, chunk and index one document's file again (embeddings come from the cache when unchanged)."""
        if doc_id not in self.snapshot().docs:
            raise KeyError(f"no document {doc_id!r}")
        with self.index.ingest_lock():
            self.index.remove_document(doc_id)
        return self.ingest()

    def document(self, doc_id: str) -> Document | None:
        """A document with its full cleaned text (for a viewer), or None."""
        snap = self.snapshot()
        doc = snap.docs.get(doc_id)
        return replace(doc, text=snap.document_text(doc_id)) if doc else None

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their chunk counts."""
        snap = self.snapshot()
        counts = self.index.store.chunk_counts()
        return [DocumentInfo(d, counts.get(d.doc_id, 0)) for d in sorted(snap.docs.values(), key=lambda d: d.doc_id)]


def _file_stamp(doc: Document, loaded_ns: int) -> tuple[int, int]:
    """(size, mtime_ns) of a document's file; (-1, -1), which never matches, if it is gone or changed after loading."""
    try:
        stat = Path(doc.source_path).stat()
    except OSError:
        return (-1, -1)
    return (-1, -1) if stat.st_mtime_ns >= loaded_ns else (stat.st_size, stat.st_mtime_ns)


def _progress_reporter(progress: bool | ProgressCallback, total: int) -> Callable[[int], None]:
    """Turn the `progress` argument into a per-batch callback (tqdm bar, user callback, or nothing)."""
    if callable(progress):
        done = [0]

        def call(n: int) -> None:
            done[0] += n
            progress(done[0], total, "embedding")

        return call
    if progress and total:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="embedding passages", unit="passage")

        def advance(n: int) -> None:
            bar.update(n)

        return advance
    return lambda n: None
