"""Figures in text → comparable values: Arabic and Chinese numerals, 万/亿, %, 百分之, full-width digits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_FULL_WIDTH = str.maketrans("０１２３４５６７８９％［］", "0123456789%[]")
_RATIO = re.compile(r"(?<=\d)\s*[︰∶：:]\s*(?=\d)")  # 1︰1, 1：1 → 1:1
_DECIMAL_POINT = re.compile(r"(?<=\d)．(?=\d)")
_ARABIC = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?"
    r"\s*(万亿|万|亿|%|per\s?cent\b|thousand\b|million\b|billion\b)?",
    re.IGNORECASE,
)
_PERCENT_WORDS = re.compile(r"百分之\s*(\d+(?:\.\d+)?|[〇零一二两三四五六七八九十百千点]+)")
_CN_RUN = re.compile(r"[〇零一二两三四五六七八九十百千万亿]+")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
# A lone Chinese numeral counts as a figure before a measure word ("三家", "两年"; not 一: "一批" is "a batch"),
# after 第, or as a list marker ("一、", "（二）", "三是"); otherwise it is part of a word (一定, 统一, 三明, 十分).
_MEASURE = set("个家项名人位年月日天元倍次条款章节批所座台套届期级类种户篇件场份岁轮周层支本张亩吨号")
_SCALES = {"万": 10**4, "亿": 10**8, "万亿": 10**12, "thousand": 10**3, "million": 10**6, "billion": 10**9}


@dataclass(frozen=True)
class Figure:
    """A number as written, with its value after scale words (万/亿/million) are applied."""

    surface: str
    value: Decimal
    mantissa: Decimal  # the number before its scale word: 2000 in "2000万元"
    scale: str = ""  # "万" | "亿" | "万亿" | "%" — a unit that changes the value or its kind

    @property
    def percent(self) -> bool:
        return self.scale == "%"


def normalize_figures(text: str) -> str:
    """Full-width digits and %, 1︰1 ratios and full-width decimal points in ASCII form."""
    text = text.translate(_FULL_WIDTH)
    text = _RATIO.sub(":", text)
    return _DECIMAL_POINT.sub(".", text)


def _decimal(digits: str) -> Decimal:
    return Decimal(digits.replace(",", ""))


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def extract_figures(text: str) -> list[Figure]:
    """Every number in `text`: years, list markers, amounts, percentages, counts (in order of kind)."""
    text = normalize_figures(text)
    figures: list[Figure] = []
    for match in list(_PERCENT_WORDS.finditer(text)):
        value = parse_chinese_number(match.group(1))
        if value is not None:
            figures.append(Figure(match.group(0), value, value, "%"))
        text = _blank(text, match.start(), match.end())
    for match in list(_ARABIC.finditer(text)):
        mantissa = _decimal(match.group(1) + (match.group(2) or ""))
        unit = (match.group(3) or "").lower().replace(" ", "")
        scale = "%" if unit in ("%", "percent") else unit if unit in ("万", "亿", "万亿") else ""
        value = mantissa * _SCALES.get(unit, 1)
        figures.append(Figure(match.group(0).strip(), value, mantissa, scale))
        text = _blank(text, match.start(), match.end())
    for match in _CN_RUN.finditer(text):
        if _counts_as_figure(text, match.start(), match.end()):
            figures.extend(Figure(match.group(0), v, v) for v in _chinese_values(match.group(0)))
    return figures


def _counts_as_figure(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before == "第":
        return True
    if run == "一" and after in _MEASURE:
        return False  # 一个, 一项, 一批: mostly an article ("a"), not a stated quantity
    if after in _MEASURE:
        return True
    if run[0] in "百千万亿":  # 万物, 千方百计, 万亿俱乐部: a scale word needs a number before it
        return False
    if len(run) >= 2:
        return True
    return after in ("、", "是") or (before in ("（", "(") and after in ("）", ")"))


def parse_chinese_number(run: str) -> Decimal | None:
    """One Chinese (or Arabic) number: 三千 → 3000, 二〇二五 → 2025, 十 → 10, 5.5 → 5.5."""
    if re.fullmatch(r"\d+(?:\.\d+)?", run):
        return Decimal(run)
    whole, _, fraction = run.partition("点")
    values = _chinese_values(whole)
    if len(values) != 1:
        return None
    if fraction:
        digits = "".join(str(_CN_DIGITS[c]) for c in fraction if c in _CN_DIGITS)
        return Decimal(f"{values[0]}.{digits or 0}")
    return values[0]


def _chinese_values(run: str) -> list[Decimal]:
    """The numbers in a run of Chinese numerals; bare digits in a row start a new number (十四五 → 14, 5)."""
    if len(run) > 1 and all(c in _CN_DIGITS for c in run):
        return [Decimal("".join(str(_CN_DIGITS[c]) for c in run))]
    values: list[Decimal] = []
    total = wan = section = 0
    digit: int | None = None
    started = False
    for char in run:
        if char in _CN_DIGITS:
            if _CN_DIGITS[char] == 0 and started:
                continue  # 一千〇五: a zero placeholder
            if digit is not None:
                values.append(Decimal(total + wan + section + digit))
                total = wan = section = 0
            digit = _CN_DIGITS[char]
        elif char in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[char]
            digit = None
        elif char == "万":
            wan = (section + (digit or 0) or 1) * _CN_BIG["万"]
            section, digit = 0, None
        else:  # 亿
            total = (total + wan + section + (digit or 0) or 1) * _CN_BIG["亿"]
            wan = section = 0
            digit = None
        started = True
    if started:
        values.append(Decimal(total + wan + section + (digit or 0)))
    return values


def figure_supported(figure: Figure, passage_figures: list[Figure], passage_text: str) -> bool:
    """True when the passage states this figure: the same value (2000万元 == 0.2亿元, 百分之十 == 10%),
    or the same number with its unit stated elsewhere in the passage (a table cell under "（万元）")."""
    for other in passage_figures:
        if other.value == figure.value and other.percent == figure.percent:
            return True
    if figure.scale:
        return figure.scale in passage_text and any(
            not other.scale and other.mantissa == figure.mantissa for other in passage_figures
        )
    return False


_UNIT_IN_LABEL = re.compile(r"[（(]\s*([^（）()\d]{1,4})\s*[）)]\s*$")  # "…成交额（亿元）": a unit closing a label


def row_cells(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A table row's label (its first cell that is not a number) and its numeric cells, each as (header, value
    with its unit): the unit a header carries ("总投资（亿元）"), the row's 单位 cell, or its label's
    ("技术合同成交额（亿元）"). ("", []) for text that is no table row."""
    if " | " not in text and ": " not in text:
        return "", []
    cells = [(h.strip(), v.strip()) for h, v in (c.split(":", 1) for c in text.split(" | ") if ":" in c)]
    unit = next((v for h, v in cells if "单位" in h), "")
    labels = [v for h, v in cells if "单位" not in h and not _ANY_NUMBER.match(v)]
    in_label = next((m.group(1) for m in map(_UNIT_IN_LABEL.search, labels) if m), "")
    numeric = []
    for header, value in cells:
        if re.fullmatch(r"\[?-?\d[\d.,]*\]?(?:以上)?", value):
            in_header = re.search(r"[（(]([^）)]+)[）)]", header)
            numeric.append((header, value.strip("[]") + (in_header.group(1) if in_header else unit or in_label)))
    return (labels[0] if labels else ""), numeric


def figure_text(text: str) -> str:
    """A table row's numeric cells with their units attached ("2022年: 62" + "单位: 个" → "62个"), for figure checks."""
    _, numeric = row_cells(text)
    return f"{text} {' '.join(value for _, value in numeric)}" if numeric else text


# The kind of value a figure is, by what follows it: any currency, any measure word, any percentage form.
# A day or a month: 2025年3月5日, 2025-03-05, 3月5日, and a month alone (6月底, 三、四月份; "3个月" is a duration).
_DATE_VALUE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|(?<![\d个])(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?![\d])"
)
# A year, an era or an event as a time: 2024年, 1858年, 1998; 公元前210年, （223年）, 19世纪, 80年代, 建兴元年, 春秋时期,
# 乾隆年间, 出征某地时.
_YEAR_VALUE = re.compile(
    r"(?<![\d.])(?:1\d{3}|20\d{2})\s*年(?!\s*\d{1,2}\s*月)|\b(?:19|20)\d{2}\b"
    r"|公元前?\s*\d{1,4}\s*年|[（(]\s*(?:前\s*)?\d{2,4}\s*年\s*[）)]|\d{1,2}\s*世纪|\d{2,4}\s*年代"
    r"|(?![这那该此同一])[\u4e00-\u9fff]{2}(?:元年|时期|年间|初年|末年)"
    # An event as a time: "出征某地时，…", "战争期间" (not 同时, 及时, 随时, 按时, 临时, 平时).
    r"|[\u4e00-\u9fff](?<![同及随按临平当准暂适])(?:时|期间|之际)(?=[，,])"
)
_MONEY_VALUE = re.compile(
    r"\d[\d.,]*\s*(?:万亿|亿|万|千|百)?\s*(?:元|美元|欧元|港元|日元|英镑)|[$¥￥]\s*\d|\d\s*(?:million|billion)?\s*(?:yuan|dollars|rmb|usd)",
    re.I,
)
# Shares and multiples in digits or Chinese numerals: 12%, 3‰, 2个百分点, 八成, 1:1, 4倍, 四至八倍.
_PERCENT_VALUE = re.compile(
    r"\d[\d.,]*\s*(?:%|％|‰|个百分点)|百分之|(?:\d[\d.]*|[一二两三四五六七八九十])\s*成(?![为果立本功员])"
    r"|\d+\s*[:：︰]\s*\d+|(?:\d[\d.]*|[一二两三四五六七八九十百千]+)\s*倍",
    re.I,
)
# A number before a measure word: 32家, 3.6万人, 三辑, 两层 (any of the common classifiers); not an ordinal (第三条).
_COUNT_VALUE = re.compile(
    r"(?<![第\d.,一二两三四五六七八九十百千])(?:\d[\d.,]*|[一二两三四五六七八九十百千]+)\s*(?:万|亿)?\s*(?:平方米|平方公里|公顷|公里|"
    r"部(?![分门署])|[个家项名人位次所条批场件种类座台套支户篇份届期亩吨余层辑集首册辆艘架栋只头门张枚颗间])"
)
_ORDINAL_VALUE = re.compile(r"第\s*(?:\d+|[一二三四五六七八九十百]+)\s*[名位届次批个轮期]")  # 第三名, 第2届
RATIO_PHRASE = re.compile(r"按[^，。,；;]{2,24}比例")  # how a support is computed, without its figure
_ANY_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿]{2,}")


def value_kinds(text: str) -> set[str]:
    """The kinds of values a text states: date, year, money, percent (ratios and multiples too), count, ordinal
    (第三名), number, and ratio_phrase ("按…比例": how a support is computed, with no figure)."""
    text = figure_text(normalize_figures(text))
    kinds = set()
    if _DATE_VALUE.search(text):
        kinds.add("date")
    if _YEAR_VALUE.search(text):
        kinds.add("year")
    if _MONEY_VALUE.search(text):
        kinds.add("money")
    if _PERCENT_VALUE.search(text):
        kinds.add("percent")
    if RATIO_PHRASE.search(text):
        kinds.add("ratio_phrase")
    if _COUNT_VALUE.search(_YEAR_VALUE.sub(" ", text)):
        kinds.add("count")
    if _ORDINAL_VALUE.search(text):
        kinds.add("ordinal")
    bare = text
    for typed in (_DATE_VALUE, _YEAR_VALUE, _MONEY_VALUE, _PERCENT_VALUE, _COUNT_VALUE):
        bare = typed.sub(" ", bare)
    if _ANY_NUMBER.search(bare):
        kinds.add("number")  # a figure with no unit of its own (a table cell whose unit is elsewhere)
    return kinds


# An amount of money as Chinese text writes it: 2000万元, 1.29亿元, 500元 (not inside a quote; see gloss_amounts).
_AMOUNT = re.compile(
    r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*(?:万亿|亿|万)?元|(?<![\d.,])\d+(?:\.\d+)?\s*(?:万亿|亿|万)?元"
)


def amount_in_english(value: Decimal) -> str:
    """A yuan amount in English words: 2E7 → "20 million yuan", 1.29E8 → "129 million yuan", 5E5 → "500,000 yuan"."""
    for size, word in ((Decimal(10**12), "trillion"), (Decimal(10**9), "billion"), (Decimal(10**6), "million")):
        if value >= size:
            return f"{_plain(value / size)} {word} yuan"
    return f"{value:,.0f} yuan" if value == value.to_integral() else f"{value:,} yuan"


def _plain(number: Decimal) -> str:
    text = f"{number.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """The outermost “…” quotations of a text, nested quotes inside them included ("“设立“信用贷”,最高…”")."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "“":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "”" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def gloss_amounts(text: str) -> str:
    """English-frame text with each Chinese amount glossed from its parsed value: "2000万元 (20 million yuan)".

    Quoted passages (“…”, nested quotes and all) stay verbatim: the amounts inside a quote are glossed after it
    and its [n] markers ("“…2000万元…”[1] (2000万元 = 20 million yuan)"); an amount already glossed is left alone.
    """
    out, cursor = [], 0
    for start, end in [*quoted_spans(text), (len(text), len(text))]:
        out.append(_AMOUNT.sub(_glossed, text[cursor:start]))
        if start == len(text):
            break
        markers = re.match(r"(?:\[\d+\])*", text[end:])
        cursor = end + (markers.end() if markers else 0)
        glosses = [
            f"{m.group(0)} = {amount_in_english(f[0].value)}"
            for m in _AMOUNT.finditer(text[start:end])
            if (f := extract_figures(m.group(0)))
        ]
        out.append(text[start:cursor] + (f" ({'; '.join(dict.fromkeys(glosses))})" if glosses else ""))
    return "".join(out)


def _glossed(match: re.Match[str]) -> str:
    figures = extract_figures(match.group(0))
    if not figures or match.string[match.end() : match.end() + 2] == " (":
        return match.group(0)
    return f"{match.group(0)} ({amount_in_english(figures[0].value)})"
