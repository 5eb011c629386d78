"""The systems evaluated side by side, all answered by the same extractive answerer over their own retrieval."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from assistant import Assistant
from assistant.ingest.embed import CachedEmbedder
from assistant.types import Answer, Chunk, Hit

SYSTEMS = ("full", "dense", "bm25", "stock-llamaindex")
_MODES = {"full": "hybrid", "dense": "dense", "bm25": "bm25"}
_STOCK_POSITION = 10**6  # stock nodes are not chunks of the index: keep the answerer from joining a neighbour


class Passage(NamedTuple):
    """A retrieved or cited passage."""

    doc_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """A system's answer as the harness scores it."""

    text: str
    refused: bool
    refusal_kind: str  # "" | not_covered | not_stated | …, as the answerer labelled its refusal
    cited: dict[int, Passage]  # citation number [n] → the passage it cites
    labels: dict[int, str]  # citation number [n] → its document's label as the answer may print it (文号, title…)
    used: list[Passage]  # the ranked passages the answerer drew on (its top_k hits)
    sources: list[str]  # texts a number in the answer may come from: cited passages and their documents' labels
    latency_ms: float


class System(Protocol):
    """What the harness needs from a system under evaluation."""

    name: str
    description: str

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]: ...

    def answer(self, question: str, history: Sequence[dict]) -> Reply: ...


def reply_from(answer: Answer, hits: Sequence[Hit], latency_ms: float) -> Reply:
    """The harness's view of an Answer composed from `hits`."""
    labels = [" ".join((c.doc_number, c.title, c.date, c.section)) for c in answer.citations]
    return Reply(
        text=answer.text,
        refused=answer.refused,
        refusal_kind=answer.refusal_kind,
        cited={c.n: Passage(c.doc_id, c.text) for c in answer.citations},
        labels={c.n: label for c, label in zip(answer.citations, labels, strict=True)},
        used=[Passage(hit.chunk.doc_id, hit.chunk.text) for hit in hits],
        sources=[c.text for c in answer.citations] + labels,
        latency_ms=latency_ms,
    )


class AssistantSystem:
    """The assistant in one retrieval mode; its extractive answerer quotes the top_k hits it retrieved."""

    def __init__(self, name: str, assistant: Assistant) -> None:
        self.name = name
        self.assistant = assistant
        settings = assistant.settings
        self.description = f"Assistant, retrieval_mode={settings.retrieval_mode}, top_k={settings.top_k}, {settings.answer_mode} answers"

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]:
        hits = self.assistant.retrieve(question, list(history), k)
        return [Passage(hit.chunk.doc_id, hit.chunk.text) for hit in hits]

    def answer(self, question: str, history: Sequence[dict]) -> Reply:
        # As a user gets it: a multi-part question part by part, each part's passages among those it used.
        started = time.perf_counter()
        answer, hits = self.assistant.ask_with_hits(question, list(history), self.assistant.settings.top_k)
        return reply_from(answer, hits, (time.perf_counter() - started) * 1000)


class StockLlamaIndexSystem:
    """Stock llama-index retrieval (SentenceSplitter() defaults, in-memory VectorStoreIndex, dense top_k on the
    question alone), answered by the assistant's own extractive answerer over the retrieved nodes."""

    name = "stock-llamaindex"

    def __init__(self, documents: Sequence[Any], base: Assistant) -> None:
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        from assistant.ingest.llama_embed import LlamaEmbedding

        docs = [
            Document(
                text=doc.text,
                id_=doc.doc_id,
                metadata={"doc_id": doc.doc_id},
                excluded_embed_metadata_keys=["doc_id"],
                excluded_llm_metadata_keys=["doc_id"],
            )
            for doc in documents
        ]
        nodes = SentenceSplitter().get_nodes_from_documents(docs)
        self.passages = len(nodes)
        self.base = base
        self.top_k = base.settings.top_k
        self.index = VectorStoreIndex(nodes, embed_model=LlamaEmbedding(base.embedder))
        self.query_model = LlamaEmbedding(fresh_queries(base.embedder))
        self.description = (
            f"llama-index SentenceSplitter() defaults ({self.passages} nodes) + in-memory VectorStoreIndex,"
            f" dense top_k={self.top_k} on the question alone; the assistant's extractive answerer over those nodes"
        )

    def _hits(self, question: str, k: int) -> list[Hit]:
        # Stock retrievers take the question alone: no history, no query rewriting.
        retriever = self.index.as_retriever(similarity_top_k=k, embed_model=self.query_model)
        return [node_hit(result, rank) for rank, result in enumerate(retriever.retrieve(question), 1)]

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]:
        return [Passage(hit.chunk.doc_id, hit.chunk.text) for hit in self._hits(question, k)]

    def answer(self, question: str, history: Sequence[dict]) -> Reply:
        started = time.perf_counter()
        hits = self._hits(question, self.top_k)
        answer = self.base.answer_from_hits(question, hits, list(history))
        return reply_from(answer, hits, (time.perf_counter() - started) * 1000)


def node_hit(result: Any, rank: int) -> Hit:
    """A llama-index NodeWithScore as a Hit; its position lies past any real chunk, so no neighbour is joined."""
    doc_id = result.node.metadata["doc_id"]
    score = float(result.score or 0.0)
    chunk = Chunk(f"{doc_id}#stock-{rank}", doc_id, result.node.get_content(), "", _STOCK_POSITION + rank)
    return Hit(chunk, score, dense_rank=rank, dense_score=score)


def fresh_queries(embedder: CachedEmbedder) -> CachedEmbedder:
    """The same model behind a memory-only cache, so each question is embedded (and timed) once, as when new."""
    return CachedEmbedder(embedder.inner, None, embedder.batch_size)


def assistant_in_mode(base: Assistant, mode: str) -> Assistant:
    """The base's index and lexicon, retrieving in `mode`, embedding questions without the on-disk cache."""
    settings = base.settings.model_copy(update={"retrieval_mode": mode})
    return Assistant(settings, base.index, fresh_queries(base.embedder), base.lexicon, base.llm)


def build_systems(names: Sequence[str], base: Assistant) -> list[System]:
    """The named systems over one ingested assistant, in the order given."""
    unknown = [name for name in names if name not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    systems: list[System] = []
    for name in names:
        if name in _MODES:
            systems.append(AssistantSystem(name, assistant_in_mode(base, _MODES[name])))
        else:
            from assistant.ingest.load import load_corpus

            documents, _ = load_corpus(base.settings.corpus_dir, base.settings.max_file_bytes)
            systems.append(StockLlamaIndexSystem(documents, base))
    return systems
