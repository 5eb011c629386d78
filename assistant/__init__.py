"""Policy QA assistant: cited, verbatim answers over Chinese S&T policy documents.

The public surface only. Nothing here changes the environment: entry points call
`assistant.settings.configure_offline()` before libraries that read it are imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.settings import Settings
    from assistant.types import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "Settings"]
_HOMES = {
    "Assistant": "assistant.pipeline",
    "Settings": "assistant.settings",
    "Answer": "assistant.types",
    "Citation": "assistant.types",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so `import assistant.lang.figures` stays light."""
    if name not in _HOMES:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
