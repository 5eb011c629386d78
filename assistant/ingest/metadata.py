"""Metadata read from a cleaned document's text: title, 发文机关, 文号, date, city, kind, addressee."""

from __future__ import annotations

import itertools
import re

from assistant.lang.lexicon import tagged_words
from assistant.lang.places import gazetteer

FIELDS = ("title", "issuer", "doc_number", "date", "city", "kind", "addressee")

_HEAD_LINES = 20
DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,8}\s*[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]\s*第?\s*\d+\s*号")
_LABELLED_NUMBER = re.compile(r"文\s*号\s*[:：]\s*(\S+?号)")
_LABELLED_DATE = re.compile(
    r"(?:公文生成日期|成文日期|发布日期|发文日期|印发日期|发布时间)\s*[:：]\s*"
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_SOURCE_DATE = re.compile(r"^(?:供稿|来源|作者|发布)[^\n]{0,40}?(\d{4})-(\d{1,2})-(\d{1,2})", re.MULTILINE)
# A date standing on its own line (a signature or a dateline), as Word documents often space it: "2025 年 5 月 20 日".
_DATE_LINE = re.compile(
    r"^[ \t]*(\d{4})[ \t]*年[ \t]*(\d{1,2})[ \t]*月[ \t]*(\d{1,2})[ \t]*日[ \t]*(?:发布|印发|起施行)?[ \t]*$",
    re.MULTILINE,
)
# A full date inside a short line of the head ("发布 2025-03-18 浏览次数", "日期：2025.3.18").
_HEAD_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_SHORT_LINE = 40
_LABELLED_ISSUER = re.compile(r"(?:发布机构|发文机关|发文单位|发布单位)\s*[:：]\s*([^\s|｜]+)")
# "来源：泉州市科学技术局" on a news page names its issuer when the source is an agency (not a newspaper).
_SOURCE_AGENCY = re.compile(
    r"(?:来源|来源单位|信息来源)\s*[:：]\s*([\u4e00-\u9fa5（）()]{2,30}?(?:局|委员会|人民政府|政府|办公厅|办公室|厅|委|部))"
    r"(?=$|[\s|｜,，。])",
    re.MULTILINE,
)
_ISSUER_TITLE = re.compile(
    r"^#*\s*([\u4e00-\u9fa5（）()]{2,30}?(?:局|委员会|人民政府|政府|办公厅|办公室|厅|委|部))关于"
)
_ISSUER_LINE = re.compile(r"^#*\s*([\u4e00-\u9fa5（）()]{2,30}(?:局|委员会|政府|办公厅|办公室|厅|部|院|中心))$")
_TITLE_LINE = re.compile(
    r"^#*\s*\**\s*((?:[\u4e00-\u9fa5（）()、]{2,40}?)?关于.{2,80}?(?:答复|通知|意见|办法|措施|规划|决定|方案|报告|批复|规定|细则))\s*\**$"
)
_SOURCE_MARK = re.compile(r"^(?:供稿|来源|发布时间)\s*[:：]", re.MULTILINE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+\**\s*(.+?)\s*\**$")
_LEADING_BOOK_TITLE = re.compile(r"^《([^》]{4,60})》")
_MAX_TITLE_CHARS = 60
# A reply's salutation ("民建泉州市委会：", "庄天怀代表:"): a short line ending in a colon, then a line that
# speaks to its reader or acknowledges the proposal.
_SALUTATION = re.compile(r"^([\u4e00-\u9fff、，,（）() ]{2,40})[：:]$")
_ADDRESSED = re.compile(r"您|你|收悉|感谢")
_REPLY_MARK = re.compile(r"答复如下|的答复$", re.MULTILINE)


# A name the text shortens ("《XX市促进科技成果转化若干措施》（以下简称《若干措施》）", "国家技术转移东部中心（以下
# 简称“东部中心”）"): the full name in 《》 or “”, or the words before the bracket; the short one inside it.
_ALIAS = re.compile(
    r"(?P<full>《[^》]{2,60}》|“[^”]{2,40}”|[^\s，,。；;：:（）()、“”《》]{2,40})\s*[（(]\s*(?:以下简称|以下称|下称|简称)\s*[：:]?"
    r"\s*(?P<short>《[^》]{1,20}》|“[^”]{1,20}”|[^\s）)，,。“”《》]{1,15})\s*[）)]"
)
_NAME_START = ("n", "ns", "nt", "nz", "nr", "j", "eng", "m")  # jieba flags a bare full name may start with
_MAX_ALIASES = 40


def find_aliases(text: str) -> tuple[tuple[str, str], ...]:
    """The short names a text defines for longer ones, as (short, full) without their 《》 or “”."""
    found: dict[str, str] = {}
    for match in _ALIAS.finditer(text):
        short, full = _bare(match.group("short")), match.group("full")
        full = _bare(full) if full[0] in "《“" else _name_at_end(full)
        if len(short) >= 2 and len(full) > len(short) and short != full:
            found.setdefault(short, full)
        if len(found) >= _MAX_ALIASES:
            break
    return tuple(found.items())


def _bare(name: str) -> str:
    return name.strip("《》“”\"' ")


def _name_at_end(words: str) -> str:
    """The name that ends a run of words: the run without the verbs and prepositions it starts with
    ("对接引进国家技术转移东部中心" → 国家技术转移东部中心)."""
    tokens = tagged_words(words)
    start = next((i for i, (_, flag) in enumerate(tokens) if flag in _NAME_START), len(tokens))
    return "".join(word for word, _ in tokens[start:])


def extract_metadata(text: str) -> dict[str, str]:
    """Every field the text states; a field it does not state is ""."""
    head = [line.strip() for line in text.split("\n") if line.strip()][:_HEAD_LINES]
    doc_number = find_doc_number(text, head)
    issuer = find_issuer(text, head)
    title = find_title(head, issuer)
    return {
        "title": title,
        "issuer": issuer,
        "doc_number": doc_number,
        "date": find_date(text, doc_number),
        "city": find_city(issuer, title, head[:5]),
        "kind": guess_kind(title, text),
        "addressee": find_addressee(head),
    }


def find_doc_number(text: str, head: list[str]) -> str:
    """文号 from a "文号:" label, else from the head (a 文号 in the body cites another document)."""
    labelled = _LABELLED_NUMBER.search(text)
    if labelled and DOC_NUMBER.fullmatch(labelled.group(1)):
        return labelled.group(1)
    for line in head:
        found = DOC_NUMBER.search(line)
        if found:
            return found.group()
    return ""


def find_date(text: str, doc_number: str) -> str:
    """ISO date from a label, a news source line, a date line or a short head line with a date; else the 文号's year."""
    head = [line for line in text.split("\n")[: _HEAD_LINES * 3] if len(line.strip()) <= _SHORT_LINE]
    for pattern, where in (
        (_LABELLED_DATE, text),
        (_SOURCE_DATE, text),
        (_DATE_LINE, text),
        (_HEAD_DATE, "\n".join(head)),
    ):
        found = pattern.search(where)
        if found and 1 <= int(found.group(2)) <= 12 and 1 <= int(found.group(3)) <= 31:
            year, month, day = found.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    year = DOC_NUMBER.search(doc_number)
    return year.group(1) if year else ""


def find_issuer(text: str, head: list[str]) -> str:
    """发文机关 from a "发布机构:" label, an agency name standing alone in the head, or a news page's
    "来源：" when it names an agency."""
    labelled = _LABELLED_ISSUER.search(text)
    if labelled:
        return labelled.group(1)
    for line in head[:5]:
        found = _ISSUER_LINE.match(line)
        if found:
            return found.group(1)
    source = _SOURCE_AGENCY.search("\n".join(head))
    if source:
        return source.group(1)
    # "嘉兴市科学技术局关于印发…的通知": a title that opens with its issuer.
    for line in head[:5]:
        found = _ISSUER_TITLE.match(line)
        if found:
            return found.group(1)
    return ""


def find_title(head: list[str], issuer: str) -> str:
    """A "(issuer)关于…" title line, the headline above a news source line, a heading, or a leading 《…》."""
    for line in head:
        found = _TITLE_LINE.match(line)
        if found:
            return found.group(1).strip()
    for above, line in itertools.pairwise(head):
        if _SOURCE_MARK.match(line) and len(above) <= _MAX_TITLE_CHARS:
            return above.lstrip("#* ").rstrip("* ")  # an HTML <h1> or a Word heading arrives as "# …"
    for line in head:
        found = _MARKDOWN_HEADING.match(line)
        if found and found.group(1) != issuer:
            return found.group(1)
    for line in head:
        found = _LEADING_BOOK_TITLE.match(line)
        if found:
            return found.group(1)
    return ""


def find_addressee(head: list[str]) -> str:
    """Whom a reply answers (the proposer of the 提案/建议): its salutation line, without the colon."""
    for line, after in itertools.pairwise(head):
        found = _SALUTATION.match(line.lstrip("# "))
        if found and _ADDRESSED.search(after[:60]):
            return found.group(1).strip()
    return ""


def find_city(issuer: str, title: str, head: list[str] | None = None) -> str:
    """The place a document is about: the most local division its issuer names, else its title, else its
    opening lines (China's administrative divisions, any city or county)."""
    for source in (issuer, title, " ".join(head or [])):
        places = gazetteer().find(source)
        if places:
            local = [p for p in places if p.level != "province"]
            return (local or places)[0].name
    return ""


def guess_kind(title: str, text: str) -> str:
    """reply | plan | news | notice | measures | other, from the title and news markers."""
    if "答复" in title or _REPLY_MARK.search(text[:3000]):
        return "reply"
    if "规划" in title:
        return "plan"
    if _SOURCE_MARK.search(text[:2000]) or "新闻" in text[:300]:
        return "news"
    if re.search(r"通知|通告|公告", title):
        return "notice"
    if re.search(r"措施|办法|细则|意见|方案|政策", title):
        return "measures"
    return "other"
