"""Chunking: heading paths, sentence packing under the token budget, table rows, stable ids, offsets."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import pytest
from conftest import CORPUS, NEWS, PLAN, REPLY_2023, REPLY_2025, REPLY_2026
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunk import chunk_ids, count_tokens, split_document, split_sentences
from assistant.ingest.headings import parse_heading
from assistant.ingest.load import load_file
from assistant.types import Chunk, Document

ANNEX_1 = "附件1 “十四五”期间泉州市科技创新重大项目（基地平台类）"
TABLE_1 = "表 1 “十四五”时期泉州市科技创新主要指标"


@cache
def corpus_doc(name: str) -> Document:
    return load_file(CORPUS / name)


@cache
def corpus_chunks(name: str) -> tuple[Chunk, ...]:
    return tuple(split_document(corpus_doc(name)))


def make_doc(text: str) -> Document:
    return Document(doc_id="t", text=text, title="t", source_path="t.txt", content_hash="0")


def row(caption: str, number: int) -> Chunk:
    prefix = f"{caption} | 序号: {number} |"
    return next(c for c in corpus_chunks(PLAN) if c.kind == "table_row" and c.text.startswith(prefix))


def chunk_with(name: str, fragment: str) -> Chunk:
    return next(c for c in corpus_chunks(name) if fragment in c.text)


def test_chunk_keeps_table_row_with_header() -> None:
    assert row(ANNEX_1, 13).text == (
        f"{ANNEX_1} | 序号: 13 | 项目名称: 泉州市传感智能制造产业基地核心区项目 | 项目内容: "
        "以泛在物联网、芯片、传感器、人工智能、工业互联网等智能制造为核心产业链，重点引进龙头企业，延伸产业链，"
        "打通上下游。规划用地1000亩，计划投资50亿元，分两期实施，一期用地181亩，计划投资8亿元，2022年竣工投用；"
        "二期计划2022年开工。 | 总投资（亿元）: 50 | 起始年限: 2020－2024 | 项目单位: 万洋众创城投资集团有限公司 "
        "| 所在县（市、区）: 洛江区"
    )
    assert row(TABLE_1, 6).text == (
        f"{TABLE_1} | 序号: 6 | 指标名称: 国家高新技术企业 | 指标单位: 家 | 2020年: 1037 | 2025年目标值: 3500 "
        "| 年均增长[累计]: [2463]"
    )


@pytest.mark.parametrize("caption", [ANNEX_1, "附件3 “十四五”期间泉州市科技创新重大项目（技术创新类）"])
def test_chunk_table_header_split_by_blank_line(caption: str) -> None:
    # "\t所在县\n\n（市、区）" (附件1) and "\t所在\n\n县（市、区）" (附件3): one header cell each.
    first = row(caption, 1)
    assert first.text.count(" | ") == 7
    assert first.text.endswith(" | 所在县（市、区）: 鲤城区")


def test_chunk_table_header_fragment_in_a_small_table() -> None:
    text = "附件 2\n\n重点项目表\n\n\t序号\n\t项目名称\n\t所在\n\n县（市、区）\n\n\t1\n\t中试基地\n\t丰泽区"
    (only,) = split_document(make_doc(text))
    assert only.kind == "table_row"
    assert only.text == "附件2 重点项目表 | 序号: 1 | 项目名称: 中试基地 | 所在县（市、区）: 丰泽区"
    assert only.section == "附件2 重点项目表"


def test_chunk_rejoins_row_split_by_stray_blank_lines() -> None:
    # 附件1 row 15 has two blank lines between its name and its content cells.
    text = row(ANNEX_1, 15).text
    assert "项目名称: 清研泉州先进制造产业研究院 | 项目内容: 依托清研智造集团" in text
    assert text.endswith("| 项目单位: 洛江区人民政府、清研集团 | 所在县（市、区）: 洛江区")


def test_chunk_joins_table_cell_cut_by_page_break() -> None:
    # 附件1 row 37: "\t北京科复时代科技有限公司" + blank line + "、京东云计算有限公司".
    text = row(ANNEX_1, 37).text
    assert "| 项目单位: 北京科复时代科技有限公司、京东云计算有限公司 | 所在县（市、区）: 泉州开发区" in text


def test_chunk_keeps_empty_and_missing_table_cells() -> None:
    assert row(TABLE_1, 8).text.endswith("| 指标单位: % | 2020年: | 2025年目标值: | 年均增长[累计]: [3]")
    assert row(TABLE_1, 1).text.endswith("| 2020年: 17.4 | 2025年目标值: 20以上")


def test_chunk_counts_table_rows_per_table() -> None:
    rows = [c for c in corpus_chunks(PLAN) if c.kind == "table_row"]
    counts = {section: sum(c.section == section for c in rows) for section in dict.fromkeys(c.section for c in rows)}
    assert list(counts.values()) == [18, 42, 12, 48, 18, 13]
    assert list(counts)[:2] == [TABLE_1, ANNEX_1]


def test_chunk_table_row_span_holds_its_cells() -> None:
    document = corpus_doc(PLAN)
    chunk = row(ANNEX_1, 37)
    span = document.text[chunk.start : chunk.end]
    assert span.startswith("\t37\n\t新型数字显示产业基地项目")
    assert span.endswith("、京东云计算有限公司\n\t泉州开发区")
    first = row(TABLE_1, 1)
    assert document.text[first.start : first.end].startswith(TABLE_1)  # caption and header go with row 1


def test_chunk_section_path_follows_chapter_and_section() -> None:
    assert chunk_with(PLAN, "纺织鞋服产业力争实现总产值7200亿元").section == (
        "第四章 发展重点 > 第一节 着力突破产业关键核心技术 > 一、主导产业 > （一）纺织鞋服"
    )
    assert chunk_with(PLAN, "新材料产业产值力争达到1000亿元").section == (
        "第四章 发展重点 > 第一节 着力突破产业关键核心技术 > 二、战略性新兴产业 > （一）新材料"
    )
    assert chunk_with(PLAN, "以制度创新驱动技术创新").section == "第六章 保障措施 > 第三节 深化体制机制改革"


def test_chunk_heading_sentence_opens_section_and_stays_in_text() -> None:
    chunk = chunk_with(REPLY_2026, "大力推动企业自建、共建各级技术中心")
    assert chunk.section.endswith("二、建强技术转移转化体系，以平台与数字技术赋能增效 > （三）鼓励企业创建技术中心")
    assert chunk.text.startswith("（三）鼓励企业创建技术中心。大力推动企业自建")


def test_chunk_bold_markdown_heading_is_a_sibling_of_plain_one() -> None:
    section = chunk_with(REPLY_2026, "深入实施科技成果转化“搭桥”行动").section
    assert section == (
        "泉州市科学技术局 > 关于市十七届人大五次会议 第1212号建议的答复 > 四、常态化开展产学研金对接活动，促进供需精准匹配"
    )


def test_chunk_inline_enumeration_is_not_a_heading() -> None:
    chunk = chunk_with(REPLY_2025, "以市政府1号文新出台支持高企增量提质3条措施")
    assert chunk.section == "一、大力培育科技创新主体,推动创新主体“提能”“扩面”"
    assert all("一是" not in c.section for c in corpus_chunks(REPLY_2025))


def test_chunk_annex_list_is_not_a_heading() -> None:
    chunk = chunk_with(PLAN, "2.“十四五”期间泉州市科技创新重大项目（科技服务类）")
    assert chunk.section == "第六章 保障措施 > 第五节 营造创新创业氛围"


def test_chunk_never_crosses_chapter_or_section_boundary() -> None:
    for chunk in corpus_chunks(PLAN):
        lines = [line for line in chunk.text.split("\n") if line.strip()]
        levels = [(h.level if (h := parse_heading(line)) else None) for line in lines]
        first_body = next((i for i, level in enumerate(levels) if level is None), len(levels))
        assert all(level not in (1, 2) for level in levels[first_body:]), chunk.chunk_id


def test_chunk_keeps_subheading_with_its_paragraph() -> None:
    chunk = chunk_with(NEWS, "成果供给不足、转化资金短缺是科技成果转化的首要障碍")
    assert "激活创新源头\n\n聚焦“没成果、没钱转”问题\n\n成果供给不足" in chunk.text
    lead = chunk_with(REPLY_2025, "健全高新技术企业梯次培育体系")
    assert "三是强化创新体系培育。健全高新技术企业梯次培育体系" in lead.text


def test_chunk_ids_stable_across_runs() -> None:
    first = split_document(load_file(CORPUS / PLAN))
    second = split_document(load_file(CORPUS / PLAN))
    assert all(re.fullmatch(r"quanzhou-14th-five-year-sti-plan#[0-9a-f]{12}(-\d+)?", c.chunk_id) for c in first)
    assert len({c.chunk_id for c in first}) == len(first)
    assert [c.position for c in first] == list(range(len(first)))
    assert first == second


@pytest.mark.parametrize("name", [PLAN, REPLY_2023, NEWS])
def test_chunk_ids_survive_a_paragraph_inserted_at_the_top(name: str) -> None:
    # Positional ids (doc#n) renumbered every later chunk; a content id changes only with its own chunk.
    document = corpus_doc(name)
    before = corpus_chunks(name)
    paragraph = "本文件已作修订。" + "根据有关工作要求，本文件内容已进行补充完善，修订内容以本说明为准。" * 4
    after = split_document(replace(document, text=f"{paragraph}\n\n{document.text}"))
    assert after[0].text == paragraph  # a chunk of its own: every other chunk moves down one position
    assert [c.position for c in after] == list(range(len(before) + 1))
    assert [(c.chunk_id, c.section, c.text) for c in after[1:]] == [(c.chunk_id, c.section, c.text) for c in before]
    # A short paragraph may join the first chunk instead: at most that chunk's id changes.
    short = split_document(replace(document, text=f"本文件已作修订。\n\n{document.text}"))
    assert {c.chunk_id for c in before[1:]} <= {c.chunk_id for c in short}


def test_chunk_ids_of_repeated_text_get_an_ordinal_suffix() -> None:
    contents = [("一、", "同一段。"), ("二、", "同一段。"), ("一、", "同一段。"), ("一、", "同一段。")]
    ids = chunk_ids("d", contents)
    assert ids[0] != ids[1] and ids[2] == f"{ids[0]}-2" and ids[3] == f"{ids[0]}-3"
    assert ids == chunk_ids("d", contents)
    assert all(i.startswith("d#") and "#" not in i[2:] for i in ids)


@pytest.mark.parametrize("name", [PLAN, REPLY_2023, REPLY_2025, REPLY_2026, NEWS])
def test_chunk_offsets_point_at_verbatim_text(name: str) -> None:
    document = corpus_doc(name)
    for chunk in corpus_chunks(name):
        span = document.text[chunk.start : chunk.end]
        if chunk.kind == "text":
            assert span == chunk.text
        else:
            for cell in chunk.text.split(" | ")[1:]:
                assert cell.partition(": ")[2].split("、")[-1] in span


@pytest.mark.parametrize("name", [PLAN, REPLY_2025, REPLY_2026, NEWS])
def test_chunk_respects_token_budget(name: str) -> None:
    text_chunks = [c for c in corpus_chunks(name) if c.kind == "text"]
    assert max(count_tokens(c.text) for c in text_chunks) <= 320
    small = [c for c in split_document(corpus_doc(name), max_tokens=80) if c.kind == "text"]
    assert max(count_tokens(c.text) for c in small) <= 80


def test_chunk_splits_overlong_sentence_at_commas() -> None:
    clause = "对新认定的省级中试基地给予一次性补助"
    text = "，".join(f"{clause}{n}" for n in range(12)) + "。"
    chunks = split_document(make_doc(text), max_tokens=80)
    assert len(chunks) > 1
    assert all(c.text.endswith(("，", "。")) for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_chunk_avoids_tiny_fragment_in_a_section() -> None:
    long_sentence = "对中试平台设备购置费用按非财政资金投入的一定比例给予补贴，择优给予奖励补助。"
    text = f"第一章 总则\n\n{long_sentence}{long_sentence}好。"
    chunks = split_document(make_doc(text), max_tokens=count_tokens(f"第一章 总则\n\n{long_sentence * 2}"))
    assert all(len(c.text) >= 15 for c in chunks)
    assert chunks[-1].text == f"{long_sentence}好。"


def test_chunk_section_path_is_empty_before_first_heading() -> None:
    assert corpus_chunks(NEWS)[0].section == ""
    assert corpus_chunks(NEWS)[0].text.startswith("厦门:六个维度构建科技成果转化“全链条生态”")


def test_split_sentences_concatenates_back_and_keeps_closing_quotes() -> None:
    text = "他说：“好。”然后离开；再见！\n新的一行？末尾无标点"
    pieces = split_sentences(text)
    assert pieces == ["他说：“好。”", "然后离开；", "再见！\n", "新的一行？", "末尾无标点"]
    assert "".join(pieces) == text


_TEXT_ALPHABET = st.sampled_from(
    list("科技成果转化中试基地补贴泉州厦门一二三章节万元是")
    + list("。，、；！？：“”（）()《》 \t\n")
    + ["\n\n", "第一章 ", "第二节 ", "一、", "（一）", "1.", "### ", "表 1 ", "附件 1\n", "\t1\n", "\t丰泽区\n"]
)


@settings(max_examples=200, deadline=None, database=None)
@given(parts=st.lists(_TEXT_ALPHABET, max_size=120), budget=st.sampled_from([24, 64, 320]))
def test_split_document_covers_text_and_never_crashes(parts: list[str], budget: int) -> None:
    text = "".join(parts)
    document = make_doc(text)
    chunks = split_document(document, max_tokens=budget)
    covered = [False] * len(text)
    assert [c.chunk_id for c in chunks] == chunk_ids("t", [(c.section, c.text) for c in chunks])
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for n, chunk in enumerate(chunks):
        assert chunk.position == n
        assert chunk.text.strip()
        if chunk.kind == "text":
            assert text[chunk.start : chunk.end] == chunk.text
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


@settings(max_examples=100, deadline=None, database=None)
@given(st.text(max_size=200))
def test_split_sentences_is_lossless(text: str) -> None:
    assert "".join(split_sentences(text)) == text
    assert all(piece for piece in split_sentences(text))


def test_plan_table_captions_are_sections_of_their_rows() -> None:
    sections = {c.section for c in corpus_chunks(PLAN) if c.kind == "table_row"}
    assert all(re.match(r"^(表 1 |附件[1-5] )“十四五”", s) for s in sections)
