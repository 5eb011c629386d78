"""Helpers of the robustness tests: small corpora, the CLI in a child process, index consistency checks."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, REPO

from assistant import Assistant
from assistant.ingest.chunk import split_document
from assistant.ingest.load import load_file

REPLY_ID = "quanzhou-2023-63-reply-pilot-bases"
NEWS_ID = "xiamen-2026-tech-transfer-measures-news"
QUESTIONS = ["中试基地能获得什么补贴？", "厦门对技术转移机构有哪些奖励？", "孵化器的一次性补助最高多少？"]
NOTICE = "关于支持孵化器建设的通知\n\n对新认定的孵化器给予一次性补助，最高30万元；所需资金由市科技局统筹安排。"


def cli(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """`python -m assistant …` in a child process with POLICYQA_* settings."""
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def cli_env(root: Path, **extra: object) -> dict[str, str]:
    env = {"POLICYQA_CORPUS_DIR": root / "corpus", "POLICYQA_INDEX_DIR": root / "index", **extra}
    return {k: str(v) for k, v in env.items()}


def make_corpus(root: Path, files: dict[str, bytes]) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS / "glossary.toml", corpus / "glossary.toml")
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    return corpus


def statuses(index_dir: Path) -> dict[str, str]:
    """Document statuses in the chunk store, read as another process would."""
    with sqlite3.connect(f"file:{index_dir / 'chunks.sqlite'}?mode=ro", uri=True, timeout=30) as db:
        return dict(db.execute("SELECT doc_id, status FROM docs").fetchall())


def passages(corpus: Path) -> dict[str, str]:
    """chunk id → text of every chunk the corpus files give now."""
    found = {}
    for path in sorted(corpus.glob("*.txt")):
        found.update({c.chunk_id: c.text for c in split_document(load_file(path))})
    return found


def vector_ids(assistant: Assistant) -> set[str]:
    return set(assistant.index.vector_store.client.get(include=[])["ids"])


def assert_consistent(assistant: Assistant) -> None:
    """Every document ready, its chunks exactly what its file gives, and one vector per chunk."""
    snap = assistant.index.snapshot()
    expected = passages(assistant.settings.corpus_dir)
    assert {cid: c.text for cid, c in snap.chunks.items()} == expected
    assert set(statuses(assistant.settings.index_dir).values()) == {"ready"}
    assert vector_ids(assistant) == set(expected)


def assert_cites_real_passages(assistant: Assistant, questions: list[str]) -> None:
    real = passages(assistant.settings.corpus_dir)
    for question in questions:
        answer = assistant.ask(question)
        assert answer.citations, question
        for citation in answer.citations:
            assert real[citation.chunk_id] == citation.text
