"""Who may change the corpus and read it over HTTP, rate limits, answer slots and time limits, the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, NEWS, REPLY_2023
from servers import generous, serve_asgi

from assistant import Assistant, Settings
from assistant.http import create_app
from assistant.http.limits import Guards, RateLimiter
from assistant.types import Answer

pytestmark = pytest.mark.slow
ADMIN, KEY_A, KEY_B = "admin-token-for-tests", "key-a", "key-b"
PILOT = "中试基地能获得什么补贴？"
NEWS_ID = NEWS.removesuffix(".txt")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def small_settings(root: Path, **security: object) -> Settings:
    (root / "corpus").mkdir(parents=True)
    for name in ("glossary.toml", REPLY_2023, NEWS):
        shutil.copy(CORPUS / name, root / "corpus" / name)
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index", collection="policyqa_security", **security)


@pytest.fixture
def guarded(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[str, Assistant]]:
    """A server with an admin token and two API keys over a two-document corpus in tmp_path."""
    settings = small_settings(tmp_path, admin_token=ADMIN, api_keys=f"{KEY_A},{KEY_B}", embed_cache=embedding_cache)
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    with serve_asgi(create_app(assistant, guards=generous(settings))) as url:
        yield url, assistant


def test_ingest_without_a_token_is_401_asking_for_bearer(guarded):
    url, _ = guarded
    response = httpx.post(f"{url}/api/ingest")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["type"] == "unauthorized"


def test_ingest_with_a_reader_key_is_401(guarded):
    url, _ = guarded
    assert httpx.post(f"{url}/api/ingest", headers=bearer(KEY_A)).status_code == 401


def test_ingest_with_the_admin_token_runs_and_is_audited(guarded):
    url, assistant = guarded
    response = httpx.post(f"{url}/api/ingest", headers=bearer(ADMIN), timeout=60)
    assert response.status_code == 200 and len(response.json()["unchanged"]) == 2
    entry = json.loads((assistant.settings.index_dir / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "ingest" and entry["result"] == "ok" and entry["who"].startswith("token:")
    assert ADMIN not in json.dumps(entry)


def test_delete_without_a_token_is_refused_and_the_document_stays(guarded):
    url, assistant = guarded
    assert httpx.delete(f"{url}/api/documents/{NEWS_ID}", headers=bearer(KEY_A)).status_code == 401
    assert assistant.document(NEWS_ID) is not None and (assistant.settings.corpus_dir / NEWS).is_file()


def test_delete_with_the_admin_token_removes_the_document_and_logs_its_hash(guarded):
    url, assistant = guarded
    digest = hashlib.sha256((assistant.settings.corpus_dir / NEWS).read_bytes()).hexdigest()
    response = httpx.delete(f"{url}/api/documents/{NEWS_ID}", headers=bearer(ADMIN), timeout=60)
    assert response.status_code == 200 and response.json()["removed"] == [NEWS_ID]
    assert assistant.document(NEWS_ID) is None
    entry = json.loads((assistant.settings.index_dir / "audit.jsonl").read_text().splitlines()[-1])
    assert (entry["action"], entry["file"], entry["sha256"], entry["result"]) == ("delete", NEWS, digest, "ok")


def test_reading_needs_an_api_key_when_keys_are_configured(guarded):
    url, _ = guarded
    assert httpx.get(f"{url}/api/documents").status_code == 401
    assert httpx.get(f"{url}/v1/models", headers=bearer("wrong")).status_code == 401
    assert httpx.get(f"{url}/api/documents", headers=bearer(KEY_B)).status_code == 200


async def test_without_a_token_corpus_changes_from_another_machine_are_403(tmp_path, embedding_cache):
    settings = small_settings(tmp_path, embed_cache=embedding_cache)
    assistant = Assistant.from_settings(settings)
    transport = httpx.ASGITransport(create_app(assistant), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://policyqa") as remote:
        ingest = await remote.post("/api/ingest")
        delete = await remote.delete(f"/api/documents/{NEWS_ID}")
        health = await remote.get("/api/health")
    assert ingest.status_code == delete.status_code == 403 and "loopback" in ingest.json()["error"]["message"]
    assert health.status_code == 200  # reading stays open
    assert (settings.corpus_dir / NEWS).is_file()


async def test_a_burst_over_the_limit_gets_429_with_retry_after_while_others_are_served(tmp_path, assistant):
    settings = assistant.settings.model_copy(update={"api_keys": f"{KEY_A},{KEY_B}", "ask_burst": 2})
    with serve_asgi(create_app(assistant, guards=Guards.from_settings(settings))) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            asks = (http.post("/api/ask", json={"question": PILOT}, headers=bearer(KEY_A)) for _ in range(5))
            burst = await asyncio.gather(*asks)
            other = await http.post("/api/ask", json={"question": PILOT}, headers=bearer(KEY_B))
    statuses = sorted(r.status_code for r in burst)
    assert statuses == [200, 200, 429, 429, 429]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in burst if r.status_code == 429)
    assert other.status_code == 200 and other.json()["citations"]


def test_token_bucket_refills_with_time():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])
    assert limiter.take("a") == 0 and limiter.take("a") == pytest.approx(1.0)
    now[0] = 1.0
    assert limiter.take("a") == 0


class Slow:
    """An assistant whose answers take `seconds`."""

    settings = None

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def aask(self, question, history, *, top_k=None, mode=None, filters=None) -> Answer:
        await asyncio.sleep(self.seconds)
        return Answer(question=question, text="好。", citations=[], refused=True, refusal_kind="not_covered")


def slow_guards(**limits: object) -> Guards:
    return Guards.from_settings(Settings(**limits))


def test_an_answer_over_the_time_limit_is_504():
    with serve_asgi(create_app(Slow(2), guards=slow_guards(answer_timeout=0.2))) as url:
        response = httpx.post(f"{url}/api/ask", json={"question": PILOT}, timeout=30)
    assert response.status_code == 504 and response.json()["error"]["type"] == "timeout"


async def test_questions_beyond_the_answer_slots_get_503_with_retry_after():
    guards = slow_guards(max_concurrent_answers=1, answer_queue_timeout=0.2)
    with serve_asgi(create_app(Slow(1.0), guards=guards)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            first, second = await asyncio.gather(
                http.post("/api/ask", json={"question": PILOT}), http.post("/api/ask", json={"question": PILOT})
            )
    assert sorted([first.status_code, second.status_code]) == [200, 503]
    assert (first if first.status_code == 503 else second).headers["Retry-After"] == "1"


def test_a_wrong_method_is_405_naming_every_allowed_method(guarded):
    url, _ = guarded
    response = httpx.put(f"{url}/api/documents/{NEWS_ID}", headers=bearer(KEY_A))
    assert response.status_code == 405
    assert {"DELETE", "GET"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_local_proxy_forwarding_a_remote_client_gets_403_without_a_token(assistant):
    with serve_asgi(create_app(assistant)) as url:  # uvicorn trusts X-Forwarded-For from 127.0.0.1
        response = httpx.post(f"{url}/api/ingest", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden"


def test_a_finished_stream_gives_its_answer_slot_back(assistant):
    guards = generous(assistant.settings, max_concurrent_answers=1, answer_queue_timeout=2.0)
    with serve_asgi(create_app(assistant, guards=guards)) as url:
        codes = [
            httpx.post(f"{url}/api/ask/stream", json={"question": PILOT}, timeout=60).status_code for _ in range(3)
        ]
    assert codes == [200, 200, 200]
