"""Answer verification shared by both answerers: every [n] resolves, every figure occurs in a passage it cites."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.lang.figures import Figure, extract_figures, figure_supported, normalize_figures
from assistant.types import Answer, Citation

MARKER = re.compile(r"[\[［【]\s*(\d+(?:\s*[,，、\-–~～]\s*\d+)*)\s*[\]］】]")
_OPENERS = "“‘「『《（("
_CLOSERS = "”’」』》）)"
_ENDS = "。！？!?"
_NEXT_MARKER = re.compile(r"[ \t]*" + MARKER.pattern)
_TRAILER = re.compile(r"(?:[ \t]*[”’」』）)\"']|[ \t]*" + MARKER.pattern + ")*")
_BLANK_LINES = re.compile(r"[ \t]*\n\s*")


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence (or table row / answer line) of an answer and what is wrong with it."""

    text: str
    start: int
    end: int
    markers: tuple[int, ...]
    problems: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class VerificationResult:
    """Per-sentence checks of an answer against its numbered passages."""

    sentences: tuple[SentenceCheck, ...]
    passages: int

    @property
    def ok(self) -> bool:
        return all(s.supported for s in self.sentences)

    @property
    def unsupported(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    @property
    def invalid_markers(self) -> list[int]:
        return sorted({n for s in self.sentences for n in s.markers if not 1 <= n <= self.passages})

    @property
    def cited(self) -> list[int]:
        """Valid passage numbers cited by supported sentences, in order of first use."""
        seen = [n for s in self.sentences if s.supported for n in s.markers if 1 <= n <= self.passages]
        return list(dict.fromkeys(seen))

    def notes(self) -> list[str]:
        """One line per unsupported sentence: the sentence (shortened) and why."""
        return [f"“{_shorten(s.text)}”：{'；'.join(s.problems)}" for s in self.unsupported]


@dataclass(frozen=True)
class _Passage:
    text: str
    figures: list[Figure]


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cited_quotes(text: str) -> list[tuple[int, int]]:
    """Quotations followed by their own [n]: all inside is quoted text, even a table cell "[12]"."""
    spans: list[tuple[int, int]] = []
    opened: list[int] = []
    for i, char in enumerate(text):
        if char in "“「『":
            opened.append(i)
        elif char in "”」』" and opened:
            start = opened.pop()
            if not opened and _NEXT_MARKER.match(text, i + 1):
                spans.append((start, i))
        elif char == "\n":
            opened.clear()
    return spans


def citation_markers(text: str) -> list[re.Match[str]]:
    """The [n] markers of `text` that cite passages ([1], [1][2], [1,2], [1-3], ［1］, 【1】)."""
    quoted = _cited_quotes(text)
    return [m for m in MARKER.finditer(text) if not any(s < m.start() < e for s, e in quoted)]


def markers_in(text: str) -> list[int]:
    """The passage numbers `text` cites, in order."""
    return [n for m in citation_markers(text) for n in _marker_numbers(m.group(1))]


def _without_markers(text: str) -> str:
    for m in reversed(citation_markers(text)):
        text = text[: m.start()] + " " + text[m.end() :]
    return text


def _marker_numbers(inside: str) -> list[int]:
    """Marker contents as numbers: "1,3" → [1, 3]; "1-3" → [1, 2, 3] (ranges of at most 20)."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,，、]\s*", normalize_figures(inside)):
        ends = [int(n) for n in re.split(r"\s*[\-–~～]\s*", part) if n]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= 20:
            numbers += range(ends[0], ends[1] + 1)
        else:
            numbers += ends
    return numbers


def split_claims(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of an answer: split at 。！？!? and ". " outside quotes, and at line ends;
    closing quotes and [n] markers right after the end belong to the sentence before."""
    spans: list[tuple[int, int]] = []
    start = depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\n":
            spans.append((start, i))
            start, depth = i + 1, 0
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(depth - 1, 0)
        elif depth == 0 and (char in _ENDS or _ends_english_sentence(text, i)):
            end = _TRAILER.match(text, i + 1).end()  # type: ignore[union-attr]
            spans.append((start, end))
            start = i = end
            continue
        i += 1
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _ends_english_sentence(text: str, i: int) -> bool:
    # "… 500万元 [1]. Next" ends a sentence; "0.2", "No.5" and "e.g.x" do not.
    return text[i] == "." and text[i + 1 : i + 2] in (" ", "") and i > 0 and not text[i - 1].isdigit()


def _passages(citations: Sequence[Citation] | Sequence[str]) -> dict[int, _Passage]:
    """Numbered passages; a Citation's metadata (文号, title, date, section) counts as part of it."""
    passages: dict[int, _Passage] = {}
    for i, item in enumerate(citations, start=1):
        if isinstance(item, Citation):
            n = item.n
            text = "\n".join((item.text, item.doc_number, item.title, item.date, item.section))
        else:
            n, text = i, str(item)
        passages[n] = _Passage(normalize_figures(text), extract_figures(text))
    return passages


# How an answer marks a figure it computed (answer/tables.py): the verifier then recomputes it.
COMPUTED_MARKS = ("（按表中数值计算）", "(computed from the table)")


def _difference_of(figure: Figure, figures: Sequence[Figure]) -> bool:
    """True when the figure is the difference of two figures of the passage (as written, before their units)."""
    values = {f.mantissa for f in figures}
    return any(abs(a - b) == figure.mantissa for a in values for b in values if a != b)


def _check_sentence(text: str, start: int, end: int, passages: dict[int, _Passage]) -> SentenceCheck:
    sentence = text[start:end]
    markers = tuple(markers_in(sentence))
    unique = list(dict.fromkeys(markers))
    problems = [f"引用 [{n}] 不存在（只有 {len(passages)} 段资料）" for n in unique if n not in passages]
    cited = [passages[n] for n in unique if n in passages]
    figures = extract_figures(_without_markers(sentence))
    if figures and not cited:
        problems.append(f"数字 {'、'.join(f.surface for f in figures)} 没有标注出处")
    elif figures:
        missing = [f for f in figures if not any(figure_supported(f, p.figures, p.text) for p in cited)]
        if any(mark in sentence for mark in COMPUTED_MARKS):
            # A difference computed over a table row is checked by computing it again from the cited figures.
            missing = [f for f in missing if not any(_difference_of(f, p.figures) for p in cited)]
        if missing:
            where = "".join(f"[{n}]" for n in unique if n in passages)
            problems.append(f"数字 {'、'.join(f.surface for f in missing)} 未见于所引段落 {where}")
    return SentenceCheck(sentence.strip(), start, end, markers, tuple(problems))


def verify_answer(text: str, citations: Sequence[Citation] | Sequence[str]) -> VerificationResult:
    """Check every sentence: its [n] exist, and each of its figures occurs in a passage it cites."""
    passages = _passages(citations)
    checks = tuple(_check_sentence(text, s, e, passages) for s, e in split_claims(text))
    return VerificationResult(checks, len(passages))


def drop_unsupported(text: str, citations: Sequence[Citation] | Sequence[str]) -> tuple[str, list[str]]:
    """The answer without its unsupported sentences (re-checked until clean), and a note per sentence dropped."""
    notes: list[str] = []
    for _ in range(3):
        result = verify_answer(text, citations)
        if result.ok:
            return text, notes
        notes += [f"已删除未获文档支持的句子 {note}" for note in result.notes()]
        for check in reversed(result.unsupported):
            text = text[: check.start] + text[check.end :]
        text = _BLANK_LINES.sub("\n", text).strip()
    return ("", notes) if not verify_answer(text, citations).ok else (text, notes)


def renumber(text: str, keep: Sequence[int]) -> str:
    """Markers rewritten so the passages in `keep` become [1], [2], … in that order; others removed."""
    new = {old: i for i, old in enumerate(keep, start=1)}

    for match in reversed(citation_markers(text)):
        numbers = dict.fromkeys(_marker_numbers(match.group(1)))
        text = text[: match.start()] + "".join(f"[{new[n]}]" for n in numbers if n in new) + text[match.end() :]
    return text


def check_answer(answer: Answer) -> Answer:
    """Verify any answer against its own citations and record what failed in `Answer.verification`.

    A refusal that quotes nothing makes no claim from the documents, so there is nothing to check.
    """
    if answer.refused and not answer.citations:
        return answer
    result = verify_answer(answer.text, answer.citations)
    if result.ok:
        return answer
    return replace(answer, verification=[*answer.verification, *result.notes()])
