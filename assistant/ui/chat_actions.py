"""Chat controls beside the question box: scope picker, stop, regenerate, copy, feedback, past conversations.

Each `add_*` builds its components inside the caller's Blocks context and wires its events; none of these
events has an API name (api_visibility="private"): only the question endpoint is public.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.retrieve.scope import KIND_WORDS
from assistant.types import Scope
from assistant.ui import Updates
from assistant.ui import conversations as convo
from assistant.ui.assets import COPY_JS
from assistant.ui.conversations import Session
from assistant.ui.export import answer_markdown
from assistant.ui.feedback import FeedbackStore
from assistant.ui.render import status_html

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
_TURN = re.compile(r"pqa-turn-(\d+)")

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


def add_scope_picker(assistant: Assistant) -> list[Any]:
    """City / issuer / kind / date / document selectors; their values in `scope_of` order."""
    with gr.Accordion("范围 Scope（默认：全部文档）", open=False, elem_id="pqa-scope-picker"):
        with gr.Row():
            cities = gr.Dropdown(label="城市 City", multiselect=True, choices=[], elem_id="pqa-scope-city")
            issuers = gr.Dropdown(label="发文机关 Issuer", multiselect=True, choices=[], elem_id="pqa-scope-issuer")
            kinds = gr.Dropdown(label="类型 Kind", multiselect=True, choices=[], elem_id="pqa-scope-kind")
        with gr.Row():
            date_from = gr.Textbox(label="起始 From", placeholder="2025 或 2025-01-01", elem_id="pqa-scope-from")
            date_to = gr.Textbox(label="截止 To", placeholder="2026-12-31", elem_id="pqa-scope-to")
            docs = gr.Dropdown(label="文档 Documents", multiselect=True, choices=[], elem_id="pqa-scope-docs")
    pickers = [cities, issuers, kinds, date_from, date_to, docs]

    def refresh() -> Updates:
        infos = [i.document for i in assistant.documents()]
        values = {
            "city": sorted({d.city for d in infos if d.city}),
            "issuer": sorted({d.issuer for d in infos if d.issuer}),
        }
        kinds_present = sorted({d.kind for d in infos if d.kind})
        return (
            gr.Dropdown(choices=values["city"]),
            gr.Dropdown(choices=values["issuer"]),
            gr.Dropdown(choices=[(KIND_WORDS.get(k, k), k) for k in kinds_present]),
            gr.Dropdown(choices=[(d.title[:40] or d.doc_id, d.doc_id) for d in infos]),
        )

    for picker in (cities, issuers, kinds, docs):
        picker.focus(refresh, None, [cities, issuers, kinds, docs], **PRIVATE)
    return pickers


def scope_of(cities: Any, issuers: Any, kinds: Any, date_from: Any, date_to: Any, docs: Any) -> Scope:
    """The picker values as a Scope (an empty Scope when nothing is chosen)."""

    def strings(value: Any) -> tuple[str, ...]:
        return tuple(v for v in (value or []) if isinstance(v, str) and v)

    return Scope(
        cities=strings(cities),
        issuers=strings(issuers),
        kinds=strings(kinds),
        date_from=str(date_from or "").strip(),
        date_to=str(date_to or "").strip(),
        doc_ids=strings(docs),
    )


def turn_of(message: Any) -> int | None:
    """The answer number of a chat message (its pqa-turn-<n> class), or None for messages that are not answers."""
    found = _TURN.search(str(message.get("content", "") if isinstance(message, dict) else message))
    return int(found.group(1)) if found else None


def add_feedback(chatbot: gr.Chatbot, session: gr.State, store: FeedbackStore) -> None:
    """Thumbs up/down on each answer (the chat's own buttons) and an optional comment on the last one."""
    last = gr.State(0)
    with gr.Row(visible=False, elem_id="pqa-feedback-row") as row:
        comment = gr.Textbox(
            placeholder="哪里不对？（可选）What was wrong? (optional)",
            show_label=False,
            scale=6,
            elem_id="pqa-feedback-text",
        )
        send = gr.Button("提交 Send", size="sm", scale=1, elem_id="pqa-feedback-send")
    note = gr.HTML(elem_id="pqa-feedback-note", js_on_load=None)

    def rate(state: Session, evt: gr.LikeData) -> Updates:
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        turn = turn_of(state.chat[index]) if 0 <= index < len(state.chat) else None
        if turn is None or turn >= len(state.answers) or evt.liked is None or evt.liked == "":
            return 0, gr.Row(visible=False), ""
        liked = evt.liked is True or evt.liked == "Like"
        row_id = store.record(state.answers[turn], liked, state.history[: 2 * turn])
        thanks = "谢谢！已记录 👍 Thanks." if liked else "已记录 👎，可以补充说明哪里不对。Recorded."
        return row_id, gr.Row(visible=not liked), status_html(thanks, "ok")

    def add_comment(row_id: int, text: str) -> Updates:
        if row_id and text.strip():
            store.comment(row_id, text)
            return "", gr.Row(visible=False), status_html("说明已保存。Comment saved.", "ok")
        return text, gr.Row(visible=True), ""

    chatbot.like(rate, [session], [last, row, note], **PRIVATE)
    send.click(add_comment, [last, comment], [comment, row, note], **PRIVATE)
    comment.submit(add_comment, [last, comment], [comment, row, note], **PRIVATE)


def stopped(state: Session) -> Updates:
    """After a stop: the chat without the half-written answer, and the question back in the box."""
    chat = [*state.chat]
    if state.pending:
        chat += [
            {"role": "user", "content": state.pending},
            {"role": "assistant", "content": status_html("已停止。Stopped.", "info")},
        ]
    return state.pending, chat, Session(state.chat, state.history, state.answers)


def last_question(state: Session) -> Updates:
    """For regenerate: the last question, and the session without its turn."""
    users = [i for i, m in enumerate(state.chat) if m.get("role") == "user"]
    if not users:
        return "", state.chat, state
    cut = users[-1]
    question = state.chat[cut]["content"]
    answered = turn_of(state.chat[cut + 1]) is not None if cut + 1 < len(state.chat) else False
    answers = state.answers[:-1] if answered else state.answers
    history = state.history[:-2] if answered else state.history
    return question, state.chat[:cut], Session(state.chat[:cut], history, answers)


def copy_markdown(state: Session, turn: str) -> str | None:
    """The Markdown of answer `turn` of this session, or None."""
    try:
        return answer_markdown(state.answers[int(turn)])
    except (ValueError, IndexError):
        return None


def wire_copy(trigger: Any, export_code: gr.Code) -> None:
    """After the bridge returned an answer's Markdown into the export box, put it on the clipboard."""
    trigger.then(None, [export_code], None, js=COPY_JS, **PRIVATE)


@dataclass
class ConversationBar:
    """The conversation list and its buttons, placed above the chat."""

    picker: gr.Dropdown
    new: gr.Button
    title: gr.Textbox
    rename: gr.Button
    delete: gr.Button


def conversation_bar() -> ConversationBar:
    with gr.Row(elem_id="pqa-conversations", equal_height=False):
        picker = gr.Dropdown(label="对话 Conversations", choices=[], scale=3, min_width=150, elem_id="pqa-convo-list")
        with gr.Column(scale=2, min_width=200):
            with gr.Row():
                new = gr.Button("新对话", size="sm", min_width=60, elem_id="pqa-convo-new")
                delete = gr.Button("删除", size="sm", variant="stop", min_width=50, elem_id="pqa-convo-delete")
            with gr.Row():
                title = gr.Textbox(
                    placeholder="新名称 New name",
                    show_label=False,
                    container=False,
                    scale=3,
                    min_width=90,
                    elem_id="pqa-convo-title",
                )
                rename = gr.Button("重命名", size="sm", scale=1, min_width=60, elem_id="pqa-convo-rename")
    return ConversationBar(picker, new, title, rename, delete)


def wire_conversations(
    bar: ConversationBar,
    chatbot: gr.Chatbot,
    session: gr.State,
    others: list[Any],
    reset: Callable[[], Updates],
    secret: str,
) -> tuple[gr.BrowserState, Callable[..., Updates], Callable[..., Updates]]:
    """The conversation list kept in localStorage: switch, new, rename, delete.

    Returns (store, save(session, store), restore(store)) for the caller to chain after answers and on load.
    """
    store = gr.BrowserState(convo.empty_store(), storage_key="policyqa-conversations", secret=secret)
    picker, new, title, rename, delete = bar.picker, bar.new, bar.title, bar.rename, bar.delete

    def listed(data: dict[str, Any]) -> gr.Dropdown:
        return gr.Dropdown(choices=convo.choices(data), value=data.get("active") or None)

    def save(state: Session, data: dict[str, Any]) -> Updates:
        data = convo.saved(data, state)
        return data, listed(data)

    def switch(key: str | None, data: dict[str, Any]) -> Updates:
        data = {**data, "active": key or ""}
        state = convo.session_of(data)
        return data, state, state.chat

    def start(data: dict[str, Any]) -> Updates:
        data = convo.started(data)
        return (data, listed(data), *reset())

    def restore(data: dict[str, Any]) -> Updates:
        state = convo.session_of(data)
        return state, state.chat, listed(data or convo.empty_store())

    def rename_one(key: str | None, name: str, data: dict[str, Any]) -> Updates:
        data = convo.renamed(data, key or "", name)
        return data, listed(data), ""

    def delete_one(key: str | None, data: dict[str, Any]) -> Updates:
        if not key:
            return data, listed(data), *(gr.update() for _ in others)
        data = convo.deleted(data, key)
        return data, listed(data), *reset()

    picker.input(switch, [picker, store], [store, session, chatbot], **PRIVATE)
    new.click(start, [store], [store, picker, *others], **PRIVATE)
    rename.click(rename_one, [picker, title, store], [store, picker, title], **PRIVATE)
    confirm = "(k, d) => (k && confirm('删除这段对话？Delete this conversation?')) ? [k, d] : [null, d]"
    delete.click(delete_one, [picker, store], [store, picker, *others], js=confirm, **PRIVATE)
    return store, save, restore
