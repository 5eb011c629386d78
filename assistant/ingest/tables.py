"""Tables written as tab-indented cells (one per line, a blank line between rows) → rows.

The plan's tables come from a PDF: a caption ("表 1 …", or "附件 1" plus a title line), a header
group, then one group per row. A page break can cut a cell in two, leaving the rest on a
non-indented line after a blank line ("\\t所在县" … "（市、区）"); a row can be split into two
groups by stray blank lines; a row can lack trailing cells; a tab-only line is an empty cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.headings import parse_heading

_TABLE_CAPTION = re.compile(r"^表\s*\d+")
_ANNEX = re.compile(r"^附件\s*(\d+)\s*(.*)$")
_ROW_NUMBER = re.compile(r"\d{1,3}")
_MAX_CONTINUATION_CHARS = 30
_MAX_CAPTION_CHARS = 60
_CAPTION_MARKS = re.compile(r"^[#*\s]+|[*：:\s]+$")


@dataclass(frozen=True)
class Cell:
    """One cell's text (verbatim, cut pieces joined) and its span in the document."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Row:
    """A table row rendered for retrieval, with the span of its cells in the document."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Table:
    """A table found in a document: caption, header cells and rows; `start` is the caption's."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    start: int
    end: int


@dataclass(frozen=True)
class _Line:
    text: str  # without the newline
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def blank(self) -> bool:
        return "\t" not in self.text and not self.text.strip()

    @property
    def cell(self) -> bool:
        return self.text.startswith("\t")


def find_tables(text: str) -> list[Table]:
    """Every tab-cell table in `text`, in document order: captioned ("表 1 …", "附件 1"), or not (a Word or
    Markdown table under a heading or a line that introduces it)."""
    lines = _lines(text)
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        table, after = _table_at(lines, i)
        if table is None and lines[i].cell:
            table, after = _uncaptioned_table_at(lines, i)
        if table is not None:
            tables.append(table)
        i = after
    return tables


def render_row(caption: str, header: tuple[str, ...], cells: list[str]) -> str:
    """`caption | 序号: 6 | 指标名称: …`: one self-contained passage per row."""
    parts = [f"{name}: {value}".rstrip() for name, value in zip(header, cells, strict=False)]
    parts += cells[len(header) :]  # cells beyond the header have no name to give
    return " | ".join([caption, *parts])


def _lines(text: str) -> list[_Line]:
    lines, offset = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(raw, offset))
        offset += len(raw) + 1
    return lines


def _next_nonblank(lines: list[_Line], i: int) -> int:
    while i < len(lines) and lines[i].blank:
        i += 1
    return i


def _table_at(lines: list[_Line], i: int) -> tuple[Table | None, int]:
    """The table captioned at line i (and the index after it), or (None, i + 1)."""
    caption_line = lines[i]
    caption = caption_line.text.strip()
    annex = _ANNEX.match(caption)
    if caption_line.cell or not (annex or _TABLE_CAPTION.match(caption)):
        return None, i + 1
    first = _next_nonblank(lines, i + 1)
    if annex:
        caption = f"附件{annex.group(1)} {annex.group(2)}".strip()
        if not annex.group(2) and first < len(lines) and not lines[first].cell:
            caption = f"{caption} {lines[first].text.strip()}"  # the title line under "附件 1"
            first = _next_nonblank(lines, first + 1)
    if first >= len(lines) or not lines[first].cell:
        return None, i + 1
    groups, after = _cell_groups(lines, first)
    table = _table(caption, groups, caption_line.start)  # the caption belongs to row 1
    return (table, after) if table is not None else (None, i + 1)


def _uncaptioned_table_at(lines: list[_Line], i: int) -> tuple[Table | None, int]:
    """A table with no "表 N" caption starting at cell line i: named after the line above it (left in the text,
    where it may be a heading), its first row the header."""
    above = next((lines[j] for j in range(i - 1, -1, -1) if not lines[j].blank), None)
    if above is not None and above.cell:
        return None, i + 1
    groups, after = _cell_groups(lines, i)
    caption = _CAPTION_MARKS.sub("", above.text).strip() if above is not None else ""
    table = _table(caption if 0 < len(caption) <= _MAX_CAPTION_CHARS else "表", groups, lines[i].start)
    return (table, after) if table is not None else (None, i + 1)


def _table(caption: str, groups: list[list[Cell]], start: int) -> Table | None:
    """The table whose first cell group is its header, starting at `start` (what precedes the header belongs to
    row 1); None when it is no table (one group, or a one-cell header)."""
    if len(groups) < 2 or len(groups[0]) < 2:
        return None
    header = tuple(cell.text.strip() for cell in groups[0])
    rows = tuple(_row(caption, header, cells) for cells in _regroup(groups[1:], len(header)))
    first_row = Row(rows[0].text, start, rows[0].end)
    return Table(caption, header, (first_row, *rows[1:]), start, rows[-1].end)


def _cell_groups(lines: list[_Line], i: int) -> tuple[list[list[Cell]], int]:
    """Cells from line i on, grouped at blank lines, until the first line that is not the table's."""
    groups: list[list[Cell]] = [[]]
    pending_break = False
    while i < len(lines):
        line = lines[i]
        if line.blank:
            pending_break = True
        elif line.cell:
            if pending_break and groups[-1]:
                groups.append([])
            pending_break = False
            groups[-1].append(Cell(line.text[1:].strip(), line.start, line.end))
        elif groups[-1] and _is_cut_cell(lines, i):
            last = groups[-1][-1]
            groups[-1][-1] = Cell(last.text + line.text.strip(), last.start, line.end)
            pending_break = False  # the row goes on after the rest of the cut cell
        else:
            break
        i += 1
    return [g for g in groups if g], i


def _is_cut_cell(lines: list[_Line], i: int) -> bool:
    """A short non-indented line followed by more cells is the rest of a cell a page break cut."""
    text = lines[i].text.strip()
    following = _next_nonblank(lines, i + 1)
    return (
        len(text) <= _MAX_CONTINUATION_CHARS
        and parse_heading(text) is None
        and not _TABLE_CAPTION.match(text)
        and following < len(lines)
        and lines[following].cell
    )


def _regroup(groups: list[list[Cell]], width: int) -> list[list[Cell]]:
    """Rejoin a row that stray blank lines split; split groups that hold several rows."""
    rows: list[list[Cell]] = []
    i = 0
    while i < len(groups):
        row = list(groups[i])
        while (
            len(row) < width
            and i + 1 < len(groups)
            and len(row) + len(groups[i + 1]) <= width
            and not _ROW_NUMBER.fullmatch(groups[i + 1][0].text)
        ):
            i += 1
            row += groups[i]
        while len(row) > width and _ROW_NUMBER.fullmatch(row[width].text):
            rows.append(row[:width])
            row = row[width:]
        rows.append(row)
        i += 1
    return rows


def _row(caption: str, header: tuple[str, ...], cells: list[Cell]) -> Row:
    text = render_row(caption, header, [cell.text for cell in cells])
    return Row(text, cells[0].start, cells[-1].end)
