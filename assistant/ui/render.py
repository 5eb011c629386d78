"""Answer and Document → HTML/Markdown for the chat UI: citation cards, highlighted quotes, document view.

Pure functions over the typed records (the CSS and browser JS for the classes they emit are in static/);
nothing here touches the index or Gradio. The chat renders
message HTML through Markdown, where a blank line ends an HTML block, so every fragment built for
a chat message is a single line (newlines in passages become <br>).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt

from assistant.lang.figures import gloss_amounts
from assistant.lang.lexicon import is_english
from assistant.retrieve.scope import KIND_WORDS
from assistant.types import Answer, Citation, Document

QUOTE_SEPARATOR = " … "  # how answer.py joins several quoted sentences of one passage
CARD_CONTEXT = 80  # characters of passage kept either side of the highlighted quote

REFUSAL_LABELS = {
    "not_covered": "文档未涉及 · Not covered",
    "not_stated": "文档未给出具体数字 · Not stated",
    "invalid_question": "问题无法检索 · Invalid question",
    "no_index": "索引为空 · No index",
    "empty_scope": "筛选范围内没有文档 · Nothing in scope",
    "unclear": "没看懂 · Not understood",
}
HELP_KINDS = ("greeting",)  # refusal kinds shown as a friendly help message, not as a refusal
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
    html: str = _MARKDOWN.render(text)
    return html.strip().replace("\n", "&#10;")


def answer_body(text: str, turn: int, cited: Sequence[int] = ()) -> str:
    """Answer text as HTML; [n] markers of known citations become clickable references."""
    escaped = markdown_html(text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in cited:
            return m.group(0)
        return f'<sup class="pqa-ref {cite_class(turn, n)}">[{n}]</sup>'

    return _MARKER.sub(link, escaped)


def answer_text(answer: Answer, text: str | None = None) -> str:
    """The text a reader sees: in an English answer the Chinese amounts are glossed ("2000万元 (20 million yuan)")."""
    text = answer.text if text is None else text
    return gloss_amounts(text) if is_english(answer.question) else text


def answer_html(answer: Answer, turn: int, show_scores: bool = False, partial_text: str | None = None) -> str:
    """A whole assistant message: scope, notice, answer or refusal, and (once complete) its collapsible sources."""
    done = partial_text is None
    text = answer_text(answer, None if done else partial_text or "")
    classes = ["pqa-answer", "pqa-final", f"pqa-turn-{turn}"] if done else ["pqa-answer"]
    label = ""
    if answer.refusal_kind in HELP_KINDS:
        classes.append("pqa-help")
    elif answer.refused:
        kind = answer.refusal_kind or "not_covered"
        classes += ["pqa-refusal", f"pqa-refusal-{kind}"]
        label = f'<div class="pqa-refusal-label">{REFUSAL_LABELS.get(kind, REFUSAL_LABELS["not_covered"])}</div>'
    scope = f'<div class="pqa-scope">{_escape(answer.scope)}</div>' if answer.scope else ""
    notice = f'<div class="pqa-notice">⚠ {_escape(answer.notice)}</div>' if answer.notice else ""
    body = f'<div class="pqa-text">{answer_body(text, turn, [c.n for c in answer.citations] if done else ())}</div>'
    cards = ""
    if done and answer.citations:
        heading = "出处 Sources" if not answer.refused else "相关原文 Related passage"
        cards = (
            f'<details class="pqa-sources" open><summary class="pqa-sources-head">{heading} · {len(answer.citations)}'
            "</summary>" + "".join(citation_card(c, turn, show_scores) for c in answer.citations) + "</details>"
        )
    tools = (
        f'<div class="pqa-tools"><button class="pqa-copy pqa-copy-{turn}" type="button">复制 Copy (Markdown)</button></div>'
        if done and not answer.refusal_kind
        else ""
    )
    timing = ""
    if done and show_scores and answer.timings:
        parts = [f"{name.removesuffix('_ms')} {ms:.0f} ms" for name, ms in answer.timings.items()]
        timing = f'<div class="pqa-timings">{_escape(" · ".join(parts))}</div>'
    return f'<div class="{" ".join(classes)}">{label}{scope}{notice}{body}{cards}{tools}{timing}</div>'


def streaming_html(text: str) -> str:
    """A message still being written."""
    body = markdown_html(text) if text.strip() else ""
    return f'<div class="pqa-answer pqa-streaming"><div class="pqa-text">{body}<span class="pqa-cursor">▍</span></div></div>'


def error_html(message: str) -> str:
    """A chat message for a failure: a finished message, styled as an error, never a traceback."""
    return f'<div class="pqa-answer pqa-final pqa-error">{status_html(message, "error")}</div>'


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
        ("类型", KIND_WORDS.get(doc.kind, doc.kind)),
    ]
    meta = "".join(f"<span><b>{k}</b> {_escape(v)}</span>" for k, v in fields if v)
    return (
        f'<div class="pqa-doc"><div class="pqa-doc-title">{_escape(doc.title)}</div>'
        f'<div class="pqa-doc-meta">{meta}</div>'
        + (f'<div class="pqa-doc-caption">{_escape(caption)}</div>' if caption else "")
        + f'<div class="pqa-doc-body">{body}</div></div>'
    )
