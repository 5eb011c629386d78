"""Computing over a table: a superlative ("最大/最多/最早") picks its row by comparing the parsed values of the
asked column over every row of the table, and cites that row; a change ("从2020年到2025年提高几个百分点",
"要增加多少") is the difference of a row's two year columns, shown with both cells."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.verify import COMPUTED_MARKS
from assistant.ingest.store import Snapshot
from assistant.lang.figures import extract_figures
from assistant.query.vocabulary import load_vocabulary
from assistant.types import Chunk, Hit, Intent

_MAX_NUMBER_CELL = 16  # "20以上", "1.29亿元", "[6.8]": a numeric cell is short and starts with its number
_MAX_ROWS = 400  # a table longer than this is not walked (an annex of projects has a few dozen)


@dataclass(frozen=True)
class Pick:
    """The row a superlative picks: its chunk, its name, the compared column and value, and how many rows."""

    row: Chunk
    name: str
    column: str
    value: str
    compared: int


def cells(row: Chunk) -> list[tuple[str, str]]:
    """A table row's (header, value) cells, after its caption."""
    found = []
    for cell in row.text.split(" | ")[1:]:
        header, _, value = cell.partition(":")
        found.append((header.strip(), value.strip()))
    return found


def table_of(row: Chunk, snap: Snapshot) -> list[Chunk]:
    """Every row of the table a row belongs to: the neighbouring table-row chunks under the same caption."""
    rows = [row]
    for step in (-1, 1):
        position = row.position + step
        while len(rows) < _MAX_ROWS:
            chunk = snap.chunk_at(row.doc_id, position)
            if chunk is None or chunk.kind != "table_row" or chunk.section != row.section:
                break
            rows.append(chunk)
            position += step
    return sorted(rows, key=lambda c: c.position)


def _number(value: str) -> float | None:
    """The value of a cell that is a number (with its unit), not a description that mentions one."""
    figures = extract_figures(value)
    if not figures or len(value) > _MAX_NUMBER_CELL or not value.lstrip("[≥≤<>约").startswith(figures[0].surface):
        return None
    return float(figures[0].value)


def _asked_column(intent: Intent, headers: list[str], rows: list[Chunk]) -> str | None:
    """The numeric column the question names (by a concept, or by an asked year), else None."""
    forms = {f.lower() for term, fs in intent.query.concepts if len(term) > 1 for f in fs}
    numeric = [h for h in headers if sum(_number(dict(cells(r)).get(h, "")) is not None for r in rows) > len(rows) // 2]
    named = [h for h in numeric if any(f in h.lower() for f in forms) or any(y in h for y in intent.constraints.years)]
    return named[0] if named else None


def superlative(intent: Intent, hits: list[Hit], snap: Snapshot) -> Pick | None:
    """The row with the largest (or smallest) value in the asked column, over every row of the tables the
    retrieved rows belong to (a plan's annexes may split one list of projects over several tables)."""
    vocab = load_vocabulary()
    largest, smallest = vocab.largest.search(intent.question), vocab.smallest.search(intent.question)
    firsts = {(h.chunk.doc_id, h.chunk.section): h.chunk for h in reversed(hits) if h.chunk.kind == "table_row"}
    if not firsts or bool(largest) == bool(smallest):
        return None
    best = next(h.chunk for h in hits if h.chunk.kind == "table_row")
    rows = table_of(best, snap)
    headers = [h for h, _ in cells(best) if h and h != "序号"]
    column = _asked_column(intent, headers, rows)
    if column is None:
        return None
    for key, first in firsts.items():
        if key != (best.doc_id, best.section) and column in dict(cells(first)):
            rows += table_of(first, snap)
    valued = [(n, r) for r in rows if (n := _number(dict(cells(r)).get(column, ""))) is not None]
    if len(valued) < 2:
        return None
    _, row = max(valued, key=lambda x: x[0]) if largest else min(valued, key=lambda x: x[0])
    row_cells = dict(cells(row))
    name = next((v for h, v in row_cells.items() if "名称" in h), next(iter(row_cells.values()), ""))
    return Pick(row, name, column, row_cells[column], len(valued))


@dataclass(frozen=True)
class Change:
    """The change along one table row between two of its year columns."""

    row: Chunk
    name: tuple[str, str]  # the cells as written: (header, value)
    unit: tuple[str, str] | None
    first: tuple[str, str]
    last: tuple[str, str]
    difference: float
    unit_text: str = ""  # the unit the values are in (a unit cell's value, or one in brackets)

    def quote(self) -> str:
        """The row's cells the answer rests on, verbatim: name, unit, the two compared values."""
        shown = [self.name, *([self.unit] if self.unit else []), self.first, self.last]
        return " | ".join(f"{h}: {v}" for h, v in shown)


_BRACKETED_UNIT = re.compile(r"[（(]([^）)]{1,6})[）)]")
_CHANGE_HITS = 3  # the row a change is computed on is among the first hits
_YEAR_HEADER = re.compile(r"((?:19|20)\d{2})\s*年")


def change(intent: Intent, hits: list[Hit], snap: Snapshot) -> Change | None:
    """For a question about how much a measure changes (growth wording, or two years named), the difference
    between two year columns of the table row about that measure (the row among the first hits whose name holds
    most of the question's words): the columns of the years asked, or its first and last year columns. None
    unless such a row has both values as numbers."""
    # A difference asked for as a number ("提高几个百分点", "多出几家"); "情况怎样" asks what happened, which the
    # documents' sentences tell (a table of yearly values may hold targets, not outcomes).
    asks_number = intent.answer_type in ("count", "amount", "ratio", "figure")
    if not asks_number or not (intent.constraints.growth or len(intent.constraints.years) >= 2):
        return None
    forms = [tuple(f.lower() for f in fs) for term, fs in intent.query.concepts if len(term) > 1 and not term.isdigit()]

    def naming(row: Chunk) -> int:
        name = _name(dict(cells(row))).lower()
        return sum(len(fs[0]) for fs in forms if any(f in name for f in fs))

    # Two years named ("从2020年到2025年") point at two columns; growth wording alone only when the best passage
    # is the row itself (a sentence stating the growth ranks first otherwise, and answers it).
    considered = hits[:_CHANGE_HITS] if len(intent.constraints.years) >= 2 else hits[:1]
    rows = [h.chunk for h in considered if h.chunk.kind == "table_row"]
    named = [(naming(r), -i, r) for i, r in enumerate(rows) if naming(r)]
    if not named:
        return None
    row = max(named)[2]
    row_cells = [(h, v) for h, v in cells(row) if h]
    dated = [(h, v, m.group(1)) for h, v in row_cells if (m := _YEAR_HEADER.search(h)) and _number(v) is not None]
    if len(intent.constraints.years) >= 2:
        dated = [d for d in dated if d[2] in intent.constraints.years]
    if len(dated) < 2:
        return None
    (h1, v1, _), (h2, v2, _) = dated[0], dated[-1]
    first, last = _number(v1), _number(v2)
    if first is None or last is None:
        return None
    name_cell = next(((h, v) for h, v in row_cells if "名称" in h), row_cells[0])
    unit = next(((h, v) for h, v in row_cells if "单位" in h), None)
    # Without a unit column, a unit in brackets after the name or in the compared headers ("专利密度（件/万人）").
    bracketed = (_BRACKETED_UNIT.search(t) for t in (name_cell[1], h1, h2))
    unit_text = unit[1] if unit else next((m.group(1) for m in bracketed if m), "")
    return Change(row, name_cell, unit, (h1, v1), (h2, v2), last - first, unit_text)


def _name(row_cells: dict[str, str]) -> str:
    return next((v for h, v in row_cells.items() if "名称" in h), next(iter(row_cells.values()), ""))


def describe_change(found: Change, english: bool) -> str:
    """ "公民具备科学素质比例从2020年的11.2到2025年目标值的15，增加3.8个百分点（按表中数值计算）" """
    amount = f"{abs(found.difference):.4g}"
    unit_value = found.unit_text
    percent = unit_value in ("%", "％")
    name = found.name[1]
    if english:
        direction = "up" if found.difference >= 0 else "down"
        unit = " percentage points" if percent else f" {unit_value}" if unit_value else ""
        return (
            f"{name}: {found.first[1]} ({found.first[0]}) to {found.last[1]} ({found.last[0]}), "
            f"{direction} {amount}{unit} {COMPUTED_MARKS[1]}"
        )
    direction = "增加" if found.difference >= 0 else "减少"
    unit = "个百分点" if percent else unit_value.split("/")[0]
    return f"{name}从{found.first[0]}的{found.first[1]}到{found.last[0]}的{found.last[1]}，{direction}{amount}{unit}{COMPUTED_MARKS[0]}"
