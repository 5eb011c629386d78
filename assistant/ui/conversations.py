"""Past conversations kept in the browser (gr.BrowserState → localStorage): new, switch, rename, delete.

The stored value is plain JSON: {"active": id, "items": {id: {"title", "chat", "history", "answers"}}};
answers are kept as dicts so citations still open their documents after a reload.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.types import Answer, Citation

TITLE_CHARS = 24
MAX_CONVERSATIONS = 30  # the oldest are dropped: localStorage holds a few megabytes


@dataclass
class Session:
    """One conversation: what the chat shows, what the pipeline sees, and the answers."""

    chat: list[dict[str, Any]] = field(default_factory=list)  # Gradio chat messages
    history: list[dict[str, str]] = field(default_factory=list)  # role/content turns for the pipeline
    answers: list[Answer] = field(default_factory=list)
    pending: str = ""  # the question being answered (for stop)


def browser_secret(folder: Path) -> str:
    """The key the browser's stored conversations are encrypted with, kept in `folder` so that they survive a restart."""
    path = folder / "browser-state.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        path.write_text(key, encoding="ascii")
        return key


def empty_store() -> dict[str, Any]:
    return {"active": "", "items": {}}


def answer_from(data: dict[str, Any]) -> Answer:
    citations = [Citation(**c) for c in data.get("citations", [])]
    return Answer(**{**data, "citations": citations})


def session_of(store: dict[str, Any] | None, key: str | None = None) -> Session:
    """The stored conversation `key` (default: the active one) as a Session; an empty one when missing."""
    store = store or empty_store()
    item = store.get("items", {}).get(key or store.get("active", ""))
    if not item:
        return Session()
    try:
        answers = [answer_from(a) for a in item.get("answers", [])]
    except TypeError:  # stored by another version of the app
        answers = []
    return Session(list(item.get("chat", [])), list(item.get("history", [])), answers)


def title_of(session: Session) -> str:
    first = next((m["content"] for m in session.chat if m.get("role") == "user"), "")
    return (first[:TITLE_CHARS] + "…") if len(first) > TITLE_CHARS else first or "新对话"


def saved(store: dict[str, Any] | None, session: Session) -> dict[str, Any]:
    """The store with the session saved as the active conversation (a new one if none is active)."""
    store = {**(store or empty_store())}
    items = dict(store.get("items", {}))
    key = store.get("active") or uuid.uuid4().hex[:12]
    if not session.chat and key not in items:
        return store
    old = items.pop(key, {})
    items[key] = {
        "title": old.get("title") if old.get("renamed") else title_of(session),
        "renamed": old.get("renamed", False),
        "chat": session.chat,
        "history": session.history,
        "answers": [asdict(a) for a in session.answers],
    }
    while len(items) > MAX_CONVERSATIONS:
        items.pop(next(iter(items)))
    return {"active": key, "items": items}


def started(store: dict[str, Any] | None) -> dict[str, Any]:
    """The store with no active conversation: the next question starts a new one."""
    return {**(store or empty_store()), "active": ""}


def renamed(store: dict[str, Any] | None, key: str, title: str) -> dict[str, Any]:
    store = store or empty_store()
    items = dict(store.get("items", {}))
    if key in items and title.strip():
        items[key] = {**items[key], "title": title.strip()[:60], "renamed": True}
    return {**store, "items": items}


def deleted(store: dict[str, Any] | None, key: str) -> dict[str, Any]:
    store = store or empty_store()
    items = {k: v for k, v in store.get("items", {}).items() if k != key}
    return {"active": "" if store.get("active") == key else store.get("active", ""), "items": items}


def choices(store: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(title, id) of the stored conversations, newest first."""
    items = (store or empty_store()).get("items", {})
    return [(v.get("title") or "新对话", k) for k, v in reversed(list(items.items()))]
