"""The audit log: every corpus change (upload, delete, re-index, ingest) as one JSON line beside the index."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.settings import Settings

_WRITE = threading.Lock()  # lines from concurrent requests must not interleave


def audit_path(settings: Settings) -> Path:
    """Where the log lives: `audit_log`, else `index_dir/audit.jsonl`."""
    configured = getattr(settings, "audit_log", None)
    return Path(configured) if configured else Path(settings.index_dir) / "audit.jsonl"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record(
    path: Path, actor: str, action: str, result: str, file: str = "", sha256: str = "", **details: Any
) -> dict[str, Any]:
    """Append one entry (when, who, what, which file and its hash, the result); returns it."""
    entry = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": actor,
        "action": action,
        "file": file,
        "sha256": sha256,
        "result": result,
        **details,
    }
    line = json.dumps(entry, ensure_ascii=False, default=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _WRITE, path.open("a", encoding="utf-8") as log:
        log.write(line + "\n")
    return entry


def recent(path: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The last `limit` entries, newest first; a damaged line is skipped, a missing log is empty."""
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries[::-1]
