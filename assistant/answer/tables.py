"""Computing over a table: a superlative ("最大/最多/最早") picks its row by comparing the parsed values of the
asked column over every row of the table, and cites that row."""

from __future__ import annotations

from dataclasses import dataclass

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
