"""Verification: [n] markers resolve, every figure occurs in a passage its sentence cites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.verify import check_answer, drop_unsupported, markers_in, renumber, split_claims, verify_answer
from assistant.lang.figures import extract_figures
from assistant.types import Citation

PASSAGE = "对新认定的市级中试基地，最高给予500万元补助，补助比例为30%。"


def values(text: str) -> list[str]:
    return [f"{f.value.normalize():f}{'%' if f.percent else ''}" for f in extract_figures(text)]


def test_verify_accepts_figure_in_cited_passage():
    assert verify_answer("中试基地最高可获500万元补助[1]。", [PASSAGE]).ok


def test_verify_rejects_invented_amount():
    result = verify_answer("中试基地最高可获5000万元补助[1]。", [PASSAGE])
    assert not result.ok
    assert "5000万" in result.notes()[0]


def test_verify_rejects_marker_beyond_the_passages():
    result = verify_answer("最高500万元[7]。", [PASSAGE, "b", "c"])
    assert result.invalid_markers == [7]
    assert "[7]" in result.notes()[0]


def test_verify_rejects_figure_without_citation():
    result = verify_answer("最高500万元。", [PASSAGE])
    assert not result.ok and "没有标注出处" in result.notes()[0]


def test_verify_checks_each_sentence_against_its_own_citation():
    result = verify_answer("最高500万元[2]。另一项为30%[1]。", [PASSAGE, "其他段落，金额为200万元。"])
    assert [s.supported for s in result.sentences] == [False, True]


def test_verify_rejects_invented_year():
    assert not verify_answer("该政策于2019年出台，最高500万元[1]。", [PASSAGE]).ok


def test_verify_counts_list_markers_as_numbers():
    assert not verify_answer("一、最高500万元[1]。", [PASSAGE]).ok
    assert verify_answer("一、最高500万元[1]。", ["一、对中试基地最高给予500万元补助。"]).ok


def test_thirteen_is_not_supported_by_one_hundred_thirty():
    assert not verify_answer("共有13家[1]。", ["共有130家企业。"]).ok
    assert not verify_answer("增长1.3%[1]。", ["增长13%。"]).ok


def test_full_width_digits_equal_ascii_digits():
    assert verify_answer("最高５００万元[1]。", [PASSAGE]).ok
    assert verify_answer("最高500万元［1］。", ["最高给予５００万元补助。"]).ok


def test_chinese_numerals_equal_arabic_numerals():
    assert values("二〇二五年") == ["2025"]
    assert values("三千家") == ["3000"]
    assert values("第二十一条") == ["21"]
    assert values("一万二千") == ["12000"]
    assert verify_answer("到2025年达到3000家[1]。", ["到二〇二五年达到三千家。"]).ok
    assert verify_answer("到二〇二五年达到三千家[1]。", ["到2025年达到3000家。"]).ok


def test_chinese_numerals_inside_words_are_not_numbers():
    assert values("按一定比例给予补贴，统一管理，三明市，十分重要，万物互联") == []
    assert values("建设一个平台，另一项措施") == []  # 一 + measure word reads as "a"
    assert values("两年内新增五家") == ["2", "5"]


def test_percent_words_equal_percent_sign():
    assert values("百分之十") == ["10%"]
    assert verify_answer("补助比例为百分之三十[1]。", [PASSAGE]).ok
    assert verify_answer("补助比例为10%[1]。", ["补助比例为百分之十。"]).ok
    assert not verify_answer("补助比例为30家[1]。", ["补助比例为30%。"]).ok  # a percentage is not a count


def test_wan_and_yi_yuan_are_the_same_amount():
    assert verify_answer("最高2000万元[1]。", ["最高给予0.2亿元支持。"]).ok
    assert verify_answer("最高0.2亿元[1]。", ["最高给予2000万元支持。"]).ok
    assert verify_answer("up to 20 million yuan [1].", ["最高给予2000万元支持。"]).ok
    assert not verify_answer("最高2000亿元[1]。", ["最高给予2000万元支持。"]).ok


def test_table_cell_is_supported_by_the_unit_in_its_header():
    row = "项目名称: 某中试平台 | 总投资（亿元）: 35"
    assert verify_answer("总投资35亿元[1]。", [row]).ok
    assert not verify_answer("总投资35万元[1]。", [row]).ok


def test_thousands_separators_and_ratios_are_normalized():
    assert verify_answer("共1,200人[1]。", ["共1200人。"]).ok
    assert verify_answer("按1:1配套[1]。", ["按1︰1比例配套。"]).ok
    assert verify_answer("按1︰1配套[1]。", ["按1：1比例配套。"]).ok


def test_citation_metadata_supports_document_numbers():
    citation = Citation(1, "d", "d#0", "关于中试基地的答复", "泉科函〔2023〕63号", "2023", "一、总体要求", PASSAGE, 1.0)
    assert verify_answer("泉科函〔2023〕63号：“最高给予500万元补助”[1]", [citation]).ok
    assert not verify_answer("泉科函〔2024〕63号：“最高给予500万元补助”[1]", [citation]).ok


def test_split_claims_keeps_quoted_sentences_and_trailing_markers_together():
    text = "泉科函〔2023〕63号：“第一句。第二句。”[1]\n厦门最高2000万元。[2] Quanzhou gives 500万元 [1]. End"
    sentences = [text[s:e].strip() for s, e in split_claims(text)]
    assert sentences == [
        "泉科函〔2023〕63号：“第一句。第二句。”[1]",
        "厦门最高2000万元。[2]",
        "Quanzhou gives 500万元 [1].",
        "End",
    ]


def test_drop_unsupported_keeps_the_supported_sentences():
    text = "中试基地最高500万元[1]。最高可获5000万元[1]。补助比例30%[1]。"
    kept, notes = drop_unsupported(text, [PASSAGE])
    assert kept == "中试基地最高500万元[1]。补助比例30%[1]。"
    assert len(notes) == 1 and "5000万" in notes[0]
    assert verify_answer(kept, [PASSAGE]).ok


def test_drop_unsupported_can_leave_nothing():
    kept, notes = drop_unsupported("最高可获5000万元[1]。", [PASSAGE])
    assert kept == "" and notes


def test_marker_forms_are_all_read():
    assert markers_in("甲[1][2]，乙[3,4]，丙［5］，丁【6】，戊[7-9]。") == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert verify_answer("最高500万元[1-2]。", [PASSAGE, "b"]).ok


def test_bracketed_number_inside_a_cited_quote_is_quoted_text():
    row = "指标名称: 省级新型研发机构 | 2025年目标值: 25 | 年均增长[累计]: [12]"
    answer = f"《规划》：“{row}”[1]"
    assert markers_in(answer) == [1]
    assert verify_answer(answer, [row]).ok
    assert not verify_answer(answer.replace("[12]”", "[13]”"), [row]).ok
    assert markers_in("厦门提出“企业最高可获得1000万元信用贷款[2]”。") == [2]  # a quote without its own [n]


def test_renumber_compacts_cited_passages():
    assert renumber("甲[3]。乙[1,3]。丙[2]。", [3, 1]) == "甲[1]。乙[2][1]。丙。"
    assert renumber("“单元格 [12]”[3]", [3]) == "“单元格 [12]”[1]"


def test_check_answer_records_failures_in_the_answer():
    from assistant.types import Answer

    citation = Citation(1, "d", "d#0", "t", "", "", "", PASSAGE, 1.0)
    good = Answer("q", "最高500万元[1]。", [citation], refused=False)
    bad = Answer("q", "最高600万元[1]。", [citation], refused=False)
    assert check_answer(good).verification == []
    assert "600万" in check_answer(bad).verification[0]


QUESTIONS = [
    "中试基地能获得什么补贴？",
    "What subsidy does a pilot-scale base get?",
    "国家高新技术企业2023年的目标值是多少？",
    "泉州市技术合同成交额2022年突破了多少亿元？",
    "厦门市促进科技成果转移转化若干措施有哪些？",
    "R&D经费投入占GDP比重目标是多少？",
    "泉州现有多少家新型研发机构？",
    "厦门对科技副总有什么支持？",
    "How many national high-tech enterprises does Quanzhou aim for by 2025?",
    "到2025年纺织鞋服产业总产值目标是多少？",
    "Compare Quanzhou and Xiamen support for technology brokers",
]


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_extractive_answers_on_the_corpus_verify_clean(assistant, question):
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.verification == []
    assert verify_answer(answer.text, answer.citations).ok


@pytest.mark.slow
def test_extractive_answer_with_a_changed_figure_fails_verification(assistant):
    answer = assistant.ask("国家高新技术企业2023年的目标值是多少？")
    assert "2500" in answer.text
    assert not verify_answer(answer.text.replace("2500", "2600"), answer.citations).ok


@pytest.mark.slow
def test_every_gold_question_gets_an_extractive_answer_that_verifies(assistant):
    gold = Path(__file__).resolve().parent.parent / "evals" / "gold.jsonl"
    failures = {}
    for line in gold.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        answer = assistant.ask(item["question"], history=item.get("history") or [])
        if answer.verification:
            failures[item["id"]] = answer.verification
    assert failures == {}


def test_a_difference_marked_as_computed_is_recomputed_from_the_cited_figures():
    from assistant.answer.verify import verify_answer

    row = ["指标名称: 技术合同登记成交额 | 单位: 亿元 | 2021年: 6.2 | 2023年: 10.5"]
    assert verify_answer("答：从2021年的6.2到2023年的10.5，增加4.3亿元（按表中数值计算）[1]", row).ok
    assert not verify_answer("答：从2021年的6.2到2023年的10.5，增加4.4亿元（按表中数值计算）[1]", row).ok
    assert not verify_answer("答：增加4.3亿元[1]", row).ok  # unmarked, a figure the passage lacks is unsupported
