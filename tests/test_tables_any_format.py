"""Tables as users upload them: Markdown pipe tables and Word tables with no "表 N" caption."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.readers import markdown_tables
from assistant.ingest.tables import find_tables
from tests.conftest import assistant_over

POLICY = """# 合肥高新区关于加快培育科技型企业的若干政策

合高管〔2025〕17号

## 第二条 高新技术企业奖励

对首次认定的国家高新技术企业，给予30万元奖励。

## 第三条 研发投入补贴

企业年度研发投入超过500万元的，按超出部分的5%给予补贴，单个企业每年最高200万元。

## 第五条 各园区配套比例

| 园区 | 配套比例 | 年度预算（万元） |
| --- | --- | --- |
| 创新产业园 | 20% | 3000 |
| 科学园 | 15% | 1800 |
| 软件园 | 25% | 2500 |

## 第六条 附则

本政策自2025年7月1日起施行。
"""


def test_a_markdown_table_becomes_rows_named_after_the_heading_above_it():
    [table] = find_tables(markdown_tables(POLICY))
    assert table.caption == "第五条 各园区配套比例" and table.header == ("园区", "配套比例", "年度预算（万元）")
    assert [r.text.split(" | ")[1] for r in table.rows] == ["园区: 创新产业园", "园区: 科学园", "园区: 软件园"]


def test_text_without_a_table_is_unchanged():
    text = "一、总则\n\n价格 | 数量 不是表格。\n"
    assert markdown_tables(text) == text and find_tables(text) == []


def test_a_word_table_needs_no_caption():
    text = "各区名额如下：\n\n\t区\n\t名额\n\n\t思明区\n\t12\n\n\t湖里区\n\t9\n\n后文。"
    [table] = find_tables(text)
    assert table.caption == "各区名额如下" and len(table.rows) == 2


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("md-table")
    return assistant_over(root, {"hefei-policy.md": POLICY}, collection="md_table", embed_cache=embedding_cache)


def test_a_superlative_over_a_markdown_table_picks_the_row(policy):
    answer = policy.ask("哪个园区的配套比例最高？")
    assert answer.text.startswith("答：软件园") and "25%" in answer.text


def test_a_cell_of_a_markdown_table_is_answered_from_its_row(policy):
    answer = policy.ask("科学园的年度预算是多少？")
    assert not answer.refused and "1800" in answer.text and "科学园" in answer.text


def test_the_answer_line_is_the_clause_with_the_word_the_question_asks_by(policy):
    # Two amounts in one sentence: a threshold (500万元) and a cap (最高200万元); the question asks for the cap.
    answer = policy.ask("研发投入补贴每家企业最高多少？")
    assert answer.text.startswith("答：单个企业每年最高200万元")
