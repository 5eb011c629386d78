"""Uploaded .docx/.html documents keep their title (no stray "# ") and their full date."""

from __future__ import annotations

import io

import docx

from assistant.ingest.clean import clean_text
from assistant.ingest.metadata import extract_metadata
from assistant.ingest.readers import read_text


def docx_bytes(*paragraphs: tuple[str, int | None]) -> bytes:
    document = docx.Document()
    for text, level in paragraphs:
        document.add_heading(text, level=level) if level else document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_heading_title_and_spaced_signature_date_are_kept():
    data = docx_bytes(
        ("关于支持中试平台建设的通知", 1),
        ("一、对中试平台给予最高500万元资助。", None),
        ("杭州市科学技术局", None),
        ("2025 年 5 月 20 日", None),
    )
    fields = extract_metadata(clean_text(read_text(data, ".docx")))
    assert fields["title"] == "关于支持中试平台建设的通知"
    assert fields["date"] == "2025-05-20"


def test_docx_dateline_with_a_word_after_it_keeps_month_and_day():
    data = docx_bytes(
        ("杭州市科学技术局", None),
        ("关于支持中试平台建设的通知", 1),
        ("2025年3月18日 发布", None),
        ("一、对中试平台给予最高500万元资助。", None),
    )
    assert extract_metadata(clean_text(read_text(data, ".docx")))["date"] == "2025-03-18"


def test_html_headline_above_a_source_line_has_no_markdown_mark():
    page = "<html><body><h1>杭州推出中试平台新政</h1><p>发布时间：2025年03月18日</p><p>正文。</p></body></html>"
    fields = extract_metadata(clean_text(read_text(page.encode(), ".html")))
    assert fields["title"] == "杭州推出中试平台新政"
    assert fields["date"] == "2025-03-18"


def test_news_page_source_agency_is_its_issuer_and_page_chrome_is_dropped():
    page = (
        "首页 > 新闻中心 > 工作动态\n合肥市出台科技成果转化十条措施\n"
        "发布时间：2025-06-12 10:30 来源：合肥市科学技术局 浏览次数：1234\n【字体：大 中 小】\n"
        "对在合肥转化的重大科技成果，给予最高500万元奖励。\n阅读次数：\n"
    )
    text = clean_text(page)
    fields = extract_metadata(text)
    assert fields["issuer"] == "合肥市科学技术局" and fields["city"] == "合肥" and fields["date"] == "2025-06-12"
    assert "首页 >" not in text and "字体" not in text and "阅读次数" not in text
    assert "500万元奖励" in text


def test_a_newspaper_as_source_is_not_an_issuer():
    fields = extract_metadata(clean_text("宁波高企培育再加码\n来源：宁波晚报\n宁波市将新增高新技术企业800家。\n"))
    assert fields["issuer"] == ""


def test_a_title_that_opens_with_its_issuer_gives_the_issuer():
    text = "嘉兴市科学技术局关于印发《嘉兴市支持中试平台建设若干措施》的通知\n\n嘉科发〔2026〕5号\n\n各县（市、区）科技局：\n\n正文。\n"
    fields = extract_metadata(text)
    assert fields["issuer"] == "嘉兴市科学技术局" and fields["city"] == "嘉兴"
    assert extract_metadata("关于组织申报的通知\n\n正文。\n")["issuer"] == ""
