"""Typed records passed between pipeline stages: Document → Chunk → Hit → Answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


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
    aliases: tuple[tuple[str, str], ...] = ()  # (short, full) names the text defines ("以下简称《若干措施》")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        """A document from its stored metadata (JSON turns the alias pairs into lists)."""
        return cls(**{**data, "aliases": tuple((str(s), str(f)) for s, f in data.get("aliases", ()))})


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage; `start`/`end` locate it in `Document.text`."""

    chunk_id: str  # f"{doc_id}#{sha1(section, text)[:12]}": kept by edits elsewhere in the document
    doc_id: str
    text: str
    section: str  # heading path, " > " separated
    position: int  # order in the document (0, 1, …): Snapshot.chunk_at finds a neighbour
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
    refusal_kind: RefusalKind = ""  # why it refused ("" when it answered); see RefusalKind
    notice: str = ""  # e.g. "LLM unreachable, answered extractively"
    timings: dict[str, float] = field(default_factory=dict)
    prompt_hash: str = ""
    config_hash: str = ""  # Settings.config_hash() of the settings that produced it
    verification: list[str] = field(default_factory=list)  # what verify() dropped or changed
    scope: str = ""  # the filters the answer was limited to, in words ("仅在：厦门 · 2025年以后"); "" = all documents


Turn = Mapping[str, str]  # one chat message: {"role": "user" | "assistant", "content": text}

# Why an answer refused: not_covered (the documents do not cover it), not_stated (mentioned, not what was asked),
# invalid_question, no_index, empty_scope (no document matches the filters), greeting (a hello or a request for
# help: the text is a short help), unclear (no recognisable words).
RefusalKind = Literal[
    "", "not_covered", "not_stated", "invalid_question", "no_index", "empty_scope", "greeting", "unclear"
]
AnswerType = Literal[
    "amount",
    "count",
    "ratio",
    "figure",
    "date",
    "year",
    "entity",
    "place",
    "list",
    "yesno",
    "comparison",
    "superlative",
    "explanation",
]


@dataclass(frozen=True)
class Query:
    """A question made ready for search: normalized text, BM25 tokens and the concepts to cover."""

    text: str  # normalized, with follow-ups resolved against the history
    keywords: list[str]  # BM25 tokens of the question itself, then of its expansions (no repeats)
    expansion_keywords: list[str]  # the tokens that come only from expansions (weighted lower)
    expansions: list[str]  # glossary terms added to the question
    english: bool
    places: list[str]  # place names the (resolved) question mentions
    concepts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # term → terms that stand for it
    carried: frozenset[str] = frozenset()  # concept terms that only the previous question brought (weighted lower)

    @property
    def own_keywords(self) -> list[str]:
        """The keywords at full weight: the question's own, without expansions or carried-over words."""
        extra = set(self.expansion_keywords)
        return [t for t in self.keywords if t not in extra]


@dataclass(frozen=True)
class Constraints:
    """What an answer must match jointly: the same places, years or periods, documents and kind of figure."""

    places: tuple[str, ...] = ()  # short names: 泉州, 四川
    years: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()  # planning periods: 十四五
    documents: tuple[str, ...] = ()  # doc_ids the question names firmly (文号, or year and kind)
    kinds: tuple[str, ...] = ()  # document kinds it names without a year (规划, 答复)
    target: bool | None = None  # True asks a target (目标/力争), False an actual, None either
    growth: bool = False  # asks a rate of change (增长/增速), not a level
    organisations: tuple[str, ...] = ()  # names of organisations it asks about, without 公司/大学 (华为, 清华)
    # What it measures: the forms of its two most specific concepts (高新技术企业, in a question on a city's count of them).
    measure: tuple[tuple[str, ...], ...] = ()
    # The tiers it names (省级; 良好 and 优秀), each with its whole set (国家级, 省级, 市级…): vocabulary [contrasts].
    tiers: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Intent:
    """The one reading of a question that retrieval, answering and refusal share."""

    question: str  # as asked
    query: Query  # the search form of the resolved question
    answer_type: AnswerType
    constraints: Constraints
    wants_list: bool = False
    list_size: int = 0  # the number of items a list question names ("六大…", "哪三个"), 0 when it names none
    compare: bool = False
    which_documents: bool = False  # asks which documents say something ("哪些文件提到了…"): one quote per document
    support: bool = False  # asks about support (补贴/资助/grant): an amount or the ratio it is computed by
    about_document: bool = (
        False  # asks a fact of the document itself (its date, 文号, issuer), which its metadata lines state
    )
    parts: tuple[str, ...] = ()  # sub-questions of a multi-part question, each answered on its own
    instructions: str = ""  # the caller's own system message: honoured by the LLM answerer, under its rules

    @property
    def english(self) -> bool:
        return self.query.english


@dataclass(frozen=True)
class Candidate:
    """A verbatim sentence (or clause window, or table row) of a hit, with its relevance score."""

    hit_index: int
    text: str
    score: float
    coverage: float
    order: int = 0  # index of the sentence within its chunk
    own: float = 1.0  # share of the question the sentence covers in its own words (not its document's title)


@dataclass(frozen=True)
class Verdict:
    """Whether to refuse, why, and the candidates worth quoting with the refusal."""

    refused: bool
    kind: RefusalKind = ""
    missing: list[str] = field(default_factory=list)  # places/years/periods/the kind of figure the evidence lacks
    quoted: list[Candidate] = field(default_factory=list)


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
