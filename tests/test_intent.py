"""The one reading of a question: places from China's divisions, answer types, constraints, parts."""

from pathlib import Path

import pytest

from assistant.lang.lexicon import load_lexicon
from assistant.lang.places import gazetteer
from assistant.query.intent import places_in, read_intent, resolve_followup
from assistant.types import Document

GLOSSARY = Path(__file__).resolve().parent.parent / "corpus" / "glossary.toml"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(GLOSSARY)


def _doc(doc_id: str, kind: str, date: str, number: str = "") -> Document:
    return Document(doc_id, "", doc_id, doc_id, "", doc_number=number, date=date, kind=kind)


def test_places_in_finds_english_and_chinese_names():
    assert places_in("What does Shenzhen offer?") == ["深圳"]
    assert places_in("厦门和泉州有什么不同") == ["厦门", "泉州"]


def test_a_city_in_no_list_of_ours_is_recognised():
    assert places_in("绵阳对科技型企业有什么补贴？") == ["绵阳"]
    assert places_in("鄂尔多斯市的孵化器") == ["鄂尔多斯"]


def test_county_lies_in_its_city_and_province():
    places = gazetteer()
    jinjiang, quanzhou, fujian = places.get("晋江市"), places.get("泉州"), places.get("福建")
    assert jinjiang is not None and quanzhou is not None and fujian is not None
    assert jinjiang.within(quanzhou) and quanzhou.within(fujian) and not quanzhou.within(jinjiang)


def test_english_name_is_pinyin():
    assert gazetteer().english_name("绵阳") == "Mianyang"


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("这份文件是哪一天发布的？", "date"),
        ("补贴比例是多少？", "ratio"),
        ("一家企业最多能贷多少钱？", "amount"),
        ("全市有几家新型研发机构？", "count"),
        ("中试基地有哪些建设模式？", "list"),
        ("这项工作由谁负责？", "entity"),
        ("该所在哪一段时期承担了这项任务？", "year"),  # a period, not a place, despite 在哪
        ("项目在哪里申报？", "place"),
        ("How many incubators are there?", "count"),
        ("When was the notice issued?", "year"),
    ],
)
def test_answer_type_is_read_from_the_wording(lexicon, question, answer_type):
    assert read_intent(question, [], lexicon).answer_type == answer_type


def test_which_organisations_is_an_entity_list(lexicon):
    intent = read_intent("哪些部门参与办理？", [], lexicon)
    assert intent.answer_type == "entity" and intent.wants_list


def test_followup_keeps_the_answer_type_of_its_first_turn(lexicon):
    history = [{"role": "user", "content": "成都有几家孵化器？"}, {"role": "assistant", "content": "…"}]
    intent = read_intent("那重庆呢？", history, lexicon)
    assert intent.answer_type == "count" and intent.constraints.places == ("重庆",)


def test_constraints_collect_years_periods_and_target(lexicon):
    intent = read_intent("十四五期间2025年的目标值是多少？", [], lexicon)
    assert intent.constraints.years == ("2025",) and intent.constraints.periods == ("十四五",)
    assert intent.constraints.target is True


def test_actual_is_not_a_target(lexicon):
    assert read_intent("目前实际有多少家？", [], lexicon).constraints.target is False


def test_two_questions_in_one_are_two_parts(lexicon):
    intent = read_intent("某市2020年的研发投入是多少？2025年的目标又是多少？", [], lexicon)
    assert intent.parts == ("某市2020年的研发投入是多少", "2025年的目标又是多少")


def test_one_question_is_one_part(lexicon):
    assert read_intent("中试基地能获得什么补贴？", [], lexicon).parts == ()


def test_documents_named_by_year_and_kind_are_firm(lexicon):
    docs = {
        d.doc_id: d
        for d in (_doc("a", "reply", "2025-05-20"), _doc("b", "reply", "2023-01-01"), _doc("c", "plan", "2021"))
    }
    intent = read_intent("规划和2025年答复说法一样吗？", [], lexicon, docs)
    assert set(intent.constraints.documents) == {"a", "c"} and intent.compare


def test_kind_without_year_is_loose(lexicon):
    docs = {"c": _doc("c", "plan", "2021")}
    intent = read_intent("规划里是怎么安排的？", [], lexicon, docs)
    assert intent.constraints.documents == () and intent.constraints.kinds == ("plan",)


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("华为公司获得了多少补贴？", ("华为",)),
        ("清华大学在泉州建了什么平台？", ("清华",)),
        ("对高校和科研院所有什么要求？", ()),  # no name, only kinds of organisation
        ("台州学院有什么平台？", ("台州",)),  # a place's name is an organisation's too (西湖大学, 台州学院)
        ("这所学校设有哪六个学院？", ()),  # a count before the suffix names nothing
        ("各研究院的经费是多少？", ()),
        ("哪家公司牵头？", ()),
    ],
)
def test_organisations_are_read_by_their_suffix(lexicon, question, names):
    assert read_intent(question, [], lexicon).constraints.organisations == names


def test_a_word_containing_a_cue_is_not_the_cue(lexicon):
    # "enterprises" holds "rise", but asks for a level, not a rate of change
    intent = read_intent("How many high-tech enterprises does the city have?", [], lexicon)
    assert not intent.constraints.growth
    assert read_intent("How much did R&D spending rise?", [], lexicon).constraints.growth


@pytest.mark.parametrize(
    ("question", "is_list"),
    [
        ("Which fields does the city support?", True),
        ("What projects does the notice fund?", True),
        ("Which city has the highest subsidy?", False),
        ("Which departments handled the proposal?", False),  # who: organisations, answered as an entity
        ("Which process is required?", False),
        ("What is the subsidy?", False),
    ],
)
def test_english_questions_asking_for_several_things_want_a_list(lexicon, question, is_list):
    assert read_intent(question, [], lexicon).wants_list is is_list


@pytest.mark.parametrize(
    ("question", "size"),
    [
        ("规划里的六大主导产业是哪些？", 6),
        ("重点支持哪三个领域？", 3),
        ("Which five fields does the notice support?", 5),
        ("有哪些支持措施？", 0),  # names no number
        ("成都有几家孵化器？", 0),  # a count question, not a list
    ],
)
def test_a_list_question_names_how_many_items(lexicon, question, size):
    assert read_intent(question, [], lexicon).list_size == size


@pytest.mark.parametrize(
    ("part", "leans"),
    [
        ("2025年要达到多少？", True),  # a year and the wording of the ask: nothing of its own
        ("目标值是多少？", True),
        ("稳定运营后呢？", True),  # a cue
        ("申报截止是哪天？", False),  # its own subject, however short
        ("利率有优惠吗？", False),
    ],
)
def test_a_later_part_leans_on_the_one_before_when_it_names_nothing(part, leans):
    from assistant.query.intent import leans_on_previous

    assert leans_on_previous(part) is leans


@pytest.mark.parametrize(
    ("question", "kind"),
    [("利率有优惠吗？", "yesno"), ("Is there a subsidy ratio?", "yesno"), ("补贴比例是多少？", "ratio")],
)
def test_a_yes_no_question_asks_whether_even_when_it_names_a_measure(lexicon, question, kind):
    assert read_intent(question, [], lexicon).answer_type == kind


@pytest.mark.parametrize(
    ("question", "merged"),
    [
        ("中试基地能获得什么补贴？", False),  # short, but a new subject of its own
        ("What subsidy does a pilot-scale base get?", False),
        ("2025年的目标值是多少？", True),  # names nothing of its own
        ("它的项目单位是哪些？", True),  # a pronoun points back
        ("那厦门呢？", True),
    ],
)
def test_a_short_question_is_a_follow_up_only_when_it_leans_on_the_last_one(question, merged):
    history = [
        {"role": "user", "content": "泉州规划中国家高新技术企业的数量是多少？"},
        {"role": "assistant", "content": "…"},
    ]
    assert (resolve_followup(question, history) != question) is merged
