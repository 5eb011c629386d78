"""File formats → raw text: plain text (any common Chinese encoding), HTML, DOCX, PDF.

Tables are written the way the corpus writes them: a blank line before each row and one
tab-indented line per cell, so `assistant.ingest.tables` reads them all alike.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, *HTML_SUFFIXES, ".docx", ".pdf")

# Encodings charset-normalizer may choose between once UTF-8 has failed.
_CHINESE_ENCODINGS = ["gb18030", "big5", "big5hkscs", "cp950", "utf_16"]
_MAX_GARBAGE_RATIO = 0.01
# Control (Cc) and private-use (Co) characters other than \t \n \r \f, and U+FFFD: a regex, not a
# per-character loop, so a 50 MB file is checked in a fraction of a second.
_GARBAGE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")
_CJK_BREAK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s*\n\s*(?=[\u3000-\u9fff\uff00-\uffef])")


class UnreadableError(ValueError):
    """The bytes are not a document of the claimed format; the message says why."""


def read_text(data: bytes, suffix: str) -> str:
    """Decode a file's bytes into text according to its suffix."""
    if suffix == ".docx":
        return _read_docx(data)
    if suffix == ".pdf":
        return _read_pdf(data)
    text = decode_bytes(data)
    return html_to_text(text) if suffix in HTML_SUFFIXES else markdown_tables(text)


_PIPE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def markdown_tables(text: str) -> str:
    """Markdown pipe tables ("| a | b |" over "|---|---|") in the corpus's table form: a blank line before
    each row and one tab-indented line per cell. Other text is unchanged."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        header = _PIPE_ROW.match(lines[i])
        if header is None or i + 1 >= len(lines) or not _PIPE_RULE.match(lines[i + 1]):
            out.append(lines[i])
            i += 1
            continue
        rows = [header]
        i += 2
        while i < len(lines) and (row := _PIPE_ROW.match(lines[i])):
            rows.append(row)
            i += 1
        for row in rows:
            out += ["", *("\t" + cell.strip() for cell in row.group(1).split("|"))]
        out.append("")
    return "\n".join(out)


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030/GBK/Big5 as detected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(data.decode("utf-16", errors="replace"))
    if b"\x00" in data:
        raise UnreadableError("binary file, not text")
    try:
        return _checked(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=_CHINESE_ENCODINGS))
    if not matches:
        raise UnreadableError("binary file, not text (no known encoding decodes it)")
    # A few characters can read equally well as GB18030 and Big5 ("第0项" or "菴0砐"): ties go to GB18030.
    rank = {name: n for n, name in enumerate(_CHINESE_ENCODINGS)}
    best = min(matches, key=lambda m: (round(m.chaos, 3), -round(m.coherence, 3), rank.get(m.encoding, len(rank))))
    return _checked(str(best))


def _checked(text: str) -> str:
    """Reject text that decoded but is mostly control characters or replacement marks."""
    garbage = sum(1 for _ in _GARBAGE.finditer(text))
    if text and garbage / len(text) > _MAX_GARBAGE_RATIO:
        raise UnreadableError("binary file, not text")
    return text


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg"})
    # fmt: off
    _BLOCK = frozenset({
        "p", "div", "br", "li", "ul", "ol", "section", "article", "header", "footer", "nav", "table",
        "blockquote", "pre", "dd", "dt", "hr", "main", "aside", "form",
    })
    # fmt: on

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "tr":
            self.parts.append("\n\n")
        elif tag in ("td", "th"):
            self.parts.append("\n\t")
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")  # headings survive as markdown

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCK or tag in ("tr", "h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            # Source line breaks are layout: between two CJK characters they vanish.
            data = _CJK_BREAK.sub("", data)
            self.parts.append(" ".join(data.split("\n")))


def html_to_text(html: str) -> str:
    """Visible text of an HTML page; script/style dropped, blocks on their own lines."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [
        line.strip(" ") if not line.startswith("\t") else line.rstrip() for line in "".join(parser.parts).split("\n")
    ]
    return "\n".join(lines)


def _read_docx(data: bytes) -> str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for broken packages
        raise UnreadableError(f"not a readable .docx file ({type(exc).__name__})") from exc
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                blocks.append("\n".join("\t" + cell.text.replace("\n", " ") for cell in row.cells))
            continue
        style = (item.style.name if item.style is not None else "") or ""
        level = style.removeprefix("Heading ").strip()
        prefix = "#" * int(level) + " " if level.isdigit() and style.startswith("Heading") else ""
        blocks.append(prefix + item.text)
    return "\n\n".join(blocks)


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise UnreadableError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(pages)  # page breaks become blank lines, which the cleaner repairs
