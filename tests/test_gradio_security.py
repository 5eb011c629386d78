"""Gradio's side of admin authentication: only /ask in its API, and corpus events that need a signed-in admin.

gradio_client sees the published API; the private events are driven through Gradio's queue over HTTP,
as the browser (or anyone imitating it) sends them, so the server-side checks are what is tested.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, NEWS, REPLY_2023
from gradio_client import Client
from servers import serve_asgi

import app
from assistant import Assistant, Settings

pytestmark = pytest.mark.slow
ADMIN = "gradio-admin-token"
NEWS_ID = NEWS.removesuffix(".txt")
NO_SCOPE = (None, None, None, "", "", None)  # the chat's scope pickers (city, issuer, kind, from, to, documents)


def served(root: Path, embedding_cache: Path, **security: object) -> tuple[Assistant, object]:
    (root / "corpus").mkdir(parents=True)
    for name in ("glossary.toml", REPLY_2023, NEWS):
        shutil.copy(CORPUS / name, root / "corpus" / name)
    settings = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        collection="policyqa_ui",
        embed_cache=embedding_cache,
        **security,
    )
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    return assistant, app.asgi_app(assistant, app.build_ui(assistant, report_dir=root / "no-report"))


@pytest.fixture
def with_token(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[str, Assistant]]:
    assistant, asgi = served(tmp_path, embedding_cache, admin_token=ADMIN)
    with serve_asgi(asgi) as url:
        yield url, assistant


class Session:
    """One browser session talking to Gradio's queue: call an event by its function name.

    Like a page load, it starts with the corpus tab's load event (which fills the document choices).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.hash = uuid.uuid4().hex[:10]
        config = httpx.get(f"{url}/config", timeout=30).json()
        self.fn_index = {d["api_name"]: d["id"] for d in config["dependencies"]}
        self.opened = self.call("opened")

    def call(self, name: str, *data: object) -> list:
        payload = {"data": list(data), "fn_index": self.fn_index[name], "session_hash": self.hash, "event_data": None}
        httpx.post(f"{self.url}/gradio_api/queue/join", json=payload, timeout=30).raise_for_status()
        with httpx.stream(
            "GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.hash}, timeout=120
        ) as events:
            for line in events.iter_lines():
                message = json.loads(line[6:]) if line.startswith("data: ") else {}
                if message.get("msg") == "process_completed":
                    return message["output"]["data"]
        raise AssertionError("no process_completed message")


def test_gradio_api_lists_only_the_ask_endpoint(with_token):
    url, _ = with_token
    api = Client(url + "/", verbose=False).view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/ask"] and not api["unnamed_endpoints"]


def test_gradio_client_cannot_call_a_corpus_event(with_token):
    url, assistant = with_token
    client = Client(url + "/", verbose=False)
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises ValueError or AppError by version)
        client.predict(NEWS_ID, api_name="/delete_document")
    assert assistant.document(NEWS_ID) is not None


def test_gradio_ask_endpoint_answers_with_verbatim_citations(with_token):
    url, _ = with_token
    answer = Client(url + "/", verbose=False).predict("中试基地能获得什么补贴？", 3, "extractive", api_name="/ask")
    assert not answer["refused"] and answer["citations"] and "[1]" in answer["text"]


def test_queue_delete_without_sign_in_is_refused_and_the_document_stays(with_token):
    url, assistant = with_token
    status = Session(url).call("delete_document", NEWS_ID, None)[0]
    assert "Sign in with the admin token" in status
    assert assistant.document(NEWS_ID) is not None and (assistant.settings.corpus_dir / NEWS).is_file()


def test_queue_reindex_without_sign_in_is_refused(with_token):
    url, assistant = with_token
    status = Session(url).call("rebuild", None)[0]
    assert "Sign in with the admin token" in status
    assert not (assistant.settings.index_dir / "audit.jsonl").exists()


def test_sign_in_with_a_wrong_token_keeps_the_controls_hidden(with_token):
    url, assistant = with_token
    session = Session(url)
    outputs = session.call("sign_in", "not-the-token")
    assert outputs[2]["visible"] is False and "Sign-in failed" in outputs[4]
    assert "Sign in" in session.call("delete_document", NEWS_ID, None)[0]
    assert assistant.document(NEWS_ID) is not None


def test_signed_in_admin_deletes_a_document_and_the_audit_log_shows_it(with_token):
    url, assistant = with_token
    session = Session(url)
    assert session.call("sign_in", ADMIN)[2]["visible"] is True
    outputs = session.call("delete_document", NEWS_ID, None)
    assert f"Deleted {NEWS_ID}" in outputs[0] and assistant.document(NEWS_ID) is None
    audit_rows = outputs[4]["data"]
    assert audit_rows[0][2:4] == ["delete", NEWS] and audit_rows[0][5] == "ok"
    assert audit_rows[0][1].startswith("token:") and ADMIN not in json.dumps(outputs)


def test_without_a_token_a_loopback_session_may_reindex(tmp_path, embedding_cache):
    assistant, asgi = served(tmp_path, embedding_cache)
    with serve_asgi(asgi) as url:
        session = Session(url)
        assert session.opened[1]["visible"] is True  # the controls show without a sign-in
        status = session.call("rebuild", None)[0]
    assert "Index up to date" in status
    entry = json.loads((assistant.settings.index_dir / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "reindex" and entry["who"] == "loopback:127.0.0.1"


def test_start_up_warns_when_binding_beyond_loopback_without_a_token():
    assert "POLICYQA_ADMIN_TOKEN" in app.exposure_warning(Settings(), "0.0.0.0")
    assert app.exposure_warning(Settings(), "127.0.0.1") == ""
    assert app.exposure_warning(Settings(admin_token="set"), "0.0.0.0") == ""


def test_gradio_ask_endpoint_has_the_per_client_question_limit(tmp_path, embedding_cache):
    _, asgi = served(tmp_path, embedding_cache, ask_burst=1, ask_rate_per_minute=1)
    with serve_asgi(asgi) as url:
        client = Client(url + "/", verbose=False)
        assert client.predict("中试基地能获得什么补贴？", 3, "extractive", api_name="/ask")["citations"]
        with pytest.raises(Exception, match="Too many requests"):
            client.predict("中试基地能获得什么补贴？", 3, "extractive", api_name="/ask")


def test_chat_questions_over_the_limit_get_a_retry_message(tmp_path, embedding_cache):
    _, asgi = served(tmp_path, embedding_cache, ask_burst=1, ask_rate_per_minute=1)
    with serve_asgi(asgi) as url:
        session = Session(url)
        first = session.call("respond", "中试基地能获得什么补贴？", None, "extractive", 3, False, *NO_SCOPE)[1]
        second = session.call("respond", "厦门对技术转移机构有哪些奖励？", None, "extractive", 3, False, *NO_SCOPE)[1]
    assert "pqa-cite" in str(first[-1]["content"]) and "Too many questions; retry in" in str(second[-1]["content"])
