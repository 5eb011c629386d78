from pathlib import Path

import pytest

from assistant.lang.lexicon import load_lexicon, normalize_query

GLOSSARY = Path(__file__).resolve().parent.parent / "corpus" / "glossary.toml"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(GLOSSARY)


def test_normalize_query_folds_full_width_and_drops_invisible_characters():
    assert normalize_query("２０２３年\u200b  高企\t数量？") == "2023年 高企 数量?"


def test_tokenize_keeps_domain_terms_whole(lexicon):
    assert "中试基地" in lexicon.tokenize("中试基地能获得什么补贴？")


def test_tokenize_drops_question_words(lexicon):
    tokens = lexicon.tokenize("中试基地能获得什么补贴？")
    assert "什么" not in tokens and "？" not in tokens


def test_expand_maps_abbreviation_to_full_term(lexicon):
    assert "高新技术企业" in lexicon.expand("高企升规有什么奖励")


def test_expand_maps_english_to_chinese_terms(lexicon):
    terms = lexicon.expand("What subsidy does a pilot-scale base get?")
    assert "中试" in terms and "补贴" in terms


def test_expand_does_not_match_english_word_inside_another(lexicon):
    assert "贷款" not in lexicon.expand("Tell me about loanwords")


def test_load_lexicon_without_glossary_still_tokenizes_chinese():
    plain = load_lexicon(None)
    assert plain.tokenize("科技成果转化") != []


def test_concepts_keep_a_glossary_word_jieba_cuts_apart(lexicon):
    concepts = dict(lexicon.concepts("团队起码能分多少？"))
    assert "不低于" in concepts["起码"]


def test_planning_periods_are_single_tokens(lexicon):
    assert "十三五" in lexicon.tokenize("从“十三五”末到现在")


def test_paraphrased_question_reaches_the_documents_wording(assistant):
    # "研发投入强度" is what the plan calls "R&D经费投入占GDP比重".
    answer = assistant.ask("泉州的研发投入强度“十四五”末要到多少？")
    assert not answer.refused and "2.4" in answer.text


@pytest.mark.parametrize("glossary", [True, False])
def test_an_acronym_in_a_chinese_question_stands_for_its_chinese_term(glossary, tmp_path):
    lexicon = load_lexicon(Path("corpus/glossary.toml") if glossary else tmp_path / "none.toml")
    question = "厦门的PoC中心每年能拿多少运营经费？"
    assert "概念验证" in lexicon.expand(question)
    assert ("poc", ("概念验证",)) in lexicon.concepts(question)


def test_english_words_that_look_like_acronyms_are_not_expanded(lexicon):
    # "led" (the verb) and "it" are no acronyms of the field
    assert lexicon.expand("Which department led it?") == []


@pytest.mark.parametrize(
    ("question", "kept", "dropped"),
    [
        ("秦朝时期成纪县属于哪一郡？", "成纪县", "哪一郡"),  # a question word on 哪 names nothing
        ("头皮通常分为几层？", "头皮", "几层"),
        ("司马晏是谁的儿子？", "晏", "晏是"),  # jieba's guess glued 是 to an unknown name
        ("几乎所有企业都参与", "几乎", ""),  # 几乎 is no question word
    ],
)
def test_question_words_and_glued_function_words_are_no_search_tokens(lexicon, question, kept, dropped):
    tokens = lexicon.tokenize(question)
    assert kept in tokens and (not dropped or dropped not in tokens)
