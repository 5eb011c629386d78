"""Lists, multi-part questions and wh-words on a notice made for the test (a city the corpus lacks)."""

from pathlib import Path

import pytest

from assistant import Assistant
from tests.conftest import assistant_over

NOTICE = """绵阳市科学技术局关于组织申报2026年度科技计划项目的通知

绵科发〔2026〕3号

各有关单位：

为深入实施创新驱动发展战略，现将2026年度市级科技计划项目申报工作通知如下。

一、支持方向

本年度重点支持以下五个领域：

（一）电子信息。重点支持新型显示、集成电路设计与封装测试。

（二）先进材料。重点支持稀土功能材料、高性能纤维及复合材料。

（三）生物医药。重点支持创新药、高端医疗器械研发。

（四）节能环保。重点支持工业固废资源化利用技术。

（五）现代农业。重点支持种业创新和智慧农业装备。

二、支持方式

重点研发项目给予最高50万元资助，自然科学基金项目给予5万元资助。申报单位须为在绵阳市注册的独立法人。

三、申报时间

网上申报时间为2026年3月1日至3月31日，逾期不予受理。

绵阳市科学技术局

2026年2月10日
"""
FIELDS = ["电子信息", "先进材料", "生物医药", "节能环保", "现代农业"]


@pytest.fixture(scope="module")
def notice(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("lists")
    return assistant_over(root, {"notice.txt": NOTICE}, collection="lists", embed_cache=embedding_cache)


@pytest.mark.parametrize("question", ["2026年重点支持哪些领域？", "What fields are supported this year?"])
def test_a_list_of_headed_items_is_given_whole_in_the_document_s_order(notice, question):
    answer = notice.ask(question)
    assert not answer.refused
    positions = [answer.text.find(field) for field in FIELDS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_a_part_with_its_own_subject_does_not_borrow_the_part_before(notice):
    answer = notice.ask("重点研发项目资助多少？申报截止是哪天？")
    first, second = answer.text.split("问二")
    assert "50万元" in first and "2026年3月1日至3月31日" in second


def test_an_elliptical_part_leads_with_the_clause_about_its_own_subject(notice):
    answer = notice.ask("重点研发项目资助多少？自然科学基金项目呢？")
    second = answer.text.split("问二")[1]
    assert second.lstrip("：").startswith("答：自然科学基金项目给予5万元资助")


def test_question_words_are_not_topics(notice):
    answer = notice.ask("申报截止是哪天？")  # 哪天 asks; it is not a word the notice must contain
    assert not answer.refused and "2026年3月1日至3月31日" in answer.text


def test_a_two_part_question_later_in_a_conversation_is_still_answered_part_by_part(notice):
    history = [{"role": "user", "content": "本年度重点支持哪些领域？"}, {"role": "assistant", "content": "……"}]
    answer = notice.ask("重点研发项目资助多少？申报截止是哪天？", history=history)
    first, second = answer.text.split("问二")
    assert "50万元" in first and "2026年3月1日至3月31日" in second


PLAN = """珠海市“十四五”产业创新规划

一、发展基础

“十三五”期间，全市研发投入年均增长12%，高新技术企业突破2000家。

| 指标 | 2020年 | 2025年目标 |
|---|---|---|
| 研发投入强度（%） | 2.8 | 3.5 |
| 每万人发明专利拥有量（件） | 30 | 45 |

二、重点任务

（一）攻关行动

聚焦集成电路、生物医药、新能源、海洋装备四大新兴产业，组织实施一批关键核心技术攻关项目，到2025年实施攻关项目60项以上。

（二）集成电路

围绕芯片设计、封装测试、关键材料，支持龙头企业建设研发中心，培育一批集成电路骨干企业，推动产业链上下游协同发展。

（三）生物医药

支持创新药和高端医疗器械研发，建设生物医药中试平台，推动临床试验与产业化衔接。
"""
INDUSTRIES = ["集成电路", "生物医药", "新能源", "海洋装备"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("enumeration")
    return assistant_over(root, {"plan.txt": PLAN}, collection="enumeration", embed_cache=embedding_cache)


def test_a_list_stated_in_one_sentence_leads_the_answer(plan):
    # The four industries are named once, inline, under an unrelated heading; two of them also head long sections.
    answer = plan.ask("珠海规划里的四大新兴产业是哪些？")
    lead = answer.text.splitlines()[0]
    assert lead.startswith("答：") and all(name in lead for name in INDUSTRIES)
    assert "[" in lead  # the lead line cites its passage


def test_a_part_that_names_nothing_of_its_own_is_about_the_part_before_it(plan):
    # "2025年要达到多少？" names only a year: it asks the 2025 value of the indicator the first part names.
    answer = plan.ask("珠海研发投入强度2020年是多少？2025年要达到多少？")
    first, second = answer.text.split("问二")
    assert "2.8" in first and "3.5" in second and "60项" not in second


SUZHOU_NEWS = """苏州出台科技成果转化新政

来源：苏州市科技局

近日，苏州市人民政府办公厅印发《苏州市促进科技成果转化若干措施》（以下简称《措施》），以18条政策打通成果转化堵点。

《措施》提出，对新建的概念验证中心给予最高200万元建设补助。

对技术经纪人促成的技术交易，按合同金额1%给予奖励。
"""
WUXI_2023 = """无锡市科学技术局

锡科函〔2023〕12号

关于市政协提案的答复

一、关于中试平台

为促进科技成果转化，对新认定的市级中试平台给予最高100万元补助，支持其开展小试中试服务。

无锡市科学技术局
2023年6月1日
"""
WUXI_2025 = """无锡市科学技术局

锡科函〔2025〕8号

关于市人大代表建议的答复

二、关于中试验证

我市将出台科技成果转化中试验证专项政策，对中试平台按服务收入的10%给予运营奖励。同时鼓励高校建设概念验证中心，提升成果转化效率。

无锡市科学技术局
2025年5月9日
"""


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("two-cities")
    files = {"suzhou-news.txt": SUZHOU_NEWS, "wuxi-2023-reply.txt": WUXI_2023, "wuxi-2025-reply.txt": WUXI_2025}
    return assistant_over(root, files, glossary=False, collection="twocities", embed_cache=embedding_cache)


def test_each_compared_city_is_heard_in_a_list_question(two_cities):
    # "（以下简称《措施》）" introduces a short name, not a list: it must not replace the other city's quotes.
    answer = two_cities.ask("苏州和无锡对科技成果转化各有什么支持？")
    assert not answer.refused
    assert {c.doc_id for c in answer.citations} & {"wuxi-2023-reply", "wuxi-2025-reply"}
    assert "suzhou-news" in {c.doc_id for c in answer.citations}


def test_both_named_replies_are_quoted_on_the_topic_not_by_their_letterheads(two_cities):
    answer = two_cities.ask("无锡2023年和2025年的两份答复对中试平台有什么支持？")
    assert "100万元" in answer.text and "10%" in answer.text


def test_a_named_document_and_another_place_are_both_searched(two_cities):
    # The 2025 reply is named by year and kind; 苏州 is named by place only: its documents join the search.
    answer = two_cities.ask("无锡2025年的答复和苏州的新政对科技成果转化有什么支持？")
    assert not answer.refused
    assert {"wuxi-2025-reply", "suzhou-news"} <= {c.doc_id for c in answer.citations}


def test_a_change_asked_as_a_number_is_computed_over_the_table_row(plan):
    answer = plan.ask("珠海研发投入强度从2020年到2025年要提高几个百分点？")
    lead = answer.text.splitlines()[0]
    assert "0.7个百分点" in lead and "2.8" in lead and "3.5" in lead
    assert not answer.verification  # the computed figure is recomputed by the verifier


def test_a_refused_part_does_not_repeat_the_corpus_summary(plan):
    answer = plan.ask("珠海研发投入强度2020年是多少？深圳的人才补贴是多少？")
    assert not answer.refused and "2.8" in answer.text
    assert "文档范围" not in answer.text


def test_a_yes_no_question_about_something_no_sentence_names_is_not_stated(notice):
    # The notice speaks of 重点研发项目 and their 资助, never of tax relief: quoting it would be a near miss.
    refused = notice.ask("绵阳对重点研发项目有税收减免吗？")
    assert refused.refused and refused.refusal_kind == "not_stated"
    answered = notice.ask("绵阳对重点研发项目有资助吗？")
    assert not answered.refused and "50万元" in answered.text


def test_a_compared_city_whose_documents_state_no_amount_still_has_its_row(two_cities):
    answer = two_cities.ask("苏州和无锡对概念验证中心各给多少钱？")
    rows = [line for line in answer.text.splitlines() if line.startswith("| ") and "原文" not in line]
    assert any(r.startswith("| 苏州") and "200万元" in r for r in rows)
    assert any(r.startswith("| 无锡") and "未写明" in r for r in rows)


def test_which_documents_mention_a_topic_gets_one_quote_per_document_that_does(two_cities):
    answer = two_cities.ask("哪些文件提到了中试平台？")
    assert answer.text.startswith("答：2份文件：")
    assert {c.doc_id for c in answer.citations} == {"wuxi-2023-reply", "wuxi-2025-reply"}
    # Naming a kind of document keeps to it: the news article also mentions 概念验证中心, but is no reply.
    replies = two_cities.ask("哪些答复提到了概念验证中心？")
    assert {c.doc_id for c in replies.citations} == {"wuxi-2025-reply"}
