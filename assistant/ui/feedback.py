"""Thumbs up/down on answers, with an optional comment, in a SQLite table beside the index (feedback.sqlite)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.types import Answer, Turn

FILE_NAME = "feedback.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    liked INTEGER NOT NULL,            -- 1 thumbs up, 0 thumbs down
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    citations TEXT NOT NULL,           -- JSON list of {n, doc_id, chunk_id, title, doc_number, quote}
    history TEXT NOT NULL DEFAULT '[]',  -- JSON: the conversation before the question
    comment TEXT NOT NULL DEFAULT ''
)
"""
CITATION_FIELDS = ("n", "doc_id", "chunk_id", "title", "doc_number", "section", "quote")


class FeedbackStore:
    """Feedback rows in one SQLite file; safe to share between Gradio's worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @classmethod
    def beside_index(cls, index_dir: Path) -> FeedbackStore:
        return cls(index_dir / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(self, answer: Answer, liked: bool, history: Sequence[Turn] | None = None) -> int:
        """Store a thumbs up or down on an answer; the row id, for a comment added later."""
        citations = [{k: asdict(c)[k] for k in CITATION_FIELDS} for c in answer.citations]
        row = (time.time(), int(liked), answer.question, answer.text, int(answer.refused))
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created, liked, question, answer, refused, citations, history)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, json.dumps(citations, ensure_ascii=False), json.dumps(history or [], ensure_ascii=False)),
            )
            return int(cursor.lastrowid or 0)

    def comment(self, row_id: int, text: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (text.strip()[:2000], row_id))

    def rows(self, liked: bool | None = None) -> list[dict[str, Any]]:
        """All feedback, oldest first; only thumbs up (True) or down (False) when given."""
        query = "SELECT * FROM feedback" + ("" if liked is None else " WHERE liked = ?") + " ORDER BY id"
        with self._connect() as db:
            rows = db.execute(query, () if liked is None else (int(liked),)).fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"]), "history": json.loads(r["history"])} for r in rows]
