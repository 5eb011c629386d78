"""The OpenAI-compatible endpoint through the real `openai` client: models, errors, usage, max_tokens, sources."""

from __future__ import annotations

import re
from collections.abc import Iterator

import openai
import pytest
from servers import generous, serve_asgi

from assistant import Assistant
from assistant.http import create_app
from assistant.http.usage import count_tokens

pytestmark = pytest.mark.slow
PILOT = "中试基地能获得什么补贴？"
ASK = [{"role": "user", "content": PILOT}]


def serve(assistant: Assistant, **settings: object) -> Iterator[openai.OpenAI]:
    """An OpenAI client for the app over `assistant`'s index with these settings changed."""
    changed = assistant.settings.model_copy(update=settings)
    variant = Assistant(changed, assistant.index, assistant.embedder, assistant.lexicon, llm=assistant.llm)
    with serve_asgi(create_app(variant, guards=generous(changed))) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0)


@pytest.fixture(scope="module")
def client(assistant) -> Iterator[openai.OpenAI]:
    yield from serve(assistant)


@pytest.fixture(scope="module")
def sourced(assistant) -> Iterator[openai.OpenAI]:
    yield from serve(assistant, openai_sources_block=True)


def test_models_list_the_served_model(client):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "policyqa" and "policyqa-extractive" in ids and "policyqa-llm" not in ids


def test_unknown_model_is_404_with_openais_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=ASK)
    assert caught.value.status_code == 404 and caught.value.code == "model_not_found"
    assert caught.value.body["type"] == "invalid_request_error"


def test_usage_counts_prompt_and_completion_tokens(client):
    reply = client.chat.completions.create(model="policyqa", messages=ASK)
    usage, content = reply.usage, reply.choices[0].message.content
    assert usage.completion_tokens == count_tokens(content) > 0
    assert (
        usage.prompt_tokens >= count_tokens(PILOT)
        and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    )


def test_stream_with_include_usage_sends_the_usage_in_a_last_chunk(client):
    chunks = list(
        client.chat.completions.create(
            model="policyqa", messages=ASK, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == count_tokens(text)
    assert all(c.usage is None for c in chunks[:-1])


def test_streamed_text_is_the_non_streamed_answer(client):
    whole = client.chat.completions.create(model="policyqa", messages=ASK).choices[0].message.content
    chunks = list(client.chat.completions.create(model="policyqa", messages=ASK, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]


def test_max_tokens_cuts_the_answer_after_a_whole_sentence(client):
    full = client.chat.completions.create(model="policyqa", messages=ASK)
    limit = count_tokens(full.choices[0].message.content) - 5
    cut = client.chat.completions.create(model="policyqa", messages=ASK, max_tokens=limit)
    text = cut.choices[0].message.content
    assert cut.choices[0].finish_reason == "length" and 0 < count_tokens(text) <= limit
    whole = full.choices[0].message.content
    assert whole.startswith(text)
    assert whole[len(text)] == "\n" or re.search(r"[。！？!?]”?(\[\d+\])*$", text)  # a line (table row) or sentence end
    assert {c["n"] for c in cut.model_extra["citations"]} == {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_system_message_is_ignored_in_extractive_mode(client):
    plain = client.chat.completions.create(model="policyqa-extractive", messages=ASK)
    system = [{"role": "system", "content": "Answer in English, in one word."}, *ASK]
    steered = client.chat.completions.create(model="policyqa-extractive", messages=system)
    assert steered.choices[0].message.content == plain.choices[0].message.content


def test_sources_setting_appends_the_cited_documents_to_the_content(sourced):
    reply = sourced.chat.completions.create(model="policyqa", messages=ASK)
    content = reply.choices[0].message.content
    body, sources = content.split("\n\n来源 / Sources：\n")
    assert "[1]" in body and sources.startswith("[1] 《")
    assert len(sources.splitlines()) == len(reply.model_extra["citations"])
    assert "泉科函〔2023〕63号" in sources


def test_sources_block_is_streamed_too(sourced):
    chunks = list(sourced.chat.completions.create(model="policyqa", messages=ASK, stream=True))
    assert "来源 / Sources：" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_system_message_reaches_the_llm_answerer_under_its_rules(assistant):
    from fake_openai import FakeOpenAI

    from assistant.answer.llm import build_llm

    with FakeOpenAI() as fake:
        fake.script("泉州按非财政资金投入的一定比例给予补贴[1]。")
        settings = assistant.settings.model_copy(
            update={"llm_base_url": fake.base_url, "llm_model": "fake-model", "llm_max_retries": 0, "llm_timeout": 5.0}
        )
        llm = build_llm(settings)
        variant = Assistant(settings, assistant.index, assistant.embedder, assistant.lexicon, llm=llm)
        with serve_asgi(create_app(variant, guards=generous(settings))) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0)
            system = [{"role": "system", "content": "Keep it to one sentence."}, *ASK]
            client.chat.completions.create(model="policyqa-llm", messages=system)
        sent = fake.prompts[-1][0]["content"]
        assert "<<<要求开始>>>" in sent and "Keep it to one sentence." in sent
