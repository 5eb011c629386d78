"""The HTTP API through real HTTP on 127.0.0.1: uvicorn in a thread, httpx and the official OpenAI client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from servers import generous, serve_asgi

from assistant.http import create_app
from assistant.types import Answer

pytestmark = pytest.mark.slow  # the session assistant indexes the full corpus
LIMIT = 64 * 1024
PILOT = "中试基地能获得什么补贴？"


@pytest.fixture(scope="module")
def base_url(assistant) -> Iterator[str]:
    with serve_asgi(create_app(assistant, max_body_bytes=LIMIT, guards=generous(assistant.settings))) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


def sse_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream body; event is "" when unnamed."""
    events, event, data = [], "", []
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and data:
            events.append((event, "\n".join(data)))
            event, data = "", []
    return events


def test_ask_in_chinese_returns_answer_with_verbatim_citations(client):
    body = client.post("/api/ask", json={"question": PILOT}).json()
    assert not body["refused"]
    assert "[1]" in body["text"]
    assert body["citations"], body
    assert any(c["doc_id"] == "quanzhou-2023-63-reply-pilot-bases" for c in body["citations"])
    for c in body["citations"]:
        assert c["text"] in client.get(f"/api/documents/{c['doc_id']}").json()["text"]
        assert all(part.strip() in c["text"] for part in c["quote"].split("…"))
    assert body["timings"]["total_ms"] > 0


def test_ask_in_english_returns_cited_answer(client):
    response = client.post("/api/ask", json={"question": "What subsidy does a pilot-scale base get?", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert not body["refused"] and body["citations"]
    assert len(body["citations"]) <= 3


def test_malformed_json_is_400_with_json_error(client):
    response = client.post("/api/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_json"


def test_wrong_shape_is_422_naming_the_field(client):
    response = client.post("/api/ask", json={"question": PILOT, "top_k": 0, "mood": "x"})
    assert response.status_code == 422
    locations = [d["loc"] for d in response.json()["error"]["details"]]
    assert ["body", "top_k"] in locations and ["body", "mood"] in locations


def test_empty_question_is_400_with_the_pipeline_message(client):
    response = client.post("/api/ask", json={"question": "   "})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_question" and "问题为空" in error["message"]


def test_declared_oversized_body_is_413_json(client):
    response = client.post("/api/ask", json={"question": "x" * (LIMIT + 10)})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"


def test_chunked_oversized_body_is_413_json(client):
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(LIMIT // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == 413


def test_ask_stream_sends_deltas_that_add_up_to_the_answer(client):
    with client.stream("POST", "/api/ask/stream", json={"question": PILOT}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
    assert [e for e, _ in events[:-1]] == ["delta"] * (len(events) - 1) and len(events) >= 2
    name, final = events[-1]
    answer = json.loads(final)
    assert name == "answer" and answer["citations"]
    assert "".join(json.loads(d)["text"] for _, d in events[:-1]) == answer["text"]


def test_ask_stream_rejects_empty_question_before_streaming(client):
    response = client.post("/api/ask/stream", json={"question": ""})
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_question"


def test_openai_client_gets_answer_and_citations(base_url):
    from openai import OpenAI

    oa = OpenAI(base_url=f"{base_url}/v1", api_key="not-needed")
    reply = oa.chat.completions.create(
        model="policyqa",
        messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": PILOT}],
    )
    assert reply.object == "chat.completion"
    assert "[1]" in reply.choices[0].message.content
    assert reply.model_extra["citations"][0]["doc_id"] == "quanzhou-2023-63-reply-pilot-bases"


def test_openai_client_streams_chunks_ending_with_citations(base_url):
    from openai import OpenAI

    oa = OpenAI(base_url=f"{base_url}/v1", api_key="not-needed")
    chunks = list(
        oa.chat.completions.create(model="policyqa", messages=[{"role": "user", "content": PILOT}], stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] and "[1]" in text


def test_chat_stream_ends_with_done(client):
    payload = {"messages": [{"role": "user", "content": PILOT}], "stream": True}
    with client.stream("POST", "/v1/chat/completions", json=payload) as response:
        events = sse_events(response)
    assert events[-1] == ("", "[DONE]")
    assert json.loads(events[0][1])["object"] == "chat.completion.chunk"


def test_chat_without_user_message_is_answered_as_an_invalid_question(client):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "hi"}]})
    assert response.status_code == 200
    body = response.json()
    assert body["refused"] and body["refusal_kind"] == "invalid_question"
    assert "问题为空" in body["choices"][0]["message"]["content"]


def test_models_lists_policyqa(client):
    assert "policyqa" in [m["id"] for m in client.get("/v1/models").json()["data"]]


def test_documents_list_and_detail(client, assistant):
    listed = client.get("/api/documents").json()
    assert {d["doc_id"] for d in listed} == {info.document.doc_id for info in assistant.documents()}
    assert all(d["chunks"] > 0 and "/" not in d["file"] for d in listed)
    detail = client.get("/api/documents/quanzhou-2023-63-reply-pilot-bases").json()
    assert detail["doc_number"] == "泉科函〔2023〕63号" and "中试" in detail["text"]


def test_unknown_document_is_404_json(client):
    response = client.get("/api/documents/no-such-doc")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"


def test_health_counts_documents_and_chunks(client, assistant):
    body = client.get("/api/health").json()
    snap = assistant.snapshot()
    assert body == {"status": "ok", "documents": len(snap.docs), "chunks": len(snap.chunks)}


def test_ingest_of_unchanged_corpus_changes_nothing(client):
    report = client.post("/api/ingest").json()
    assert report["added"] == report["updated"] == report["removed"] == []
    assert len(report["unchanged"]) == 5 and report["chunks_embedded"] == 0


def test_ingest_while_another_holds_the_lock_is_409(client, assistant):
    with assistant.index.ingest_lock():
        response = client.post("/api/ingest")
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "index_busy"


def test_openapi_schema_and_free_root(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/ask/stream", "/v1/chat/completions"} <= set(paths)
    assert client.get("/").status_code == 404  # left for the Gradio app


async def test_concurrent_requests_succeed_and_bad_ones_get_4xx(base_url):
    questions = [
        PILOT,
        "厦门科技成果转化信用贷最高多少？",
        "What is Quanzhou's R&D spending target?",
        "泉州技术合同成交额目标是多少？",
    ]
    good = [{"question": questions[i % len(questions)]} for i in range(16)]
    bad = [b'{"question": ', b'{"question": 5}', b"[]", b'{"question": ""}']
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as ac:
        headers = {"content-type": "application/json"}
        requests = [ac.post("/api/ask", json=p) for p in good] + [
            ac.post("/api/ask", content=b, headers=headers) for b in bad
        ]
        responses = await asyncio.gather(*requests)
    assert [r.status_code for r in responses[:16]] == [200] * 16
    assert all(r.json()["citations"] for r in responses[:16])
    assert all(400 <= r.status_code < 500 for r in responses[16:]), [r.status_code for r in responses[16:]]


class FailingAssistant:
    """Stands in for an Assistant whose pipeline raises; the error text must not reach the client."""

    async def aask(self, question, history, *, top_k=None, mode=None, filters=None) -> Answer:
        raise RuntimeError("secret detail /srv/index/chunks.sqlite")


def test_unexpected_error_is_json_500_without_traceback():
    with serve_asgi(create_app(FailingAssistant())) as url:
        response = httpx.post(f"{url}/api/ask", json={"question": PILOT}, timeout=30)
        assert response.status_code == 500
        assert response.json()["error"] == {"message": "internal server error", "type": "server_error", "code": 500}
        assert "secret" not in response.text and "Traceback" not in response.text
