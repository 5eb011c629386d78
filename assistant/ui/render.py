"""Answer and Document → HTML/Markdown for the chat UI: citation cards, highlighted quotes, document view.

Pure functions over the typed records, plus the CSS and browser JS that go with the classes they emit;
nothing here touches the index or Gradio. The chat renders
message HTML through Markdown, where a blank line ends an HTML block, so every fragment built for
a chat message is a single line (newlines in passages become <br>).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

from assistant.types import Answer, Citation, Document

if TYPE_CHECKING:
    from assistant.pipeline import DocumentInfo

QUOTE_SEPARATOR = " … "  # how answer.py joins several quoted sentences of one passage
CARD_CONTEXT = 80  # characters of passage kept either side of the highlighted quote

REFUSAL_LABELS = {
    "not_covered": "文档未涉及 · Not covered",
    "not_stated": "文档未给出具体数字 · Not stated",
    "invalid_question": "问题无法检索 · Invalid question",
    "no_index": "索引为空 · No index",
}
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")
_MARKER = re.compile(r"\[(\d+)\]")
_TRAILING_PUNCT = "。；;，,！？!?：: "


def quote_pieces(quote: str) -> list[str]:
    """The separate sentences of a citation's quote."""
    return [p.strip() for p in quote.split(QUOTE_SEPARATOR.strip()) if p.strip()]


def find_spans(text: str, pieces: Sequence[str], start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Where the pieces occur in text[start:end] (first occurrence each), merged and sorted."""
    end = len(text) if end is None else end
    spans = []
    for piece in pieces:
        for candidate in (piece, piece.rstrip(_TRAILING_PUNCT)):
            at = text.find(candidate, start, end) if candidate else -1
            if at >= 0:
                spans.append((at, at + len(candidate)))
                break
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _escape(text: str, newlines: str = "<br>") -> str:
    escaped = html.escape(text, quote=True)
    return re.sub(r"\n+", newlines, escaped) if newlines != "\n" else escaped


def mark_spans(
    text: str, spans: Sequence[tuple[int, int]], css_class: str = "pqa-quote", newlines: str = "<br>"
) -> str:
    """Escaped text with each span wrapped in <mark>."""
    out, cursor = [], 0
    for s, e in spans:
        out.append(_escape(text[cursor:s], newlines))
        out.append(f'<mark class="{css_class}">{_escape(text[s:e], newlines)}</mark>')
        cursor = e
    out.append(_escape(text[cursor:], newlines))
    return "".join(out)


def highlight_quote(passage: str, quote: str, context: int | None = CARD_CONTEXT) -> str:
    """The passage as HTML with the quoted sentences in <mark>, trimmed to `context` characters around them."""
    spans = find_spans(passage, quote_pieces(quote))
    if context is None or not spans or len(passage) <= spans[-1][1] - spans[0][0] + 2 * context:
        return mark_spans(passage, spans)
    lo, hi = max(0, spans[0][0] - context), min(len(passage), spans[-1][1] + context)
    shifted = [(s - lo, e - lo) for s, e in spans]
    body = mark_spans(passage[lo:hi], shifted)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(passage) else "")


def citation_meta(c: Citation) -> str:
    """文号 · date · section, whichever are known."""
    return " · ".join(x for x in (c.doc_number, c.date, c.section) if x)


def cite_class(turn: int, n: int) -> str:
    """The class naming citation n of answer `turn`; the chat's sanitizer keeps classes but drops data-* attributes."""
    return f"pqa-cite-{turn}-{n}"


def citation_card(c: Citation, turn: int, show_score: bool = False) -> str:
    """One numbered source card; clicking it (or its button) opens the document at the passage."""
    key = cite_class(turn, c.n)
    score = f'<span class="pqa-score">相关度 score {c.score:.4f}</span>' if show_score else ""
    number = f'<span class="pqa-doc-number">{_escape(c.doc_number)}</span>' if c.doc_number else ""
    meta = " · ".join(_escape(x) for x in (c.date, c.section) if x)
    return (
        f'<div class="pqa-card {key}">'
        f'<div class="pqa-card-head"><span class="pqa-n">{c.n}</span>'
        f'<span class="pqa-title">{_escape(c.title)}</span></div>'
        f'<div class="pqa-meta">{number}<span class="pqa-where">{meta}</span>{score}</div>'
        f'<div class="pqa-passage">{highlight_quote(c.text, c.quote)}</div>'
        f'<button class="pqa-open {key}" type="button">查看原文 · Open document</button>'
        "</div>"
    )


def markdown_html(text: str) -> str:
    """Answer Markdown (paragraphs, line breaks, lists, tables) as single-line HTML; raw HTML stays escaped."""
    return _MARKDOWN.render(text).strip().replace("\n", "&#10;")


def answer_body(text: str, turn: int, cited: Sequence[int] = ()) -> str:
    """Answer text as HTML; [n] markers of known citations become clickable references."""
    escaped = markdown_html(text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in cited:
            return m.group(0)
        return f'<sup class="pqa-ref {cite_class(turn, n)}">[{n}]</sup>'

    return _MARKER.sub(link, escaped)


def answer_html(answer: Answer, turn: int, show_scores: bool = False, partial_text: str | None = None) -> str:
    """A whole assistant message: notice, answer or refusal, and (once complete) its citation cards."""
    done = partial_text is None
    text = answer.text if done else partial_text or ""
    classes = ["pqa-answer", "pqa-final"] if done else ["pqa-answer"]
    label = ""
    if answer.refused:
        kind = answer.refusal_kind or "not_covered"
        classes += ["pqa-refusal", f"pqa-refusal-{kind}"]
        label = f'<div class="pqa-refusal-label">{REFUSAL_LABELS.get(kind, REFUSAL_LABELS["not_covered"])}</div>'
    notice = f'<div class="pqa-notice">⚠ {_escape(answer.notice)}</div>' if answer.notice else ""
    body = f'<div class="pqa-text">{answer_body(text, turn, [c.n for c in answer.citations] if done else ())}</div>'
    cards = ""
    if done and answer.citations:
        heading = "出处 Sources" if not answer.refused else "相关原文 Related passage"
        cards = (
            f'<div class="pqa-sources"><div class="pqa-sources-head">{heading}</div>'
            + "".join(citation_card(c, turn, show_scores) for c in answer.citations)
            + "</div>"
        )
    timing = ""
    if done and show_scores and answer.timings:
        parts = [f"{name.removesuffix('_ms')} {ms:.0f} ms" for name, ms in answer.timings.items()]
        timing = f'<div class="pqa-timings">{_escape(" · ".join(parts))}</div>'
    return f'<div class="{" ".join(classes)}">{label}{notice}{body}{cards}{timing}</div>'


def streaming_html(text: str) -> str:
    """A message still being written."""
    body = markdown_html(text) if text.strip() else ""
    return f'<div class="pqa-answer pqa-streaming"><div class="pqa-text">{body}<span class="pqa-cursor">▍</span></div></div>'


def error_html(message: str) -> str:
    """A chat message for a failure: a finished message, styled as an error, never a traceback."""
    return f'<div class="pqa-answer pqa-final pqa-error">{status_html(message, "error")}</div>'


# Why a file was rejected, in Chinese for the UI (the loader's reasons are English, for logs and the API).
_REASONS_ZH = (
    ("binary file, not text", "二进制文件，不是文本"),
    ("empty file", "空文件，没有文字"),
    ("encrypted PDF", "PDF 已加密，无法读取"),
    ("not a readable PDF", "PDF 无法读取（可能已损坏）"),
    ("not a readable .docx", ".docx 无法读取（可能已损坏）"),
    ("file too large", "文件过大"),
    ("unsupported file type", "不支持的文件类型"),
    ("not a document file", "不支持的文件类型"),
    ("same text as", "与已收录的文档内容相同"),
    ("no text left after removing web-page boilerplate", "去掉网页模板后没有正文"),
    ("cannot read", "无法读取文件"),
)


def reason_zh(reason: str) -> str:
    """The loader's English reason with a Chinese explanation in front ("二进制文件，不是文本（binary file…）")."""
    zh = next((z for en, z in _REASONS_ZH if reason.startswith(en)), "")
    return f"{zh}（{reason}）" if zh else reason


def status_html(message: str, kind: str = "info") -> str:
    """A one-line status (info | ok | error) for the chat or the corpus tab."""
    return f'<div class="pqa-status pqa-status-{kind}">{_escape(message)}</div>'


def sentences(text: str) -> list[str]:
    """Split answer text into streamable pieces, each ending after a line break or sentence end."""
    return [p for p in re.findall(r"[^\n。！？!?]*[。！？!?]?[”’]?(?:\[\d+\])*\n?", text) if p]


def _document_body(text: str, span: tuple[int, int] | None, pieces: Sequence[str]) -> str:
    """Escaped document text: the passage span in a highlight, the quoted sentences (or the whole span) in <mark>."""
    if not span or not 0 <= span[0] < span[1] <= len(text):
        return mark_spans(text, find_spans(text, pieces), newlines="\n")
    lo, hi = span
    quoted = [(s - lo, e - lo) for s, e in find_spans(text, pieces, lo, hi)] or [(0, hi - lo)]
    passage = mark_spans(text[lo:hi], quoted, newlines="\n")
    return f'{_escape(text[:lo], chr(10))}<span class="pqa-passage-hl">{passage}</span>{_escape(text[hi:], chr(10))}'


def document_html(doc: Document, span: tuple[int, int] | None = None, quote: str = "", caption: str = "") -> str:
    """The full document with the cited passage highlighted; the first highlight has id pqa-target."""
    body = _document_body(doc.text, span, quote_pieces(quote))
    body = body.replace('<mark class="pqa-quote">', '<mark class="pqa-quote" id="pqa-target">', 1)
    fields = [
        ("文号", doc.doc_number),
        ("发文机关", doc.issuer),
        ("日期", doc.date),
        ("城市", doc.city),
        ("类型", doc.kind),
        ("ID", doc.doc_id),
    ]
    meta = "".join(f"<span><b>{k}</b> {_escape(v)}</span>" for k, v in fields if v)
    return (
        f'<div class="pqa-doc"><div class="pqa-doc-title">{_escape(doc.title)}</div>'
        f'<div class="pqa-doc-meta">{meta}</div>'
        + (f'<div class="pqa-doc-caption">{_escape(caption)}</div>' if caption else "")
        + f'<div class="pqa-doc-body">{body}</div></div>'
    )


def answer_markdown(answer: Answer) -> str:
    """An answer with its sources as a standalone Markdown file."""
    lines = [f"# {answer.question}", ""]
    if answer.notice:
        lines += [f"> ⚠ {answer.notice}", ""]
    if answer.refused:
        lines += [f"**{REFUSAL_LABELS.get(answer.refusal_kind or 'not_covered', '')}**", ""]
    lines += [line if line.lstrip().startswith("|") else line + "  " for line in answer.text.splitlines()] + [""]
    if answer.citations:
        lines += ["## 出处 Sources", ""]
    for c in answer.citations:
        where = "，".join(x for x in (c.doc_number, c.date) if x)
        lines.append(f"**[{c.n}]** {c.title}" + (f"（{where}）" if where else "") + "  ")
        if c.section:
            lines.append(f"章节：{c.section}  ")
        if c.quote:
            lines.append(f"引文：“{c.quote}”")
        lines += ["", *(f"> {line}" if line.strip() else ">" for line in c.text.splitlines()), ""]
    return "\n".join(lines).rstrip() + "\n"


def documents_rows(infos: Sequence[DocumentInfo]) -> list[list[object]]:
    """Rows for the corpus table, in DOCUMENT_COLUMNS order."""
    return [
        [
            i.document.doc_id,
            i.document.title,
            i.document.doc_number,
            i.document.issuer,
            i.document.date,
            i.document.city,
            i.document.kind,
            i.chunks,
        ]
        for i in infos
    ]


DOCUMENT_COLUMNS = [
    "doc_id",
    "标题 Title",
    "文号",
    "发文机关 Issuer",
    "日期 Date",
    "城市 City",
    "类型 Kind",
    "段落 Chunks",
]


def header_html(documents: int, cities: Sequence[str]) -> str:
    """The page header: what the assistant does and what the corpus holds."""
    where = "、".join(_escape(c) for c in cities) or "—"
    return (
        '<div class="pqa-header"><span class="pqa-header-title">科技政策问答 · Policy QA</span>'
        f'<span class="pqa-header-sub">回答均摘自文件原文并标注出处 · 文档库：{documents} 份文件（{where}）</span></div>'
    )


def strip_report_images(markdown: str) -> str:
    """The report without its local image links (the charts are shown separately)."""
    return re.sub(r"^!\[[^\]]*\]\((?!https?:)[^)]*\)\s*$\n?", "", markdown, flags=re.M)


def charts_html(images: Sequence[tuple[str, str]]) -> str:
    """Report charts (name, base64 PNG) as inline images, so no file needs serving."""
    figures = "".join(
        f'<figure><img alt="{_escape(name)}" src="data:image/png;base64,{data}"><figcaption>{_escape(name)}</figcaption></figure>'
        for name, data in images
    )
    return f'<div class="pqa-charts">{figures}</div>' if figures else ""


CSS = """
#pqa-bridge { display: none !important; }
.pqa-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4em 1em; padding: .2em 0 .1em; }
.pqa-header-title { font-size: 1.45em; font-weight: 700; }
.pqa-header-sub { color: var(--body-text-color-subdued); }
#pqa-chat .placeholder-content { padding-top: 8vh; }
#pqa-chat .placeholder { text-align: center; }
#pqa-chat button.example { border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-secondary); padding: .7em .9em; text-align: left; }
#pqa-chat button.example:hover { border-color: var(--color-accent); box-shadow: 0 2px 8px rgba(0,0,0,.08); }
.pqa-answer { line-height: 1.7; }
.pqa-text { white-space: normal; }
.pqa-text p { margin: 0 0 .4em; }
.pqa-text table { border-collapse: collapse; font-size: .9em; margin: .3em 0 .5em; width: 100%; }
.pqa-text th, .pqa-text td { border: 1px solid var(--border-color-primary); padding: .3em .5em; vertical-align: top; text-align: left; }
.pqa-text th { background: var(--background-fill-secondary); white-space: nowrap; }
.pqa-ref { color: var(--color-accent); cursor: pointer; font-weight: 600; padding: 0 1px; }
.pqa-ref:hover { text-decoration: underline; }
.pqa-cursor { animation: pqa-blink 1s steps(2) infinite; color: var(--body-text-color-subdued); }
@keyframes pqa-blink { 50% { opacity: 0; } }
.pqa-sources { margin-top: .8em; display: flex; flex-direction: column; gap: .55em; }
.pqa-sources-head { font-size: .85em; font-weight: 600; color: var(--body-text-color-subdued); letter-spacing: .05em; }
.pqa-card { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 8px; padding: .55em .8em; background: var(--background-fill-secondary); cursor: pointer;
  transition: box-shadow .15s; overflow-wrap: anywhere; }
.pqa-card:hover { box-shadow: 0 2px 10px rgba(0,0,0,.12); }
.pqa-card-head { display: flex; gap: .5em; align-items: baseline; font-weight: 600; }
.pqa-n { flex: none; display: inline-flex; align-items: center; justify-content: center; min-width: 1.6em; height: 1.6em;
  border-radius: 999px; background: var(--color-accent); color: white; font-size: .8em; }
.pqa-meta { font-size: .85em; color: var(--body-text-color-subdued); margin: .15em 0 .35em; display: flex; flex-wrap: wrap; gap: .3em .8em; }
.pqa-doc-number { font-weight: 600; color: var(--body-text-color); }
.pqa-timings { margin-top: .4em; font-size: .78em; color: var(--body-text-color-subdued); font-family: var(--font-mono); }
.pqa-score { font-family: var(--font-mono); }
.pqa-passage { font-size: .92em; border-left: 2px solid var(--border-color-primary); padding-left: .6em; }
mark.pqa-quote { background: #ffe58f; color: #1f1f1f; padding: 0 1px; border-radius: 2px; }
.pqa-open { margin-top: .45em; font-size: .82em; padding: .15em .7em; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); color: var(--body-text-color); }
.pqa-open:hover { border-color: var(--color-accent); color: var(--color-accent); }
.pqa-refusal { border: 1px dashed #d48806; background: rgba(250, 173, 20, .08); border-radius: 8px; padding: .6em .8em; }
.pqa-refusal-label { display: inline-block; font-size: .8em; font-weight: 700; color: #ad6800; background: rgba(250,173,20,.18);
  border-radius: 4px; padding: 0 .5em; margin-bottom: .3em; }
.pqa-refusal-invalid_question, .pqa-refusal-no_index { border-color: #8c8c8c; background: rgba(140,140,140,.08); }
.pqa-refusal-invalid_question .pqa-refusal-label, .pqa-refusal-no_index .pqa-refusal-label { color: #595959; background: rgba(140,140,140,.18); }
.pqa-notice { font-size: .88em; color: #ad4e00; background: rgba(250,140,22,.1); border-radius: 6px; padding: .25em .6em; margin-bottom: .4em; }
.pqa-status { padding: .45em .8em; border-radius: 6px; }
.pqa-status-info { background: var(--background-fill-secondary); }
.pqa-status-ok { background: rgba(82,196,26,.12); color: var(--body-text-color); }
.pqa-status-error { background: rgba(255,77,79,.12); color: #a8071a; border: 1px solid rgba(255,77,79,.4); }
.pqa-doc-title { font-size: 1.1em; font-weight: 700; margin-bottom: .3em; }
.pqa-doc-meta { display: flex; flex-wrap: wrap; gap: .2em 1em; font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .5em; }
.pqa-doc-meta b { color: var(--body-text-color); font-weight: 600; margin-right: .25em; }
.pqa-doc-caption { font-size: .85em; margin-bottom: .4em; padding: .2em .6em; border-radius: 6px; background: rgba(250, 219, 20, .18); }
.pqa-doc-body { position: relative; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.75; max-height: 68vh;
  overflow-y: auto; padding: .6em .8em; border: 1px solid var(--border-color-primary); border-radius: 8px;
  background: var(--background-fill-primary); font-size: .95em; tab-size: 2; }
.pqa-passage-hl { background: rgba(250, 219, 20, .18); box-shadow: 0 0 0 2px rgba(250, 219, 20, .18); }
#pqa-docs table, #pqa-docs td, #pqa-docs th { font-family: var(--font); }
#pqa-report table { font-size: .85em; }
#pqa-report td, #pqa-report th { white-space: nowrap; }
#pqa-report .prose, #pqa-report { overflow-x: auto; }
.pqa-charts { display: flex; flex-wrap: wrap; gap: 1em; }
.pqa-charts figure { margin: 0; flex: 1 1 300px; max-width: 560px; }
.pqa-charts img { width: 100%; border: 1px solid var(--border-color-primary); border-radius: 6px; }
.pqa-charts figcaption { font-size: .8em; color: var(--body-text-color-subdued); text-align: center; }
"""

# Chat messages are sanitized HTML (classes survive, data-* attributes do not), so a document-level
# listener in an always-mounted block turns clicks on elements classed pqa-cite-<turn>-<n> into events.
BRIDGE_JS = """
window.__pqaOpen = (cite) => trigger('click', {cite: cite});
if (!window.__pqaBridge) {
  window.__pqaBridge = true;
  document.addEventListener('click', (event) => {
    const el = event.target.closest ? event.target.closest('[class*="pqa-cite-"]') : null;
    const selection = window.getSelection();
    if (!el || (selection && !selection.isCollapsed && el.contains(selection.anchorNode))) return;
    event.preventDefault();
    const cite = [...el.classList].find((c) => c.startsWith('pqa-cite-'));
    window.__pqaOpen(cite.slice('pqa-cite-'.length));
  }, true);
}
"""
# Scroll the document body (not the page) so the highlighted passage sits a third of the way down.
DOC_JS = """
const reveal = () => {
  const body = element.querySelector('.pqa-doc-body');
  const mark = element.querySelector('#pqa-target');
  if (body && mark) body.scrollTop = Math.max(0, mark.offsetTop - body.clientHeight / 3);
};
watch('value', () => setTimeout(reveal, 30));
setTimeout(reveal, 60);
"""
