"""Crash safety: kill -9 during ingest, and deleted or damaged index files, never leave a half-built index visible."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import CORPUS, NEWS, REPLY_2023
from robustness_support import (
    NEWS_ID,
    NOTICE,
    QUESTIONS,
    REPLY_ID,
    assert_cites_real_passages,
    assert_consistent,
    cli,
    cli_env,
    make_corpus,
    passages,
    statuses,
    vector_ids,
)

from assistant import Assistant, Settings

# --- kill -9 during ingest ---------------------------------------------------------------------------------------


def statuses_so_far(index_dir: Path) -> dict[str, str]:
    """Document statuses, or none while the child has not yet created its chunk store."""
    if not (index_dir / "chunks.sqlite").exists():
        return {}
    try:
        return statuses(index_dir)
    except sqlite3.OperationalError:  # the file exists, its tables not yet
        return {}


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An ingest killed with SIGKILL after its first document was ready, and what was visible right after."""
    root = tmp_path_factory.mktemp("killed")
    make_corpus(root, {"a-notice.txt": NOTICE.encode(), "b-news.txt": (CORPUS / NEWS).read_bytes()})
    # A fresh embedding cache, so the second document is still embedding (4 passages a batch) when killed.
    child = cli(["ingest"], cli_env(root, POLICYQA_EMBED_BATCH_SIZE=4))
    deadline = time.monotonic() + 180
    while True:
        assert child.poll() is None, f"ingest ended before it could be killed: {child.communicate()}"
        assert time.monotonic() < deadline, "no document became ready in time"
        if "ready" in statuses_so_far(root / "index").values():
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    at_kill = statuses(root / "index")
    assistant = Assistant.from_settings(
        Settings(corpus_dir=root / "corpus", index_dir=root / "index", embed_batch_size=4)
    )
    snap = assistant.index.snapshot()
    visible = {cid: c.text for cid, c in snap.chunks.items()}
    return {"assistant": assistant, "at_kill": at_kill, "visible": visible, "vectors": vector_ids(assistant)}


@pytest.fixture(scope="module")
def restarted(killed: dict) -> dict:
    """The killed index after the next ingest."""
    return {"assistant": killed["assistant"], "report": killed["assistant"].ingest()}


def test_kill_9_mid_ingest_leaves_only_complete_documents_visible(killed: dict) -> None:
    assert killed["at_kill"].get("a-notice") == "ready"
    assert killed["at_kill"].get("b-news") != "ready"  # killed while the news page was being indexed
    complete = {
        cid: text for cid, text in passages(killed["assistant"].settings.corpus_dir).items() if "a-notice" in cid
    }
    assert killed["visible"] == complete
    assert set(complete) <= killed["vectors"]


def test_ingest_after_kill_9_indexes_the_interrupted_document(restarted: dict) -> None:
    report = restarted["report"]
    assert report.unchanged == ["a-notice"]
    assert report.added + report.updated == ["b-news"]
    assert report.errors == []
    assert_consistent(restarted["assistant"])


def test_answers_after_kill_9_cite_real_passages(restarted: dict) -> None:
    assert_cites_real_passages(restarted["assistant"], QUESTIONS)


def test_pending_document_is_hidden_until_reingested(tmp_path: Path, embedding_cache: Path) -> None:
    make_corpus(tmp_path, {REPLY_2023: (CORPUS / REPLY_2023).read_bytes(), NEWS: (CORPUS / NEWS).read_bytes()})
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embed_cache=embedding_cache)
    Assistant.from_settings(settings).ingest()
    with sqlite3.connect(tmp_path / "index" / "chunks.sqlite") as db:  # what kill -9 before mark_ready leaves
        db.execute("UPDATE docs SET status = 'pending' WHERE doc_id = ?", (NEWS_ID,))
    restarted = Assistant.from_settings(settings)
    assert set(restarted.snapshot().docs) == {REPLY_ID}
    report = restarted.ingest()
    assert (report.updated, report.unchanged) == ([NEWS_ID], [REPLY_ID])
    assert set(restarted.snapshot().docs) == {REPLY_ID, NEWS_ID}


# --- deleted or damaged index files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Path:
    """A corpus and its index, built by `python -m assistant ingest` in a process that has exited."""
    root = tmp_path_factory.mktemp("pristine")
    make_corpus(root, {REPLY_2023: (CORPUS / REPLY_2023).read_bytes(), NEWS: (CORPUS / NEWS).read_bytes()})
    out, err = cli(["ingest"], cli_env(root, POLICYQA_EMBED_CACHE=embedding_cache)).communicate(timeout=600)
    assert "ingested 2 new" in out, err
    return root


@pytest.fixture
def damaged(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the pristine corpus and index, for one test to damage."""
    shutil.copytree(pristine, tmp_path / "copy")
    return tmp_path / "copy"


def reopen(root: Path, cache: Path | None) -> Assistant:
    return Assistant.from_settings(Settings(corpus_dir=root / "corpus", index_dir=root / "index", embed_cache=cache))


def garble(path: Path, start: int = 0, length: int = 4096) -> None:
    data = bytearray(path.read_bytes())
    data[start : start + length] = os.urandom(min(length, len(data) - start))
    path.write_bytes(bytes(data))


def set_aside_folder(root: Path) -> Path:
    (folder,) = (root / "index").glob("broken-*")
    return folder


def test_deleted_index_directory_says_ingest_and_is_rebuilt(damaged: Path, embedding_cache: Path) -> None:
    shutil.rmtree(damaged / "index")
    assistant = reopen(damaged, embedding_cache)
    empty = assistant.ask(QUESTIONS[0])
    assert empty.refusal_kind == "no_index"
    assert empty.text.startswith("索引为空：请先运行 `python -m assistant ingest`")
    assert sorted(assistant.ingest().added) == [REPLY_ID, NEWS_ID]
    assert_consistent(assistant)
    assert_cites_real_passages(assistant, QUESTIONS[:2])


def test_emptied_chunk_store_is_rebuilt_without_stale_vectors(damaged: Path, embedding_cache: Path) -> None:
    (damaged / "index" / "chunks.sqlite").write_bytes(b"")
    assistant = reopen(damaged, embedding_cache)
    assert assistant.snapshot().docs == {}
    assert sorted(assistant.ingest().added) == [REPLY_ID, NEWS_ID]
    assert_consistent(assistant)


@pytest.mark.parametrize("damage", ["garbled-header", "garbled-pages", "cut-in-half"])
def test_damaged_chunk_store_is_set_aside_and_rebuilt(damaged: Path, embedding_cache: Path, damage: str) -> None:
    store = damaged / "index" / "chunks.sqlite"
    size = store.stat().st_size
    if damage == "garbled-header":
        garble(store, 0, 100)
    elif damage == "garbled-pages":
        garble(store, 4096, size)
    else:
        store.write_bytes(store.read_bytes()[: size // 2])
    assistant = reopen(damaged, embedding_cache)
    (note,) = assistant.index.recovered
    assert note.startswith("the chunk store is damaged (chunks.sqlite: ")
    assert "`python -m assistant ingest` rebuilds the index" in note
    assert (set_aside_folder(damaged) / "chunks.sqlite").exists()
    assert assistant.ask(QUESTIONS[0]).refusal_kind == "no_index"
    assistant.ingest()
    assert_consistent(assistant)
    assert_cites_real_passages(assistant, QUESTIONS[:2])


def test_deleted_vector_store_reindexes_the_ready_documents(damaged: Path, embedding_cache: Path) -> None:
    shutil.rmtree(damaged / "index" / "chroma")
    assistant = reopen(damaged, embedding_cache)
    assert assistant.index.recovered == [
        "2 indexed documents have no vectors (the vector store was deleted or replaced): answers use keyword "
        "search alone until `python -m assistant ingest` restores them"
    ]
    assert_cites_real_passages(assistant, QUESTIONS[:1])  # keyword search still answers meanwhile
    report = assistant.ingest()
    assert sorted(report.updated) == [REPLY_ID, NEWS_ID]
    assert report.chunks_embedded == len(passages(damaged / "corpus"))
    assert_consistent(assistant)


@pytest.mark.parametrize("damage", ["garbled-header", "cut-in-half"])
def test_damaged_vector_store_is_set_aside_and_rebuilt(damaged: Path, embedding_cache: Path, damage: str) -> None:
    database = damaged / "index" / "chroma" / "chroma.sqlite3"
    if damage == "garbled-header":
        garble(database, 0, 4096)
    else:
        database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    assistant = reopen(damaged, embedding_cache)
    assert assistant.index.recovered[0].startswith("the vector store is damaged (")
    assert (set_aside_folder(damaged) / "chroma" / "chroma.sqlite3").exists()
    assert sorted(assistant.ingest().updated) == [REPLY_ID, NEWS_ID]
    assert_consistent(assistant)
    assert_cites_real_passages(assistant, QUESTIONS[:2])


def test_damaged_embedding_cache_is_set_aside_and_started_afresh(damaged: Path) -> None:
    cache = damaged / "index" / "embeddings.sqlite"
    cache.write_bytes(os.urandom(8192))
    assistant = reopen(damaged, None)  # the cache in the index folder
    (note,) = assistant.index.recovered
    assert note.startswith("the embedding cache is damaged (embeddings.sqlite: file is not a database)")
    assert (set_aside_folder(damaged) / "embeddings.sqlite").exists()
    with sqlite3.connect(cache) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert_cites_real_passages(assistant, QUESTIONS[:2])


def test_cli_ingest_on_a_damaged_index_warns_and_rebuilds_without_traceback(
    damaged: Path, embedding_cache: Path
) -> None:
    garble(damaged / "index" / "chunks.sqlite", 0, 100)
    child = cli(["ingest"], cli_env(damaged, POLICYQA_EMBED_CACHE=embedding_cache))
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    assert "the chunk store is damaged (chunks.sqlite: file is not a database): moved to " in err
    assert "Traceback" not in out + err
    assert "ingested 2 new, 0 changed, 0 removed, 0 unchanged" in out


class UnreachableVectorStore:
    """A vector store whose collection fails every query, like a Chroma server that went away."""

    @property
    def client(self) -> UnreachableVectorStore:
        return self

    def query(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("chroma server unreachable")


def test_failing_vector_store_answers_from_keyword_search_with_a_warning(
    damaged: Path, embedding_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assistant = reopen(damaged, embedding_cache)  # an intact copy; the failure comes from the store
    assistant.index.vector_store = UnreachableVectorStore()
    answer = assistant.ask(QUESTIONS[0])
    assert not answer.refused
    assert_cites_real_passages(assistant, QUESTIONS[:1])
    assert "dense search failed, answering from keyword search alone: chroma server unreachable" in caplog.text


def test_a_collection_name_chroma_rejects_is_a_clear_error_and_the_index_stays(tmp_path: Path) -> None:
    index = tmp_path / "index"
    (index / "kept").mkdir(parents=True)
    with pytest.raises(ValueError, match="collection"):
        Settings(corpus_dir=tmp_path, index_dir=index, collection="p2")  # Chroma needs 3+ characters
    assert [p.name for p in index.iterdir()] == ["kept"]  # nothing moved aside as "damaged"
