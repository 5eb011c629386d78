"""Questions about documents themselves ("两份办法各在何日印发？"): answered from each document's own dateline.

The loader reads every document's date at ingest (ingest/metadata.py). A question that asks when documents were
issued is answered document by document from that date, quoting the line of the document that states it, so the
answer stays verbatim and cited. Which documents: those the question names (文号, year and kind, 《title》), else
all documents of the kinds it names (in the places it names), else the document of the best passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.ingest.chunk import split_sentences
from assistant.ingest.store import Snapshot
from assistant.retrieve.scope import place_documents
from assistant.types import Candidate, Chunk, Document, Hit, Intent

MAX_DOCUMENTS = 6  # a question about more documents than this is about the corpus, not these documents


def asks_document_date(intent: Intent) -> bool:
    """A question about when a document was issued, dated or published."""
    return intent.about_document and intent.answer_type in ("date", "year")


def asked_documents(intent: Intent, hits: Sequence[Hit], snap: Snapshot) -> list[Document]:
    """The documents the question asks about, newest first."""
    docs = snap.docs
    if intent.constraints.documents:
        chosen = [docs[d] for d in intent.constraints.documents if d in docs]
    else:
        # The documents of the kinds it names, or else the best passage's: in the places and years it names (a
        # question about a year no document has is not about another year's document).
        places = place_documents(intent.constraints.places, docs) if intent.constraints.places else set(docs)
        years = set(intent.constraints.years)
        if intent.constraints.kinds:
            chosen = [d for d in docs.values() if d.kind in intent.constraints.kinds]
        else:
            chosen = [docs[hits[0].chunk.doc_id]] if hits and hits[0].chunk.doc_id in docs else []
        chosen = [d for d in chosen if d.doc_id in places and (not years or d.date[:4] in years)]
    dated = [d for d in chosen if d.date]
    return sorted(dated, key=lambda d: d.date, reverse=True)[:MAX_DOCUMENTS] if len(chosen) <= MAX_DOCUMENTS else []


def date_pattern(iso: str) -> re.Pattern[str]:
    """The ways a text writes an ISO date (2025-05-20, 2025年5月20日, 2025 年 5 月 20 日, 2025.5.20)."""
    parts = [int(p) for p in iso.split("-")]
    separators = [r"\s*[-年/.]\s*", r"\s*[-月/.]\s*"]
    pattern = str(parts[0])
    for separator, number in zip(separators, parts[1:], strict=False):
        pattern += f"{separator}0?{number}"
    return re.compile(rf"(?<!\d){pattern}(?!\d)")


def dateline(doc: Document, snap: Snapshot) -> tuple[Chunk, str] | None:
    """The chunk and the sentence of a document that state its date (the last such: a signature's date comes
    after dates the text merely mentions)."""
    pattern = date_pattern(doc.date)
    found = None
    for chunk in snap.chunks_of(doc.doc_id):
        for sentence in split_sentences(chunk.text):
            if pattern.search(sentence):
                found = (chunk, sentence.strip())
    return found


def date_answers(intent: Intent, hits: Sequence[Hit], snap: Snapshot) -> tuple[list[Candidate], list[Hit]]:
    """A quote per asked document: the line that states its date, with the hits it cites (appended to `hits`)."""
    extended = list(hits)
    quotes: list[Candidate] = []
    for doc in asked_documents(intent, hits, snap):
        stated = dateline(doc, snap)
        if stated is None:
            continue
        chunk, sentence = stated
        extended.append(Hit(chunk=chunk, score=0.0))
        quotes.append(Candidate(len(extended) - 1, sentence, 1.0, 1.0))
    return quotes, extended
