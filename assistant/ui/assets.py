"""The UI's CSS and browser JavaScript, kept as files in static/ and read once."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).with_name("static")


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


CSS = _read("app.css")
BRIDGE_JS = _read("bridge.js")  # js_on_load of the hidden bridge: citation and copy clicks, answer scrolling
DOC_JS = _read("document.js")  # js_on_load of the document view: scroll to the highlighted passage
COPY_JS = _read("copy.js")  # runs after a copy request: the Markdown the server returned → the clipboard
