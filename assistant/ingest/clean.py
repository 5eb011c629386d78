"""Text cleaning: line endings, NFC, web boilerplate, page-break repair, repeated paragraphs."""

from __future__ import annotations

import re
import unicodedata

from assistant.ingest.headings import parse_heading

# Lines of scraped web pages that are never document content. Extend freely; each pattern is
# searched in one stripped line, and only lines up to _MAX_BOILERPLATE_CHARS long are dropped.
BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(会员)?(登录|注册)([\s|｜/]*(会员)?(登录|注册))*[\s|｜/]*$",
        r"^会员登录",
        r"^当前位置\s*[:：]",
        r"^您(现在)?的位置\s*[:：]",
        r"^(扫描二维码|扫一扫|扫码|微信扫一扫)",
        r"^分享(此文章|到|至)",
        r"^(微信公众号|官方微信|关注我们)$",
        r"^(服务|客服)(电话|热线)\s*[:：]?\s*[\d\-－ ]*$",
        r"^(©|\(c\)|copyright)|版权所有",
        r"ICP\s*[证备]",
        r"公网安备",
        r"未经(授权|许可|允许).{0,10}(转载|复制|使用)",
        r"^\S{0,10}服务助手$",
        r"^【?(打印本页|打印|关闭窗口|关闭|返回顶部|收藏本页)】?$",
        r"^(网站)?(首页|主页)\s*[>＞»›/|｜]",  # a breadcrumb or a navigation bar
        r"^【?\s*字[体号]\s*[:：]?\s*[【\[]?[大中小][】\]]?\s*[【\[]?[大中小][】\]]?\s*[【\[]?[大中小]?[】\]]?\s*】?$",
        r"^(浏览|阅读|点击|访问)(次数|量|数)\s*[:：]\s*\d*$",
    )
)
# Lines that are footer only next to other boilerplate: a policy's own contact block
# (联系人, 联系电话, an address for applications) must survive.
FOOTER_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^(0\d{2,3}[-－ ]?)?\d{7,8}$",  # a bare phone number
        r"^400[-－ ]?\d{3}[-－ ]?\d{4}$",
        r"^[(（]\s*周[一二三四五六日天]\s*至\s*周[一二三四五六日天].*[)）]$",
        r"^(通讯)?地址\s*[:：]",
    )
)
_MAX_BOILERPLATE_CHARS = 80

# A paragraph ending in one of these is complete; anything else may be cut by a page break.
_FINAL = "。！？；：…”’」』）)】》!?;:"
_PROSE = re.compile(r"[，,。；;]")  # clause punctuation: the fragment is running text
_INDENT = " \u00a0\u3000"
_NOT_CONTINUATION = re.compile(r"^([#|>*]|- |表\s*\d|图\s*\d|附件)")
_MIN_DEDUPE_CHARS = 20
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# A label letter-spaced to fill a form's column ("联 系 人:", "- 索 引 号："): the spaces are layout, not text.
_SPACED_LABEL = re.compile(r"^(\s*(?:[-*]\s+)?)((?:[\u4e00-\u9fff][ \u3000\u00a0]+){1,5}[\u4e00-\u9fff])(?=\s*[:：])")


def clean_text(text: str) -> str:
    """Normalize and clean decoded text; quoted passages stay verbatim (punctuation untouched)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [join_spaced_label(line.rstrip(_INDENT)) for line in text.split("\n")]
    lines = drop_boilerplate(lines)
    paragraphs = join_page_breaks(split_paragraphs(lines))
    paragraphs = drop_repeated_lines(paragraphs)
    body = [[line if line.startswith("\t") else line.lstrip(_INDENT) for line in p] for p in paragraphs]
    return "\n\n".join("\n".join(p) for p in body)


def join_spaced_label(line: str) -> str:
    """Join a letter-spaced label: "联 系 人:陈坚议" → "联系人:陈坚议", so it reads (and is searched) as a word."""
    return _SPACED_LABEL.sub(lambda m: m.group(1) + re.sub(r"[ \u3000\u00a0]+", "", m.group(2)), line, count=1)


def drop_boilerplate(lines: list[str]) -> list[str]:
    """Drop web-page chrome lines, and runs of footer lines (phone, hours, address) touching them."""
    kinds = [_boilerplate_kind(line) for line in lines]
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    dropped = {i for i in nonblank if kinds[i] == "always"}
    changed = True
    while changed:  # a footer run is dropped only when it is anchored to chrome on either side
        changed = False
        for n, i in enumerate(nonblank):
            if kinds[i] != "footer" or i in dropped:
                continue
            neighbours = nonblank[max(n - 1, 0) : n] + nonblank[n + 1 : n + 2]
            if any(j in dropped for j in neighbours):
                dropped.add(i)
                changed = True
    return [line for i, line in enumerate(lines) if i not in dropped]


def _boilerplate_kind(line: str) -> str:
    if line.startswith("\t"):
        return ""  # table cell
    stripped = line.strip(" \t\u00a0\u3000")
    if not stripped or len(stripped) > _MAX_BOILERPLATE_CHARS:
        return ""
    if any(pattern.search(stripped) for pattern in BOILERPLATE_PATTERNS):
        return "always"
    if any(pattern.search(stripped) for pattern in FOOTER_PATTERNS):
        return "footer"
    return ""


def split_paragraphs(lines: list[str]) -> list[list[str]]:
    """Group lines into paragraphs at blank lines; a tab-only line is an empty table cell."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if "\t" not in line and not line.strip(" \u00a0\u3000"):
            if current:
                paragraphs.append(current)
                current = []
        else:
            current.append(line)
    if current:
        paragraphs.append(current)
    return paragraphs


def join_page_breaks(paragraphs: list[list[str]]) -> list[list[str]]:
    """Rejoin sentences a PDF page break cut in two ("技术转移机\\n\\n构 5 家")."""
    joined: list[list[str]] = []
    for paragraph in paragraphs:
        paragraph = _join_broken_lines(paragraph)
        if joined and _continues(joined[-1][-1], paragraph[0]):
            previous = joined[-1]
            previous[-1] = _glue(previous[-1], paragraph[0])
            previous.extend(paragraph[1:])
        else:
            joined.append(list(paragraph))
    return joined


def _join_broken_lines(paragraph: list[str]) -> list[str]:
    # Inside a paragraph only a trailing comma is strong enough evidence of a cut sentence.
    lines = [paragraph[0]]
    for line in paragraph[1:]:
        if lines[-1].rstrip()[-1:] in ("，", ",", "、") and _continues(lines[-1], line):
            lines[-1] = _glue(lines[-1], line)
        else:
            lines.append(line)
    return lines


def _continues(last: str, first: str) -> bool:
    """True when `first` is the rest of the sentence that `last` leaves open."""
    if last.startswith("\t") or first.startswith("\t") or first[:1] in _INDENT:
        return False
    tail = last.rstrip()
    if not tail or tail[-1] in _FINAL or not _PROSE.search(tail):
        return False
    heading = parse_heading(tail)
    if heading is not None and heading.whole_line:
        return False
    return parse_heading(first) is None and not _NOT_CONTINUATION.match(first)


def _glue(left: str, right: str) -> str:
    left = left.rstrip()
    right = right.lstrip(_INDENT)
    if _CJK.match(left[-1:]) or _CJK.match(right[:1]):
        return left + right
    return f"{left} {right}"


def drop_repeated_lines(paragraphs: list[list[str]]) -> list[list[str]]:
    """Drop a line repeating an earlier one (whitespace-insensitive); short lines and cells stay."""
    seen: set[str] = set()
    kept: list[list[str]] = []
    for paragraph in paragraphs:
        lines = []
        for line in paragraph:
            key = "".join(line.split())
            if line.startswith("\t") or len(key) <= _MIN_DEDUPE_CHARS:
                lines.append(line)
            elif key not in seen:
                seen.add(key)
                lines.append(line)
        if lines:
            kept.append(lines)
    return kept
