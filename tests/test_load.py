"""Loading: encodings, cleaning of web boilerplate, page-break repair, metadata, manifest, bad files."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, NEWS, PLAN, REPLY_2023, REPLY_2025, REPLY_2026
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.ingest.clean import clean_text
from assistant.ingest.load import DocumentError, LoadError, load_corpus, load_file, make_doc_id
from assistant.types import Document

MB = 1024 * 1024

# Verbatim excerpt of the 2023 reply (seed 001), with its PDF page break.
PAGE_BREAK_2023 = (
    "2022年全市技术合同成交额突破10亿元，同比增长62%（对比2020年的4.07亿元，实现两年翻一番以上）；"
    "新培育省级技术转移机\n\n构 5 家，累计达 32 家，数量居全省第二；"
)


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def test_load_strips_web_footer_from_news_page() -> None:
    text = load_file(CORPUS / NEWS).text
    for chrome in ("会员登录", "当前位置", "扫描二维码", "服务电话", "010-68703033", "周一至周五", "地址:北京",
                   "微信公众号", "扫一扫", "联盟服务助手", "扫码加微信", "版权所有", "ICP"):  # fmt: skip
        assert chrome not in text, chrome
    assert "以21条覆盖全链条、全要素的创新政策" in text
    assert text.endswith("技术合同认定登记机构最高可获250万元奖励。")


def test_load_strips_gov_site_footer_from_2025_reply() -> None:
    text = load_file(CORPUS / REPLY_2025).text
    assert "扫一扫在手机上查看当前页面" not in text
    assert "公网安备" not in text


def test_load_keeps_reply_contact_lines() -> None:
    text_2023 = load_file(CORPUS / REPLY_2023).text
    text_2025 = load_file(CORPUS / REPLY_2025).text
    for line in ("领导署名：王小阳", "联系人：吴志云", "联系电话：0595-28282813"):
        assert line in text_2023
    for line in ("联系人:陈坚议", "联系电话:0595-22579329"):
        assert line in text_2025


def test_load_keeps_policy_phone_and_address_away_from_web_chrome() -> None:
    text = clean_text("申报咨询：\n\n联系电话：\n0595-22579329\n地址：泉州市丰泽区东海大街\n\n请按时申报。")
    assert "0595-22579329" in text
    assert "地址：泉州市丰泽区东海大街" in text


def test_load_drops_footer_phone_next_to_web_chrome() -> None:
    text = clean_text("正文。\n服务电话\n010-68703033\n(周一至周五8:30-17:30)\n地址:北京市海淀区\n微信公众号")
    assert text == "正文。"


def test_load_detects_gb18030(tmp_path: Path) -> None:
    excerpt = "泉州市科学技术局\n\n泉科函〔2023〕63号\n\n关于市政协十三届二次会议 第20231030号提案的答复"
    document = load_file(write(tmp_path, "gb.txt", excerpt, "gb18030"))
    assert document.text == excerpt
    assert document.doc_number == "泉科函〔2023〕63号"


def test_load_detects_big5(tmp_path: Path) -> None:
    excerpt = "關於推動科技成果轉化的答覆：對中試平台設備購置費用按非財政資金投入的一定比例給予補貼。"
    assert load_file(write(tmp_path, "big5.txt", excerpt, "big5")).text == excerpt


def test_load_reads_utf8_with_bom(tmp_path: Path) -> None:
    document = load_file(write(tmp_path, "bom.txt", "\ufeff泉科函〔2026〕108号\n\n正文。"))
    assert document.text.startswith("泉科函")


def test_load_rejects_binary_file_with_name(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(DocumentError, match=r"^scan\.txt: binary file, not text"):
        load_file(path)


def test_load_rejects_whitespace_only_file_with_name(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"^blank\.md: empty file"):
        load_file(write(tmp_path, "blank.md", " \n\u3000\n"))


def test_load_normalizes_line_endings_and_nfc_but_keeps_full_width_punctuation(tmp_path: Path) -> None:
    document = load_file(write(tmp_path, "crlf.txt", "第一段：（一）Cafe\u0301。\r\n\r\n第二段；\r第三段！"))
    assert document.text == "第一段：（一）Café。\n\n第二段；\n第三段！"


def test_load_joins_page_break_inside_word() -> None:
    assert "新培育省级技术转移机构 5 家，累计达 32 家" in clean_text(PAGE_BREAK_2023)


@pytest.mark.parametrize(
    ("name", "joined"),
    [
        (REPLY_2023, "新培育省级技术转移机构 5 家"),
        (REPLY_2023, "强化天使投资、创业投资引导"),
        (REPLY_2023, "列入科技委重要职责"),  # the break there holds a line with a single space
        (REPLY_2026, "先后出台《关于推动科研院所市场化产业化转型的实施意见》"),
        (REPLY_2026, "鼓励高校依托学科优势建设专业化技术转移机构"),  # after a "（二）…。" heading sentence
        (REPLY_2026, "分别给予 20 万元-300 万元补助"),
        (REPLY_2025, "着力培优扶强一批科创企业,推动全市科技创新主体"),  # a single newline after a comma
    ],
)
def test_load_joins_page_breaks_in_seed_replies(name: str, joined: str) -> None:
    assert joined in load_file(CORPUS / name).text


def test_load_does_not_join_headings_or_letterhead_lines() -> None:
    letterhead = "泉州市科学技术局\n\n泉科函〔2023〕63号\n\n一、完善中试基地建设规划布局\n\n近期，我局会同相关专业机构"
    assert clean_text(letterhead) == letterhead


def test_load_does_not_join_news_subheadings() -> None:
    text = load_file(CORPUS / NEWS).text
    assert "激活创新源头\n\n聚焦“没成果、没钱转”问题\n\n成果供给不足" in text


def test_load_leaves_table_header_fragment_for_the_chunker() -> None:
    assert clean_text("\t项目单位\n\t所在县\n\n（市、区）\n\n\t1") == "\t项目单位\n\t所在县\n\n（市、区）\n\n\t1"


def test_load_drops_repeated_paragraph_but_keeps_short_lines_and_cells() -> None:
    block = "技术交易奖励范围扩大至事业单位，经认定登记的技术合同，年交易额3000万元及以下部分按1%奖励。"
    text = clean_text(f"{block}\n\n丰泽区\n\n\t序号\n\t项目名称\n\n丰泽区\n\n\t序号\n\t项目名称\n\n{block}")
    assert text == f"{block}\n\n丰泽区\n\n\t序号\n\t项目名称\n\n丰泽区\n\n\t序号\n\t项目名称"


def test_load_keeps_news_summary_that_only_resembles_the_article() -> None:
    # The seed's "数据" sidebar restates the article in other words ("1:1" vs "1︰1"): not a duplicate.
    text = load_file(CORPUS / NEWS).text
    assert text.count("牵头企业国拨经费配套比例从50%提高至最高") == 2


def test_load_extracts_doc_number_and_date() -> None:
    reply_2025 = load_file(CORPUS / REPLY_2025)
    reply_2023 = load_file(CORPUS / REPLY_2023)
    news = load_file(CORPUS / NEWS)
    assert (reply_2025.doc_number, reply_2025.date) == ("泉科函〔2025〕81号", "2025-05-20")
    assert (reply_2023.doc_number, reply_2023.date) == ("泉科函〔2023〕63号", "2023")  # year of the 文号
    assert (news.doc_number, news.date) == ("", "2026-01-26")


def test_load_extracts_square_bracket_doc_number_and_chinese_date(tmp_path: Path) -> None:
    document = load_file(write(tmp_path, "n.txt", "厦门市科学技术局\n\n厦科〔2023〕12号\n\n正文。\n\n2023年9月8日"))
    assert (document.doc_number, document.date) == ("厦科〔2023〕12号", "2023-09-08")
    bracketed = load_file(write(tmp_path, "b.txt", "闽科[2023]7号\n\n正文。"))
    assert bracketed.doc_number == "闽科[2023]7号"


def test_load_extracts_title_issuer_city_kind_without_manifest() -> None:
    reply = load_file(CORPUS / REPLY_2026)
    plan = load_file(CORPUS / PLAN)
    news = load_file(CORPUS / NEWS)
    assert (reply.title, reply.issuer, reply.city, reply.kind) == (
        "关于市十七届人大五次会议 第1212号建议的答复",
        "泉州市科学技术局",
        "泉州",
        "reply",
    )
    assert (plan.title, plan.city, plan.kind) == ("泉州市“十四五”科技创新发展专项规划", "泉州", "plan")
    assert (news.title, news.city, news.kind) == ("厦门:六个维度构建科技成果转化“全链条生态”", "厦门", "news")


def test_load_reads_the_addressee_of_each_reply_and_none_elsewhere() -> None:
    assert load_file(CORPUS / REPLY_2023).addressee == "民建泉州市委会"
    assert load_file(CORPUS / REPLY_2025).addressee == "庄天怀代表"
    assert load_file(CORPUS / REPLY_2026).addressee == "侯朝辉、洪炳煌、柯吉熊代表"
    assert load_file(CORPUS / PLAN).addressee == load_file(CORPUS / NEWS).addressee == ""


def test_load_joins_letter_spaced_form_labels_only() -> None:
    text = clean_text("- 索 引 号:QZ00105\n联 系 人:陈坚议\n联系电话：0595\n中国 人民：团结\n甲 乙 丙 丁 戊 己 庚：x")
    assert text.split("\n") == [
        "- 索引号:QZ00105",
        "联系人:陈坚议",
        "联系电话：0595",
        "中国 人民：团结",
        "甲 乙 丙 丁 戊 己 庚：x",
    ]
    assert "联系人:陈坚议" in load_file(CORPUS / REPLY_2025).text


def test_manifest_overrides_extracted_title(tmp_path: Path) -> None:
    shutil.copy(CORPUS / REPLY_2023, tmp_path / REPLY_2023)
    manifest = f'["{REPLY_2023}"]\ntitle = "关于打造中试基地的答复"\ndate = 2023-06-30\n'
    write(tmp_path, "manifest.toml", manifest)
    documents, errors = load_corpus(tmp_path, MB)
    assert errors == []
    assert documents[0].title == "关于打造中试基地的答复"
    assert documents[0].date == "2023-06-30"  # a TOML date becomes ISO text
    assert documents[0].doc_number == "泉科函〔2023〕63号"  # fields the manifest omits stay extracted


def test_load_corpus_reports_broken_manifest_and_loads_anyway(tmp_path: Path) -> None:
    shutil.copy(CORPUS / REPLY_2023, tmp_path / REPLY_2023)
    write(tmp_path, "manifest.toml", '["x.txt"\ntitle = "unterminated')
    documents, errors = load_corpus(tmp_path, MB)
    assert [d.doc_id for d in documents] == ["quanzhou-2023-63-reply-pilot-bases"]
    assert len(errors) == 1
    assert errors[0].path == "manifest.toml"
    assert errors[0].message.startswith("manifest.toml: invalid manifest")


def test_load_corpus_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    shutil.copy(CORPUS / REPLY_2023, tmp_path / REPLY_2023)
    write(tmp_path, "a-broken.txt", b"\x00\x01\x02binary")
    write(tmp_path, "table.xlsx", b"PK\x03\x04")
    write(tmp_path, "README.md", "How this folder works.")
    write(tmp_path, ".notes.txt", "hidden")
    write(tmp_path, "glossary.toml", "[terms]\n")
    documents, errors = load_corpus(tmp_path, MB)
    assert [d.doc_id for d in documents] == ["quanzhou-2023-63-reply-pilot-bases"]
    assert errors == [
        LoadError("a-broken.txt", "a-broken.txt: binary file, not text"),
        LoadError("table.xlsx", "table.xlsx: skipped, unsupported file type '.xlsx'"),
    ]


def test_load_corpus_rejects_file_over_size_limit(tmp_path: Path) -> None:
    write(tmp_path, "big.txt", "正文。" * 100)
    documents, errors = load_corpus(tmp_path, 50)
    assert documents == []
    assert errors[0].message.startswith("big.txt: file too large")


def test_load_corpus_reports_two_files_with_one_doc_id(tmp_path: Path) -> None:
    write(tmp_path, "notice.txt", "第一份。")
    write(tmp_path, "notice.md", "第二份。")
    documents, errors = load_corpus(tmp_path, MB)
    assert len(documents) == 1
    assert "doc_id 'notice' already used" in errors[0].message


def test_load_full_corpus_has_five_documents_with_manifest_metadata() -> None:
    documents, errors = load_corpus(CORPUS, 64 * MB)
    assert errors == []
    by_id = {d.doc_id: d for d in documents}
    assert len(by_id) == 5
    assert by_id["quanzhou-2025-81-reply-sti-industry-fusion"].issuer == "泉州市科学技术局"  # text says 科技局
    assert by_id["xiamen-2026-tech-transfer-measures-news"].issuer == "厦门市人民政府办公厅"


def test_doc_id_is_safe_file_stem() -> None:
    assert make_doc_id(Path("泉州 2023#63 答复.txt"), b"x") == "泉州_2023_63_答复"
    assert make_doc_id(Path("quanzhou-2023-63.txt"), b"x") == "quanzhou-2023-63"
    assert make_doc_id(Path("#.txt"), b"x").startswith("doc-")


def test_load_reads_html_without_script_style_and_site_chrome(tmp_path: Path) -> None:
    html = (
        "<html><head><title>站点</title><style>p{color:red}</style></head><body>"
        "<div>会员登录 登录</div><div>当前位置:首页 > 政策</div>"
        "<h2>关于推动中试基地建设的通知</h2><p>对中试平台设备购置费用，\n给予补贴。</p>"
        "<script>var x = '扫一扫';</script><div>©版权所有:某网站</div></body></html>"
    )
    document = load_file(write(tmp_path, "page.html", html))
    assert document.text == "## 关于推动中试基地建设的通知\n\n对中试平台设备购置费用，给予补贴。"
    assert document.title == "关于推动中试基地建设的通知"


def test_load_reads_docx_headings_and_tables(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    word.add_heading("关于推动中试基地建设的通知", level=1)
    word.add_paragraph("对中试平台给予补贴。")
    table = word.add_table(rows=2, cols=2)
    for (row, col), value in {(0, 0): "序号", (0, 1): "名称", (1, 0): "1", (1, 1): "中试基地"}.items():
        table.cell(row, col).text = value
    buffer = io.BytesIO()
    word.save(buffer)
    document = load_file(write(tmp_path, "notice.docx", buffer.getvalue()))
    assert document.text == "# 关于推动中试基地建设的通知\n\n对中试平台给予补贴。\n\n\t序号\n\t名称\n\n\t1\n\t中试基地"


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page."""
    count = len(pages)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font = 3 + 2 * count
    for i, line in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_load_reads_pdf_and_repairs_its_page_break(tmp_path: Path) -> None:
    pdf = minimal_pdf(["The bureau grants each pilot base, once, a subsidy of up to 5 mil", "lion yuan."])
    document = load_file(write(tmp_path, "subsidy.pdf", pdf))
    assert document.text == "The bureau grants each pilot base, once, a subsidy of up to 5 mil lion yuan."


def test_load_rejects_damaged_pdf_with_name(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"^broken\.pdf: not a readable PDF"):
        load_file(write(tmp_path, "broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog"))


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".md", ".html", ".docx", ".pdf"]))
def test_load_never_crashes_on_arbitrary_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = write(tmp_path, f"fuzz{suffix}", data)
    try:
        document = load_file(path)
    except DocumentError as exc:
        assert str(exc).startswith(f"fuzz{suffix}: ")
    else:
        assert isinstance(document, Document)
        assert document.text.strip()
        assert "\r" not in document.text
