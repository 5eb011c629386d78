"""The Gradio corpus tab: the document table for everyone; upload, delete, re-index and the audit log for admins.

An admin is a session that signed in with POLICYQA_ADMIN_TOKEN, or, while no token is set, a session
from a loopback address. The session's admin name lives in a gr.State, which only the server writes, and
every corpus handler checks it again, so calling a handler through Gradio's queue without signing in
changes nothing. None of these events is in Gradio's API (api_visibility="private").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Assistant
from assistant.http import audit as audit_log
from assistant.http.auth import AccessPolicy, actor, admin_refusal, is_loopback
from assistant.ingest.load import DocumentError
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ui.render import DOCUMENT_COLUMNS, documents_rows, header_html, reason_zh, status_html

log = logging.getLogger("policyqa.app")
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
INGEST: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1, **PRIVATE}  # one change at a time
CONFIRM_DELETE_JS = "(doc, who) => [(doc && confirm('确定删除文档 ' + doc + '？其文件将从文档库移除。Delete ' + doc + '?')) ? doc : null, who]"
AUDIT_COLUMNS = ["时间 When", "操作人 Who", "操作 Action", "文件 File", "SHA-256", "结果 Result"]
NOT_ADMIN = "需要管理员登录才能修改文档库。Sign in with the admin token to change the corpus."


def header_for(assistant: Assistant) -> str:
    docs = [i.document for i in assistant.documents()]
    return header_html(len(docs), sorted({d.city for d in docs if d.city}))


def _host(request: gr.Request | None) -> str | None:
    client = getattr(request, "client", None)
    return getattr(client, "host", None)


def audit_rows(path: Path) -> list[list[str]]:
    return [
        [
            e.get("when", ""),
            e.get("who", ""),
            e.get("action", ""),
            e.get("file", ""),
            e.get("sha256", "")[:12],
            e.get("result", ""),
        ]
        for e in audit_log.recent(path)
    ]


def corpus_tab(assistant: Assistant, header: gr.HTML, demo: gr.Blocks) -> None:
    """The document table; the sign-in; upload, delete, re-index and the audit log once signed in."""
    policy = AccessPolicy.from_settings(assistant.settings)
    log_file = audit_log.audit_path(assistant.settings)
    who = gr.State("")  # the signed-in admin's audit name; "" for everyone else
    status = gr.HTML(elem_id="pqa-corpus-status", js_on_load=None)
    table = gr.Dataframe(
        headers=DOCUMENT_COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="pqa-docs",
        max_height=460,
        column_widths=["17%", "27%", "12%", "12%", "9%", "6%", "8%", "9%"],
    )
    with gr.Row(visible=bool(policy.admin_token), elem_id="pqa-signin") as signin_row:
        token = gr.Textbox(label="管理令牌 Admin token", type="password", scale=4, elem_id="pqa-token")
        signin = gr.Button("登录 Sign in", scale=1, elem_id="pqa-signin-button")
    with gr.Column(visible=False, elem_id="pqa-admin") as controls:
        with gr.Row(equal_height=False):
            upload = gr.File(
                label="上传文档 Upload（txt / md / html / docx / pdf），上传后即可提问",
                file_count="multiple",
                elem_id="pqa-upload",
                scale=3,
            )
            with gr.Column(scale=2):
                doomed = gr.Dropdown(label="选择文档 Document", choices=[], elem_id="pqa-delete-choice")
                delete = gr.Button("删除所选文档 Delete", variant="stop", elem_id="pqa-delete")
                reindex = gr.Button("重新索引 Re-index", elem_id="pqa-reindex")
        with gr.Accordion("审计日志 Audit log", open=False, elem_id="pqa-audit-panel"):
            audit_table = gr.Dataframe(headers=AUDIT_COLUMNS, interactive=False, wrap=True, elem_id="pqa-audit")

    def view(message: str = "", kind: str = "info") -> tuple:
        infos = assistant.documents()
        summary = (
            f"共 {len(infos)} 份文档、{sum(i.chunks for i in infos)} 个段落 · {len(infos)} documents indexed."
            if infos
            else "索引为空：请上传文档或点击「重新索引」。The index is empty."
        )
        choices = [(f"{i.document.doc_id} · {i.document.title[:30]}", i.document.doc_id) for i in infos]
        return (
            status_html(message or summary, kind),
            documents_rows(infos),
            gr.Dropdown(choices=choices, value=None),
            header_for(assistant),
            audit_rows(log_file),
        )

    def admin_name(name: str, request: gr.Request | None) -> str:
        """The session's admin name if it may still change the corpus (loopback admins must stay on loopback)."""
        if not name or (not policy.admin_token and admin_refusal(policy, None, _host(request))):
            return ""
        return name

    def opened(request: gr.Request) -> tuple:
        name = "" if policy.admin_token or not is_loopback(_host(request)) else actor(None, _host(request))
        return name, gr.Column(visible=bool(name)), *view()

    def sign_in(secret: str, request: gr.Request) -> tuple:
        refusal = admin_refusal(policy, (secret or "").strip(), _host(request))
        if refusal:
            return (
                "",
                "",
                gr.Column(visible=False),
                gr.Row(visible=True),
                *view(f"登录失败 Sign-in failed: {refusal[1]}", "error"),
            )
        name = actor(secret.strip(), _host(request))
        return name, "", gr.Column(visible=True), gr.Row(visible=False), *view("已登录，可修改文档库。Signed in.", "ok")

    def changing(action: str, file: str, data: bytes, change: Callable[[], Any], name: str, success: str) -> tuple:
        """Run one corpus change as `name`, audit it, and show the outcome."""
        digest = audit_log.sha256_of(data) if data else ""
        try:
            change()
        except Exception as exc:
            log.exception("corpus action failed")
            reason = exc.reason if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
            audit_log.record(log_file, name, action, f"failed: {reason}", file, digest)
            return view(f"操作失败 Failed: {reason}", "error")
        audit_log.record(log_file, name, action, "ok", file, digest)
        return view(success, "ok")

    def add_files(paths: list[str] | None, name: str, request: gr.Request, progress=gr.Progress()) -> tuple:  # noqa: B008
        name = admin_name(name, request)
        if not name:
            return None, *view(NOT_ADMIN, "error")
        results = [add_one(assistant, Path(p), progress, name, log_file) for p in paths or []]
        failed = any(not ok for ok, _ in results)
        return None, *view(" ".join(m for _, m in results), "error" if failed else "ok")

    def delete_document(doc_id: str | None, name: str, request: gr.Request) -> tuple:
        name = admin_name(name, request)
        if not name:
            return view(NOT_ADMIN, "error")
        doc = assistant.document(doc_id) if doc_id else None
        if doc_id is None or doc is None:
            return view("未删除：请先选择文档（或已取消）。Nothing deleted.", "error")
        source = Path(doc.source_path)
        data = source.read_bytes() if source.is_file() else b""
        change = lambda: assistant.delete_document(doc_id)  # noqa: E731
        return changing("delete", source.name, data, change, name, f"已删除 {doc_id}。Deleted {doc_id}.")

    def rebuild(name: str, request: gr.Request, progress=gr.Progress()) -> tuple:  # noqa: B008
        name = admin_name(name, request)
        if not name:
            return view(NOT_ADMIN, "error")
        change = lambda: assistant.ingest(progress_callback(progress, "重新索引 Re-indexing"))  # noqa: E731
        return changing("reindex", "", b"", change, name, "索引已更新。Index up to date.")

    outputs = [status, table, doomed, header, audit_table]
    signin.click(sign_in, [token], [who, token, controls, signin_row, *outputs], **PRIVATE)
    token.submit(sign_in, [token], [who, token, controls, signin_row, *outputs], **PRIVATE)
    upload.upload(add_files, [upload, who], [upload, *outputs], **INGEST)
    delete.click(delete_document, [doomed, who], outputs, js=CONFIRM_DELETE_JS, **INGEST)
    reindex.click(rebuild, [who], outputs, **INGEST)
    demo.load(opened, None, [who, controls, *outputs], **PRIVATE)


def add_one(
    assistant: Assistant, path: Path, progress: gr.Progress, who: str = "", log_file: Path | None = None
) -> tuple[bool, str]:
    """Add one uploaded file; (ok, message naming the file). A rejected file changes nothing; both are audited."""
    name = path.name
    digest = ""
    try:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentError(name, f"unsupported file type (use {' '.join(SUPPORTED_SUFFIXES)})")
        if path.stat().st_size > assistant.settings.max_file_bytes:
            raise DocumentError(name, f"file too large (limit {assistant.settings.max_file_bytes} bytes)")
        data = path.read_bytes()
        digest = audit_log.sha256_of(data)
        assistant.add_file(name, data, progress_callback(progress, f"索引 Indexing {name}"))
    except DocumentError as exc:
        outcome = (
            False,
            f"未添加 {exc.name}：{reason_zh(exc.reason)}。Rejected {exc.name}.",
            f"rejected: {exc.reason}",
        )
    except Exception as exc:
        log.exception("upload of %s failed", name)
        outcome = (False, f"未添加 {name}：{type(exc).__name__}: {exc}", f"failed: {type(exc).__name__}: {exc}")
    else:
        outcome = (True, f"已添加 {name}，现在可以提问。Added {name}.", "ok")
    if log_file is not None:
        audit_log.record(log_file, who, "upload", outcome[2], name, digest)
    return outcome[0], outcome[1]


def progress_callback(progress: gr.Progress, label: str) -> Callable[[int, int, str], None]:
    """Adapt the pipeline's (done, total, what) callback to a Gradio progress bar."""

    def report(done: int, total: int, what: str) -> None:
        if progress is not None:
            progress((done, total or None), desc=f"{label} · {what}", unit="段")

    return report
