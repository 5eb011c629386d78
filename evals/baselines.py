"""The systems evaluated side by side: the full assistant, its dense-only and BM25-only modes, stock llama-index."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from assistant import Assistant
from assistant.ingest.embed import CachedEmbedder
from assistant.types import Answer

SYSTEMS = ("full", "dense", "bm25", "stock-llamaindex")
_MODES = {"full": "hybrid", "dense": "dense", "bm25": "bm25"}


class Passage(NamedTuple):
    """A retrieved or cited passage."""

    doc_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """A system's answer as the harness scores it."""

    text: str
    refused: bool
    cited: list[Passage]
    sources: list[str]  # texts a number in the answer may come from: cited passages and their documents' labels
    latency_ms: float


class System(Protocol):
    """What the harness needs from a system under evaluation."""

    name: str
    description: str

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]: ...

    def answer(self, question: str, history: Sequence[dict]) -> Reply: ...


class AssistantSystem:
    """The assistant in one retrieval mode, answering with its own extractive answerer."""

    def __init__(self, name: str, assistant: Assistant) -> None:
        self.name = name
        self.assistant = assistant
        self.description = (
            f"Assistant, retrieval_mode={assistant.settings.retrieval_mode}, {assistant.settings.answer_mode} answers"
        )

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]:
        hits = self.assistant.retrieve(question, list(history), k)
        return [Passage(hit.chunk.doc_id, hit.chunk.text) for hit in hits]

    def answer(self, question: str, history: Sequence[dict]) -> Reply:
        started = time.perf_counter()
        answer = self.assistant.ask(question, history=list(history))
        latency = (time.perf_counter() - started) * 1000
        cited = [Passage(c.doc_id, c.text) for c in answer.citations]
        return Reply(answer.text, answer.refused, cited, _sources(answer), latency)


def _sources(answer: Answer) -> list[str]:
    """Cited passages plus the labels the answer may print for them (文号, title, date, section)."""
    labels = [" ".join((c.doc_number, c.title, c.date, c.section)) for c in answer.citations]
    return [c.text for c in answer.citations] + labels


class StockLlamaIndexSystem:
    """Stock llama-index: SentenceSplitter() defaults, in-memory VectorStoreIndex, dense-only top-k.

    There is no LLM offline, so its "answer" is the top-1 retrieved passage; it never refuses.
    """

    name = "stock-llamaindex"
    description = "llama-index SentenceSplitter() defaults + in-memory VectorStoreIndex, dense top-k; answer = top-1 passage, never refuses"

    def __init__(self, documents: Sequence[Any], embedder: CachedEmbedder) -> None:
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
        self.index = VectorStoreIndex(nodes, embed_model=LlamaEmbedding(embedder))
        self.query_model = LlamaEmbedding(fresh_queries(embedder))

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]:
        # Stock retrievers take the question alone: no history, no query rewriting.
        retriever = self.index.as_retriever(similarity_top_k=k, embed_model=self.query_model)
        results = retriever.retrieve(question)
        return [Passage(r.node.metadata["doc_id"], r.node.get_content()) for r in results]

    def answer(self, question: str, history: Sequence[dict]) -> Reply:
        started = time.perf_counter()
        top = self.retrieve(question, history, 1)
        latency = (time.perf_counter() - started) * 1000
        text = top[0].text if top else ""
        return Reply(text, False, top[:1], [p.text for p in top[:1]], latency)


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
            systems.append(StockLlamaIndexSystem(documents, base.embedder))
    return systems
