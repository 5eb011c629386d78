"""Document → Chunk: sentences packed under a token budget within a heading section; table rows."""

from __future__ import annotations

from assistant.ingest.headings import parse_heading
from assistant.ingest.packing import Packer
from assistant.ingest.sentences import count_tokens, split_sentences
from assistant.ingest.tables import find_tables
from assistant.types import Chunk, Document

__all__ = ["count_tokens", "split_document", "split_sentences"]


def split_document(doc: Document, max_tokens: int = 320) -> list[Chunk]:
    """Chunks in document order; ids `{doc_id}#{n}` are stable while the text is unchanged."""
    packer = Packer(doc.text, max_tokens)
    # Articles without numbered headings (news pages) mark sections with short stand-alone lines.
    packer.plain_titles = not any(parse_heading(line) for line in doc.text.split("\n"))
    position = 0
    for table in find_tables(doc.text):
        packer.add_region(position, table.start)
        packer.add_table(table)
        position = table.end
    packer.add_region(position, len(doc.text))
    return [
        Chunk(
            chunk_id=f"{doc.doc_id}#{n}",
            doc_id=doc.doc_id,
            text=span.text or doc.text[span.start : span.end],
            section=span.section,
            position=n,
            start=span.start,
            end=span.end,
            kind=span.kind,
        )
        for n, span in enumerate(packer.spans)
    ]
