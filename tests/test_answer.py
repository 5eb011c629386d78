"""Extractive answers on the real corpus: figures, tables, lists, cities, refusals, follow-ups."""

import re

import pytest
from conftest import CORPUS

from assistant.lang.figures import figure_text

pytestmark = pytest.mark.slow


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _corpus_text() -> str:
    return _squash("".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")))


def test_pilot_base_subsidy_cites_quanzhou_reply_and_xiamen_measures(assistant):
    answer = assistant.ask("中试基地能获得什么补贴？")
    assert not answer.refused
    assert "泉科函〔2023〕63号" in {c.doc_number for c in answer.citations}
    assert any(c.doc_id.startswith("xiamen") for c in answer.citations)
    assert "按非财政资金投入的一定比例给予补贴" in answer.text and "2000万元" in answer.text


def test_english_question_retrieves_the_same_chinese_passages(assistant):
    answer = assistant.ask("What subsidy does a pilot-scale base get?")
    assert not answer.refused
    assert {"quanzhou-2023-63-reply-pilot-bases"} <= {c.doc_id for c in answer.citations}
    assert "2000万元" in answer.text and "按非财政资金投入的一定比例给予补贴" in answer.text
    # An English frame around the verbatim Chinese quotes (here a comparison table with English headers).
    assert answer.text.startswith(("Quanzhou", "Xiamen", "| City | Document | Amount |"))


def test_every_quote_is_verbatim_from_the_corpus(assistant):
    corpus = _corpus_text()
    for question in (
        "科技副总每年有多少工作保障经费？",
        "2022年全市技术合同成交额是多少？",
        "中试基地能获得什么补贴？",
    ):
        answer = assistant.ask(question)
        for citation in answer.citations:
            for quote in citation.quote.split(" … "):
                if " | " not in quote:  # table rows are rendered "header: value"; their cells are checked below
                    assert _squash(quote) in corpus, quote


def test_numbers_in_answer_occur_in_cited_passages(assistant):
    answer = assistant.ask("厦门技术经理人促成技术交易能拿多少奖励？")
    cited = _squash(" ".join(c.text for c in answer.citations))
    for number in re.findall(r"\d+(?:\.\d+)?", re.sub(r"\[\d+\]", "", answer.text)):
        assert number in cited


def test_table_answer_quotes_the_asked_year_column(assistant):
    answer = assistant.ask("国家高新技术企业2023年目标值是多少？")
    assert "2023年: 2500" in answer.text
    assert "2024年" not in answer.text  # only the column asked for
    assert answer.citations[0].section.startswith("附件5")


def test_list_answer_quotes_every_enumerated_item(assistant):
    answer = assistant.ask("泉州“十四五”规划的“四倍增”指的是哪四个倍增？")
    for item in ("全社会研发经费投入倍增", "高新技术企业数量倍增", "高水平科研平台数量倍增", "高层次人才团队数量倍增"):
        assert item in answer.text


def test_answer_refuses_when_city_absent(assistant):
    answer = assistant.ask("深圳对中试基地有什么补贴？")
    assert answer.refused and answer.refusal_kind == "not_covered"
    assert "深圳" in answer.text and "泉州" in answer.text  # names what the corpus does cover


def test_answer_refuses_other_planning_period(assistant):
    answer = assistant.ask("泉州“十五五”科技创新规划的R&D经费投入强度目标是多少？")
    assert answer.refused


def test_unstated_percentage_is_quoted_not_invented(assistant):
    answer = assistant.ask("泉州对中试平台设备购置费用的补贴比例是百分之多少？")
    assert answer.refused and answer.refusal_kind == "not_stated"
    assert "一定比例" in answer.text
    assert not re.search(r"\d+\s*%", answer.text)


def test_english_refusal_names_the_city_in_english(assistant):
    answer = assistant.ask("What subsidy does Shenzhen give pilot-scale bases?")
    assert answer.refused and "Shenzhen" in answer.text


def test_followup_question_inherits_the_subject(assistant):
    history = [
        {"role": "user", "content": "泉州对中试平台有什么补贴？"},
        {"role": "assistant", "content": "泉科函〔2023〕63号：……"},
    ]
    answer = assistant.ask("那厦门呢？", history=history)
    assert not answer.refused
    assert all(c.doc_id.startswith("xiamen") for c in answer.citations)
    assert "2000万元" in answer.text


def test_document_number_in_question_focuses_on_that_document(assistant):
    answer = assistant.ask("泉科函〔2023〕63号的领导署名是谁？")
    assert "王小阳" in answer.text
    assert {c.doc_id for c in answer.citations} == {"quanzhou-2023-63-reply-pilot-bases"}


def test_answer_is_a_few_sentences_not_a_dump(assistant):
    answer = assistant.ask("科技副总每年有多少工作保障经费？")
    assert len(answer.text) <= 400
    assert "5万元" in answer.text


def test_empty_question_gets_a_message_not_an_answer(assistant):
    answer = assistant.ask("   ")
    assert answer.refused and answer.refusal_kind == "invalid_question"


def test_figure_text_attaches_table_units_to_values():
    row = "指标名称: 高层次人才团队 | 单位: 个 | 2022年: 62"
    assert "62个" in figure_text(row)
    assert "5亿元" in figure_text("项目名称: X | 总投资（亿元）: 5")


def test_support_amounts_across_cities_render_as_a_table(assistant):
    answer = assistant.ask("中试基地能获得什么补贴？")
    lines = answer.text.splitlines()
    assert lines[0].startswith("| 城市 | 文件 | 金额 |")
    assert any(line.startswith("| 厦门 |") and "2000万元" in line for line in lines)
    assert any(line.startswith("| 泉州 |") and "一定比例" in line for line in lines)
    assert answer.verification == []  # every figure in the table is in the row's cited passage


def test_off_topic_question_is_refused(assistant):
    answer = assistant.ask("天气怎么样")
    assert answer.refused and answer.refusal_kind == "not_covered"


def test_addressee_line_is_an_answer_not_an_empty_table_cell(assistant):
    answer = assistant.ask("第1071号建议（推动科技创新和产业创新深度融合）是哪位代表提出的？")
    assert not answer.refused and "庄天怀" in answer.text


def test_question_naming_two_documents_by_year_and_kind_cites_both(assistant):
    answer = assistant.ask("泉州技术合同成交额2025年的目标，规划和2025年答复说法一样吗？")
    cited = {c.doc_id for c in answer.citations}
    assert {"quanzhou-14th-five-year-sti-plan", "quanzhou-2025-81-reply-sti-industry-fusion"} <= cited
    assert "17.7" in answer.text and "22亿元" in answer.text


def test_english_question_naming_the_2025_reply_searches_that_reply(assistant):
    answer = assistant.ask("How many national high-tech enterprises did Quanzhou have according to the 2025 reply?")
    # (The figure itself, "国家级高新技术企3122家", carries a typo in the source, so only the search scope is checked.)
    assert {c.doc_id for c in answer.citations} == {"quanzhou-2025-81-reply-sti-industry-fusion"}


def test_contact_person_behind_a_letter_spaced_label_is_answered(assistant):
    answer = assistant.ask("关于科技创新和产业创新深度融合的答复（第1071号建议），联系人和联系电话是什么？")
    assert "陈坚议" in answer.text and "0595-22579329" in answer.text


def test_quote_addressing_the_reader_names_whom_the_reply_answers(assistant):
    # "您们提出的…" alone does not say who proposed it; the answer names the reply's addressee.
    answer = assistant.ask("关于打造中试基地的第20231030号提案是谁提的？")
    assert "您们提出的" in answer.text and "民建泉州市委会" in answer.text
    assert answer.citations[0].doc_id == "quanzhou-2023-63-reply-pilot-bases"


def test_a_reply_s_closing_formula_is_not_taken_for_the_list_asked(assistant):
    answer = assistant.ask("第20231030号提案由泉州市科技局会同哪些部门办理？")
    assert "市人社局" in answer.text and "市金融监管局" in answer.text


def test_comparison_keeps_each_named_document_even_when_it_says_less(assistant):
    answer = assistant.ask("规划定的2025年国家高新技术企业目标是3500家，2025年答复时实际有多少家？")
    cited = {c.doc_id for c in answer.citations}
    assert {"quanzhou-14th-five-year-sti-plan", "quanzhou-2025-81-reply-sti-industry-fusion"} <= cited
    assert "3500" in answer.text and "3122家" in answer.text


def test_followup_naming_another_document_asks_that_document(assistant):
    history = [
        {
            "role": "user",
            "content": "What is Quanzhou's 2025 target for technology contract turnover in the five-year plan?",
        },
        {"role": "assistant", "content": "17.7亿元 or more."},
    ]
    answer = assistant.ask("And what target did the 2025 reply set?", history=history)
    assert "22亿元" in answer.text
    assert {c.doc_id for c in answer.citations} == {"quanzhou-2025-81-reply-sti-industry-fusion"}


def test_followup_s_own_topic_outweighs_the_one_it_replaces(assistant):
    history = [
        {"role": "user", "content": "2022年泉州新增了多少技术经纪人？"},
        {"role": "assistant", "content": "400多名"},
    ]
    answer = assistant.ask("省级技术转移机构呢？", history=history)
    assert "32 家" in answer.text or "32家" in answer.text


def test_who_question_quotes_the_clause_with_the_organisation(assistant):
    answer = assistant.ask("获批福建省首个国家级试点联盟的制鞋产业技术创新联盟是谁牵头建的？")
    assert "中国皮革和制鞋工业研究院（晋江）有限公司" in answer.text


def test_index_lines_that_only_share_the_document_title_are_not_quoted(assistant):
    answer = assistant.ask("庄天怀代表提的建议是什么？")
    assert "您提出的" in answer.text and "庄天怀代表" in answer.text
    assert "索引号" not in answer.text and "发布机构" not in answer.text
