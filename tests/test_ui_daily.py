"""The chat a policy officer uses every day (issue 15), in Debian chromium at 1366 and 390 pixels wide:
the answer in view, the phone drawer, English glosses, a self-describing corpus, help, conversations,
stop / regenerate / copy, feedback, scope, corpus row actions and search, the evaluation in plain words."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import DESKTOP, PHONE, ask, open_page, screenshot, serve_app
from conftest import REPO, make_settings
from playwright.sync_api import expect

from assistant import Answer, Assistant
from assistant.ui.feedback import FeedbackStore

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]
PILOT = "中试基地能获得什么补贴？"
XIAMEN = "xiamen-2026-tech-transfer-measures-news"
BOTH = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["1366", "390"])


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory):
    """An app over a throwaway one-document corpus, for tests that change the corpus or store feedback."""
    root = tmp_path_factory.mktemp("ui-daily")
    settings = make_settings(root)
    (settings.corpus_dir / "seed-notice.txt").write_text(
        "示例市科学技术局\n\n关于科技创新券的通知\n\n一、科技创新券每家企业每年最高50万元。\n", encoding="utf-8"
    )
    small = Assistant.from_settings(settings)
    small.ingest()
    report_dir = _fake_report(root / "report")
    with serve_app(small, report_dir) as url:
        yield small, url


class SlowStream:
    """The real assistant, with a pause before each streamed piece, so there is time to press stop."""

    def __init__(self, real: Assistant) -> None:
        self.real = real

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    async def astream(self, question, history=None, **options):
        async for item in self.real.astream(question, history, **options):
            if not isinstance(item, Answer):
                await asyncio.sleep(4)
            yield item


def chat_box_contains(page, selector: str) -> bool:
    """True when the element's top lies inside the visible part of the chat's scrolling box."""
    return page.evaluate(
        """(selector) => {
            const el = [...document.querySelectorAll(selector)].pop();
            let box = el.parentElement;
            while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight))
                box = box.parentElement;
            const r = el.getBoundingClientRect(), b = box ? box.getBoundingClientRect() : {top: 0, bottom: innerHeight};
            return r.top >= b.top - 1 && r.top < b.bottom && r.top < innerHeight;
        }""",
        selector,
    )


@BOTH
def test_question_and_first_line_of_answer_stay_in_view_when_it_completes(browser, full_url, width):
    page = open_page(browser, full_url, width)
    first = ask(page, "What subsidy does a pilot-scale base get?")
    first.locator(".pqa-open").first.click()  # a document opened earlier must not push later answers off screen
    page.locator("#pqa-doc-view #pqa-target").wait_for()
    if width == PHONE:
        page.locator("#pqa-doc-close").click()
    answer = ask(page, PILOT)
    answer.locator(".pqa-card").first.wait_for()
    page.wait_for_timeout(400)  # the reveal runs on the next animation frame
    assert chat_box_contains(page, "#pqa-chat .user-row")
    assert chat_box_contains(page, "#pqa-chat .pqa-final .pqa-text")
    screenshot(page, f"chat-answer-in-view-{width}.png")
    answer.locator("summary.pqa-sources-head").click()
    expect(answer.locator(".pqa-card").first).to_be_hidden()
    page.context.close()


def test_phone_document_panel_is_a_full_width_drawer_with_a_close_button(browser, full_url):
    page = open_page(browser, full_url, PHONE)
    answer = ask(page, PILOT)
    answer.locator(".pqa-open").first.click()
    page.locator("#pqa-doc-view #pqa-target").wait_for()
    panel = page.locator("#pqa-doc-panel").bounding_box()
    assert panel["x"] <= 1 and panel["width"] >= PHONE - 2 and panel["y"] <= 1
    covered = "() => !!document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest('#pqa-doc-panel')"
    assert page.evaluate(covered), "the drawer is on top of everything in the middle of the screen"
    close = page.locator("#pqa-doc-close")
    expect(close).to_be_in_viewport()
    assert "ID" not in page.locator("#pqa-doc-view .pqa-doc-meta").inner_text()
    screenshot(page, "phone-document-drawer.png")
    close.click()
    page.locator("#pqa-doc-panel").wait_for(state="hidden")
    page.context.close()


@BOTH
def test_english_answer_glosses_amounts_and_keeps_table_words_whole(browser, full_url, width):
    page = open_page(browser, full_url, width)
    answer = ask(page, "What subsidy does a pilot-scale base get?")
    text = answer.locator(".pqa-text").inner_text()
    assert "2000万元 (20 million yuan)" in text
    assert "最高可获2000万元资金支持" in text  # the quote itself is verbatim
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#pqa-chat .pqa-text td')]
                  .filter(td => td.textContent.trim() === 'Quanzhou')
                  .map(td => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; })"""
    )
    assert lines and all(n == 1 for n in lines), lines
    screenshot(page, f"english-gloss-{width}.png")
    page.context.close()


def test_every_tab_is_reachable_on_a_phone(browser, full_url):
    page = open_page(browser, full_url, PHONE)
    for name, content in (("文档库", "#pqa-docs"), ("评测", "#pqa-eval-summary"), ("对话", "#pqa-question")):
        tab = page.get_by_role("tab", name=name)
        expect(tab).to_be_in_viewport()
        tab.click()
        expect(page.locator(content)).to_be_visible()
        if name == "评测":
            screenshot(page, "evaluation-latest-390.png")  # the real report of evals/reports/latest
    page.context.close()


def test_header_and_corpus_tab_describe_the_corpus_in_words(browser, full_url, assistant):
    page = open_page(browser, full_url)
    header = page.locator(".pqa-header")
    expect(header).to_contain_text("泉州")
    expect(header).to_contain_text("泉州市科学技术局")
    page.get_by_role("tab", name="文档库").click()
    table = page.locator("#pqa-docs")
    expect(table).to_contain_text("答复")
    cells = {c.strip() for c in table.locator("[role=gridcell]").all_inner_texts()}
    assert {"答复", "规划", "新闻"} <= cells and not cells & {"reply", "plan", "news"}
    assert not cells & set(assistant.snapshot().docs)  # file names are shown, internal ids are not
    assert "城市：泉州、厦门" in page.locator("#pqa-corpus-status").inner_text()
    page.context.close()


@BOTH
def test_greeting_gets_help_with_corpus_examples_and_gibberish_is_not_a_follow_up(browser, full_url, width):
    page = open_page(browser, full_url, width)
    hello = ask(page, "你好")
    assert "pqa-help" in (hello.get_attribute("class") or "")
    assert hello.locator("li").count() >= 2
    screenshot(page, f"chat-help-{width}.png")
    ask(page, PILOT)
    unclear = ask(page, "sdfkj qwpoe zxmv")
    assert "没看懂这个问题" in unclear.inner_text() and unclear.locator(".pqa-card").count() == 0
    page.context.close()


def test_scoped_question_cites_only_documents_inside_the_scope(browser, full_url, assistant):
    page = open_page(browser, full_url)
    page.locator("#pqa-scope-picker").get_by_text("范围 Scope").click()
    page.locator("#pqa-scope-city input").click()
    page.get_by_role("option", name="厦门").click()
    page.keyboard.press("Escape")
    answer = ask(page, PILOT)
    assert answer.locator(".pqa-scope").inner_text() == "仅在：厦门"
    titles = set(answer.locator(".pqa-card .pqa-title").all_inner_texts())
    assert titles == {assistant.document(XIAMEN).title}
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "chat-scoped-answer.png")
    page.context.close()


def test_copy_puts_the_answer_with_its_sources_on_the_clipboard(browser, full_url):
    page = open_page(browser, full_url)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer = ask(page, PILOT)
    answer.locator(".pqa-copy").click()
    page.wait_for_function("() => window.__pqaCopied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith(f"# {PILOT}") and "## 出处 Sources" in copied and "泉科函〔2023〕63号" in copied
    page.context.close()


def test_regenerate_answers_the_last_question_again(browser, full_url):
    page = open_page(browser, full_url)
    first = ask(page, PILOT)
    first.evaluate("e => e.setAttribute('data-old', '1')")
    page.locator("#pqa-regenerate").click()
    page.locator("#pqa-chat .pqa-final:not([data-old])").wait_for()
    assert page.locator("#pqa-chat .user-row").count() == 1
    assert page.locator("#pqa-chat .pqa-final").count() == 1
    page.context.close()


def test_conversations_are_kept_in_the_browser_and_can_be_renamed_and_deleted(browser, full_url):
    page = open_page(browser, full_url)
    ask(page, PILOT)
    expect(page.locator("#pqa-convo-list input")).to_have_value(re.compile("中试基地"))  # saved after the answer
    page.reload(wait_until="load")
    page.locator("#pqa-chat .pqa-final").wait_for()  # restored from localStorage
    expect(page.locator("#pqa-convo-list input")).to_have_value(re.compile("中试基地"))
    page.locator("#pqa-convo-new").click()
    page.locator("#pqa-chat .pqa-final").wait_for(state="detached")
    page.locator("#pqa-convo-list input").click()
    page.get_by_role("option", name=re.compile("中试基地")).click()
    page.locator("#pqa-chat .pqa-final").wait_for()
    page.fill("#pqa-convo-title textarea, #pqa-convo-title input", "补贴问题")
    page.locator("#pqa-convo-rename").click()
    expect(page.locator("#pqa-convo-list input")).to_have_value("补贴问题")
    screenshot(page, "chat-conversations.png")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pqa-convo-delete").click()
    page.locator("#pqa-chat .pqa-final").wait_for(state="detached")
    page.reload(wait_until="load")
    page.locator("#pqa-convo-list input").click()
    expect(page.get_by_role("option", name="补贴问题")).to_have_count(0)
    assert page.locator("#pqa-chat .pqa-final").count() == 0
    page.context.close()


def test_stop_while_streaming_keeps_the_question_and_drops_the_half_answer(browser, small_app):
    small, _ = small_app
    with serve_app(SlowStream(small)) as url:
        page = open_page(browser, url)
        page.fill("#pqa-question textarea", "科技创新券每家企业每年最高多少？")
        page.click("#pqa-ask")
        page.locator("#pqa-chat .pqa-streaming").wait_for()
        page.click("#pqa-stop")
        page.locator("#pqa-chat .pqa-status").filter(has_text="已停止").wait_for()
        expect(page.locator("#pqa-question textarea")).to_have_value("科技创新券每家企业每年最高多少？")
        page.wait_for_timeout(4500)  # past the pause: a cancelled answer must not arrive
        assert page.locator("#pqa-chat .pqa-final").count() == 0
        page.context.close()


def test_thumbs_down_with_comment_is_stored_and_exported_as_a_gold_candidate(browser, small_app, tmp_path):
    small, url = small_app
    page = open_page(browser, url)
    ask(page, "科技创新券每家企业每年最高多少？")
    page.locator("#pqa-chat button[aria-label='踩'], #pqa-chat button[aria-label='Dislike']").last.click()
    page.locator("#pqa-feedback-row").wait_for()
    page.fill("#pqa-feedback-text textarea", "应写明申请条件")
    page.locator("#pqa-feedback-send").click()
    page.locator("#pqa-feedback-note .pqa-status-ok").filter(has_text="说明已保存").wait_for()
    screenshot(page, "chat-feedback.png")
    rows = FeedbackStore.beside_index(small.settings.index_dir).rows(liked=False)
    assert [(r["question"], r["comment"]) for r in rows] == [("科技创新券每家企业每年最高多少？", "应写明申请条件")]
    out = tmp_path / "candidates.jsonl"
    command = [sys.executable, "-m", "evals.feedback", "export", "--index-dir", str(small.settings.index_dir)]
    subprocess.run([*command, "--out", str(out)], cwd=REPO, check=True, capture_output=True)
    item = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert item["question"] == "科技创新券每家企业每年最高多少？" and "50万元" in item["review"]["answer"]
    assert item["evidence"][0]["doc_id"] == "seed-notice" and item["review"]["comment"] == "应写明申请条件"
    page.context.close()


@BOTH
def test_upload_of_a_new_city_appears_in_the_header_with_title_and_date(browser, small_app, tmp_path, width):
    _, url = small_app
    city = {DESKTOP: "杭州", PHONE: "成都"}[width]
    upload = tmp_path / f"{city}-notice.docx"
    upload.write_bytes(_docx(city))
    page = open_page(browser, url, width)
    page.get_by_role("tab", name="文档库").click()
    page.set_input_files("#pqa-upload input[type=file]", str(upload))
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text=upload.name).wait_for()
    expect(page.locator(".pqa-header-cities")).to_contain_text(city)
    row = page.locator("#pqa-docs [role=row]").filter(has_text=upload.name)
    expect(row).to_contain_text("关于支持中试平台建设的通知")
    expect(row).to_contain_text("2025-05-20")
    assert "# " not in row.inner_text()
    screenshot(page, f"corpus-new-city-{width}.png")
    page.context.close()


def test_corpus_row_can_be_reindexed_and_deleted_after_confirmation(browser, small_app, tmp_path):
    small, url = small_app
    (tmp_path / "row-delete.txt").write_text(
        "行删除市科学技术局\n\n关于行删除测试的通知\n\n一、专项资金10万元。\n", encoding="utf-8"
    )
    small.add_file("row-delete.txt", (tmp_path / "row-delete.txt").read_bytes())
    page = open_page(browser, url)
    page.get_by_role("tab", name="文档库").click()
    page.locator("#pqa-docs [role=gridcell]").filter(has_text="关于行删除测试的通知").first.click()
    expect(page.locator("#pqa-delete-choice input")).to_have_value(re.compile("行删除测试"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pqa-reindex-one").click()
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text="已重新索引").wait_for()
    page.locator("#pqa-docs [role=gridcell]").filter(has_text="关于行删除测试的通知").first.click()
    page.once("dialog", lambda dialog: dialog.dismiss())  # cancelled: nothing happens
    page.locator("#pqa-delete").click()
    page.locator("#pqa-corpus-status .pqa-status-error").wait_for()
    assert "row-delete" in {i.document.doc_id for i in small.documents()}
    page.locator("#pqa-docs [role=gridcell]").filter(has_text="关于行删除测试的通知").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pqa-delete").click()
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text="已删除").wait_for()
    expect(page.locator("#pqa-docs")).not_to_contain_text("行删除测试")
    assert "row-delete" not in {i.document.doc_id for i in small.documents()}
    page.context.close()


@BOTH
def test_corpus_search_shows_matching_passages(browser, small_app, width):
    _, url = small_app
    page = open_page(browser, url, width)
    page.get_by_role("tab", name="文档库").click()
    page.fill("#pqa-search textarea, #pqa-search input", "创新券 50万元")
    page.locator("#pqa-search-go").click()
    results = page.locator("#pqa-search-results .pqa-search")
    expect(results).to_contain_text("找到 1 个段落")
    assert results.locator("mark.pqa-hit").count() >= 2
    assert "关于科技创新券的通知" in results.inner_text()
    screenshot(page, f"corpus-search-{width}.png")
    page.context.close()


@BOTH
def test_evaluation_tab_says_each_number_in_words_with_the_report_one_click_away(browser, small_app, width):
    _, url = small_app
    page = open_page(browser, url, width)
    page.get_by_role("tab", name="评测").click()
    summary = page.locator("#pqa-eval-summary")
    expect(summary).to_contain_text("测于 2026-11-22 05:58")
    expect(summary).to_contain_text("在 92.9% 的可回答问题中，含有答案的原文段落排在检索结果的前 5 位")
    assert summary.locator("img.pqa-headline-chart").count() == 1
    expect(page.locator("#pqa-report")).to_be_hidden()
    screenshot(page, f"evaluation-plain-words-{width}.png")
    page.locator("#pqa-full-report").get_by_text("完整报告 Full report").click()
    expect(page.locator("#pqa-report")).to_contain_text("Evaluation report — test")
    page.context.close()


def _docx(city: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("关于支持中试平台建设的通知", level=1)
    document.add_paragraph(f"一、{city}市对中试平台给予最高500万元资助。")
    document.add_paragraph(f"{city}市科学技术局")
    document.add_paragraph("2025 年 5 月 20 日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _fake_report(folder: Path) -> Path:
    """A report folder like evals/reports/latest: Markdown, JSON with the full system's numbers, one chart."""
    import base64

    folder.mkdir()
    (folder / "report.md").write_text("# Evaluation report — test\n\n| system | R@5 |\n|---|---|\n| full | 92.9% |\n")
    overall = {
        "items": 139,
        "unanswerable": 21,
        "recall_at_5": 0.929,
        "key_fact_accuracy": 0.941,
        "citation_support": 1.0,
        "refusal_recall": 0.952,
        "false_refusal_rate": 0.008,
        "latency_p50_ms": 41.6,
    }
    report = {
        "created": "2026-11-22T05:58:40",
        "gold": "evals/gold.jsonl",
        "items": 139,
        "systems": {"full": {"summary": {"overall": overall}}},
    }
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    (folder / "baselines.png").write_bytes(base64.b64decode(png))
    return folder
