"""Scoped questions: `filters` on the Python API, /api/ask and /v1/chat/completions keep answers inside the scope."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from servers import serve_asgi

from assistant.http import create_app
from assistant.query.intent import read_intent
from assistant.retrieve.scope import ScopeError, describe_scope, documents_in_scope, scope_from_filters
from assistant.types import Document, Scope

PILOT = "中试基地能获得什么补贴？"
XIAMEN_NEWS = "xiamen-2026-tech-transfer-measures-news"


def doc(doc_id: str, **kw) -> Document:
    return Document(doc_id=doc_id, text="", title=doc_id, source_path="", content_hash="", **kw)


DOCS = [
    doc("a", city="厦门", kind="news", date="2026-01-26", issuer="厦门市科学技术局"),
    doc("b", city="泉州", kind="reply", date="2023", issuer="泉州市科学技术局"),
    doc("c", city="泉州", kind="reply", date="2025-05-20", issuer="泉州市科学技术局"),
    doc("d", city="泉州", kind="plan", date=""),
]


def test_scope_keeps_documents_meeting_every_filter():
    scope = scope_from_filters({"city": "泉州", "kind": "答复", "date_from": "2025"})
    assert documents_in_scope(scope, DOCS) == {"c"}


def test_year_only_date_counts_as_the_whole_year():
    assert documents_in_scope(Scope(date_from="2023-06-01", date_to="2023-12-31"), DOCS) == {"b"}


def test_undated_document_is_outside_any_date_range():
    assert "d" not in documents_in_scope(Scope(date_to="2030"), DOCS)


def test_scope_in_words_names_each_filter():
    scope = scope_from_filters({"cities": ["厦门"], "date_from": "2025"})
    assert describe_scope(scope) == "仅在：厦门 · 2025年以后"


@pytest.mark.parametrize("filters", [{"town": "x"}, {"city": 3}, {"date_from": "last year"}])
def test_unreadable_filters_are_an_error_naming_them(filters):
    with pytest.raises(ScopeError, match=next(iter(filters))):
        scope_from_filters(filters)


@pytest.mark.slow
def test_python_api_answers_only_from_documents_inside_the_scope(assistant):
    answer = assistant.ask(PILOT, filters={"city": "厦门"})
    assert not answer.refused
    assert {c.doc_id for c in answer.citations} == {XIAMEN_NEWS}
    assert answer.scope == "仅在：厦门"
    unscoped = assistant.ask(PILOT)
    assert {c.doc_id for c in unscoped.citations} - {XIAMEN_NEWS}, "without filters other documents are cited"


@pytest.mark.slow
def test_retrieval_masks_passages_outside_the_scope(assistant):
    allowed = documents_in_scope(Scope(kinds=("reply",), date_from="2025"), assistant.snapshot().docs.values())
    hits = assistant.retriever.retrieve(read_intent(PILOT, [], assistant.lexicon), 10, allowed)
    assert hits and {h.chunk.doc_id for h in hits} <= allowed


@pytest.mark.slow
async def test_async_stream_keeps_the_scope(assistant):
    items = [i async for i in assistant.astream(PILOT, filters={"kind": "news"})]
    final = items[-1]
    assert {c.doc_id for c in final.citations} == {XIAMEN_NEWS}


@pytest.mark.slow
def test_empty_scope_is_refused_naming_the_filter(assistant):
    answer = assistant.ask(PILOT, filters={"city": "深圳"})
    assert answer.refused and answer.refusal_kind == "empty_scope"
    assert "深圳" in answer.text and not answer.citations


@pytest.fixture(scope="module")
def client(assistant) -> Iterator[httpx.Client]:
    with serve_asgi(create_app(assistant)) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.mark.slow
def test_http_ask_with_filters_cites_only_documents_in_scope(client, assistant):
    body = client.post("/api/ask", json={"question": PILOT, "filters": {"kind": "reply", "date_to": "2024"}}).json()
    docs = assistant.snapshot().docs
    assert body["citations"] and all(docs[c["doc_id"]].date[:4] <= "2024" for c in body["citations"])
    assert all(docs[c["doc_id"]].kind == "reply" for c in body["citations"])
    assert body["scope"] == "仅在：答复 · 2024年以前"


@pytest.mark.slow
def test_http_empty_scope_is_refused_naming_the_filter(client):
    body = client.post("/api/ask", json={"question": PILOT, "filters": {"city": "深圳"}}).json()
    assert body["refused"] and body["refusal_kind"] == "empty_scope" and "深圳" in body["text"]


@pytest.mark.slow
def test_http_unknown_filter_is_rejected_naming_it(client):
    # The schema declares the filters (extra keys forbidden), so an unknown one is a 422 whose details name it.
    response = client.post("/api/ask", json={"question": PILOT, "filters": {"town": "厦门"}})
    assert response.status_code == 422 and "town" in response.text


@pytest.mark.slow
def test_openai_chat_with_filters_extra_field_cites_only_documents_in_scope(client):
    request = {"model": "policyqa", "messages": [{"role": "user", "content": PILOT}], "filters": {"city": ["厦门"]}}
    body = client.post("/v1/chat/completions", json=request).json()
    assert body["citations"] and {c["doc_id"] for c in body["citations"]} == {XIAMEN_NEWS}
    assert body["scope"] == "仅在：厦门"
    request["filters"] = {"city": "深圳"}
    refused = client.post("/v1/chat/completions", json=request).json()
    assert refused["refused"] and "深圳" in refused["choices"][0]["message"]["content"]
