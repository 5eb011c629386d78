"""The Gradio corpus tab: the document table and a search for everyone; upload, delete or re-index a row,
re-index all and the audit log for admins.

An admin is a session that signed in with POLICYQA_ADMIN_TOKEN, or, while no token is set, a session
from a loopback address. The session's admin name lives in a gr.State, which only the server writes, and
every corpus handler checks it again, so calling a handler through Gradio's queue without signing in
changes nothing. Every change is written to the audit log. None of these events is in Gradio's API
(api_visibility="private").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.http import audit as audit_log
from assistant.http.auth import AccessPolicy, actor, admin_refusal, is_loopback
from assistant.ingest.load import DocumentError
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ui import Updates
from assistant.ui.corpus_view import (
    DOCUMENT_COLUMNS,
    corpus_summary,
    documents_rows,
    file_name,
    header_html,
    reason_zh,
    search_html,
)
from assistant.ui.render import status_html

log = logging.getLogger("policyqa.app")
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # only the question endpoint is public
INGEST: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1, **PRIVATE}  # one change at a time
CONFIRM_DELETE_JS = (
    "(doc, who) => [(doc && confirm('确定删除所选文档？其文件将从文档库移除。Delete the chosen document?'))"
    " ? doc : null, who]"
)
CONFIRM_REINDEX_JS = (
    "(doc, who) => [(doc && confirm('重新索引所选文档？Re-index the chosen document?')) ? doc : null, who]"
)
AUDIT_COLUMNS = ["时间 When", "操作人 Who", "操作 Action", "文件 File", "SHA-256", "结果 Result"]
NOT_ADMIN = "需要管理员登录才能修改文档库。Sign in with the admin token to change the corpus."

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


def header_for(assistant: Assistant) -> str:
    return header_html([i.document for i in assistant.documents()])


def _host(request: gr.Request | None) -> str | None:
    return getattr(getattr(request, "client", None), "host", None)


def audit_rows(path: Path) -> list[list[str]]:
    keys = ("when", "who", "action", "file", "sha256", "result")
    return [[e.get(k, "")[:12] if k == "sha256" else e.get(k, "") for k in keys] for e in audit_log.recent(path)]


def corpus_tab(assistant: Assistant, header: gr.HTML, demo: gr.Blocks) -> None:
    """The document table (click a row to choose it) and search; sign-in; the corpus controls once signed in."""
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
        column_widths=["300px", "150px", "160px", "100px", "64px", "64px", "64px", "240px"],  # a phone scrolls sideways
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
                doomed = gr.Dropdown(
                    label="所选文档（点击表格中的一行）Document", choices=[], elem_id="pqa-delete-choice"
                )
                with gr.Row():
                    delete = gr.Button("删除 Delete", variant="stop", elem_id="pqa-delete")
                    reindex_one = gr.Button("重新索引此文档 Re-index", elem_id="pqa-reindex-one")
                reindex = gr.Button("重新索引全部 Re-index all", elem_id="pqa-reindex")
        with gr.Accordion("审计日志 Audit log", open=False, elem_id="pqa-audit-panel"):
            audit_table = gr.Dataframe(headers=AUDIT_COLUMNS, interactive=False, wrap=True, elem_id="pqa-audit")
    with gr.Row():
        query = gr.Textbox(
            placeholder="在文档原文中搜索，例如：中试 补贴", show_label=False, scale=6, elem_id="pqa-search"
        )
        find = gr.Button("搜索 Search", scale=1, elem_id="pqa-search-go")
    found = gr.HTML(elem_id="pqa-search-results", js_on_load=None)

    def view(name: str, message: str = "", kind: str = "info") -> Updates:
        """The tab's outputs; the audit log only for an admin (`name`)."""
        infos = assistant.documents()
        choices = [(f"{i.document.title[:36]} · {file_name(i.document)}", i.document.doc_id) for i in infos]
        return (
            status_html(message or corpus_summary(infos), kind),
            documents_rows(infos),
            gr.Dropdown(choices=choices, value=None),
            header_for(assistant),
            audit_rows(log_file) if name else [],
        )

    def admin_name(name: str, request: gr.Request | None) -> str:
        """The session's admin name if it may still change the corpus (loopback admins must stay on loopback)."""
        if not name or (not policy.admin_token and admin_refusal(policy, None, _host(request))):
            return ""
        return name

    def opened(request: gr.Request) -> Updates:
        name = "" if policy.admin_token or not is_loopback(_host(request)) else actor(None, _host(request))
        return name, gr.Column(visible=bool(name)), *view(name)

    def sign_in(secret: str, request: gr.Request) -> Updates:
        refusal = admin_refusal(policy, (secret or "").strip(), _host(request))
        if refusal:
            failed = view("", f"登录失败 Sign-in failed: {refusal[1]}", "error")
            return "", "", gr.Column(visible=False), gr.Row(visible=True), *failed
        name = actor(secret.strip(), _host(request))
        signed = view(name, "已登录，可修改文档库。Signed in.", "ok")
        return name, "", gr.Column(visible=True), gr.Row(visible=False), *signed

    def changing(action: str, file: str, data: bytes, change: Callable[[], Any], name: str, success: str) -> Updates:
        """Run one corpus change as `name`, audit it, and show the outcome."""
        digest = audit_log.sha256_of(data) if data else ""
        try:
            change()
        except Exception as exc:
            log.exception("corpus action failed")
            reason = exc.reason if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
            audit_log.record(log_file, name, action, f"failed: {reason}", file, digest)
            return view(name, f"操作失败 Failed: {reason}", "error")
        audit_log.record(log_file, name, action, "ok", file, digest)
        return view(name, success, "ok")

    def add_files(
        paths: list[str] | None,
        name: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Updates:
        name = admin_name(name, request)
        if not name:
            return None, *view("", NOT_ADMIN, "error")
        results = [add_one(assistant, Path(p), progress, name, log_file) for p in paths or []]
        failed = any(not ok for ok, _ in results)
        return None, *view(name, " ".join(m for _, m in results), "error" if failed else "ok")

    def on_row(action: str, doc_id: str | None, name: str, request: gr.Request | None) -> Updates:
        """Delete or re-index the chosen document, as a signed-in admin."""
        name = admin_name(name, request)
        if not name:
            return view("", NOT_ADMIN, "error")
        doc = assistant.document(doc_id) if doc_id else None
        if doc is None:
            return view(name, "未操作：请先选择文档（或已取消）。Nothing done.", "error")
        source = Path(doc.source_path)
        data = source.read_bytes() if source.is_file() else b""
        what = f"{doc.doc_id}：《{doc.title}》（{file_name(doc)}）"
        if action == "delete":
            change, done = (lambda: assistant.delete_document(doc.doc_id)), f"已删除 Deleted {what}。"
        else:
            change, done = (lambda: assistant.reindex_document(doc.doc_id)), f"已重新索引 Re-indexed {what}。"
        return changing(action, source.name, data, change, name, done)

    def delete_document(doc_id: str | None, name: str, request: gr.Request) -> Updates:
        return on_row("delete", doc_id, name, request)

    def reindex_document(doc_id: str | None, name: str, request: gr.Request) -> Updates:
        return on_row("reindex", doc_id, name, request)

    def rebuild(name: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> Updates:  # noqa: B008
        name = admin_name(name, request)
        if not name:
            return view("", NOT_ADMIN, "error")
        change = lambda: assistant.ingest(progress_callback(progress, "重新索引 Re-indexing"))  # noqa: E731
        return changing("reindex", "", b"", change, name, "索引已更新。Index up to date.")

    def choose(evt: gr.SelectData) -> str | None:
        infos = assistant.documents()
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return infos[row].document.doc_id if 0 <= row < len(infos) else None

    def search(words: str) -> str:
        snap = assistant.snapshot()
        return search_html(words or "", list(snap.chunks.values()), {d: doc.title for d, doc in snap.docs.items()})

    outputs = [status, table, doomed, header, audit_table]
    signed = [who, token, controls, signin_row, *outputs]
    signin.click(sign_in, [token], signed, **PRIVATE)
    token.submit(sign_in, [token], signed, **PRIVATE)
    upload.upload(add_files, [upload, who], [upload, *outputs], **INGEST)
    delete.click(delete_document, [doomed, who], outputs, js=CONFIRM_DELETE_JS, **INGEST)
    reindex_one.click(reindex_document, [doomed, who], outputs, js=CONFIRM_REINDEX_JS, **INGEST)
    reindex.click(rebuild, [who], outputs, **INGEST)
    table.select(choose, None, doomed, **PRIVATE)
    find.click(search, [query], found, **PRIVATE)
    query.submit(search, [query], found, **PRIVATE)
    demo.load(opened, None, [who, controls, *outputs], **PRIVATE)


def add_one(
    assistant: Assistant, path: Path, progress: gr.Progress | None, who: str = "", log_file: Path | None = None
) -> tuple[bool, str]:
    """Add one uploaded file; (ok, message naming the file). A rejected file changes nothing; both are audited."""
    name, digest = path.name, ""
    try:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentError(name, f"unsupported file type (use {' '.join(SUPPORTED_SUFFIXES)})")
        if path.stat().st_size > assistant.settings.max_file_bytes:
            raise DocumentError(name, f"file too large (limit {assistant.settings.max_file_bytes} bytes)")
        data = path.read_bytes()
        digest = audit_log.sha256_of(data)
        assistant.add_file(name, data, progress_callback(progress, f"索引 Indexing {name}"))
    except DocumentError as exc:
        ok, message = False, f"未添加 {exc.name}：{reason_zh(exc.reason)}。Rejected {exc.name}."
        result = f"rejected: {exc.reason}"
    except Exception as exc:
        log.exception("upload of %s failed", name)
        reason = f"{type(exc).__name__}: {exc}"
        ok, message, result = False, f"未添加 {name}：{reason}", f"failed: {reason}"
    else:
        ok, message, result = True, f"已添加 {name}，现在可以提问。Added {name}.", "ok"
    if log_file is not None:
        audit_log.record(log_file, who, "upload", result, name, digest)
    return ok, message


def progress_callback(progress: gr.Progress | None, label: str) -> Callable[[int, int, str], None]:
    """Adapt the pipeline's (done, total, what) callback to a Gradio progress bar."""

    def report(done: int, total: int, what: str) -> None:
        if progress is not None:
            progress((done, total or None), desc=f"{label} · {what}", unit="段")

    return report
