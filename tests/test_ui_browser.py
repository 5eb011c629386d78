"""The chat UI as a person uses it: Debian chromium driven by Playwright against the app served in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import ask, open_page, screenshot, serve_app
from conftest import make_settings
from fake_openai import closed_port
from playwright.sync_api import expect

from assistant import Assistant
from assistant.answer.llm import build_llm

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),  # pandas deprecations inside gradio
]

TEST_CITY_FACT = "测试市对经认定的中试基地给予一次性补贴888万元。"


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory):
    """An app over a throwaway one-document corpus, for tests that change the corpus, with a fake report."""
    root = tmp_path_factory.mktemp("ui-small")
    settings = make_settings(root)
    (settings.corpus_dir / "seed-notice.txt").write_text(
        "示例市科学技术局\n\n关于科技创新券的通知\n\n一、科技创新券每家企业每年最高50万元。\n", encoding="utf-8"
    )
    report_dir = root / "report"
    report_dir.mkdir()
    (report_dir / "report.md").write_text(
        "# Evaluation report — test\n\n![chart.png](chart.png)\n\n## Headline\n\n| system | R@5 |\n|---|---|\n| full | 95% |\n",
        encoding="utf-8",
    )
    (report_dir / "chart.png").write_bytes(_tiny_png())
    small = Assistant.from_settings(settings)  # not ingested: the first question builds the index
    with serve_app(small, report_dir) as url:
        yield small, url


def test_chinese_question_shows_answer_and_citation_card_with_doc_number(browser, full_url):
    page = open_page(browser, full_url)
    answer = ask(page, "中试基地能获得什么补贴？")
    assert "补贴" in answer.locator(".pqa-text").inner_text()
    card = answer.locator(".pqa-card").first
    card.wait_for()
    assert "泉科函〔2023〕63号" in card.locator(".pqa-doc-number").inner_text()
    assert card.locator("mark.pqa-quote").count() >= 1
    assert "Traceback" not in page.content()
    page.context.close()


def test_citation_card_opens_document_panel_scrolled_to_highlighted_passage(browser, full_url):
    page = open_page(browser, full_url)
    answer = ask(page, "中试基地能获得什么补贴？")
    card = answer.locator(".pqa-card").first
    quote = card.locator("mark.pqa-quote").first.inner_text()
    card.locator(".pqa-open").click()
    target = page.locator("#pqa-doc-view #pqa-target")
    target.wait_for()
    assert "中试基地" in page.locator("#pqa-doc-view .pqa-doc-title").inner_text()
    assert "泉科函〔2023〕63号" in page.locator("#pqa-doc-view .pqa-doc-meta").inner_text()
    assert target.inner_text()[:20] in quote or quote[:20] in target.inner_text()
    page.wait_for_function(
        """() => { const m = document.querySelector('#pqa-target'), b = document.querySelector('.pqa-doc-body');
                   const mr = m.getBoundingClientRect(), br = b.getBoundingClientRect();
                   return b.scrollTop > 0 && mr.top >= br.top && mr.top < br.bottom; }"""
    )
    page.locator("#pqa-chat .user-row").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, "chat-answer-with-document.png")
    page.locator("#pqa-doc-close").click()
    page.locator("#pqa-doc-panel").wait_for(state="hidden")
    page.context.close()


def test_answer_marker_opens_its_citation(browser, full_url):
    page = open_page(browser, full_url)
    answer = ask(page, "中试基地能获得什么补贴？")
    answer.locator(".pqa-ref").first.click()
    page.locator("#pqa-doc-view #pqa-target").wait_for()
    page.context.close()


def test_english_question_is_answered_with_cited_source(browser, full_url):
    page = open_page(browser, full_url)
    answer = ask(page, "What subsidy does a pilot-scale base get?")
    assert "pqa-refusal" not in (answer.get_attribute("class") or "")
    assert "[1]" in answer.locator(".pqa-text").inner_text()
    assert "泉科函〔2023〕63号" in answer.locator(".pqa-card").first.inner_text()
    page.context.close()


@pytest.mark.parametrize(
    ("case", "question"),
    [("other-city", "深圳对中试基地有什么补贴？"), ("absent-year", "2035年泉州市的GDP目标是多少？")],
)
def test_unanswerable_question_is_shown_as_refusal_naming_the_corpus(browser, full_url, case, question):
    page = open_page(browser, full_url)
    answer = ask(page, question)
    assert "pqa-refusal" in (answer.get_attribute("class") or "")
    assert answer.locator(".pqa-refusal-label").is_visible()
    assert "文档范围" in answer.inner_text()
    screenshot(page, f"chat-refusal-{case}.png")
    page.context.close()


def test_conversation_is_per_browser_session(browser, full_url):
    first, second = open_page(browser, full_url), open_page(browser, full_url)
    ask(first, "中试基地能获得什么补贴？")
    second.reload(wait_until="load")
    second.wait_for_selector("#pqa-question textarea")
    assert second.locator(".pqa-final").count() == 0
    assert first.locator(".pqa-final").count() == 1
    first.context.close()
    second.context.close()


def test_example_question_on_empty_chat_is_asked_when_clicked(browser, full_url):
    # The examples are made from the served corpus (its titles), so each names one of its documents' topics.
    page = open_page(browser, full_url)
    screenshot(page, "chat-empty-with-examples.png")
    example = page.locator("#pqa-chat button.example").first
    text = example.inner_text().strip()
    assert text.endswith("？")
    example.click()
    page.locator(".pqa-final .pqa-card").first.wait_for()
    assert text in page.locator("#pqa-chat").inner_text()
    page.context.close()


def test_export_downloads_last_answer_with_sources_as_markdown(browser, full_url):
    page = open_page(browser, full_url)
    ask(page, "中试基地能获得什么补贴？")
    page.locator("#pqa-download:not([disabled])").wait_for()
    with page.expect_download() as info:
        page.locator("#pqa-download").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# 中试基地能获得什么补贴？")
    assert "## 出处 Sources" in text and "泉科函〔2023〕63号" in text
    page.context.close()


def test_follow_up_question_is_answered_from_the_conversation(browser, full_url):
    page = open_page(browser, full_url)
    ask(page, "泉州对中试平台有什么补贴？")
    follow_up = ask(page, "那厦门呢？")
    assert "厦门" in follow_up.locator(".pqa-card").first.inner_text()
    assert page.locator(".pqa-final").count() == 2
    page.context.close()


def test_clear_button_empties_the_chat_and_shows_examples_again(browser, full_url):
    page = open_page(browser, full_url)
    ask(page, "中试基地能获得什么补贴？")
    page.locator("#pqa-clear").click()
    page.locator(".pqa-final").first.wait_for(state="detached")
    page.locator("#pqa-chat button.example").first.wait_for()
    expect(page.locator("#pqa-download")).to_be_disabled()
    page.context.close()


def test_show_scores_setting_adds_scores_to_cards(browser, full_url):
    page = open_page(browser, full_url)
    page.locator("#pqa-settings").get_by_text("设置 Settings").click()
    page.locator("#pqa-scores input[type=checkbox]").check()
    answer = ask(page, "国家高新技术企业2025年的目标是多少家？")
    assert re.search(r"score \d\.\d{4}", answer.locator(".pqa-card .pqa-score").first.inner_text())
    page.context.close()


def test_corpus_tab_lists_documents_with_metadata(browser, full_url):
    page = open_page(browser, full_url)
    page.get_by_role("tab", name=re.compile("文档库")).click()
    table = page.locator("#pqa-docs")
    expect(table).to_contain_text("泉科函〔2023〕63号")
    text = table.text_content() or ""
    for expected in ("quanzhou-2023-63-reply-pilot-bases.txt", "泉州市科学技术局", "2025-05-20", "厦门", "规划"):
        assert expected in text
    assert "5 份文档" in page.locator("#pqa-corpus-status").inner_text()
    screenshot(page, "corpus-tab.png")
    page.context.close()


def test_first_question_on_empty_index_builds_it_then_answers(browser, small_app):
    small, url = small_app
    assert not small.documents(), "must run before the other small-corpus tests (file order)"
    page = open_page(browser, url)
    answer = ask(page, "科技创新券每家企业每年最高多少？")
    assert "50万元" in answer.inner_text()
    assert small.documents()
    page.context.close()


def test_uploaded_document_is_listed_and_answerable(browser, small_app, tmp_path: Path):
    small, url = small_app
    upload = tmp_path / "ceshi-pilot-subsidy.txt"
    upload.write_text(f"测试市科学技术局\n\n关于支持中试基地建设的若干措施\n\n一、{TEST_CITY_FACT}\n", encoding="utf-8")
    page = open_page(browser, url)
    page.get_by_role("tab", name=re.compile("文档库")).click()
    page.set_input_files("#pqa-upload input[type=file]", str(upload))
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text="ceshi-pilot-subsidy.txt").wait_for()
    expect(page.locator("#pqa-docs")).to_contain_text("ceshi-pilot-subsidy")
    page.get_by_role("tab", name=re.compile("对话")).click()
    answer = ask(page, "测试市对中试基地的一次性补贴是多少？")
    assert "888万元" in answer.locator(".pqa-text").inner_text()
    assert "ceshi-pilot-subsidy" in {c.doc_id for c in small.ask("测试市中试基地补贴多少？").citations}
    page.context.close()


def test_binary_upload_is_rejected_naming_the_file_and_nothing_changes(browser, small_app, tmp_path: Path):
    small, url = small_app
    small.ingest()
    before = [i.document.doc_id for i in small.documents()]
    junk = tmp_path / "scanned-notice.txt"
    junk.write_bytes(bytes(range(256)) * 64)
    page = open_page(browser, url)
    page.get_by_role("tab", name=re.compile("文档库")).click()
    table = page.locator("#pqa-docs")
    expect(table).to_contain_text("seed-notice")
    shown = table.text_content()
    page.set_input_files("#pqa-upload input[type=file]", str(junk))
    error = page.locator("#pqa-corpus-status .pqa-status-error")
    error.wait_for()
    assert "scanned-notice.txt" in error.inner_text() and "二进制文件" in error.inner_text()
    assert table.text_content() == shown
    assert [i.document.doc_id for i in small.documents()] == before
    assert not (small.settings.corpus_dir / "scanned-notice.txt").exists()
    screenshot(page, "corpus-upload-rejected.png")
    page.context.close()


def test_deleting_a_document_removes_it_from_table_and_index(browser, small_app, tmp_path: Path):
    small, url = small_app
    (tmp_path / "delete-me.txt").write_text(
        "删除测试市科学技术局\n\n关于删除测试的通知\n\n一、删除测试专项资金10万元。\n", encoding="utf-8"
    )
    small.add_file("delete-me.txt", (tmp_path / "delete-me.txt").read_bytes())
    page = open_page(browser, url)
    page.get_by_role("tab", name=re.compile("文档库")).click()
    table = page.locator("#pqa-docs")
    expect(table).to_contain_text("delete-me")
    page.locator("#pqa-delete-choice input").click()
    page.get_by_role("option", name=re.compile("delete-me")).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pqa-delete").click()
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text="delete-me").wait_for()
    expect(table).not_to_contain_text("delete-me")
    assert "delete-me" not in {i.document.doc_id for i in small.documents()}
    assert "seed-notice" in {i.document.doc_id for i in small.documents()}
    page.context.close()


def test_reindex_button_reports_an_up_to_date_index(browser, small_app):
    _, url = small_app
    page = open_page(browser, url)
    page.get_by_role("tab", name=re.compile("文档库")).click()
    page.locator("#pqa-reindex").click()
    page.locator("#pqa-corpus-status .pqa-status-ok").filter(has_text="索引已更新").wait_for()
    expect(page.locator("#pqa-docs")).to_contain_text("seed-notice")
    page.context.close()


def test_evaluation_tab_shows_report_and_charts(browser, small_app):
    _, url = small_app
    page = open_page(browser, url)
    page.get_by_role("tab", name=re.compile("评测")).click()
    page.locator("#pqa-full-report").get_by_text("完整报告 Full report").click()
    page.locator("#pqa-report").get_by_text("Evaluation report — test").wait_for()
    assert page.locator("#pqa-charts img[alt='chart.png']").count() == 1
    assert "95%" in page.locator("#pqa-report").inner_text()
    page.context.close()


def test_pipeline_failure_is_a_message_not_a_traceback(browser, small_app, monkeypatch):
    small, url = small_app

    async def broken(*args, **kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(small, "aask", broken)
    page = open_page(browser, url)
    answer = ask(page, "科技创新券每家企业每年最高多少？")
    assert "pqa-error" in (answer.get_attribute("class") or "")
    assert "index unavailable" in answer.inner_text()
    assert "Traceback" not in page.content()
    page.context.close()


def test_answer_notice_is_shown_above_the_answer(browser, small_app):
    # An app whose LLM endpoint nobody listens on: it answers extractively, with a notice saying so.
    small, _ = small_app
    unreachable = {"llm_base_url": f"http://127.0.0.1:{closed_port()}/v1", "llm_model": "gone", "llm_timeout": 2.0}
    settings = small.settings.model_copy(update={"answer_mode": "llm", "llm_max_retries": 0, **unreachable})
    offline = Assistant(settings, small.index, small.embedder, small.lexicon, llm=build_llm(settings))
    with serve_app(offline) as url:
        page = open_page(browser, url)
        answer = ask(page, "科技创新券每家企业每年最高多少？")
        assert answer.locator(".pqa-notice").inner_text().strip()
        assert answer.locator(".pqa-card").count() >= 1
        page.context.close()


def _tiny_png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
