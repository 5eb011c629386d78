"""The stock llama-index query path over the same documents, for a side-by-side latency ratio."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from assistant.ingest.llama_embed import LlamaEmbedding
from assistant.types import Document


def build_stock_retriever(documents: Iterable[Document], embedder: Any) -> tuple[Any, dict[str, float]]:
    """SentenceSplitter defaults + VectorStoreIndex (in-memory) + as_retriever(similarity_top_k=5)."""
    from llama_index.core import Document as LlamaDocument
    from llama_index.core import VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    started = time.perf_counter()
    docs = [LlamaDocument(text=d.text, metadata={"title": d.title}) for d in documents]
    index = VectorStoreIndex.from_documents(
        docs, transformations=[SentenceSplitter()], embed_model=LlamaEmbedding(embedder)
    )
    nodes = len(index.docstore.docs)
    return index.as_retriever(similarity_top_k=5), {"nodes": nodes, "build_s": round(time.perf_counter() - started, 2)}
