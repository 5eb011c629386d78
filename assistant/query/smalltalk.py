"""Messages that are not questions about the documents: greetings, requests for help, text with no known words.

The vocabulary lives in smalltalk.toml; the help text's example questions come from the current corpus
(its documents' titles and section headings), so they change as documents are added.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from assistant.ingest.store import Snapshot
from assistant.lang.lexicon import Lexicon
from assistant.lang.places import gazetteer
from assistant.types import Answer, RefusalKind

VOCABULARY = Path(__file__).with_name("smalltalk.toml")
_PUNCT = re.compile(r"[\s,.!?;:~，。！？；：、…～“”\"'（）()]+")
_LATIN_WORD = re.compile(r"[a-z][a-z'’-]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_OTHER_SCRIPT = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f]")  # a letter of a script other than Latin
UNCLEAR = (
    "没看懂这个问题，请换一种说法，例如问某项政策的补贴、目标或条件。 / Sorry, I could not read that as a question."
)


@cache
def _vocabulary(path: Path = VOCABULARY) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    greetings, helps, english = (
        frozenset(w.lower() for w in data.get(k, [])) for k in ("greetings", "help", "english")
    )
    return greetings, helps, english


def talk_kind(question: str, snap: Snapshot, lexicon: Lexicon) -> RefusalKind:
    """ "greeting" (a hello or a request for help), "unclear" (no recognisable words), or "" for a question."""
    greetings, helps, english = _vocabulary()
    bare = _PUNCT.sub(" ", question.lower()).strip()
    if bare in greetings or bare in helps or question.strip() in helps:
        return "greeting"
    words = _LATIN_WORD.findall(question.lower())
    if _CJK.search(question) or not words or _OTHER_SCRIPT.search(question):
        return ""  # Chinese is read by the pipeline; other scripts are refused there as not covered
    known = set(english) | set(lexicon.english) | {w for phrase in lexicon.english for w in phrase.split()}
    if any(w in known or w in snap.df or w in gazetteer().english() for w in words):
        return ""
    return "unclear"


def example_questions(snap: Snapshot, limit: int = 4) -> list[str]:
    """Questions a user could ask of this corpus, one per document, from its title or its first section heading."""
    questions = []
    for doc in sorted(snap.docs.values(), key=lambda d: d.date, reverse=True)[:limit]:
        topic = _topic(doc.title) or _first_heading(snap, doc.doc_id)
        if not topic:
            continue
        where = f"{doc.city}" if doc.city and doc.city not in topic else ""
        ask = "的主要目标是什么？" if doc.kind == "plan" else "有哪些支持措施？"
        questions.append(f"{where}{topic}{ask}")
    return questions


def _topic(title: str) -> str:
    """The subject of a title: its parenthesised subject, else the title without 关于/的答复; "" for a bare
    proposal number ("市十七届人大五次会议第1212号建议的答复" says nothing a user would ask)."""
    inner = re.search(r"[（(]([^）)]{2,20})[）)]", title)
    topic = inner.group(1) if inner else re.sub(r"^关于|的(?:答复|通知|意见|建议)+$", "", title)
    return "" if re.search(r"第\S*号", topic) else topic[:30]


def _first_heading(snap: Snapshot, doc_id: str) -> str:
    sections = sorted((c.position, c.section) for c in snap.chunks_of(doc_id) if c.section)  # one document's rows
    for _, section in sections:
        head = re.sub(
            r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）|^第.{1,3}[章节]\s*", "", section.split(" > ")[0]
        )
        if 4 <= len(head) <= 30:
            return head.rstrip("。；")
    return ""


def help_text(snap: Snapshot, english: bool) -> str:
    """A short help: what the assistant answers from, and example questions from the corpus."""
    examples = "\n".join(f"- {q}" for q in example_questions(snap)) or "- （文档库为空，请先上传文档）"
    if english:
        return (
            f"Hello! I answer questions from the {len(snap.docs)} policy documents in the library, quoting them "
            "verbatim with numbered sources. Ask about a subsidy, a target or a condition, in Chinese or English, "
            f"for example:\n{examples}"
        )
    return (
        f"你好！我根据文档库中的 {len(snap.docs)} 份政策文件回答问题，答案均摘自原文并标注出处。"
        f"可以问补贴金额、目标、条件等，例如：\n{examples}"
    )


def small_talk(question: str, snap: Snapshot, lexicon: Lexicon) -> Answer | None:
    """The help text for a greeting, "没看懂" for text with no known words, or None for a real question."""
    kind = talk_kind(question, snap, lexicon)
    if not kind:
        return None
    english = bool(re.search(r"[A-Za-z]", question)) and not _CJK.search(question)
    text = help_text(snap, english) if kind == "greeting" else UNCLEAR
    return Answer(question=question, text=text, citations=[], refused=True, refusal_kind=kind)
