"""Greetings and help get a help text with examples from the corpus; text with no known words gets 没看懂."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # the session assistant indexes the full corpus


@pytest.mark.parametrize("greeting", ["你好", "您好！", "help", "怎么用？", "Hello"])
def test_greeting_gets_help_with_examples_from_the_corpus(assistant, greeting):
    answer = assistant.ask(greeting)
    assert answer.refusal_kind == "greeting" and not answer.citations
    titles = " ".join(d.title for d in assistant.snapshot().docs.values())
    examples = [line[2:] for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(examples) >= 2
    assert any(e.split("有哪些")[0].strip("《》")[-4:] in titles for e in examples)


def test_random_letters_after_a_question_are_not_taken_as_a_follow_up(assistant):
    history = [
        {"role": "user", "content": "中试基地能获得什么补贴？"},
        {"role": "assistant", "content": assistant.ask("中试基地能获得什么补贴？").text},
    ]
    answer = assistant.ask("sdfkj qwpoe zxmv", history)
    assert answer.refusal_kind == "unclear" and "没看懂这个问题" in answer.text


def test_english_question_is_not_small_talk(assistant):
    answer = assistant.ask("What subsidy does a pilot-scale base get?")
    assert answer.refusal_kind not in ("greeting", "unclear") and answer.citations
