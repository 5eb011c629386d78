"""Heading recognition for 公文 numbering (第X章, 第X节, 一、, （一）, 1.) and markdown headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_NUM = "一二三四五六七八九十百零〇两"

# Order matters: the first pattern that matches decides the level.
NUMBERED_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^第[{_CN_NUM}\d]+章")),
    (1, re.compile(r"^附件\s*\d+(?![\d.．、])")),
    (1, re.compile(r"^前\s*言$")),
    (2, re.compile(rf"^第[{_CN_NUM}\d]+节")),
    (3, re.compile(rf"^[{_CN_NUM}]+、")),
    (4, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (5, re.compile(r"^\d{1,2}[.．、](?!\d)")),
)
MAX_HEADING_CHARS = 40
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.*)$")
_LEAD_SENTENCE = re.compile(r"^(.+?)[。！？!?]")
_OPEN_ENDING = "。；;，,、！？!?"


@dataclass(frozen=True)
class Heading:
    """A recognised heading: its level (1 = 章/附件) and the label used in section paths."""

    level: int
    label: str
    whole_line: bool = True  # False: body text follows the heading sentence on the same line


def parse_heading(line: str) -> Heading | None:
    """Return the heading a line starts with, or None for body text."""
    text = line.strip()
    markdown = _MARKDOWN.match(text)
    if markdown:
        text = markdown.group(2)
    text = text.strip().strip("*").strip()  # "#### **四、…**" bold markers
    if not text:
        return None
    for level, pattern in NUMBERED_HEADINGS:
        if pattern.match(text):
            return _numbered_heading(level, text)
    if markdown and len(text) <= MAX_HEADING_CHARS * 2:
        return Heading(len(markdown.group(1)), text)
    return None


def _numbered_heading(level: int, text: str) -> Heading | None:
    lead = _LEAD_SENTENCE.match(text)
    if lead and text[lead.end() :].strip():
        # "（三）鼓励企业创建技术中心。大力推动…": the first sentence names the section.
        if len(lead.group(1)) <= MAX_HEADING_CHARS:
            return Heading(level, lead.group(1), whole_line=False)
        return None
    if len(text) <= MAX_HEADING_CHARS and text[-1] not in _OPEN_ENDING:
        return Heading(level, text)
    if lead and len(lead.group(1)) <= MAX_HEADING_CHARS:
        return Heading(level, lead.group(1))  # "（一）加强组织领导。" alone on its line
    return None
