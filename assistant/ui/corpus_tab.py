"""The Gradio corpus tab: the document table and a search for everyone; upload, delete or re-index a row,
re-index all and the audit log for admins.

An admin is a session that signed in with POLICYQA_ADMIN_TOKEN, or, while no token is set, a session
from a loopback address. The session's admin name lives in a gr.State, which only the server writes, and
every corpus handler checks it again, so calling a handler through Gradio's queue without signing in
changes nothing. Every change is written to the audit log. None of these events is in Gradio's API
(api_visibility="private").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.ui.corpus_actions import CorpusActions
from assistant.ui.corpus_view import DOCUMENT_COLUMNS

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

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


def corpus_tab(assistant: Assistant, header: gr.HTML, demo: gr.Blocks) -> None:
    """The document table (click a row to choose it) and search; sign-in; the corpus controls once signed in."""
    actions = CorpusActions(assistant)
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
    with gr.Row(visible=bool(actions.policy.admin_token), elem_id="pqa-signin") as signin_row:
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

    outputs = [status, table, doomed, header, audit_table]
    signed = [who, token, controls, signin_row, *outputs]
    signin.click(actions.sign_in, [token], signed, **PRIVATE)
    token.submit(actions.sign_in, [token], signed, **PRIVATE)
    upload.upload(actions.add_files, [upload, who], [upload, *outputs], **INGEST)
    delete.click(actions.delete_document, [doomed, who], outputs, js=CONFIRM_DELETE_JS, **INGEST)
    reindex_one.click(actions.reindex_document, [doomed, who], outputs, js=CONFIRM_REINDEX_JS, **INGEST)
    reindex.click(actions.rebuild, [who], outputs, **INGEST)
    table.select(actions.choose, None, doomed, **PRIVATE)
    find.click(actions.search, [query], found, **PRIVATE)
    query.submit(actions.search, [query], found, **PRIVATE)
    demo.load(actions.opened, None, [who, controls, *outputs], **PRIVATE)
