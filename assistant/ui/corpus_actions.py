"""The corpus tab's handlers: every change re-checks the session's admin name, runs once, and is audited."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from assistant.http import audit as audit_log
from assistant.http.auth import AccessPolicy, actor, admin_refusal, is_loopback
from assistant.ingest.load import DocumentError
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ingest.store import IngestReport
from assistant.ui import Updates
from assistant.ui.corpus_view import corpus_summary, documents_rows, file_name, header_html, reason_zh, search_html
from assistant.ui.render import status_html

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

log = logging.getLogger("policyqa.app")
NOT_ADMIN = "需要管理员登录才能修改文档库。Sign in with the admin token to change the corpus."


def header_for(assistant: Assistant) -> str:
    return header_html([i.document for i in assistant.documents()])


def _host(request: gr.Request | None) -> str | None:
    return getattr(getattr(request, "client", None), "host", None)


def audit_rows(path: Path) -> list[list[str]]:
    keys = ("when", "who", "action", "file", "sha256", "result")
    return [[e.get(k, "")[:12] if k == "sha256" else e.get(k, "") for k in keys] for e in audit_log.recent(path)]


class CorpusActions:
    """The handlers behind the corpus tab's controls; each returns the tab's outputs (see `view`)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.policy = AccessPolicy.from_settings(assistant.settings)
        self.log_file = audit_log.audit_path(assistant.settings)

    def view(self, name: str, message: str = "", kind: str = "info") -> Updates:
        """The tab's outputs; the audit log only for an admin (`name`)."""
        infos = self.assistant.documents()
        choices = [(f"{i.document.title[:36]} · {file_name(i.document)}", i.document.doc_id) for i in infos]
        return (
            status_html(message or corpus_summary(infos), kind),
            documents_rows(infos),
            gr.Dropdown(choices=choices, value=None),
            header_for(self.assistant),
            audit_rows(self.log_file) if name else [],
        )

    def admin_name(self, name: str, request: gr.Request | None) -> str:
        """The session's admin name if it may still change the corpus (loopback admins must stay on loopback)."""
        if not name or (not self.policy.admin_token and admin_refusal(self.policy, None, _host(request))):
            return ""
        return name

    def opened(self, request: gr.Request) -> Updates:
        name = "" if self.policy.admin_token or not is_loopback(_host(request)) else actor(None, _host(request))
        return name, gr.Column(visible=bool(name)), *self.view(name)

    def sign_in(self, secret: str, request: gr.Request) -> Updates:
        refusal = admin_refusal(self.policy, (secret or "").strip(), _host(request))
        if refusal:
            failed = self.view("", f"登录失败 Sign-in failed: {refusal[1]}", "error")
            return "", "", gr.Column(visible=False), gr.Row(visible=True), *failed
        name = actor(secret.strip(), _host(request))
        signed = self.view(name, "已登录，可修改文档库。Signed in.", "ok")
        return name, "", gr.Column(visible=True), gr.Row(visible=False), *signed

    def changing(
        self, action: str, file: str, data: bytes, change: Callable[[], IngestReport], name: str, success: str
    ) -> Updates:
        """Run one corpus change as `name`, audit it, and show the outcome."""
        digest = audit_log.sha256_of(data) if data else ""
        try:
            change()
        except Exception as exc:
            log.exception("corpus action failed")
            reason = exc.reason if isinstance(exc, DocumentError) else f"{type(exc).__name__}: {exc}"
            audit_log.record(self.log_file, name, action, f"failed: {reason}", file, digest)
            return self.view(name, f"操作失败 Failed: {reason}", "error")
        audit_log.record(self.log_file, name, action, "ok", file, digest)
        return self.view(name, success, "ok")

    def add_files(
        self,
        paths: list[str] | None,
        name: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> Updates:
        name = self.admin_name(name, request)
        if not name:
            return None, *self.view("", NOT_ADMIN, "error")
        results = [add_one(self.assistant, Path(p), progress, name, self.log_file) for p in paths or []]
        failed = any(not ok for ok, _ in results)
        return None, *self.view(name, " ".join(m for _, m in results), "error" if failed else "ok")

    def on_row(self, action: str, doc_id: str | None, name: str, request: gr.Request | None) -> Updates:
        """Delete or re-index the chosen document, as a signed-in admin."""
        name = self.admin_name(name, request)
        if not name:
            return self.view("", NOT_ADMIN, "error")
        doc = self.assistant.document(doc_id) if doc_id else None
        if doc is None:
            return self.view(name, "未操作：请先选择文档（或已取消）。Nothing done.", "error")
        source = Path(doc.source_path)
        data = source.read_bytes() if source.is_file() else b""
        what = f"{doc.doc_id}：《{doc.title}》（{file_name(doc)}）"
        if action == "delete":
            change, done = (lambda: self.assistant.delete_document(doc.doc_id)), f"已删除 Deleted {what}。"
        else:
            change, done = (lambda: self.assistant.reindex_document(doc.doc_id)), f"已重新索引 Re-indexed {what}。"
        return self.changing(action, source.name, data, change, name, done)

    def delete_document(self, doc_id: str | None, name: str, request: gr.Request) -> Updates:
        return self.on_row("delete", doc_id, name, request)

    def reindex_document(self, doc_id: str | None, name: str, request: gr.Request) -> Updates:
        return self.on_row("reindex", doc_id, name, request)

    def rebuild(self, name: str, request: gr.Request, progress: gr.Progress = gr.Progress()) -> Updates:  # noqa: B008
        name = self.admin_name(name, request)
        if not name:
            return self.view("", NOT_ADMIN, "error")
        change = lambda: self.assistant.ingest(progress_callback(progress, "重新索引 Re-indexing"))  # noqa: E731
        return self.changing("reindex", "", b"", change, name, "索引已更新。Index up to date.")

    def choose(self, evt: gr.SelectData) -> str | None:
        infos = self.assistant.documents()
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return infos[row].document.doc_id if 0 <= row < len(infos) else None

    def search(self, words: str) -> str:
        snap = self.assistant.snapshot()
        return search_html(words or "", list(snap.chunks.values()), {d: doc.title for d, doc in snap.docs.items()})


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
