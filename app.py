"""Gradio UI over the Assistant: chat with cited sources and a document viewer, corpus and evaluation tabs.

Only wiring lives here; HTML comes from assistant.ui (the corpus tab from assistant.ui.corpus_tab) and every
answer from the Assistant. Every UI event is private; Gradio's API offers only `/ask` (docs/security.md).
"""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import asyncio
import hashlib
import logging
import math
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

import gradio as gr

from assistant import Answer, Assistant, Settings
from assistant.http.auth import exposure_warning
from assistant.http.limits import RateLimiter
from assistant.http.schemas import answer_json
from assistant.ui import chat_actions
from assistant.ui.assets import BRIDGE_JS, CSS
from assistant.ui.chat_tab import chat_tab
from assistant.ui.conversations import Session
from assistant.ui.corpus_actions import add_one, header_for, progress_callback
from assistant.ui.corpus_tab import corpus_tab
from assistant.ui.export import answer_markdown
from assistant.ui.feedback import FeedbackStore
from assistant.ui.render import answer_html, error_html, sentences, status_html, streaming_html
from assistant.ui.report_view import load_report

__all__ = ["add_one", "build_ui", "exposure_warning", "serve"]

log = logging.getLogger("policyqa.app")

PRIVATE = chat_actions.PRIVATE  # UI events have no API name; only the question endpoint is public
REPORT_DIR = Path(__file__).resolve().parent / "evals" / "reports" / "latest"
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"]
THEME = gr.themes.Soft(primary_hue="blue", font=[*CJK_FONTS, "ui-sans-serif", "sans-serif"])
LAUNCH_OPTIONS: dict[str, Any] = {"css": CSS, "theme": THEME}  # gradio 6 takes these at launch/mount
STREAM_DELAY = 0.03  # seconds between sentences when an extractive answer is streamed


def build_ui(
    assistant: Assistant,
    report_dir: Path = REPORT_DIR,
    feedback: FeedbackStore | None = None,
    questions: RateLimiter | None = None,
) -> gr.Blocks:
    """The whole app as a Blocks; launch it with **LAUNCH_OPTIONS (CSS and theme).

    `questions` limits each client's questions (chat and /ask together); by default as the settings say.
    """
    settings = assistant.settings
    feedback = feedback or FeedbackStore.beside_index(settings.index_dir)
    questions = questions or RateLimiter(settings.ask_rate_per_minute, settings.ask_burst)
    with gr.Blocks(title="科技政策问答 Policy QA") as demo:
        session = gr.State(Session())
        bridge = gr.HTML("", js_on_load=BRIDGE_JS, elem_id="pqa-bridge")
        header = gr.HTML(header_for(assistant), elem_id="pqa-header", js_on_load=None)  # refreshed on load
        with gr.Tabs(elem_id="pqa-tabs"):
            with gr.Tab("对话", id="chat", elem_id="pqa-tab-chat"):
                respond = responder(assistant, Path(tempfile.mkdtemp(prefix="policyqa-export-")), questions)
                chat_tab(assistant, session, bridge, feedback, demo, respond)
            with gr.Tab("文档库", id="corpus", elem_id="pqa-tab-corpus"):
                corpus_tab(assistant, header, demo)
            with gr.Tab("评测", id="eval", elem_id="pqa-tab-eval"):
                evaluation_tab(report_dir, demo)
        gr.api(question_api(assistant, questions), api_name="ask", concurrency_limit=8)
    return demo


def client_host(request: gr.Request | None) -> str:
    return getattr(getattr(request, "client", None), "host", None) or "?"


def too_many(limiter: RateLimiter | None, request: gr.Request | None) -> int:
    """Seconds until this client may ask again (0: it may ask now); takes one question from its allowance."""
    wait = limiter.take(client_host(request)) if limiter else 0.0
    return math.ceil(wait) if wait > 0 else 0


def question_api(assistant: Assistant, limiter: RateLimiter) -> Callable[..., Any]:
    """Gradio's one API endpoint, `/ask`: the HTTP API's answer JSON, within the per-client question limit."""

    async def ask(
        question: str,
        top_k: int = 5,
        mode: Literal["extractive", "llm"] = "extractive",
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio passes it; a default keeps it out of the API
    ) -> dict[str, Any]:
        """Answer a question about the policy documents with numbered, verbatim citations."""
        seconds = too_many(limiter, request)
        if seconds:
            raise gr.Error(f"请求过于频繁，请 {seconds} 秒后再试。Too many requests; retry in {seconds} s.")
        answer = await assistant.aask(question, [], top_k=max(1, min(int(top_k), 50)), mode=mode)
        return answer_json(answer)

    return ask


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
        cities: Any = None,
        issuers: Any = None,
        kinds: Any = None,
        date_from: Any = "",
        date_to: Any = "",
        docs: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]  # Gradio injects both
        progress=gr.Progress(),  # noqa: B008
    ):
        question = (question or "").strip()
        if not question:
            yield gr.update(), state.chat, state, gr.update(), gr.update()
            return
        turn, user = len(state.answers), {"role": "user", "content": question}
        seconds = too_many(questions, request)  # the same per-client limit as /ask
        if seconds:
            notice = error_html(f"提问过于频繁，请 {seconds} 秒后再试。Too many questions; retry in {seconds} s.")
            chat = [*state.chat, user, {"role": "assistant", "content": notice}]
            yield "", chat, Session(chat, state.history, state.answers), gr.update(), gr.update()
            return
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
    limit = assistant.settings.max_file_bytes  # Gradio's own upload route is open to all: cap what it stores
    return gr.mount_gradio_app(create_app(assistant), demo, path="/", max_file_size=limit, **LAUNCH_OPTIONS)


def serve(assistant: Assistant) -> None:
    """Serve the UI on Settings' server_name:server_port (GRADIO_SERVER_NAME/PORT), with the HTTP API on the same port."""
    demo = build_ui(assistant)
    host, port = assistant.settings.server_name, assistant.settings.server_port
    warning = exposure_warning(assistant.settings, host)
    if warning:
        log.warning(warning)
    app = asgi_app(assistant, demo)
    if app is None:
        limit = assistant.settings.max_file_bytes
        demo.queue().launch(server_name=host, server_port=port, max_file_size=limit, **LAUNCH_OPTIONS)
        return
    import uvicorn

    uvicorn.run(app, host=host, port=port)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(Assistant.from_settings(Settings()))
