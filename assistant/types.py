"""Typed records passed between pipeline stages: Document → Chunk → Hit → Answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A loaded, cleaned source file with its metadata."""

    doc_id: str
    text: str
    title: str
    source_path: str
    content_hash: str
    issuer: str = ""  # 发文机关
    doc_number: str = ""  # 文号
    date: str = ""  # ISO yyyy-mm-dd, or yyyy / yyyy-mm when that is all the text states
    city: str = ""
    kind: str = ""  # reply | plan | news | measures | other
    addressee: str = ""  # whom a reply answers: the proposer of the 提案/建议 ("民建泉州市委会")


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage; `start`/`end` locate it in `Document.text`."""

    chunk_id: str  # f"{doc_id}#{position}", stable across rebuilds of the same file
    doc_id: str
    text: str
    section: str  # heading path, " > " separated
    position: int
    start: int = 0
    end: int = 0
    kind: str = "text"  # text | table_row


@dataclass(frozen=True)
class Hit:
    """A chunk with its fused retrieval score and per-retriever ranks (1-based, 0 = absent)."""

    chunk: Chunk
    score: float
    dense_rank: int = 0
    bm25_rank: int = 0
    dense_score: float = 0.0  # cosine similarity to the question
    bm25_score: float = 0.0


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the verbatim passage and the sentences quoted from it."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    doc_number: str
    date: str
    section: str
    text: str  # verbatim passage
    score: float
    quote: str = ""  # the sentence(s) of `text` the answer quotes


@dataclass(frozen=True)
class Answer:
    """What every surface shows: text with [n] markers, its citations, and whether it refused."""

    question: str
    text: str
    citations: list[Citation]
    refused: bool
    mode: str = "extractive"  # extractive | llm
    # "" | not_covered | not_stated | invalid_question | no_index | empty_scope (no document matches the filters)
    # | greeting (a hello or a request for help: the text is a short help) | unclear (no recognisable words)
    refusal_kind: str = ""
    notice: str = ""  # e.g. "LLM unreachable, answered extractively"
    timings: dict[str, float] = field(default_factory=dict)
    prompt_hash: str = ""
    verification: list[str] = field(default_factory=list)  # what verify() dropped or changed
    scope: str = ""  # the filters the answer was limited to, in words ("仅在：厦门 · 2025年以后"); "" = all documents


@dataclass(frozen=True)
class Scope:
    """Which documents a question may be answered from; an empty field does not narrow."""

    cities: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # Document.kind values (reply, plan, news, measures, other)
    date_from: str = ""  # inclusive ISO prefix: "2025" or "2025-03-01"
    date_to: str = ""
    doc_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any((self.cities, self.issuers, self.kinds, self.date_from, self.date_to, self.doc_ids))
