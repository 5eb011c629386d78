"""Two serving processes over one Chroma server and one index folder: an ingest through one reaches the other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, REPLY_2023
from servers import chroma_server, free_port, wait_until_up

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def replica(env: dict[str, str], log: Path) -> Iterator[str]:
    """`python -m assistant.http` in its own process; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "assistant.http", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/api/health", process, log, 180)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def notice(nonce: str) -> str:
    """A document no replica has seen: the nonce names the programme it funds."""
    return (
        f"关于支持{nonce}孵化器建设的通知\n\n"
        f"一、对新认定的{nonce}孵化器给予一次性补助，最高80万元。\n\n"
        "二、所需资金由市科技局统筹安排。\n"
    )


@pytest.fixture
def shared(tmp_path: Path, embedding_cache: Path) -> Iterator[dict[str, str]]:
    """The environment two replicas share: one corpus, one index folder, one Chroma server, one embedding cache."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (REPLY_2023, "manifest.toml", "glossary.toml"):
        shutil.copy(CORPUS / name, corpus / name)
    with chroma_server(tmp_path) as port:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
        env |= {
            "PYTHONPATH": str(REPO),
            "OMP_WAIT_POLICY": "PASSIVE",
            "POLICYQA_CORPUS_DIR": str(corpus),
            "POLICYQA_INDEX_DIR": str(tmp_path / "index"),
            "POLICYQA_EMBED_CACHE": str(embedding_cache),
            "POLICYQA_CHROMA_HOST": "127.0.0.1",
            "POLICYQA_CHROMA_PORT": str(port),
            "POLICYQA_COLLECTION": f"replicas-{uuid.uuid4().hex[:8]}",
        }
        yield env


def test_document_ingested_through_one_replica_is_cited_by_the_other(shared: dict[str, str], tmp_path: Path) -> None:
    nonce = f"星火{uuid.uuid4().hex[:4]}"
    question = f"{nonce}孵化器最高补助多少？"
    with replica(shared, tmp_path / "a.log") as first, replica(shared, tmp_path / "b.log") as second:
        assert httpx.post(f"{first}/api/ingest", timeout=300).json()["added"] == ["quanzhou-2023-63-reply-pilot-bases"]
        before = httpx.post(f"{second}/api/ask", json={"question": question}, timeout=60).json()
        assert "incubator-notice" not in {c["doc_id"] for c in before["citations"]}

        (Path(shared["POLICYQA_CORPUS_DIR"]) / "incubator-notice.txt").write_text(notice(nonce), encoding="utf-8")
        report = httpx.post(f"{first}/api/ingest", timeout=300).json()
        assert report["added"] == ["incubator-notice"]

        deadline = time.monotonic() + 10  # replicas compare generations every reload_check_s (1 s)
        while True:
            answer = httpx.post(f"{second}/api/ask", json={"question": question}, timeout=60).json()
            cited = {c["doc_id"] for c in answer["citations"]}
            if "incubator-notice" in cited or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert "incubator-notice" in cited, answer
    assert "80万元" in answer["text"]
