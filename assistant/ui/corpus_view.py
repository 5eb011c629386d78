"""The corpus as users see it: the header, the document table (kinds in words, no internal ids), upload
messages in Chinese, and passages matching a search."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.retrieve.scope import KIND_WORDS
from assistant.types import Chunk, Document
from assistant.ui.render import mark_spans

if TYPE_CHECKING:
    from assistant.library import DocumentInfo

DOCUMENT_COLUMNS = [
    "标题 Title",
    "文号",
    "发文机关 Issuer",
    "日期 Date",
    "城市 City",
    "类型 Kind",
    "段落 Chunks",
    "文件 File",
]
SEARCH_LIMIT = 20  # passages listed for a corpus search
SEARCH_CONTEXT = 60  # characters of passage kept either side of the first match


def kind_words(kind: str) -> str:
    """A document kind in words: reply → 答复."""
    return KIND_WORDS.get(kind, kind)


def documents_rows(infos: Sequence[DocumentInfo]) -> list[list[object]]:
    """Rows for the corpus table, in DOCUMENT_COLUMNS order."""
    return [
        [
            i.document.title,
            i.document.doc_number,
            i.document.issuer,
            i.document.date,
            i.document.city,
            kind_words(i.document.kind),
            i.chunks,
            file_name(i.document),
        ]
        for i in infos
    ]


def file_name(doc: Document) -> str:
    return re.split(r"[\\/]", doc.source_path)[-1]


def corpus_places(docs: Sequence[Document]) -> tuple[list[str], list[str]]:
    """The cities and the issuers the documents name, most documents first."""

    def ranked(values: list[str]) -> list[str]:
        return sorted(set(values), key=lambda v: (-values.count(v), v))

    return ranked([d.city for d in docs if d.city]), ranked([d.issuer for d in docs if d.issuer])


def header_html(docs: Sequence[Document]) -> str:
    """The page header: what the assistant does and what the corpus holds (its cities and issuers)."""
    cities, issuers = corpus_places(docs)
    where = "、".join(html.escape(c) for c in cities) or "—"
    who = (
        f'<span class="pqa-header-issuers">发文机关：{html.escape("、".join(issuers[:4]))}'
        + (f" 等 {len(issuers)} 个" if len(issuers) > 4 else "")
        + "</span>"
        if issuers
        else ""
    )
    return (
        '<div class="pqa-header"><span class="pqa-header-title">科技政策问答 · Policy QA</span>'
        f'<span class="pqa-header-sub">回答均摘自文件原文并标注出处 · 文档库：{len(docs)} 份文件'
        f'（<span class="pqa-header-cities">{where}</span>）</span>{who}</div>'
    )


def corpus_summary(infos: Sequence[DocumentInfo]) -> str:
    """One line on what the corpus holds, for the corpus tab."""
    if not infos:
        return "索引为空：请上传文档或点击「重新索引」。The index is empty."
    docs = [i.document for i in infos]
    cities, issuers = corpus_places(docs)
    kinds = sorted({kind_words(d.kind) for d in docs})
    return (
        f"共 {len(infos)} 份文档、{sum(i.chunks for i in infos)} 个段落 · 城市：{'、'.join(cities) or '—'}"
        f" · 发文机关：{'、'.join(issuers) or '—'} · 类型：{'、'.join(kinds)} · {len(infos)} documents indexed."
    )


def search_passages(words: str, chunks: Sequence[Chunk]) -> list[tuple[Chunk, list[tuple[int, int]]]]:
    """Passages containing every search word (case-insensitive), in document order, with the matches."""
    terms = [t for t in re.split(r"\s+", words.strip().lower()) if t]
    found = []
    for chunk in sorted(chunks, key=lambda c: (c.doc_id, c.position)):
        lower = chunk.text.lower()
        if terms and all(t in lower for t in terms):
            spans = sorted((m.start(), m.end()) for t in terms for m in re.finditer(re.escape(t), lower))
            found.append((chunk, spans))
    return found


def search_html(words: str, chunks: Sequence[Chunk], titles: dict[str, str]) -> str:
    """The passages matching a corpus search, the matches marked, each under its document title and section."""
    if not words.strip():
        return ""
    found = search_passages(words, chunks)
    if not found:
        return f'<div class="pqa-status pqa-status-info">没有找到包含“{html.escape(words)}”的段落。No passage matches.</div>'
    items = []
    for chunk, spans in found[:SEARCH_LIMIT]:
        lo = max(0, spans[0][0] - SEARCH_CONTEXT)
        hi = min(len(chunk.text), spans[0][1] + SEARCH_CONTEXT * 2)
        inside = [(max(s, lo) - lo, min(e, hi) - lo) for s, e in _merged(spans) if s < hi and e > lo]
        text = (
            ("…" if lo else "")
            + mark_spans(chunk.text[lo:hi], inside, "pqa-hit")
            + ("…" if hi < len(chunk.text) else "")
        )
        where = " · ".join(html.escape(x) for x in (titles.get(chunk.doc_id, ""), chunk.section) if x)
        items.append(f'<div class="pqa-search-item"><div class="pqa-search-where">{where}</div><div>{text}</div></div>')
    more = f"（仅显示前 {SEARCH_LIMIT} 条）" if len(found) > SEARCH_LIMIT else ""
    head = f'<div class="pqa-search-head">找到 {len(found)} 个段落{more} · {len(found)} passages</div>'
    return f'<div class="pqa-search">{head}{"".join(items)}</div>'


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


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
