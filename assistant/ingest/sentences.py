"""Sentences and tokens: the units a chunk is packed from and measured in (tiktoken cl100k_base)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)》\"']*\s*|\n\s*|\Z)")


def split_sentences(text: str) -> list[str]:
    """Split after 。！？； (and their ASCII forms) and at newlines; the pieces concatenate to `text`."""
    return [m.group() for m in _SENTENCE.finditer(text) if m.group()]


def count_tokens(text: str) -> int:
    """Tokens of `text` in tiktoken's cl100k_base (the chunk budget's unit)."""
    return len(_encoding().encode(text, disallowed_special=()))


@functools.cache
def _encoding() -> tiktoken.Encoding:
    from assistant.settings import configure_offline

    configure_offline()  # points tiktoken at the cache bundled with llama-index: never download
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def prefix_within(text: str, budget: int) -> int:
    """Length of a prefix of `text` (at least one character) within `budget` tokens, found from token offsets."""
    tokens = _encoding().encode(text, disallowed_special=())
    if len(tokens) <= budget:
        return len(text)
    size = len(_encoding().decode_bytes(tokens[:budget]).decode("utf-8", errors="ignore"))
    while size > 1 and count_tokens(text[:size]) > budget:  # re-tokenizing a prefix may differ at its end
        size -= 1
    return max(size, 1)
