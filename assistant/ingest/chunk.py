"""Document → Chunk: sentences packed under a token budget within a heading section; table rows."""

from __future__ import annotations

import hashlib
from collections import Counter

from assistant.ingest.headings import parse_heading
from assistant.ingest.packing import Packer
from assistant.ingest.sentences import count_tokens, split_sentences
from assistant.ingest.tables import find_tables
from assistant.types import Chunk, Document

__all__ = ["chunk_ids", "count_tokens", "split_document", "split_sentences"]


def chunk_ids(doc_id: str, contents: list[tuple[str, str]]) -> list[str]:
    """Ids of a document's chunks, from their (section, text) in document order: `{doc_id}#{sha1[:12]}`.

    An id depends on the chunk's own section and text only, so an edit elsewhere in the document keeps
    it; the second and later chunks with the same section and text get `-2`, `-3`, … in document order.
    """
    seen: Counter[str] = Counter()
    ids = []
    for section, text in contents:
        digest = hashlib.sha1(f"{section}\n{text}".encode()).hexdigest()[:12]
        seen[digest] += 1
        ids.append(f"{doc_id}#{digest}" if seen[digest] == 1 else f"{doc_id}#{digest}-{seen[digest]}")
    return ids


def split_document(doc: Document, max_tokens: int = 320) -> list[Chunk]:
    """Chunks in document order (`position`), with ids from their content (see chunk_ids)."""
    packer = Packer(doc.text, max_tokens)
    # Articles without numbered headings (news pages) mark sections with short stand-alone lines.
    packer.plain_titles = not any(parse_heading(line) for line in doc.text.split("\n"))
    position = 0
    for table in find_tables(doc.text):
        packer.add_region(position, table.start)
        packer.add_table(table)
        position = table.end
    packer.add_region(position, len(doc.text))
    texts = [span.text or doc.text[span.start : span.end] for span in packer.spans]
    ids = chunk_ids(doc.doc_id, [(span.section, text) for span, text in zip(packer.spans, texts, strict=True)])
    return [
        Chunk(
            chunk_id=chunk_id,
            doc_id=doc.doc_id,
            text=text,
            section=span.section,
            position=n,
            start=span.start,
            end=span.end,
            kind=span.kind,
        )
        for n, (span, text, chunk_id) in enumerate(zip(packer.spans, texts, ids, strict=True))
    ]
