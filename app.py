"""Gradio UI over the Assistant: chat with cited sources and a document viewer, corpus and evaluation tabs.

Only wiring lives here; HTML comes from assistant.ui.render (the corpus tab from corpus_ui.py) and every answer from the Assistant.
"""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import asyncio
import base64
import hashlib
import logging
import math
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gradio as gr

from assistant import Answer, Assistant, Settings
from assistant.http.auth import exposure_warning
from assistant.http.limits import RateLimiter
from assistant.http.schemas import answer_json
from assistant.ui.render import (
    BRIDGE_JS,
    CSS,
    DOC_JS,
    answer_html,
    answer_markdown,
    charts_html,
    document_html,
    error_html,
    sentences,
    status_html,
    streaming_html,
    strip_report_images,
)
from corpus_ui import add_one, corpus_tab, progress_callback

__all__ = ["add_one", "build_ui", "exposure_warning", "serve"]

log = logging.getLogger("policyqa.app")

EXAMPLES = [
    "中试基地能获得什么补贴？",
    "泉州“十四五”规划中，2025年全社会研发经费投入强度的目标是多少？",
    "厦门对技术转移机构有哪些奖励？",
    "What subsidy does a pilot-scale base get?",
    "How does Xiamen support technology transfer?",
]
REPORT_DIR = Path(__file__).resolve().parent / "evals" / "reports" / "latest"
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"]
THEME = gr.themes.Soft(primary_hue="blue", font=[*CJK_FONTS, "ui-sans-serif", "sans-serif"])
LAUNCH_OPTIONS: dict[str, Any] = {"css": CSS, "theme": THEME}  # gradio 6 takes these at launch/mount
STREAM_DELAY = 0.03  # seconds between sentences when an extractive answer is streamed
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # Gradio's API offers only /ask (docs/serving.md)


@dataclass
class Session:
    """One browser session's conversation: what the chat shows, what the pipeline sees, and the answers."""

    chat: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


def build_ui(assistant: Assistant, report_dir: Path = REPORT_DIR, questions: RateLimiter | None = None) -> gr.Blocks:
    """The whole app as a Blocks; launch it with **LAUNCH_OPTIONS (CSS and theme).

    `questions` limits each client's questions (chat and /ask together); by default as the settings say.
    """
    settings = assistant.settings
    questions = questions or RateLimiter(
        getattr(settings, "ask_rate_per_minute", 30.0), getattr(settings, "ask_burst", 10)
    )
    with gr.Blocks(title="科技政策问答 Policy QA") as demo:
        session = gr.State(Session())
        bridge = gr.HTML("", js_on_load=BRIDGE_JS, elem_id="pqa-bridge")
        header = gr.HTML("", elem_id="pqa-header", js_on_load=None)  # filled by the corpus tab's load event
        with gr.Tabs():
            with gr.Tab("对话 Chat", id="chat"):
                chat_tab(assistant, session, bridge, questions)
            with gr.Tab("文档库 Corpus", id="corpus"):
                corpus_tab(assistant, header, demo)
            with gr.Tab("评测 Evaluation", id="eval"):
                evaluation_tab(report_dir, demo)
        gr.api(question_api(assistant, questions), api_name="ask", concurrency_limit=8)
    return demo


def client_host(request: gr.Request | None) -> str:
    return getattr(getattr(request, "client", None), "host", None) or "?"


def question_api(assistant: Assistant, limiter: RateLimiter) -> Callable[..., Any]:
    """Gradio's one API endpoint, `/ask`: the HTTP API's answer JSON, within the per-client question limit."""

    async def ask(
        question: str,
        top_k: int = 5,
        mode: Literal["extractive", "llm"] = "extractive",
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it; a default keeps it out of the API
    ) -> dict[str, Any]:
        """Answer a question about the policy documents with numbered, verbatim citations."""
        wait = limiter.take(client_host(request))
        if wait > 0:
            seconds = math.ceil(wait)
            raise gr.Error(f"请求过于频繁，请 {seconds} 秒后再试。Too many requests; retry in {seconds} s.")
        answer = await assistant.aask(question, [], top_k=max(1, min(int(top_k), 50)), mode=mode)
        return answer_json(answer)

    return ask


def chat_tab(assistant: Assistant, session: gr.State, bridge: gr.HTML, questions: RateLimiter) -> None:
    """The chat, its export and settings, and the document panel the citation cards open."""
    modes = [("摘录 Extractive", "extractive")] + ([("大模型 LLM", "llm")] if assistant.llm is not None else [])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                elem_id="pqa-chat",
                show_label=False,
                height="66vh",
                examples=[{"text": q} for q in EXAMPLES],
                placeholder="### 有问题，问文件\n回答均摘自政策原文，并标注文号、章节与原文段落。Ask in Chinese or English.",
                buttons=[],
                latex_delimiters=[],
                feedback_options=[],
                line_breaks=False,
                layout="panel",
            )
            with gr.Row():
                box = gr.Textbox(
                    placeholder="输入问题，例如：中试基地能获得什么补贴？ / Ask a question",
                    show_label=False,
                    scale=8,
                    max_lines=4,
                    elem_id="pqa-question",
                )
                ask = gr.Button("提问 Ask", variant="primary", scale=1, min_width=90, elem_id="pqa-ask")
            with gr.Row():
                clear = gr.Button("清空对话 Clear", size="sm", elem_id="pqa-clear")
                download = gr.DownloadButton(
                    "导出上一条回答 Export (.md)", size="sm", interactive=False, elem_id="pqa-download"
                )
            with gr.Accordion("上一条回答的 Markdown（可复制）· Copy as Markdown", open=False):
                export_code = gr.Code(language="markdown", interactive=False, elem_id="pqa-export", wrap_lines=True)
            with gr.Accordion("设置 Settings", open=False, elem_id="pqa-settings"):
                mode = gr.Radio(
                    modes,
                    value="llm" if assistant.settings.answer_mode == "llm" and assistant.llm else "extractive",
                    label="回答方式 Answer mode",
                    info=None
                    if assistant.llm
                    else "未配置大模型（POLICYQA_LLM_BASE_URL / POLICYQA_LLM_MODEL），仅摘录模式。",
                    elem_id="pqa-mode",
                )
                top_k = gr.Slider(1, 10, value=assistant.settings.top_k, step=1, label="检索段落数 Passages (top_k)")
                show_scores = gr.Checkbox(False, label="显示检索分数与用时 Show retrieval scores", elem_id="pqa-scores")
        with gr.Column(scale=2, min_width=360, visible=False, elem_id="pqa-doc-panel") as panel:
            with gr.Row():
                gr.Markdown("#### 原文 · Source document")
                close = gr.Button("关闭 ✕", size="sm", scale=0, min_width=80, elem_id="pqa-doc-close")
            doc_view = gr.HTML(elem_id="pqa-doc-view", js_on_load=DOC_JS)

    respond = responder(assistant, Path(tempfile.mkdtemp(prefix="policyqa-export-")), questions)
    inputs, outputs = [box, session, mode, top_k, show_scores], [box, chatbot, session, download, export_code]
    box.submit(respond, inputs, outputs, concurrency_limit=8, **PRIVATE)
    ask.click(respond, inputs, outputs, concurrency_limit=8, **PRIVATE)
    chatbot.example_select(pick_example, None, box, **PRIVATE).then(
        respond, inputs, outputs, concurrency_limit=8, **PRIVATE
    )

    def reset() -> tuple:
        return Session(), [], gr.DownloadButton(value=None, interactive=False), "", gr.Column(visible=False)

    clear.click(reset, None, [session, chatbot, download, export_code, panel], **PRIVATE)
    chatbot.clear(reset, None, [session, chatbot, download, export_code, panel], **PRIVATE)

    def open_document(state: Session, evt: gr.EventData) -> tuple:
        return gr.Column(visible=True), document_for(assistant, state, evt)

    bridge.click(open_document, [session], [panel, doc_view], **PRIVATE)
    close.click(lambda: gr.Column(visible=False), None, panel, **PRIVATE)


def responder(
    assistant: Assistant, export_dir: Path, questions: RateLimiter | None = None
) -> Callable[..., AsyncIterator[tuple]]:
    """The chat handler: streams the answer into the chat, then its cards, export file and Markdown."""

    async def respond(
        question: str,
        state: Session,
        mode: str,
        k: float,
        scores: bool,
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio injects both
        progress=gr.Progress(),  # noqa: B008
    ):
        question = (question or "").strip()
        if not question:
            yield gr.update(), state.chat, state, gr.update(), gr.update()
            return
        turn, user = len(state.answers), {"role": "user", "content": question}
        wait = questions.take(client_host(request)) if questions else 0.0
        if wait > 0:
            seconds = math.ceil(wait)
            notice = error_html(f"提问过于频繁，请 {seconds} 秒后再试。Too many questions; retry in {seconds} s.")
            chat = [*state.chat, user, {"role": "assistant", "content": notice}]
            yield "", chat, Session(chat, state.history, state.answers), gr.update(), gr.update()
            return
        chat = [*state.chat, user, {"role": "assistant", "content": streaming_html("")}]
        yield "", chat, state, gr.update(), gr.update()
        try:
            if not assistant.snapshot().chunks:
                chat[-1]["content"] = status_html("正在建立索引…… Building the index (first time only).")
                yield "", chat, state, gr.update(), gr.update()
                await asyncio.to_thread(assistant.ingest, progress_callback(progress, "建立索引 Building the index"))
            async for item in answer_stream(assistant, question, state.history, top_k=int(k), mode=mode):
                if isinstance(item, Answer):
                    answer = item
                    break
                chat[-1]["content"] = streaming_html(item)
                yield "", chat, state, gr.update(), gr.update()
            else:
                raise RuntimeError("the assistant returned no answer")
        except Exception as exc:  # the user gets a message, the log gets the traceback
            log.exception("answering %r failed", question)
            chat[-1]["content"] = error_html(f"出错了，请重试。Something went wrong: {type(exc).__name__}: {exc}")
            yield "", chat, Session(chat, state.history, state.answers), gr.update(), gr.update()
            return
        chat[-1]["content"] = answer_html(answer, turn, show_scores=scores)
        history = [*state.history, user, {"role": "assistant", "content": answer.text}]
        markdown = answer_markdown(answer)
        exported = gr.DownloadButton(value=export_file(export_dir, turn, markdown), interactive=True)
        yield "", chat, Session(chat, history, [*state.answers, answer]), exported, markdown

    return respond


def evaluation_tab(report_dir: Path, demo: gr.Blocks) -> None:
    """The latest evaluation report and its charts."""
    refresh = gr.Button("刷新 Refresh", size="sm", elem_id="pqa-report-refresh")
    charts = gr.HTML(elem_id="pqa-charts", js_on_load=None)
    report = gr.Markdown(elem_id="pqa-report")
    refresh.click(lambda: load_report(report_dir), None, [charts, report], **PRIVATE)
    demo.load(lambda: load_report(report_dir), None, [charts, report], **PRIVATE)


async def answer_stream(
    assistant: Assistant, question: str, history: list[dict], **options: Any
) -> AsyncIterator[str | Answer]:
    """Partial answer texts, then the Answer: the assistant's own stream if it has one, else sentence by sentence."""
    astream = getattr(assistant, "astream", None)
    if astream is not None:
        text = ""
        async for item in astream(question, history, **options):
            if isinstance(item, Answer):
                yield item
                return
            text = item if item.startswith(text) else text + item  # cumulative or delta chunks
            yield text
        return
    answer = await assistant.aask(question, history, **options)
    if not answer.refused:
        pieces = sentences(answer.text)
        for i in range(1, len(pieces)):
            yield "".join(pieces[:i])
            await asyncio.sleep(STREAM_DELAY)
    yield answer


def pick_example(evt: gr.SelectData) -> str:
    """The question text of a clicked example."""
    value = evt.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def document_for(assistant: Assistant, state: Session, evt: gr.EventData) -> str:
    """The document panel for the clicked citation ("<turn>-<n>" of this session), passage highlighted."""
    try:
        turn, n = (int(x) for x in str(evt._data.get("cite", "")).split("-"))
        citation = next(c for c in state.answers[turn].citations if c.n == n)
    except (ValueError, IndexError, StopIteration, AttributeError):
        return status_html("找不到这条引用（对话可能已清空）。Citation not found.", "error")
    doc = assistant.document(citation.doc_id)
    if doc is None:
        return status_html(f"文档 {citation.doc_id} 已不在文档库中。The document is no longer indexed.", "error")
    chunk = assistant.snapshot().chunks.get(citation.chunk_id)
    span = (chunk.start, chunk.end) if chunk and chunk.end > chunk.start else None
    caption = f"引用 [{citation.n}] · {citation.section or citation.title}（已高亮 highlighted）"
    return document_html(doc, span, citation.quote or citation.text, caption)


def export_file(folder: Path, turn: int, markdown: str) -> str:
    """Write an answer's Markdown to a file for the download button."""
    path = folder / f"answer-{turn + 1}-{hashlib.sha256(markdown.encode()).hexdigest()[:8]}.md"
    path.write_text(markdown, encoding="utf-8")
    return str(path)


def load_report(folder: Path) -> tuple[str, str]:
    """The latest evaluation report: its charts as HTML, its Markdown without local image links."""
    path = folder / "report.md"
    if not path.is_file():
        return "", "### 还没有评测报告 · No report yet — run `make eval`."
    images = [(p.name, base64.b64encode(p.read_bytes()).decode()) for p in sorted(folder.glob("*.png"))]
    return charts_html(images), strip_report_images(path.read_text(encoding="utf-8"))


def asgi_app(assistant: Assistant, demo: gr.Blocks) -> Any | None:
    """The HTTP API (assistant.http) with the UI mounted at /, or None when the API is not available."""
    try:
        from assistant.http import create_app
    except ImportError:
        return None
    limit = assistant.settings.max_file_bytes  # Gradio's own upload route is open to all: cap what it stores
    return gr.mount_gradio_app(create_app(assistant), demo, path="/", max_file_size=limit, **LAUNCH_OPTIONS)


def serve(assistant: Assistant) -> None:
    """Serve the UI on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT, with the HTTP API on the same port if present."""
    demo = build_ui(assistant)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    warning = exposure_warning(assistant.settings, host)
    if warning:
        log.warning(warning)
    app = asgi_app(assistant, demo)
    if app is None:
        demo.queue().launch(server_name=host, server_port=port, **LAUNCH_OPTIONS)
        return
    import uvicorn

    uvicorn.run(app, host=host, port=port)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(Assistant.from_settings(Settings()))
