"""assistant.ui.render: answers and documents as the chat shows them (pure functions, no index)."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.types import Answer, Citation, Document
from assistant.ui.corpus_view import documents_rows, header_html, search_html
from assistant.ui.export import answer_markdown
from assistant.ui.render import (
    answer_html,
    citation_card,
    document_html,
    error_html,
    find_spans,
    highlight_quote,
    quote_pieces,
    sentences,
)
from assistant.ui.report_view import charts_html, strip_report_images

PASSAGE = "二、完善扶持中试基地建设政策措施\n\n对中试平台设备购置费用按非财政资金投入的一定比例给予补贴。加强市级科技计划项目对科技成果中试项目的资金支持。"
QUOTE = "对中试平台设备购置费用按非财政资金投入的一定比例给予补贴。"


def citation(n: int = 1, text: str = PASSAGE, quote: str = QUOTE, **kw) -> Citation:
    fields = {
        "n": n,
        "doc_id": "quanzhou-2023-63-reply-pilot-bases",
        "chunk_id": f"quanzhou-2023-63-reply-pilot-bases#{n}",
        "title": "关于市政协十三届二次会议第20231030号提案的答复（打造中试基地）",
        "doc_number": "泉科函〔2023〕63号",
        "date": "2023",
        "section": "二、完善扶持中试基地建设政策措施",
        "text": text,
        "score": 0.0328,
        "quote": quote,
    }
    return Citation(**{**fields, **kw})


def answer(**kw) -> Answer:
    fields = {
        "question": "中试基地能获得什么补贴？",
        "text": f"泉科函〔2023〕63号：“{QUOTE}”[1]",
        "citations": [citation()],
        "refused": False,
    }
    return Answer(**{**fields, **kw})


def document(text: str) -> Document:
    return Document(
        doc_id="d1",
        text=text,
        title="标题<T>",
        source_path="corpus/d1.txt",
        content_hash="h",
        doc_number="泉科函〔2023〕63号",
    )


def test_highlight_quote_marks_the_quoted_sentence_only():
    html = highlight_quote(PASSAGE, QUOTE)
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", html) == [QUOTE]
    assert "加强市级科技计划项目" in html


def test_highlight_quote_marks_each_sentence_joined_by_ellipsis():
    second = "加强市级科技计划项目对科技成果中试项目的资金支持。"
    html = highlight_quote("甲。" + QUOTE + "乙丙。" + second, f"{QUOTE} … {second}")
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", html) == [QUOTE, second]


def test_highlight_quote_escapes_markup_in_the_passage():
    html = highlight_quote("<script>alert(1)</script>给予补贴。", "给予补贴。")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_highlight_quote_trims_a_long_passage_around_the_quote():
    long_passage = "前" * 500 + QUOTE + "后" * 500
    html = highlight_quote(long_passage, QUOTE, context=30)
    assert html.startswith("…") and html.endswith("…")
    assert html.count("前") == 30 and QUOTE in html


def test_find_spans_tolerates_quote_without_final_punctuation():
    assert find_spans("给予补贴，支持运行。", ["给予补贴。"]) == [(0, 4)]


def test_quote_pieces_split_on_ellipsis_separator():
    assert quote_pieces("甲。 … 乙。") == ["甲。", "乙。"]


def test_citation_card_shows_number_title_doc_number_date_section_and_opener():
    card = citation_card(citation(n=2), turn=3)
    for expected in ("泉科函〔2023〕63号", "打造中试基地", "2023", "二、完善扶持中试基地建设政策措施", "查看原文"):
        assert expected in card
    assert card.count("pqa-cite-3-2") == 2  # the card and its button both open the document
    assert "<mark" in card


def test_citation_card_shows_score_only_when_asked():
    assert "0.0328" in citation_card(citation(), 0, show_score=True)
    assert "0.0328" not in citation_card(citation(), 0)


def test_answer_html_is_one_line_so_markdown_keeps_it_one_html_block():
    html = answer_html(answer(text="第一句。[1]\n\n第二句。[1]"), turn=0)
    assert "\n" not in html
    assert re.search(r'pqa-text">(.*?)</div>', html).group(1).count("<p>") == 2


def test_answer_html_renders_markdown_tables_and_line_breaks():
    html = answer_html(answer(text="| 城市 | 原文 |\n|---|---|\n| 泉州 | “补贴。”[1] |"), turn=0)
    assert "<table>" in html and "<td>泉州</td>" in html and "pqa-cite-0-1" in html
    assert "<br />" in answer_html(answer(text="甲。[1]\n乙。[1]"), turn=0)


def test_answer_html_escapes_raw_html_in_answer_text():
    html = answer_html(answer(text="<img src=x onerror=alert(1)>补贴。[1]"), turn=0)
    assert "<img" not in html and "&lt;img" in html


def test_answer_html_links_markers_of_known_citations_only():
    html = answer_html(answer(text="甲。[1] 乙。[7]"), turn=4)
    assert '<sup class="pqa-ref pqa-cite-4-1">[1]</sup>' in html
    assert "[7]" in html and "pqa-cite-4-7" not in html


def test_answer_html_styles_refusal_by_kind_with_its_label():
    refused = answer(
        text="文档中没有关于深圳的内容。 文档范围：泉州、厦门。", citations=[], refused=True, refusal_kind="not_covered"
    )
    html = answer_html(refused, turn=0)
    assert "pqa-refusal pqa-refusal-not_covered" in html
    assert "文档未涉及" in html and "文档范围" in html
    assert "pqa-sources" not in html


def test_answer_html_labels_each_refusal_kind_differently():
    labels = {
        kind: re.search(r'pqa-refusal-label">(.*?)<', answer_html(answer(refused=True, refusal_kind=kind), 0)).group(1)
        for kind in ("not_covered", "not_stated", "invalid_question", "no_index")
    }
    assert len(set(labels.values())) == 4


def test_answer_html_shows_notice_before_the_answer():
    html = answer_html(answer(notice="LLM unreachable, answered extractively"), turn=0)
    assert html.index("pqa-notice") < html.index("pqa-text")


def test_partial_answer_has_no_cards_and_is_not_final():
    html = answer_html(answer(), turn=0, partial_text="泉科函")
    assert "pqa-final" not in html and "pqa-card" not in html


def test_error_html_is_a_final_message():
    html = error_html("出错了 <b>")
    assert "pqa-final" in html and "pqa-error" in html and "&lt;b&gt;" in html


def test_document_html_highlights_span_and_marks_quote_as_target():
    text = "前言。\n" + PASSAGE + "\n后文。"
    start = text.index(PASSAGE)
    html = document_html(document(text), (start, start + len(PASSAGE)), QUOTE)
    assert '<mark class="pqa-quote" id="pqa-target">' + QUOTE + "</mark>" in html
    assert html.index('class="pqa-passage-hl"') < html.index("pqa-target")
    assert "前言。\n" in html and "标题&lt;T&gt;" in html


def test_document_html_marks_whole_span_when_quote_is_not_verbatim_in_it():
    text = "表头\n\t13\n\t高层次人才团队\n\t100\n结尾"
    start, end = text.index("\t13"), text.index("结尾")
    html = document_html(document(text), (start, end), "序号: 13 | 指标名称: 高层次人才团队")
    assert re.search(r'id="pqa-target">\t13\n\t高层次人才团队', html)


def test_document_html_finds_quote_without_a_span():
    html = document_html(document("甲。" + QUOTE), None, QUOTE)
    assert 'id="pqa-target">' + QUOTE in html


def test_answer_markdown_has_question_answer_and_sources_with_passages():
    md = answer_markdown(answer())
    assert md.startswith("# 中试基地能获得什么补贴？\n")
    assert (
        "**[1]** 关于市政协十三届二次会议第20231030号提案的答复（打造中试基地）（泉科函〔2023〕63号，2023）  \n章节："
        in md
    )
    assert f"引文：“{QUOTE}”" in md
    assert "> 二、完善扶持中试基地建设政策措施" in md


def test_sentences_stream_the_whole_text_in_order():
    text = "According to the documents:\n甲：“一。二！”[1]\n乙：“三？”[2][3]"
    pieces = sentences(text)
    assert "".join(pieces) == text
    assert len(pieces) >= 4


def test_strip_report_images_drops_local_images_keeps_remote_ones():
    md = "# R\n![a](a.png)\ntext\n![b](https://example.org/b.png)\n"
    assert strip_report_images(md) == "# R\ntext\n![b](https://example.org/b.png)\n"


def test_charts_html_inlines_images_or_is_empty():
    assert charts_html([]) == ""
    assert 'src="data:image/png;base64,QUJD"' in charts_html([("a.png", "QUJD")])


def test_documents_rows_follow_column_order():
    class Info:
        document = document("x")
        chunks = 3

    assert documents_rows([Info()]) == [["标题<T>", "泉科函〔2023〕63号", "", "", "", "", 3, "d1.txt"]]


def test_answer_html_shows_timings_only_with_scores():
    timed = answer(timings={"retrieve_ms": 12.3, "answer_ms": 4.0, "total_ms": 16.3})
    assert "retrieve 12 ms" in answer_html(timed, 0, show_scores=True)
    assert "pqa-timings" not in answer_html(timed, 0)


def test_rejection_reasons_read_in_chinese_with_the_english_kept():
    from assistant.ui.corpus_view import reason_zh

    assert reason_zh("binary file, not text") == "二进制文件，不是文本（binary file, not text）"
    assert reason_zh("file too large (limit 10 bytes)").startswith("文件过大（file too large")
    assert reason_zh("something new") == "something new"


def test_document_view_shows_kind_in_words_and_no_internal_id():
    shown = document_html(replace(document("正文"), kind="reply", doc_id="quanzhou-2023-63-x"))
    assert "答复" in shown and "reply" not in shown and "quanzhou-2023-63-x" not in shown


def test_english_answer_glosses_amounts_in_html_and_markdown():
    english = answer(question="What subsidy does a platform get?", text="Xiamen | 2000万元 | “最高300万元”[1]")
    assert "2000万元 (20 million yuan)" in answer_html(english, 0)
    assert "(300万元 = 3 million yuan)" in answer_markdown(english)
    assert "(20 million yuan)" not in answer_html(answer(text="厦门：2000万元[1]"), 0)


def test_sources_are_collapsible_and_scope_is_shown():
    shown = answer_html(answer(scope="仅在：厦门 · 2025年以后"), 0)
    assert '<details class="pqa-sources" open>' in shown
    assert '<div class="pqa-scope">仅在：厦门 · 2025年以后</div>' in shown


def test_header_lists_the_cities_and_issuers_of_the_documents():
    docs = [replace(document("x"), city="杭州", issuer="杭州市科学技术局"), replace(document("y"), city="泉州")]
    shown = header_html(docs)
    assert ("2 份文件" in shown and "杭州、泉州" in shown) or "泉州、杭州" in shown
    assert "杭州市科学技术局" in shown


def test_corpus_search_marks_every_word_in_matching_passages():
    from assistant.types import Chunk

    chunks = [Chunk("d#0", "d", "对中试平台给予补贴。", "一、", 0), Chunk("d#1", "d", "其他内容。", "二、", 1)]
    shown = search_html("中试 补贴", chunks, {"d": "某通知"})
    assert "找到 1 个段落" in shown and shown.count('<mark class="pqa-hit">') == 2 and "某通知" in shown
