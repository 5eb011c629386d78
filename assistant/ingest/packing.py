"""The chunk packer: sentences accumulated into spans under a token budget, flushed at headings; table rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.ingest.headings import Heading, parse_heading
from assistant.ingest.sentences import count_tokens, prefix_within, split_sentences
from assistant.ingest.tables import Table

_CLAUSE_END = re.compile(r"[，,、：:]+")
_LIST_LEAD = re.compile(r"^附件\s*[:：]")  # "附件：1.…" starts a list of annexes, not headings
_LIST_ITEM = re.compile(r"^\d{1,2}[.．、]")
_MIN_CHUNK_CHARS = 15
_MAX_TITLE_CHARS = 30
_MAX_PLAIN_TITLE = 24
_PLAIN_TITLE_LEVEL = 6
_MAX_LABEL_CHARS = 12
_MIN_ROOM_TOKENS = 48
_JOIN_SLACK = 4  # token counts of two texts do not quite add up when they are joined
_LEAD_SENTENCE = re.compile(r"^([一二三四五六七八九十]是|首先|其次|再次|最后|第[一二三四五六七八九十]).{0,20}[。：:]$")
_HEADROOM = 48  # tokens kept free for the headings that open a section
_MAX_CHARS_PER_TOKEN = 16  # no realistic text averages more characters per token than this


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    section: str
    kind: str = "text"
    text: str = ""  # rendered text of a table row; a text chunk is doc.text[start:end]


class Packer:
    """Accumulates sentences into chunk spans: one open buffer, flushed at headings and the budget."""

    def __init__(self, text: str, max_tokens: int) -> None:
        self.text = text
        self.max_tokens = max_tokens
        # Pieces of an overlong sentence leave room for the headings that may open their chunk.
        self.piece_budget = max(1, max_tokens - min(_HEADROOM, max_tokens // 4))
        self.spans: list[Span] = []
        self.stack: list[Heading] = []
        self.start: int | None = None
        self.end = 0
        self.section = ""
        self.has_body = False
        self.in_list = False
        self.tail: int | None = None  # start of the title lines / lead sentences that end the buffer
        self.plain_titles = False  # treat short stand-alone lines as headings (documents without numbering)
        self.last_was_title = False

    def add_region(self, start: int, end: int) -> None:
        """Pack the text between two tables (or the whole text)."""
        offset = start
        for line in self.text[start:end].split("\n"):
            self._add_line(line, offset)
            offset += len(line) + 1
        self._flush()

    def add_table(self, table: Table) -> None:
        """One chunk per row, the caption as its section."""
        self._flush()
        if table.caption.startswith("附件"):
            self.stack = [Heading(1, table.caption)]
        for row in table.rows:
            self.spans.append(Span(row.start, row.end, table.caption, "table_row", row.text))

    def _add_line(self, line: str, offset: int) -> None:
        if not line.strip() and "\t" not in line:
            return
        heading = None if self._is_list_item(line) else parse_heading(line)
        if heading is None and self.plain_titles:
            heading = self._plain_title(line)
        self.last_was_title = heading is not None and self.plain_titles
        if heading is not None:
            self._open_section(heading)
            if heading.whole_line:
                self._extend(offset, offset + len(line), body=False)
                return
        if self._starts_late(offset, offset + len(line)):
            self._flush(keep_tail=True)  # a paragraph that does not fit opens the next chunk
        title_like = _is_title_like(line)
        for n, piece in enumerate(split_sentences(line)):
            sentence = piece.strip()
            if sentence:
                self._add_sentence(offset, offset + len(piece))
                # Titles, topic labels ("高端面料。") and "一是…。" lead sentences go with what follows.
                sticky = title_like or (n == 0 and len(sentence) <= _MAX_LABEL_CHARS) or _LEAD_SENTENCE.match(sentence)
                self.tail = (offset if self.tail is None else self.tail) if sticky else None
            offset += len(piece)

    def _plain_title(self, line: str) -> Heading | None:
        """A short line with no sentence punctuation or label colon; a title right under another nests in it."""
        stripped = line.strip()
        if not _is_title_like(line) or len(stripped) > _MAX_PLAIN_TITLE or re.search(r"[:：，,|\d]", stripped):
            return None
        level = self.stack[-1].level + 1 if self.last_was_title and self.stack else _PLAIN_TITLE_LEVEL
        return Heading(level, stripped)

    def _starts_late(self, start: int, end: int) -> bool:
        """True when the paragraph would not fit in the buffer, which is already well filled."""
        if self.start is None or not self.has_body:
            return False
        if count_tokens(self.text[self.start : end]) <= self.max_tokens:
            return False
        kept_end = self.tail if self.tail is not None else start
        return count_tokens(self.text[self.start : kept_end]) >= self.max_tokens // 3

    def _is_list_item(self, line: str) -> bool:
        stripped = line.strip()
        if _LIST_LEAD.match(stripped):
            self.in_list = True
        elif not (self.in_list and _LIST_ITEM.match(stripped)):
            self.in_list = False
        return self.in_list

    def _open_section(self, heading: Heading) -> None:
        if self.has_body:
            self._flush()
        while self.stack and self.stack[-1].level >= heading.level:
            self.stack.pop()
        self.stack.append(heading)

    def _add_sentence(self, start: int, end: int) -> None:
        if count_tokens(self.text[start:end]) <= self.piece_budget:
            self._add_piece(start, end)
            return
        # An overlong sentence first fills the room left in the open chunk, then goes on in new ones.
        room = (
            self.max_tokens - count_tokens(self.text[self.start : start]) - _JOIN_SLACK if self.start is not None else 0
        )
        first_budget = room if room >= _MIN_ROOM_TOKENS else self.piece_budget
        for piece_start, piece_end in self._split_long(start, end, first_budget):
            self._add_piece(piece_start, piece_end)

    def _add_piece(self, start: int, end: int) -> None:
        if self._overflows(end):
            self._flush(keep_tail=True)
            if self._overflows(end):  # the kept title lines and this piece still do not fit together
                self._flush()
        self._extend(start, end, body=True)

    def _overflows(self, end: int) -> bool:
        return self.start is not None and count_tokens(self.text[self.start : end]) > self.max_tokens

    def _extend(self, start: int, end: int, body: bool) -> None:
        if self.start is None:
            self.start = start
        if not self.has_body:
            self.section = " > ".join(h.label for h in self.stack)
        self.end = end
        self.has_body = self.has_body or body

    def _split_long(self, start: int, end: int, first_budget: int) -> list[tuple[int, int]]:
        """Cut an overlong sentence at commas, and at a character count as the last resort."""
        cuts = [m.end() for m in _CLAUSE_END.finditer(self.text, start, end)] + [end]
        pieces: list[tuple[int, int]] = []
        piece_start, last_cut = start, start
        for cut in cuts:
            budget = self.piece_budget if pieces else first_budget
            if cut > last_cut and count_tokens(self.text[piece_start:cut]) > budget and last_cut > piece_start:
                pieces.append((piece_start, last_cut))
                piece_start = last_cut
            last_cut = cut
        pieces.append((piece_start, end))
        return [part for piece in pieces for part in self._cut_by_length(*piece, self.piece_budget)]

    def _cut_by_length(self, start: int, end: int, budget: int) -> list[tuple[int, int]]:
        parts = []
        # A remainder that cannot fit the budget is never counted whole: counting it on every cut made
        # a long line without punctuation quadratic (80,000 characters took minutes).
        window = budget * _MAX_CHARS_PER_TOKEN
        while start < end and (end - start > window or count_tokens(self.text[start:end]) > budget):
            if end - start > window:
                size = prefix_within(self.text[start : start + window], budget)
            else:
                size = end - start
                while size > 1 and count_tokens(self.text[start : start + size]) > budget:
                    size = max(1, size * 9 // 10)
            parts.append((start, start + size))
            start += size
        return [*parts, (start, end)] if start < end else parts

    def _flush(self, keep_tail: bool = False) -> None:
        """Emit the buffer; with keep_tail, trailing title lines stay to open the next chunk."""
        if self.start is None:
            return
        tail, buffer_end = self.tail, self.end
        self.tail = None
        if keep_tail and tail is not None and tail > self.start and self.has_body:
            self.end = tail
            self._emit()
            self.start, self.end, self.has_body, self.tail = tail, buffer_end, True, tail
            return
        self._emit()

    def _emit(self) -> None:
        assert self.start is not None
        start, end = _strip_bounds(self.text, self.start, self.end)
        self.start, self.has_body = None, False
        if start >= end:
            return
        previous = self.spans[-1] if self.spans else None
        if (
            previous is not None
            and _is_tiny(self.text[start:end])
            and previous.kind == "text"
            and previous.section == self.section
        ):
            if count_tokens(self.text[previous.start : end]) <= self.max_tokens:
                self.spans[-1] = replace(previous, end=end)  # a tiny fragment joins its neighbour
                return
            start = self._take_last_sentences(previous, start, end)
        self.spans.append(Span(start, end, self.section))

    def _take_last_sentences(self, previous: Span, start: int, end: int) -> int:
        """Move the neighbour's last sentences into a tiny fragment; return the fragment's new start."""
        cut = previous.start
        cuts = []
        for piece in split_sentences(self.text[previous.start : previous.end])[:-1]:
            cut += len(piece)
            cuts.append(cut)
        for cut in reversed(cuts):
            if count_tokens(self.text[cut:end]) > self.max_tokens:
                break
            kept_start, kept_end = _strip_bounds(self.text, previous.start, cut)
            if not _is_tiny(self.text[cut:end]) and not _is_tiny(self.text[kept_start:kept_end]):
                self.spans[-1] = replace(previous, end=kept_end)
                return _strip_bounds(self.text, cut, end)[0]
        return start


def _is_tiny(text: str) -> bool:
    return len("".join(text.split())) < _MIN_CHUNK_CHARS


def _is_title_like(line: str) -> bool:
    """A short line without a sentence end ("激活创新源头", "\t纺织鞋服产业技术发展方向") belongs with what follows."""
    stripped = line.strip()
    return 0 < len(stripped) <= _MAX_TITLE_CHARS and stripped[-1] not in "。！？；;!?"


def _strip_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
