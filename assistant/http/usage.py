"""Token accounting for the OpenAI-compatible endpoint: usage counts, max_tokens cuts, the sources block."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.types import Answer, Citation
from assistant.ui.render import sentences

if TYPE_CHECKING:
    import tiktoken

_MARKER = re.compile(r"\[(\d+)\]")
ENCODING = "cl100k_base"  # ships with llama-index's tiktoken cache; no download


@functools.cache
def _encoding() -> tiktoken.Encoding:
    from assistant.settings import configure_offline

    configure_offline()  # TIKTOKEN_CACHE_DIR before tiktoken's first use
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=())) if text else 0


def usage(prompt_texts: Sequence[str], completion: str) -> dict[str, int]:
    """OpenAI's usage object; each message costs its text plus OpenAI's 4 tokens of framing, the reply 3."""
    prompt = sum(count_tokens(t) + 4 for t in prompt_texts) + 3
    done = count_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def truncate(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """(text cut after the last whole sentence within max_tokens, whether it was cut).

    When not even the first sentence fits, its first max_tokens tokens are kept.
    """
    if max_tokens is None or count_tokens(text) <= max_tokens:
        return text, False
    kept = ""
    for piece in sentences(text):
        if count_tokens(kept + piece) > max_tokens:
            break
        kept += piece
    if not kept.strip():
        kept = _encoding().decode(_encoding().encode(text, disallowed_special=())[:max_tokens])
    return kept.rstrip(), True


def cited(answer: Answer, text: str) -> list[Citation]:
    """The citations whose [n] markers are still in `text` (all of them when it was not cut)."""
    used = {int(n) for n in _MARKER.findall(text)}
    return [c for c in answer.citations if c.n in used]


def sources_block(citations: Sequence[Citation]) -> str:
    """A plain-text list of the cited documents, for chat front ends that show only the message content."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        title = f"《{c.title.strip('《》')}》" if c.title else c.doc_id
        where = " · ".join(x for x in (c.doc_number, c.date, c.section) if x)
        lines.append(f"[{c.n}] {title}" + (f" {where}" if where else ""))
    return "\n\n来源 / Sources：\n" + "\n".join(lines)
