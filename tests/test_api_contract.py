"""schemathesis (every check, a bounded number of examples per operation) against /openapi.json: 0 failures.

It runs as a reader (an API key) and as the admin, over a one-document corpus in tmp_path, so the
fuzzer may delete and re-index without touching the session index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, REPLY_2023
from servers import generous, serve_asgi

from assistant import Assistant, Settings
from assistant.http import create_app

pytestmark = pytest.mark.slow
EXAMPLES = 25  # per operation and phase; the whole run takes a few seconds
READER, ADMIN = "reader-key-for-tests", "admin-token-for-tests"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("contract")
    (root / "corpus").mkdir()
    for name in ("glossary.toml", REPLY_2023):
        shutil.copy(CORPUS / name, root / "corpus" / name)
    settings = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        collection="policyqa_contract",
        embed_cache=embedding_cache,
        admin_token=ADMIN,
        api_keys=READER,
    )
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    with serve_asgi(create_app(assistant, max_body_bytes=64 * 1024, guards=generous(settings))) as url:
        yield url


# A body over the size limit is refused with 413 before it is read, which every route declares; schemathesis's
# negative-data check lists 413 only when told to.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = "".join(
    f'[[operations]]\ninclude-name = "POST {path}"\nchecks.negative_data_rejection.expected-statuses = {REJECTIONS}\n\n'
    for path in ("/api/ask", "/api/ask/stream", "/v1/chat/completions")
).replace("'", '"')


def schemathesis(base_url: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json",
        "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", "13", "--no-color",
        "--header", f"Authorization: Bearer {token}",
    ]  # fmt: skip
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("token", [READER, ADMIN], ids=["reader", "admin"])
def test_schemathesis_finds_no_failure_with_every_check(base_url: str, token: str, tmp_path: Path) -> None:
    run = schemathesis(base_url, token, tmp_path)
    assert run.returncode == 0, (
        run.stdout[-6000:]
        + run.stderr[-2000:]
        + "\n"
        + "\n".join(line for line in run.stdout.splitlines() if line.startswith(("___", "- ST", "[")))
    )
    assert " generated, " in run.stdout and " passed" in run.stdout.split("Test cases:")[-1]
