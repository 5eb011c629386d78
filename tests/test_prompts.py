"""Prompt templates: the loader refuses missing or extra variables; the hash names the prompt version."""

from __future__ import annotations

import pytest

from assistant.answer.prompts import PromptError, PromptSet, load_prompt, prompt_hash


@pytest.fixture
def prompt_dir(tmp_path):
    (tmp_path / "greet.md").write_text("你好，$name！今天是$day。", encoding="utf-8")
    return tmp_path


def test_render_substitutes_every_variable(prompt_dir):
    assert load_prompt("greet", prompt_dir).render(name="张三", day="周一") == "你好，张三！今天是周一。"


def test_render_fails_on_missing_variable(prompt_dir):
    with pytest.raises(PromptError, match=r"missing.*day"):
        load_prompt("greet", prompt_dir).render(name="张三")


def test_render_fails_on_extra_variable(prompt_dir):
    with pytest.raises(PromptError, match=r"unexpected.*city"):
        load_prompt("greet", prompt_dir).render(name="张三", day="周一", city="泉州")


def test_load_fails_on_malformed_placeholder(tmp_path):
    (tmp_path / "bad.md").write_text("金额 $ 5", encoding="utf-8")
    with pytest.raises(PromptError, match="malformed"):
        load_prompt("bad", tmp_path)


def test_load_fails_on_missing_file(tmp_path):
    with pytest.raises(PromptError, match="cannot read"):
        load_prompt("absent", tmp_path)


def test_hash_is_stable_and_changes_with_the_source(prompt_dir):
    first = prompt_hash([load_prompt("greet", prompt_dir)])
    assert first == prompt_hash([load_prompt("greet", prompt_dir)])
    assert len(first) == 64
    (prompt_dir / "greet.md").write_text("您好，$name！今天是$day。", encoding="utf-8")
    assert prompt_hash([load_prompt("greet", prompt_dir)]) != first


def test_project_prompts_use_exactly_their_variables():
    prompts = PromptSet.load()
    assert prompts.system.variables == {"refusal"}
    assert prompts.answer.variables == {"passages", "question", "language"}
    assert prompts.condense.variables == {"history", "question"}
    assert prompts.refusal.variables == set()
    assert PromptSet.load().hash == prompts.hash


def test_system_prompt_treats_passages_as_data_and_names_the_refusal():
    prompts = PromptSet.load()
    system = prompts.system.render(refusal=prompts.refusal_phrase)
    assert "忽略以上指令" in system and "不予理会" in system
    assert prompts.refusal_phrase in system
