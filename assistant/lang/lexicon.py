"""Query normalization, jieba tokenization and glossary-driven query expansion for keyword search."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import tomllib
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jieba
import jieba.posseg as pseg

from assistant.lang.bilingual import EXACT, translations
from assistant.lang.places import gazetteer

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
# Question words built on 哪 or 几 + a classifier ("哪一郡", "哪条", "几层"): they ask, they name nothing.
_WH_WORD = re.compile(r"^(?:哪|几(?=[个家项名人位次所条批场件种类座台套支户篇份届期级层部本张年月天岁辆架代]))")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9&\-]*")
DICTIONARY_TERMS = 4  # translations kept per English word the glossary lacks (most exact, then most common)
DICTIONARY_EXPANSIONS = 2  # ... of which at most this many, used by the corpus, are added to the search
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")  # a year such as 2025 (not part of a longer number)
CJK = re.compile(r"[\u4e00-\u9fff]")  # one Chinese character
_jieba_lock = threading.Lock()


def is_english(text: str) -> bool:
    """True when the text is written mostly in Latin letters."""
    latin = len(re.findall(r"[A-Za-z]", text))
    return latin > 2 * len(CJK.findall(text))


def normalize_query(text: str) -> str:
    """Full-width → half-width, no control or zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", _ZERO_WIDTH.sub("", text))
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class DictionaryTerm:
    """An English word or phrase with the Chinese words that stand for it (lang/bilingual.py)."""

    phrase: str
    forms: tuple[str, ...]  # for concept coverage: the translations the corpus uses, else the exact ones
    search: tuple[str, ...] = ()  # added to the search: the corpus's own, unambiguous translations


@dataclass(frozen=True)
class Lexicon:
    """The glossary (corpus/glossary.toml) plus the tokenizer built from it."""

    terms: tuple[str, ...] = ()
    stopwords: frozenset[str] = frozenset()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    english: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tokenizer: jieba.Tokenizer = field(default_factory=jieba.Tokenizer, compare=False, repr=False)

    @property
    def digest(self) -> str:
        """A short hash of what shapes the tokens (terms kept whole, stopwords), for the index fingerprint."""
        shaping = "\n".join([*sorted(self.terms), "--", *sorted(self.stopwords)])
        return hashlib.sha256(shaping.encode()).hexdigest()[:10]

    def tokenize(self, text: str) -> list[str]:
        """Search tokens: jieba's search-mode cut of normalized, lower-cased text, minus stopwords.

        A stopword drops with its parts: "能不能" does not leave "不能" behind.
        """
        text = normalize_query(text).lower()
        with _jieba_lock:  # jieba's lazy initialisation is not thread-safe
            words = [w.strip() for w in self.tokenizer.lcut(text)]
        freq = self.tokenizer.FREQ
        pieces: list[str] = []
        for word in words:
            if not word or word in self.stopwords or _WH_WORD.match(word):
                continue
            if len(word) == 2 and word[1] in self.stopwords and not freq.get(word):
                word = word[0]  # jieba's guess at an unknown name took the word after it ("司马晏是" → 晏是)
            # jieba's search mode: the dictionary words inside a long word (2- and 3-grams), then the word.
            for n in (2, 3):
                if len(word) > n:
                    pieces += [word[i : i + n] for i in range(len(word) - n + 1) if freq.get(word[i : i + n])]
            pieces.append(word)
        return [p for p in pieces if p not in self.stopwords]

    def expand(
        self, question: str, known: Container[str] | None = None, dictionary: Sequence[DictionaryTerm] | None = None
    ) -> list[str]:
        """Extra Chinese search terms for a question: synonyms of its terms, English glossary hits, and the
        dictionary's translations of other English words (those the corpus uses, when `known` is given;
        `dictionary` is dictionary_terms() when the caller has it already)."""
        text = normalize_query(question)
        lowered = text.lower()
        extra: list[str] = []
        for key, values in self.synonyms.items():
            if key in text:
                extra.extend(values)
        words = set(_LATIN_WORD.findall(lowered))
        for phrase, values in self.english.items():
            hit = phrase in lowered if (" " in phrase or "-" in phrase) else phrase in words
            if hit:
                extra.extend(values)
        for term in self.dictionary_terms(text, known) if dictionary is None else dictionary:
            extra.extend(term.search)
        return [t for t in dict.fromkeys(extra) if t not in text]

    def dictionary_terms(self, question: str, known: Container[str] | None = None) -> list[DictionaryTerm]:
        """The English words and short phrases of an English question that no glossary phrase covers, each with
        its dictionary translations (lang/bilingual.py): a phrase the dictionary knows whole ("proof of concept")
        is taken whole, else word by word; translations the definition states exactly come first, then the
        more common Chinese words. With `known` (the corpus's search tokens), the translations the corpus uses
        are kept ("pilot" is 试点 in a policy corpus, not 飞行员); when it uses none, the exact ones stay, so the
        word counts as a concept the corpus lacks. A word's looser translations ("national" → 国家级) count
        only where the corpus uses them."""
        text = normalize_query(question)
        if not is_english(text):
            return []
        lowered = text.lower()
        # Words inside a glossary phrase the question uses are the glossary's ("high-tech enterprise" also
        # covers the "enterprises" it is the start of).
        covered = [False] * len(lowered)
        for phrase in self.english:
            for found in re.finditer(r"(?<![a-z])" + re.escape(phrase), lowered):
                covered[found.start() : found.end()] = [True] * (found.end() - found.start())
        # Words the glossary covers break the text into runs: a phrase never spans them.
        words: list[str] = []
        for word in _LATIN_WORD.finditer(lowered):
            glossed = any(covered[word.start() : word.end()])
            words += [""] if glossed else [w for w in word.group().split("-") if w]  # pilot-scale: 2 words
        places = gazetteer().english()
        terms: list[DictionaryTerm] = []
        i = 0
        while i < len(words):
            for n in (3, 2, 1):
                piece = words[i : i + n]
                if len(piece) < n or "" in piece:
                    continue
                if piece[0] in self.stopwords or piece[-1] in self.stopwords or len(piece[0]) < 3:
                    continue
                phrase = " ".join(piece)
                place = places.get(phrase) or places.get("".join(piece))  # Xiamen, Xi'an
                if place is not None:
                    terms.append(DictionaryTerm(phrase, (place.name, place.full), (place.name,)))
                    i += n - 1
                    break
                term = self._translate(phrase, n == 1, known)
                if term is not None:
                    terms.append(term)
                    i += n - 1
                    break
            i += 1
        return terms

    def _translate(self, phrase: str, single: bool, known: Container[str] | None) -> DictionaryTerm | None:
        found = translations(phrase)
        exact = [c for c, rank in found.items() if rank == EXACT]
        if known is None:
            chosen, used = exact or (list(found) if single else []), []
        else:
            used = [c for c in (found if single else exact) if self._uses(known, c)]
            chosen = used or exact
        if not chosen:
            return None

        def preference(chinese: str) -> tuple[int, int, int]:  # the exact first, then the most common, shortest
            return found[chinese], -self.tokenizer.FREQ.get(chinese, 0), len(chinese)

        chosen.sort(key=preference)
        used.sort(key=preference)
        # A word with many translations the corpus uses ("set": 规定, 系列, 一套) is too ambiguous to search by.
        search = tuple(used[:DICTIONARY_EXPANSIONS]) if len(used) <= DICTIONARY_EXPANSIONS + 1 else ()
        return DictionaryTerm(phrase, tuple(chosen[:DICTIONARY_TERMS]), search)

    def _uses(self, known: Container[str], chinese: str) -> bool:
        """True when the corpus has the word: as one search token, or as all the tokens it is cut into."""
        if chinese in known:
            return True
        pieces = self.tokenize(chinese)
        return bool(pieces) and all(p in known for p in pieces)

    def concepts(
        self, question: str, known: Container[str] | None = None, dictionary: Sequence[DictionaryTerm] | None = None
    ) -> list[tuple[str, tuple[str, ...]]]:
        """What a question asks about: each of its search terms with the glossary terms that stand for it.

        A Chinese term maps to itself plus its synonyms; an English glossary phrase maps to its Chinese terms
        (English words the documents never use are left out: they cannot match a Chinese sentence).
        """
        text = normalize_query(question)
        lowered = text.lower()
        words = set(_LATIN_WORD.findall(lowered))
        found: dict[str, tuple[str, ...]] = {}
        for token in self.tokenize(text):
            if _LATIN_WORD.fullmatch(token):
                continue  # handled through the English glossary below
            found.setdefault(token, (token, *self.synonyms.get(token, ())))
        for key, values in self.synonyms.items():
            # A glossary word jieba cut apart in this question ("可以报销吗" → "可以报销", "吗") still counts.
            if len(key) > 1 and key in text and key not in found and not _LATIN_WORD.fullmatch(key.lower()):
                found[key] = (key, *values)
        for phrase, values in self.english.items():
            if (phrase in lowered) if (" " in phrase or "-" in phrase) else (phrase in words):
                found.setdefault(phrase, values)
        for term in self.dictionary_terms(text, known) if dictionary is None else dictionary:
            found.setdefault(term.phrase, term.forms)
        for word in words:
            if word in self.stopwords or any(word in phrase.split() for phrase in found):
                continue
            found.setdefault(word, (word,))  # R&D, GDP and the like may occur verbatim
        return list(found.items())


_NOUN_FLAGS = ("n", "nz", "nr", "ns", "nt", "vn", "eng", "j")  # jieba's tags of nouns, names and verbal nouns


def tagged_words(text: str) -> list[tuple[str, str]]:
    """jieba's part-of-speech cut of a short text: (word, flag) pairs."""
    with _jieba_lock:  # jieba's lazy initialisation is not thread-safe
        return [(w.word, w.flag) for w in pseg.cut(text)]


def nouns(text: str) -> list[str]:
    """The nouns and names of a short text (two characters or more)."""
    return [w for w, flag in tagged_words(text) if flag in _NOUN_FLAGS and len(w.strip()) > 1]


@functools.cache
def language_acronyms() -> dict[str, tuple[str, ...]]:
    """English acronyms of the field with the Chinese terms they stand for (lang/acronyms.toml)."""
    path = Path(__file__).resolve().parent / "acronyms.toml"
    return {k: tuple(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8"))["acronyms"].items()}


@functools.cache
def language_stopwords() -> frozenset[str]:
    """Chinese and English words that carry no topic in a question (lang/stopwords.toml)."""
    path = Path(__file__).resolve().parent / "stopwords.toml"
    return frozenset(tomllib.loads(path.read_text(encoding="utf-8"))["stopwords"])


def load_lexicon(path: Path | None) -> Lexicon:
    """Read the glossary; a missing file gives a plain tokenizer (still Chinese-aware, with the languages'
    own stopwords)."""
    data: dict[str, Any] = {}
    if path is not None and path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    tokenizer = jieba.Tokenizer()
    jieba.setLogLevel(60)
    terms = tuple(data.get("terms", ()))
    for term in terms:
        tokenizer.add_word(term.lower(), freq=200000)
    return Lexicon(
        terms=terms,
        stopwords=language_stopwords() | frozenset(data.get("stopwords", ())),
        synonyms={k: tuple(v) for k, v in data.get("synonyms", {}).items()},
        english={**language_acronyms(), **{k.lower(): tuple(v) for k, v in data.get("english", {}).items()}},
        tokenizer=tokenizer,
    )
