"""Concurrency: questions during an ingest see a consistent index; a second ingest at once is refused clearly."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from conftest import CORPUS, NEWS, REPLY_2023
from robustness_support import (
    QUESTIONS,
    assert_consistent,
    cli,
    cli_env,
    make_corpus,
    passages,
)

from assistant import Answer, Assistant, Settings
from assistant.ingest.store import IndexBusyError


def fresh_notice(nonce: str, paragraphs: int) -> str:
    """A notice no embedding cache has seen (the nonce), so indexing it takes real embedding time."""
    body = "\n\n".join(
        f"第{n}条 对{nonce}项目中新认定的第{n}批孵化器给予一次性补助，最高{n * 10}万元；"
        f"对入驻企业的研发投入按{n}%给予后补助，所需资金由市科技局统筹安排。"
        for n in range(1, paragraphs + 1)
    )
    return f"关于支持孵化器建设的通知（{nonce}）\n\n{body}"


def test_questions_during_an_ingest_cite_real_passages(tmp_path: Path, embedding_cache: Path) -> None:
    make_corpus(tmp_path, {REPLY_2023: (CORPUS / REPLY_2023).read_bytes(), NEWS: (CORPUS / NEWS).read_bytes()})
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embed_cache=embedding_cache)
    writer = Assistant.from_settings(settings)
    writer.ingest()
    before = passages(settings.corpus_dir)
    nonce = uuid.uuid4().hex[:8]
    with (settings.corpus_dir / NEWS).open("a", encoding="utf-8") as news:
        news.write(f"\n\n厦门还将对{nonce}类技术转移项目给予奖励，最高50万元。\n")
    (settings.corpus_dir / "c-notice.txt").write_text(fresh_notice(nonce, 12), encoding="utf-8")
    after = passages(settings.corpus_dir)
    reader = Assistant.from_settings(settings)  # another process's view: its snapshot is read mid-ingest

    answers: list[tuple[bool, Answer]] = []
    failures: list[BaseException] = []
    ingesting = threading.Event()
    ingesting.set()

    def ask_until_done(assistant: Assistant) -> None:
        try:
            while ingesting.is_set():
                for question in QUESTIONS:
                    running = ingesting.is_set()
                    answers.append((running, assistant.ask(question)))
        except BaseException as exc:  # recorded, so the test fails with it
            failures.append(exc)

    askers = [threading.Thread(target=ask_until_done, args=(a,)) for a in (writer, reader, reader)]
    for thread in askers:
        thread.start()
    try:
        report = writer.ingest()
    finally:
        ingesting.clear()
        for thread in askers:
            thread.join(60)
    assert failures == []
    assert sum(running for running, _ in answers) >= 3, "no question was answered while the ingest ran"
    for _, answer in answers:
        versions = set()  # of the passages the ingest changed: one answer never mixes old and new
        for citation in answer.citations:
            old, new = before.get(citation.chunk_id), after.get(citation.chunk_id)
            assert citation.text in (old, new)
            if old != new:
                versions.add(citation.text == new)
        assert len(versions) <= 1
    assert (report.added, report.updated) == (["c-notice"], ["xiamen-2026-tech-transfer-measures-news"])
    assert_consistent(writer)


def test_second_ingest_at_once_gets_index_busy_and_the_index_stays_consistent(tmp_path: Path) -> None:
    make_corpus(tmp_path, {"notice.txt": fresh_notice(uuid.uuid4().hex[:8], 6).encode()})
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embed_batch_size=1)
    first, second = Assistant.from_settings(settings), Assistant.from_settings(settings)
    embedding = threading.Event()
    outcome: list[object] = []

    def ingest_first() -> None:
        try:
            outcome.append(first.ingest(progress=lambda done, total, what: embedding.set()))
        except BaseException as exc:
            outcome.append(exc)
            embedding.set()

    thread = threading.Thread(target=ingest_first)
    thread.start()
    assert embedding.wait(120), "the first ingest never started embedding"
    with pytest.raises(IndexBusyError) as busy:
        second.ingest()
    thread.join(300)
    assert str(busy.value) == f"another ingest is already running on {settings.index_dir}; try again when it finishes"
    assert [type(o).__name__ for o in outcome] == ["IngestReport"]
    report = second.ingest()
    assert (report.unchanged, report.errors) == (["notice"], [])
    assert_consistent(second)


def test_cli_ingest_while_another_runs_exits_1_with_the_message(tmp_path: Path, embedding_cache: Path) -> None:
    make_corpus(tmp_path, {REPLY_2023: (CORPUS / REPLY_2023).read_bytes()})
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embed_cache=embedding_cache)
    holder = Assistant.from_settings(settings)
    with holder.index.ingest_lock():  # what a running ingest holds
        child = cli(["ingest"], cli_env(tmp_path, POLICYQA_EMBED_CACHE=embedding_cache))
        out, err = child.communicate(timeout=300)
    assert child.returncode == 1
    assert err.strip().endswith(
        f"error: another ingest is already running on {settings.index_dir}; try again when it finishes"
    )
    assert "Traceback" not in out + err
    assert holder.ingest().added == ["quanzhou-2023-63-reply-pilot-bases"]
