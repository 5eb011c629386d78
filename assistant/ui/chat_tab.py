"""The chat tab's layout and wiring: conversations, the chat, question box, stop, scope, regenerate, export,
feedback, settings, and the document panel the citation cards open. The answering itself is app.responder.

Every event is private (api_visibility="private"): Gradio's API offers only `/ask`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.query.smalltalk import example_questions
from assistant.ui import Updates, chat_actions, conversations
from assistant.ui.assets import DOC_JS
from assistant.ui.conversations import Session
from assistant.ui.feedback import FeedbackStore
from assistant.ui.render import document_html, status_html

PRIVATE = chat_actions.PRIVATE

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


@dataclass(frozen=True)
class ChatControls:
    """The chat tab's components that its events read or write."""

    bar: chat_actions.ConversationBar
    chatbot: gr.Chatbot
    box: gr.Textbox
    ask: gr.Button
    stop: gr.Button
    pickers: list[Any]
    regenerate: gr.Button
    clear: gr.Button
    download: gr.DownloadButton
    export_code: gr.Code
    mode: gr.Radio
    top_k: gr.Slider
    show_scores: gr.Checkbox
    panel: gr.Column
    close: gr.Button
    doc_view: gr.HTML


def chat_tab(
    assistant: Assistant,
    session: gr.State,
    bridge: gr.HTML,
    feedback: FeedbackStore,
    demo: gr.Blocks,
    respond: Callable[..., AsyncIterator[Updates]],
) -> None:
    """The chat, its controls and settings, and the document panel the citation cards open.

    `respond` answers a question (app.responder); its inputs are the question, the session, the mode, top_k,
    the score switch and the scope pickers.
    """
    c = chat_layout(assistant, session, feedback)

    def reset() -> Updates:
        return Session(), [], gr.DownloadButton(value=None, interactive=False), "", gr.Column(visible=False)

    cleared = [session, c.chatbot, c.download, c.export_code, c.panel]
    secret = conversations.browser_secret(assistant.settings.index_dir)
    store, save, restore = chat_actions.wire_conversations(c.bar, c.chatbot, session, cleared, reset, secret)
    picker = c.bar.picker
    inputs = [c.box, session, c.mode, c.top_k, c.show_scores, *c.pickers]
    outputs = [c.box, c.chatbot, session, c.download, c.export_code]
    asked = [
        c.box.submit(respond, inputs, outputs, concurrency_limit=8, **PRIVATE),
        c.ask.click(respond, inputs, outputs, concurrency_limit=8, **PRIVATE),
        c.chatbot.example_select(pick_example, None, c.box, **PRIVATE).then(
            respond, inputs, outputs, concurrency_limit=8, **PRIVATE
        ),
        c.regenerate.click(chat_actions.last_question, [session], [c.box, c.chatbot, session], **PRIVATE).then(
            respond, inputs, outputs, concurrency_limit=8, **PRIVATE
        ),
    ]
    for event in asked:
        event.then(save, [session, store], [store, picker], **PRIVATE)
    c.stop.click(chat_actions.stopped, [session], [c.box, c.chatbot, session], cancels=asked, **PRIVATE)
    # Clearing starts a new conversation; the cleared one stays in the list.
    c.clear.click(reset, None, cleared, **PRIVATE).then(conversations.started, [store], [store], **PRIVATE)
    c.chatbot.clear(reset, None, cleared, **PRIVATE)
    demo.load(restore, [store], [session, c.chatbot, picker], **PRIVATE)

    def bridged(state: Session, evt: gr.EventData) -> Updates:
        copy = str(evt._data.get("copy", "")) if isinstance(evt._data, dict) else ""
        if copy:
            return gr.update(), gr.update(), chat_actions.copy_markdown(state, copy) or gr.update()
        return gr.Column(visible=True), document_for(assistant, state, evt), gr.update()

    opened = bridge.click(bridged, [session], [c.panel, c.doc_view, c.export_code], **PRIVATE)
    chat_actions.wire_copy(opened, c.export_code)
    c.close.click(lambda: gr.Column(visible=False), None, c.panel, **PRIVATE)


def chat_layout(assistant: Assistant, session: gr.State, feedback: FeedbackStore) -> ChatControls:
    """The chat column (conversations, chat, question box, scope, actions, export, settings) and the document panel."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            bar = chat_actions.conversation_bar()
            chatbot = _chatbot(example_questions(assistant.snapshot()))
            with gr.Row():
                box = gr.Textbox(
                    placeholder="输入问题（中文或英文） / Ask a question about the documents",
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
            mode, top_k, show_scores = _settings_panel(assistant)
        with gr.Column(scale=2, min_width=300, visible=False, elem_id="pqa-doc-panel") as panel:
            with gr.Row():
                gr.Markdown("#### 原文 · Source document")
                close = gr.Button("关闭 ✕", size="sm", scale=0, min_width=80, elem_id="pqa-doc-close")
            doc_view = gr.HTML(elem_id="pqa-doc-view", js_on_load=DOC_JS)
    return ChatControls(
        bar, chatbot, box, ask, stop, pickers, regenerate, clear, download, export_code, mode, top_k, show_scores,
        panel, close, doc_view,
    )  # fmt: skip


def _chatbot(examples: list[str]) -> gr.Chatbot:
    return gr.Chatbot(
        elem_id="pqa-chat",
        show_label=False,
        height="66vh",
        # Examples come from the corpus being served (its titles and headings), not from a fixed list.
        examples=[{"text": q} for q in examples] or None,
        placeholder="### 有问题，问文件\n回答均摘自政策原文，并标注文号、章节与原文段落。Ask in Chinese or English.",
        buttons=[],
        latex_delimiters=[],
        feedback_options=["Like", "Dislike"],
        line_breaks=False,
        layout="panel",
        autoscroll=False,  # bridge.js keeps the question and the start of its answer in view instead
    )


def _settings_panel(assistant: Assistant) -> tuple[gr.Radio, gr.Slider, gr.Checkbox]:
    """Answer mode (LLM only when one is configured), top_k and the retrieval-score switch."""
    modes = [("摘录 Extractive", "extractive")] + ([("大模型 LLM", "llm")] if assistant.llm is not None else [])
    with gr.Accordion("设置 Settings", open=False, elem_id="pqa-settings"):
        mode = gr.Radio(
            modes,
            value="llm" if assistant.settings.answer_mode == "llm" and assistant.llm else "extractive",
            label="回答方式 Answer mode",
            info=None if assistant.llm else "未配置大模型（POLICYQA_LLM_BASE_URL / POLICYQA_LLM_MODEL），仅摘录模式。",
            elem_id="pqa-mode",
        )
        top_k = gr.Slider(1, 10, value=assistant.settings.top_k, step=1, label="检索段落数 Passages (top_k)")
        show_scores = gr.Checkbox(False, label="显示检索分数与用时 Show retrieval scores", elem_id="pqa-scores")
    return mode, top_k, show_scores


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
