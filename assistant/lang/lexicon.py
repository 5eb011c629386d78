"""Query normalization, jieba tokenization and glossary-driven query expansion for keyword search."""

from __future__ import annotations

import hashlib
import re
import threading
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jieba

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9&\-]*")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")  # a year such as 2025 (not part of a longer number)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_jieba_lock = threading.Lock()


def is_english(text: str) -> bool:
    """True when the text is written mostly in Latin letters."""
    latin = len(re.findall(r"[A-Za-z]", text))
    return latin > 2 * len(_CJK.findall(text))


def normalize_query(text: str) -> str:
    """Full-width → half-width, no control or zero-width characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", _ZERO_WIDTH.sub("", text))
    return _SPACES.sub(" ", text).strip()


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
            if not word or word in self.stopwords:
                continue
            # jieba's search mode: the dictionary words inside a long word (2- and 3-grams), then the word.
            for n in (2, 3):
                if len(word) > n:
                    pieces += [word[i : i + n] for i in range(len(word) - n + 1) if freq.get(word[i : i + n])]
            pieces.append(word)
        return [p for p in pieces if p not in self.stopwords]

    def expand(self, question: str) -> list[str]:
        """Extra Chinese search terms for a question: synonyms of its terms and English glossary hits."""
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
        return [t for t in dict.fromkeys(extra) if t not in text]

    def concepts(self, question: str) -> list[tuple[str, tuple[str, ...]]]:
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
        for word in words:
            if any(word in phrase.split() for phrase in found):
                continue
            found.setdefault(word, (word,))  # R&D, GDP and the like may occur verbatim
        return list(found.items())


def load_lexicon(path: Path | None) -> Lexicon:
    """Read the glossary; a missing file gives a plain tokenizer (still Chinese-aware)."""
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
        stopwords=frozenset(data.get("stopwords", ())),
        synonyms={k: tuple(v) for k, v in data.get("synonyms", {}).items()},
        english={k.lower(): tuple(v) for k, v in data.get("english", {}).items()},
        tokenizer=tokenizer,
    )
