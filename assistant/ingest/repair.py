"""Damaged index files → set aside in index_dir/broken-<time>-…/ with a warning, and started afresh.

The next ingest rebuilds what was set aside; with the embedding cache intact that takes seconds.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from assistant.ingest.embed import CachedEmbedder
from assistant.ingest.store import Index, IndexCorruptError, forget_local_client, open_vector_store
from assistant.lang.lexicon import Lexicon
from assistant.settings import Settings

log = logging.getLogger("assistant.ingest.store")


def open_index(settings: Settings, embedder: CachedEmbedder, lexicon: Lexicon, recovered: Sequence[str] = ()) -> Index:
    """The index in settings.index_dir; a local Chroma folder that cannot be opened is set aside and started afresh."""
    notes = list(recovered)
    try:
        vector_store = open_vector_store(settings)
    except Exception as exc:  # chromadb raises InternalError, ValueError, … for a damaged folder
        if settings.chroma_host:
            raise
        forget_local_client(settings.index_dir / "chroma")
        notes.append(
            set_aside(settings.index_dir, [settings.index_dir / "chroma"], f"the vector store is damaged ({exc})")
        )
        vector_store = open_vector_store(settings)
    index = Index(settings.index_dir, vector_store, embedder, lexicon, settings.chunk_max_tokens, recovered=notes)
    ready = {doc_id for doc_id, (_, status) in index.store.hashes().items() if status == "ready"}
    unsearchable = index.missing_vectors()[0] & ready
    if unsearchable:
        note = (
            f"{len(unsearchable)} indexed documents have no vectors (the vector store was deleted or replaced): "
            "answers use keyword search alone until `python -m assistant ingest` restores them"
        )
        log.warning(note)
        notes.append(note)  # the index's own list: it was given `notes` when built
    return index


def repair_index_files(settings: Settings) -> list[str]:
    """Set aside a damaged chunk store or embedding cache (before anything opens them); what was done."""
    cache = Path(settings.embed_cache or settings.index_dir / "embeddings.sqlite")
    notes = []
    for path, what in ((settings.index_dir / "chunks.sqlite", "chunk store"), (cache, "embedding cache")):
        try:
            check_sqlite(path)
        except IndexCorruptError as exc:
            files = [path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")]
            notes.append(set_aside(settings.index_dir, files, f"the {what} is damaged ({exc})"))
    return notes


def check_sqlite(path: Path) -> None:
    """Raise IndexCorruptError unless `path` is absent or a SQLite database that passes quick_check."""
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(str(path), timeout=30)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError:
        raise  # locked or busy: not damage
    except sqlite3.DatabaseError as exc:
        raise IndexCorruptError(f"{path.name}: {exc}") from exc
    if not verdict or verdict[0] != "ok":
        lines = [line for line in str(verdict[0] if verdict else "").splitlines() if not line.startswith("***")]
        raise IndexCorruptError(f"{path.name}: {lines[0] if lines else 'integrity check failed'}")


def set_aside(index_dir: Path, paths: Sequence[Path], problem: str) -> str:
    """Move damaged index files into index_dir/broken-<time>-…/ with a warning; the next ingest rebuilds them."""
    target = Path(tempfile.mkdtemp(prefix=time.strftime("broken-%Y%m%d-%H%M%S-"), dir=index_dir))
    for path in paths:
        if path.exists():
            shutil.move(path, target / path.name)
    message = f"{problem}: moved to {target}; `python -m assistant ingest` rebuilds the index"
    log.warning(message)
    return message
