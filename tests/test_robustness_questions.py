"""Robustness of questions and chat history: every odd input gets a clear message or a refusal, promptly."""

from __future__ import annotations

import time

import pytest

from assistant import Answer, Assistant
from assistant.__main__ import main

pytestmark = pytest.mark.slow  # the session assistant indexes the full corpus

PILOT = "中试基地能获得什么补贴？"
PROMPT_SECONDS = 2.0  # generous: a warm extractive answer takes tens of milliseconds
EMPTY = "问题为空，请输入一个问题。 / The question is empty."
NO_WORDS = "问题中没有文字，请换一种问法。 / The question has no words in it."


@pytest.fixture(scope="module")
def warm(assistant: Assistant) -> Assistant:
    """The session assistant after one question (embedder, jieba and BM25 loaded)."""
    assistant.ask(PILOT)
    return assistant


def timed(assistant: Assistant, question: object, history: object = None) -> tuple[Answer, float]:
    started = time.perf_counter()
    answer = assistant.ask(question, history=history)  # type: ignore[arg-type]
    return answer, time.perf_counter() - started


def cited(answer: Answer) -> list[str]:
    return [c.chunk_id for c in answer.citations]


@pytest.mark.parametrize("question", ["", "   ", "\n\t\u3000 \r\n"], ids=["empty", "spaces", "mixed-whitespace"])
def test_blank_question_gets_the_empty_message(warm: Assistant, question: str) -> None:
    answer, seconds = timed(warm, question)
    assert (answer.text, answer.refusal_kind, answer.citations) == (EMPTY, "invalid_question", [])
    assert seconds < PROMPT_SECONDS


@pytest.mark.parametrize("question", [None, 42, ["中试基地"]], ids=["none", "int", "list"])
def test_question_that_is_not_text_gets_the_empty_message(warm: Assistant, question: object) -> None:
    answer, _ = timed(warm, question)
    assert (answer.text, answer.refused, answer.citations) == (EMPTY, True, [])


def test_100k_character_question_gets_the_too_long_message_promptly(warm: Assistant) -> None:
    answer, seconds = timed(warm, "中试基地补贴" * 16_667)
    assert answer.refusal_kind == "invalid_question"
    assert answer.text.startswith("问题过长（100002 字符，上限 1000）")
    assert "The question is too long" in answer.text
    assert len(answer.question) <= 200  # the echo is cut, not the whole 100k characters
    assert seconds < PROMPT_SECONDS


def test_control_and_zero_width_characters_do_not_change_the_answer(warm: Assistant) -> None:
    dirty = "\ufeff中\u200b试基地\x00能获得\u200d什么\u202e补贴\x07？\u2060"
    answer, seconds = timed(warm, dirty)
    assert cited(answer) == cited(warm.ask(PILOT))
    assert not answer.refused
    assert seconds < PROMPT_SECONDS


def test_emoji_do_not_change_the_answer(warm: Assistant) -> None:
    answer, seconds = timed(warm, "🚀中试基地能获得什么补贴？😀👍🏽")
    assert cited(answer) == cited(warm.ask(PILOT))
    assert seconds < PROMPT_SECONDS


@pytest.mark.parametrize(
    "question",
    ["😀🚀👍🏽", "？？？！！！。。。", "...?!", "【】（）——《》", "\u200b\u200b\u200d", "\x00\x01\x7f"],
    ids=["emoji", "chinese-punctuation", "ascii-punctuation", "brackets", "zero-width", "control"],
)
def test_question_without_words_gets_the_no_words_message(warm: Assistant, question: str) -> None:
    answer, seconds = timed(warm, question)
    assert (answer.text, answer.refusal_kind, answer.citations) == (NO_WORDS, "invalid_question", [])
    assert seconds < PROMPT_SECONDS


@pytest.mark.parametrize(
    "question",
    [
        "Какие субсидии получает пилотная база?",
        "ちゅうしきちはどんなほじょきんをもらえますか",
        "ما هو الدعم الذي تحصل عليه القاعدة التجريبية؟",
        "시범 기지는 어떤 보조금을 받습니까?",
    ],
    ids=["russian", "japanese-kana", "arabic", "korean"],
)
def test_question_in_another_language_is_refused_promptly(warm: Assistant, question: str) -> None:
    answer, seconds = timed(warm, question)
    assert answer.refused and answer.refusal_kind == "not_covered"
    assert answer.citations == []
    assert answer.text.startswith("文档中没有找到可以回答这个问题的内容。")
    assert seconds < PROMPT_SECONDS


MALFORMED_HISTORIES = {
    "string": "中试基地能获得什么补贴？",
    "int": 5,
    "dict": {"role": "user", "content": "中试基地"},
    "list-of-ints": [1, 2],
    "list-of-none": [None],
    "no-role-or-content": [{"x": 1}],
    "none-content": [{"role": "user", "content": None}, {"role": "assistant", "content": None}],
    "dict-content": [{"role": "user", "content": {"text": "厦门"}}],
    "non-string-role": [{"role": 1, "content": "厦门"}],
}


@pytest.mark.parametrize("history", MALFORMED_HISTORIES.values(), ids=MALFORMED_HISTORIES.keys())
def test_malformed_history_is_ignored(warm: Assistant, history: object) -> None:
    answer, seconds = timed(warm, PILOT, history)
    assert cited(answer) == cited(warm.ask(PILOT))
    assert seconds < PROMPT_SECONDS


async def test_async_ask_ignores_malformed_history(warm: Assistant) -> None:
    answer = await warm.aask(PILOT, history=[None, {"role": "user"}, 7])  # type: ignore[list-item]
    assert cited(answer) == cited(await warm.aask(PILOT))


def test_multimodal_history_content_is_read_as_text(warm: Assistant) -> None:
    plain = [{"role": "user", "content": PILOT}, {"role": "assistant", "content": "……"}]
    parts = [{"role": "user", "content": [{"type": "text", "text": PILOT}]}, {"role": "assistant", "content": "……"}]
    assert cited(warm.ask("那厦门呢？", history=parts)) == cited(warm.ask("那厦门呢？", history=plain))


def test_cli_prints_the_message_for_an_empty_question_without_traceback(
    warm: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = warm.settings
    for key in ("corpus_dir", "index_dir", "collection", "embed_cache"):
        if getattr(settings, key) is not None:
            monkeypatch.setenv(f"POLICYQA_{key.upper()}", str(getattr(settings, key)))
    assert main(["ask", "   "]) == 2
    out, err = capsys.readouterr()
    assert out.strip() == EMPTY
    assert "Traceback" not in out + err
