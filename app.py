"""Gradio UI over the Assistant: chat with cited sources and a document viewer, corpus and evaluation tabs.

Only wiring lives here; HTML comes from assistant.ui.render and every answer from the Assistant.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Answer, Assistant, Settings
from assistant.ingest.load import DocumentError
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ui import chat_actions, conversations
from assistant.ui.assets import BRIDGE_JS, CSS, DOC_JS
from assistant.ui.conversations import Session
from assistant.ui.corpus_view import (
    DOCUMENT_COLUMNS,
    corpus_summary,
    documents_rows,
    file_name,
    header_html,
    reason_zh,
    search_html,
)
from assistant.ui.export import answer_markdown
from assistant.ui.feedback import FeedbackStore
from assistant.ui.render import answer_html, document_html, error_html, sentences, status_html, streaming_html
from assistant.ui.report_view import load_report

log = logging.getLogger("policyqa.app")

EXAMPLES = [
    "中试基地能获得什么补贴？",
    "泉州“十四五”规划中，2025年全社会研发经费投入强度的目标是多少？",
    "厦门对技术转移机构有哪些奖励？",
    "What subsidy does a pilot-scale base get?",
    "How does Xiamen support technology transfer?",
]
PRIVATE = chat_actions.PRIVATE  # UI events have no API name; only the question endpoint is public
REPORT_DIR = Path(__file__).resolve().parent / "evals" / "reports" / "latest"
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"]
THEME = gr.themes.Soft(primary_hue="blue", font=[*CJK_FONTS, "ui-sans-serif", "sans-serif"])
LAUNCH_OPTIONS: dict[str, Any] = {"css": CSS, "theme": THEME}  # gradio 6 takes these at launch/mount
STREAM_DELAY = 0.03  # seconds between sentences when an extractive answer is streamed
CONFIRM_DELETE_JS = (
    "(doc) => (doc && confirm('确定删除所选文档？其文件将从文档库移除。Delete the chosen document?')) ? doc : null"
)
CONFIRM_REINDEX_JS = "(doc) => (doc && confirm('重新索引所选文档？Re-index the chosen document?')) ? doc : null"
INGEST: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1}  # one corpus change at a time


def build_ui(assistant: Assistant, report_dir: Path = REPORT_DIR, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The whole app as a Blocks; launch it with **LAUNCH_OPTIONS (CSS and theme)."""
    feedback = feedback or FeedbackStore.beside_index(assistant.settings.index_dir)
    with gr.Blocks(title="科技政策问答 Policy QA") as demo:
        session = gr.State(Session())
        bridge = gr.HTML("", js_on_load=BRIDGE_JS, elem_id="pqa-bridge")
        header = gr.HTML(header_for(assistant), elem_id="pqa-header", js_on_load=None)  # refreshed on load
        with gr.Tabs(elem_id="pqa-tabs"):
            with gr.Tab("对话", id="chat", elem_id="pqa-tab-chat"):
                chat_tab(assistant, session, bridge, feedback, demo)
            with gr.Tab("文档库", id="corpus", elem_id="pqa-tab-corpus"):
                corpus_tab(assistant, header, demo)
            with gr.Tab("评测", id="eval", elem_id="pqa-tab-eval"):
                evaluation_tab(report_dir, demo)
    return demo


def chat_tab(
    assistant: Assistant, session: gr.State, bridge: gr.HTML, feedback: FeedbackStore, demo: gr.Blocks
) -> None:
    """The chat, its controls and settings, and the document panel the citation cards open."""
    modes = [("摘录 Extractive", "extractive")] + ([("大模型 LLM", "llm")] if assistant.llm is not None else [])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            bar = chat_actions.conversation_bar()
            chatbot = gr.Chatbot(
                elem_id="pqa-chat",
                show_label=False,
                height="66vh",
                examples=[{"text": q} for q in EXAMPLES],
                placeholder="### 有问题，问文件\n回答均摘自政策原文，并标注文号、章节与原文段落。Ask in Chinese or English.",
                buttons=[],
                latex_delimiters=[],
                feedback_options=["Like", "Dislike"],
                line_breaks=False,
                layout="panel",
                autoscroll=False,  # bridge.js keeps the question and the start of its answer in view instead
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
                stop = gr.Button("停止 Stop", variant="stop", scale=1, min_width=80, elem_id="pqa-stop")
            pickers = chat_actions.add_scope_picker(assistant)
            with gr.Row():
                regenerate = gr.Button("重新回答 Regenerate", size="sm", elem_id="pqa-regenerate")
                clear = gr.Button("清空对话 Clear", size="sm", elem_id="pqa-clear")
                download = gr.DownloadButton(
                    "导出上一条回答 Export (.md)", size="sm", interactive=False, elem_id="pqa-download"
                )
            chat_actions.add_feedback(chatbot, session, feedback)
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
        with gr.Column(scale=2, min_width=300, visible=False, elem_id="pqa-doc-panel") as panel:
            with gr.Row():
                gr.Markdown("#### 原文 · Source document")
                close = gr.Button("关闭 ✕", size="sm", scale=0, min_width=80, elem_id="pqa-doc-close")
            doc_view = gr.HTML(elem_id="pqa-doc-view", js_on_load=DOC_JS)

    def reset() -> tuple:
        return Session(), [], gr.DownloadButton(value=None, interactive=False), "", gr.Column(visible=False)

    cleared = [session, chatbot, download, export_code, panel]
    secret = conversations.browser_secret(assistant.settings.index_dir)
    store, save, restore = chat_actions.wire_conversations(bar, chatbot, session, cleared, reset, secret)
    picker = bar.picker
    respond = responder(assistant, Path(tempfile.mkdtemp(prefix="policyqa-export-")))
    inputs, outputs = [box, session, mode, top_k, show_scores, *pickers], [box, chatbot, session, download, export_code]
    asked = [
        box.submit(respond, inputs, outputs, concurrency_limit=8, **PRIVATE),
        ask.click(respond, inputs, outputs, concurrency_limit=8, **PRIVATE),
        chatbot.example_select(pick_example, None, box, **PRIVATE).then(
            respond, inputs, outputs, concurrency_limit=8, **PRIVATE
        ),
        regenerate.click(chat_actions.last_question, [session], [box, chatbot, session], **PRIVATE).then(
            respond, inputs, outputs, concurrency_limit=8, **PRIVATE
        ),
    ]
    for event in asked:
        event.then(save, [session, store], [store, picker], **PRIVATE)
    stop.click(chat_actions.stopped, [session], [box, chatbot, session], cancels=asked, **PRIVATE)
    # Clearing starts a new conversation; the cleared one stays in the list.
    clear.click(reset, None, cleared, **PRIVATE).then(conversations.started, [store], [store], **PRIVATE)
    chatbot.clear(reset, None, cleared, **PRIVATE)
    demo.load(restore, [store], [session, chatbot, picker], **PRIVATE)

    def bridged(state: Session, evt: gr.EventData) -> tuple:
        copy = str(evt._data.get("copy", "")) if isinstance(evt._data, dict) else ""
        if copy:
            return gr.update(), gr.update(), chat_actions.copy_markdown(state, copy) or gr.update()
        return gr.Column(visible=True), document_for(assistant, state, evt), gr.update()

    chat_actions.wire_copy(bridge.click(bridged, [session], [panel, doc_view, export_code], **PRIVATE), export_code)
    close.click(lambda: gr.Column(visible=False), None, panel, **PRIVATE)


def responder(assistant: Assistant, export_dir: Path) -> Callable[..., AsyncIterator[tuple]]:
    """The chat handler: streams the answer into the chat, then its cards, export file and Markdown."""

    async def respond(
        question: str,
        state: Session,
        mode: str,
        k: float,
        scores: bool,
        cities: Any = None,
        issuers: Any = None,
        kinds: Any = None,
        date_from: Any = "",
        date_to: Any = "",
        docs: Any = None,
        progress=gr.Progress(),  # noqa: B008  (Gradio injects it)
    ):
        question = (question or "").strip()
        if not question:
            yield gr.update(), state.chat, state, gr.update(), gr.update()
            return
        turn, user = len(state.answers), {"role": "user", "content": question}
        chat = [*state.chat, user, {"role": "assistant", "content": streaming_html("")}]
        filters = chat_actions.scope_of(cities, issuers, kinds, date_from, date_to, docs)
        state = Session(state.chat, state.history, state.answers, pending=question)
        yield "", chat, state, gr.update(), gr.update()
        try:
            if not assistant.snapshot().chunks:
                chat[-1]["content"] = status_html("正在建立索引…… Building the index (first time only).")
                yield "", chat, state, gr.update(), gr.update()
                await asyncio.to_thread(assistant.ingest, progress_callback(progress, "建立索引 Building the index"))
            async for item in answer_stream(
                assistant, question, state.history, top_k=int(k), mode=mode, filters=filters
            ):
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


def corpus_tab(assistant: Assistant, header: gr.HTML, demo: gr.Blocks) -> None:
    """The document table (click a row to choose it), upload, delete and re-index, and a search over the text."""
    status = gr.HTML(elem_id="pqa-corpus-status", js_on_load=None)
    table = gr.Dataframe(
        headers=DOCUMENT_COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="pqa-docs",
        max_height=460,
        column_widths=["300px", "150px", "160px", "100px", "64px", "64px", "64px", "240px"],  # a phone scrolls sideways
    )
    with gr.Row(equal_height=False):
        upload = gr.File(
            label="上传文档 Upload（txt / md / html / docx / pdf），上传后即可提问",
            file_count="multiple",
            elem_id="pqa-upload",
            scale=3,
        )
        with gr.Column(scale=2):
            doomed = gr.Dropdown(label="所选文档（点击表格中的一行）Document", choices=[], elem_id="pqa-delete-choice")
            with gr.Row():
                delete = gr.Button("删除 Delete", variant="stop", elem_id="pqa-delete")
                reindex_one = gr.Button("重新索引此文档 Re-index", elem_id="pqa-reindex-one")
            reindex = gr.Button("重新索引全部 Re-index all", elem_id="pqa-reindex")
    with gr.Row():
        query = gr.Textbox(
            placeholder="在文档原文中搜索，例如：中试 补贴", show_label=False, scale=6, elem_id="pqa-search"
        )
        find = gr.Button("搜索 Search", scale=1, elem_id="pqa-search-go")
    found = gr.HTML(elem_id="pqa-search-results", js_on_load=None)

    def view(message: str = "", kind: str = "info") -> tuple:
        infos = assistant.documents()
        choices = [(f"{i.document.title[:36]} · {file_name(i.document)}", i.document.doc_id) for i in infos]
        return (
            status_html(message or corpus_summary(infos), kind),
            documents_rows(infos),
            gr.Dropdown(choices=choices, value=None),
            header_for(assistant),
        )

    def add_files(paths: list[str] | None, progress=gr.Progress()) -> tuple:  # noqa: B008
        results = [add_one(assistant, Path(p), progress) for p in paths or []]
        failed = any(not ok for ok, _ in results)
        return None, *view(" ".join(m for _, m in results), "error" if failed else "ok")

    def act(doc_id: str | None, action: Callable[[str], Any], done: str) -> tuple:
        doc = assistant.document(doc_id) if doc_id else None
        if doc is None:
            return view("未操作：请先选择文档（或已取消）。Nothing done.", "error")
        name = f"《{doc.title}》（{file_name(doc)}）"
        return guarded(lambda: action(doc.doc_id), f"{done} {name}。", view)

    def rebuild(progress=gr.Progress()) -> tuple:  # noqa: B008
        return guarded(
            lambda: assistant.ingest(progress_callback(progress, "重新索引 Re-indexing")),
            "索引已更新。Index up to date.",
            view,
        )

    def choose(evt: gr.SelectData) -> str | None:
        infos = assistant.documents()
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return infos[row].document.doc_id if 0 <= row < len(infos) else None

    def search(words: str) -> str:
        snap = assistant.snapshot()
        return search_html(words or "", list(snap.chunks.values()), {d: doc.title for d, doc in snap.docs.items()})

    outputs = [status, table, doomed, header]
    upload.upload(add_files, [upload], [upload, *outputs], **INGEST, **PRIVATE)
    delete.click(
        lambda d: act(d, assistant.delete_document, "已删除 Deleted"),
        [doomed],
        outputs,
        js=CONFIRM_DELETE_JS,
        **INGEST,
        **PRIVATE,
    )
    reindex_one.click(
        lambda d: act(d, assistant.reindex_document, "已重新索引 Re-indexed"),
        [doomed],
        outputs,
        js=CONFIRM_REINDEX_JS,
        **INGEST,
        **PRIVATE,
    )
    reindex.click(rebuild, None, outputs, **INGEST, **PRIVATE)
    table.select(choose, None, doomed, **PRIVATE)
    find.click(search, [query], found, **PRIVATE)
    query.submit(search, [query], found, **PRIVATE)
    demo.load(view, None, outputs, **PRIVATE)


def evaluation_tab(report_dir: Path, demo: gr.Blocks) -> None:
    """The latest evaluation in plain words, with the full report one click away."""
    summary = gr.HTML(elem_id="pqa-eval-summary", js_on_load=None)
    with gr.Accordion("完整报告 Full report", open=False, elem_id="pqa-full-report"):
        refresh = gr.Button("刷新 Refresh", size="sm", elem_id="pqa-report-refresh")
        charts = gr.HTML(elem_id="pqa-charts", js_on_load=None)
        report = gr.Markdown(elem_id="pqa-report")
    refresh.click(lambda: load_report(report_dir), None, [summary, charts, report], **PRIVATE)
    demo.load(lambda: load_report(report_dir), None, [summary, charts, report], **PRIVATE)


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


def add_one(assistant: Assistant, path: Path, progress: gr.Progress) -> tuple[bool, str]:
    """Add one uploaded file; (ok, message naming the file). A rejected file changes nothing."""
    name = path.name
    try:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentError(name, f"unsupported file type (use {' '.join(SUPPORTED_SUFFIXES)})")
        if path.stat().st_size > assistant.settings.max_file_bytes:
            raise DocumentError(name, f"file too large (limit {assistant.settings.max_file_bytes} bytes)")
        assistant.add_file(name, path.read_bytes(), progress_callback(progress, f"索引 Indexing {name}"))
    except DocumentError as exc:
        return False, f"未添加 {exc.name}：{reason_zh(exc.reason)}。Rejected {exc.name}."
    except Exception as exc:
        log.exception("upload of %s failed", name)
        return False, f"未添加 {name}：{type(exc).__name__}: {exc}"
    return True, f"已添加 {name}，现在可以提问。Added {name}."


def pick_example(evt: gr.SelectData) -> str:
    """The question text of a clicked example."""
    value = evt.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def progress_callback(progress: gr.Progress, label: str) -> Callable[[int, int, str], None]:
    """Adapt the pipeline's (done, total, what) callback to a Gradio progress bar."""

    def report(done: int, total: int, what: str) -> None:
        progress((done, total or None), desc=f"{label} · {what}", unit="段")

    return report


def guarded(action: Callable[[], Any], success: str, view: Callable[..., tuple]) -> tuple:
    """Run a corpus action; a failure becomes a status message instead of a traceback."""
    try:
        action()
    except Exception as exc:
        log.exception("corpus action failed")
        reason = exc.reason if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
        return view(f"操作失败 Failed: {reason}", "error")
    return view(success, "ok")


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


def header_for(assistant: Assistant) -> str:
    return header_html([i.document for i in assistant.documents()])


def export_file(folder: Path, turn: int, markdown: str) -> str:
    """Write an answer's Markdown to a file for the download button."""
    path = folder / f"answer-{turn + 1}-{hashlib.sha256(markdown.encode()).hexdigest()[:8]}.md"
    path.write_text(markdown, encoding="utf-8")
    return str(path)


def asgi_app(assistant: Assistant, demo: gr.Blocks) -> Any | None:
    """The HTTP API (assistant.http) with the UI mounted at /, or None when the API is not available."""
    try:
        from assistant.http import create_app
    except ImportError:
        return None
    return gr.mount_gradio_app(create_app(assistant), demo, path="/", **LAUNCH_OPTIONS)


def serve(assistant: Assistant) -> None:
    """Serve the UI on Settings' server_name:server_port (GRADIO_SERVER_NAME/PORT), with the HTTP API on the same port."""
    demo = build_ui(assistant)
    host, port = assistant.settings.server_name, assistant.settings.server_port
    app = asgi_app(assistant, demo)
    if app is None:
        demo.queue().launch(server_name=host, server_port=port, **LAUNCH_OPTIONS)
        return
    import uvicorn

    uvicorn.run(app, host=host, port=port)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(Assistant.from_settings(Settings()))
