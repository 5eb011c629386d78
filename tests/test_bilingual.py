"""English questions over Chinese documents nobody wrote a glossary for: the dictionary (lang/bilingual.py)."""

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.lang.bilingual import EXACT, translations
from assistant.lang.lexicon import load_lexicon
from tests.conftest import assistant_over


def test_a_definition_that_is_the_word_ranks_exact():
    found = translations("incubator")
    assert found["孵化器"] == EXACT


def test_plurals_and_inflections_fall_back_to_the_base_word():
    assert "补贴" in translations("subsidies") and "专利" in translations("patents")


def test_unknown_words_have_no_translation():
    assert translations("zzqxv") == {}


def test_english_words_outside_the_glossary_become_chinese_concepts():
    lexicon = load_lexicon(None)  # no glossary at all
    concepts = dict(lexicon.concepts("What subsidy does an incubator get?"))
    assert "孵化器" in concepts["incubator"] and "补贴" in concepts["subsidy"]


def test_the_corpus_vocabulary_picks_the_sense():
    lexicon = load_lexicon(None)
    question = "Which pilot projects are funded?"
    everywhere = {t.phrase: t for t in lexicon.dictionary_terms(question)}["pilot"]
    in_policy = {t.phrase: t for t in lexicon.dictionary_terms(question, known={"试点"})}["pilot"]
    assert everywhere.forms[0] != "试点" and in_policy.forms == ("试点",) and in_policy.search == ("试点",)


def test_an_ambiguous_word_is_not_searched_by():
    lexicon = load_lexicon(None)
    known = {"规定", "系列", "一套", "创造"}
    term = {t.phrase: t for t in lexicon.dictionary_terms("Which rules set the fees?", known=known)}["set"]
    assert term.forms and term.search == ()


def test_a_place_in_pinyin_is_its_chinese_name():
    lexicon = load_lexicon(None)
    assert {t.phrase: t for t in lexicon.dictionary_terms("What does Zunyi offer?")}["zunyi"].forms[0] == "遵义"


def test_chinese_questions_do_not_touch_the_dictionary():
    assert load_lexicon(None).dictionary_terms("孵化器有什么补贴？") == []


NOTICE = (
    "遵义市科学技术局关于支持科技企业孵化器发展的通知\n\n遵市科〔2025〕30号\n\n各有关单位：\n\n"
    "对新认定的国家级科技企业孵化器，一次性奖励80万元。"
    "孵化器内在孵企业前两年免收房租，第三年房租减半。\n\n"
    "遵义市科学技术局\n\n2025年9月1日\n"
)


@pytest.fixture(scope="module")
def unglossed(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("unglossed")  # nobody wrote a glossary (or English entries) for this corpus
    files = {"notice.txt": NOTICE}
    return assistant_over(root, files, glossary=False, collection="unglossed", embed_cache=embedding_cache)


def test_english_question_is_answered_without_a_glossary(unglossed):
    answer = unglossed.ask("How much is the reward for a newly recognised national incubator?")
    assert not answer.refused and "80万元" in answer.text


def test_english_question_about_what_the_notice_lacks_is_refused(unglossed):
    answer = unglossed.ask("What loan interest discount do incubators get?")
    assert answer.refused or "80万元" not in answer.text.split("closest passage")[0]


def test_a_glossary_phrase_covers_the_words_it_starts():
    lexicon = load_lexicon(Path(__file__).resolve().parent.parent / "corpus" / "glossary.toml")
    phrases = {t.phrase for t in lexicon.dictionary_terms("How many high-tech enterprises are there in the database?")}
    assert "enterprises" not in phrases and "database" in phrases  # "base" (a glossary word) is not inside it
