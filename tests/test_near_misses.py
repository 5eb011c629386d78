"""Near misses on documents made for the test: another organisation's figure, the whole city's figure, a year
only the 文号 bears, and a table whose unit sits in its row label. None of them is the answer asked for."""

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.lang.figures import row_cells, value_kinds
from tests.conftest import assistant_over

REPORT = """台州市科技创新工作情况通报

台科发〔2026〕4号

一、平台建设。椒江实验室2025年引进博士研究生48名，承担省级以上科研项目17项。该实验室当年到位科研经费1.2亿元。
台州学院与台州职业技术学院共建的智能制造研究中心，2025年获得授权发明专利62件。

二、成果转化。2025年，全市技术合同成交额达到95亿元，同比增长18%。

附表：2023—2025年台州市科技金融指标

| 指标 | 2023年 | 2024年 | 2025年 |
| --- | --- | --- | --- |
| 科技贷款新增额（亿元） | 20.5 | 26.3 | 31.9 |
| 科技保险保费补贴（万元） | 300 | 420 | 560 |

台州市科学技术局
2026年2月3日
"""


RULES = """丽水市众创空间管理办法

第一条 对新认定的市级众创空间，给予一次性奖励20万元；对新认定的国家级众创空间，给予一次性奖励60万元。
第二条 年度考核为优秀的众创空间，给予最高10万元运营补助；考核为良好的，给予最高5万元运营补助。
第三条 本办法自2025年9月1日起施行。
"""


NOTICE = """宁波市科学技术局 宁波市财政局关于印发《宁波市科技企业孵化器认定和管理办法》的通知

甬科发〔2025〕27号

各区（县、市）科技局、财政局，各有关单位：

现将《宁波市科技企业孵化器认定和管理办法》印发给你们，请认真贯彻执行。

第一条 为推动科技企业孵化器高质量发展，培育科技型中小企业，制定本办法。

第二条 申请认定市级科技企业孵化器，应当同时具备以下条件：（一）在宁波市注册，运营满1年；（二）孵化场地面积不低于3000平方米；（三）在孵企业不少于20家；（四）配备专业孵化服务人员不少于4名；（五）设立不低于200万元的孵化资金。

第三条 对新认定的市级科技企业孵化器，给予一次性奖励50万元；对新认定的国家级科技企业孵化器，给予一次性奖励100万元。

第四条 对年度绩效评价结果为优秀的孵化器，给予最高30万元的运营补助；评价结果为良好的，给予最高15万元的运营补助。

第五条 孵化器每培育1家在孵企业被认定为国家高新技术企业，给予孵化器5万元奖励，每家孵化器每年奖励总额不超过50万元。

第六条 本办法自2025年7月1日起施行，有效期5年。

宁波市科学技术局 宁波市财政局
2025年6月10日
"""


@pytest.fixture(scope="module")
def taizhou(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    return assistant_over(
        tmp_path_factory.mktemp("near-misses"),
        {"taizhou.txt": REPORT, "lishui.txt": RULES, "ningbo.txt": NOTICE},
        collection="near",
        embed_cache=embedding_cache,
    )


def test_unit_in_a_row_label_makes_its_cells_amounts():
    assert "money" in value_kinds("指标: 科技保险保费补贴（万元） | 2024年: 420")
    assert "percent" in value_kinds("指标: 研发投入强度（%） | 2024年: 2.9")
    assert row_cells("指标: 新增额（亿元） | 2023年: 20.5 | 2024年: 26.3") == (
        "新增额（亿元）",
        [("2023年", "20.5亿元"), ("2024年", "26.3亿元")],
    )


def test_table_row_whose_label_holds_the_unit_answers_an_amount(taizhou):
    answer = taizhou.ask("台州2024年科技保险保费补贴是多少？")
    # The answer comes first, with the unit the row's label gives it.
    assert not answer.refused and answer.text.startswith("答：420万元[1]")


def test_figure_of_another_organisation_is_not_the_answer(taizhou):
    # The 62 patents are the research centre's, which two colleges built; the laboratory's are not stated.
    answer = taizhou.ask("椒江实验室2025年获得授权发明专利多少件？")
    assert answer.refused and answer.refusal_kind == "not_stated"


def test_whole_city_figure_is_not_the_organisations(taizhou):
    # 95亿元 is the whole city's ("全市…"), in the passage that names the laboratory.
    answer = taizhou.ask("椒江实验室2025年的技术合同成交额是多少？")
    assert answer.refused and "95亿元" not in answer.text.split("最接近的原文")[0]


def test_sentence_continuing_an_organisation_answers_for_it(taizhou):
    # "该实验室当年…" leaves the laboratory's name to the sentence before.
    answer = taizhou.ask("椒江实验室到位了多少科研经费？")
    assert not answer.refused and "1.2亿元" in answer.text


def test_figure_of_something_else_is_not_the_answer(taizhou):
    # The notice counts the laboratory's doctoral recruits and projects, not its patents.
    answer = taizhou.ask("椒江实验室引进了多少名博士后？")
    assert not answer.refused or "48名" not in answer.text.split("最接近的原文")[0]
    answer = taizhou.ask("台州科技型企业有多少家？")
    assert answer.refused


def test_year_of_the_document_number_is_not_the_year_of_a_figure(taizhou):
    # The notice was issued in 2026 (台科发〔2026〕4号); its table stops at 2025.
    answer = taizhou.ask("台州2026年科技贷款新增额是多少？")
    assert answer.refused and "31.9" not in answer.text.split("最接近的原文")[0]


def test_a_level_is_not_the_change_asked(taizhou):
    # 95亿元 is the level and 18% the rate; the increase in 亿元 is not stated.
    answer = taizhou.ask("台州2025年技术合同成交额比上年增加了多少亿元？")
    assert answer.refused and answer.refusal_kind == "not_stated"
    answer = taizhou.ask("台州2025年技术合同成交额同比增长了多少？")
    assert not answer.refused and "18%" in answer.text


def test_another_tier_is_not_the_tier_asked(taizhou):
    # The rules tell 市级 from 国家级 and 优秀 from 良好: 省级 and 合格 are not stated.
    answer = taizhou.ask("丽水对新认定的省级众创空间奖励多少？")
    assert answer.refused and "省级" in answer.text and "20万元" not in answer.text.split("最接近的原文")[0]
    assert taizhou.ask("丽水众创空间考核合格能拿多少运营补助？").refused
    answer = taizhou.ask("丽水对新认定的国家级众创空间奖励多少？")
    assert not answer.refused and "60万元" in answer.text


def test_article_number_is_no_count():
    assert "count" not in value_kinds("第三条 对新认定的市级众创空间")
    assert "count" in value_kinds("在孵企业不少于20家")
    assert "ordinal" in value_kinds("首个赛季获得第三名")


def test_years_before_1900_and_events_are_times():
    assert "year" in value_kinds("该书在1858年出版")
    assert "year" in value_kinds("出征某地时，以功升任指挥使")
    assert "year" not in value_kinds("同时，加强服务")


def test_title_naming_every_word_sets_no_bar_for_the_dated_sentence(taizhou):
    # The notice's title and its first line name the city and the rules; only 第六条 gives the date.
    answer = taizhou.ask("宁波孵化器办法什么时候施行？")
    assert not answer.refused and "2025年7月1日" in answer.text


def test_tiers_compared_each_get_their_sentence(taizhou):
    # The 良好 clause names neither the rules nor 众创空间: its tier is what puts it beside the 优秀 one.
    answer = taizhou.ask("宁波孵化器绩效评价良好和优秀分别补助多少？")
    assert not answer.refused and "15万元" in answer.text and "30万元" in answer.text


def test_english_question_names_a_tier_too(taizhou):
    answer = taizhou.ask("What is the one-off reward for a newly recognised provincial-level incubator in Ningbo?")
    assert answer.refused and "50万元" not in answer.text.split("closest passage")[0]
    answer = taizhou.ask("What is the one-off reward for a newly recognised national-level incubator in Ningbo?")
    assert not answer.refused and "100万元" in answer.text


def test_answer_line_leaves_out_the_article_number(taizhou):
    answer = taizhou.ask("宁波孵化器办法什么时候施行？")
    assert answer.text.startswith("答：本办法自2025年7月1日起施行")
