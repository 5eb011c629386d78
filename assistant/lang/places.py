"""Places named in text, from China's administrative divisions (the table bundled with jionlp), not a list."""

from __future__ import annotations

import contextlib
import functools
import io
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Level = Literal["province", "city", "county"]
_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|地区|盟|省|市|县|区|旗)$")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_lock = threading.Lock()


@dataclass(frozen=True)
class Place:
    """One administrative division: its short name as text uses it, its level and what it lies in."""

    name: str  # 泉州, 四川, 晋江
    full: str  # 泉州市
    level: Level
    province: str  # short name of the province ("" for a province itself)
    city: str  # short name of the prefecture-level city ("" above that level)

    def within(self, other: Place) -> bool:
        """True when this place is `other` or lies inside it (晋江 in 泉州, 泉州 in 福建)."""
        return other.name in (self.name, self.province, self.city)


class Gazetteer:
    """Finds places in Chinese text (and pinyin names in English text) by longest match."""

    def __init__(self, places: list[Place], aliases: dict[str, Place]) -> None:
        self.places = places
        self._names = aliases  # every accepted surface form → its place
        self._longest = max((len(n) for n in aliases), default=0)
        self._english: dict[str, Place] | None = None

    def get(self, name: str) -> Place | None:
        return self._names.get(name)

    def mentions(self, name: str, text: str) -> bool:
        """True when the text names the place: by name, or by its province abbreviation ("沪" for 上海) standing
        outside any longer place name ("南京" does not mention 北京)."""
        place = self.get(name)
        if name in text or (place is not None and place.full in text):
            return True
        short = _abbreviations().get(place.name) if place is not None else None
        if not short or short not in text:
            return False
        rest = text
        named = self.find(text)
        for found in sorted({p.name for p in named} | {p.full for p in named}, key=len, reverse=True):
            rest = rest.replace(found, " ")
        return short in rest

    def find(self, text: str) -> list[Place]:
        """The places a text names, in order of first mention, each once (the longest name wins)."""
        found: dict[str, Place] = {}
        i = 0
        while i < len(text):
            for size in range(min(self._longest, len(text) - i), 1, -1):
                place = self._names.get(text[i : i + size])
                if place is not None:
                    found.setdefault(place.full + place.province, place)
                    i += size
                    break
            else:
                i += 1
        for word in _LATIN_WORD.findall(text):
            place = self.english().get(word.lower())
            if place is not None:
                found.setdefault(place.full + place.province, place)
        return list(found.values())

    def english_name(self, name: str) -> str:
        """A place's name in English (pinyin, "泉州" → "Quanzhou"), or the name itself when unknown."""
        place = self.get(name)
        if place is None:
            return name
        return next((key.title() for key, p in self.english().items() if p == place), name)

    def english(self) -> dict[str, Place]:
        """Pinyin name → province or prefecture city ("quanzhou" → 泉州), built on first use."""
        with _lock:
            if self._english is None:
                self._english = _pinyin_names(self.places)
            return self._english


@functools.cache
def _abbreviations() -> dict[str, str]:
    path = Path(__file__).resolve().parent / "abbreviations.toml"
    return dict(tomllib.loads(path.read_text(encoding="utf-8"))["provinces"])


def _jionlp() -> Any:
    """jionlp, imported without the banner it prints to stdout (which would corrupt `ask --json`)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    return jionlp


def _pinyin_names(places: list[Place]) -> dict[str, Place]:
    jionlp = _jionlp()

    names: dict[str, Place] = {}
    for place in places:
        if place.level == "county":
            continue
        syllables = jionlp.pinyin(place.name, formater="simple")
        key = "".join(re.sub(r"\d", "", s) for s in syllables).lower()
        names.setdefault(key, place)
    return names


def _short(full: str, alias: object) -> str:
    if isinstance(alias, list) and alias:
        return str(alias[0])
    if isinstance(alias, str) and alias:
        return alias
    return _SUFFIX.sub("", full) or full


@functools.cache
def gazetteer() -> Gazetteer:
    """China's provinces, cities and counties; county short names only where unambiguous and tagged as places."""
    import jieba
    import jieba.posseg

    table = _jionlp().china_location_loader(detail=False)
    places: list[Place] = []
    for prov_full, prov in table.items():
        province = _short(prov_full, prov.get("_alias"))
        places.append(Place(province, prov_full, "province", "", ""))
        for city_full, city in ((k, v) for k, v in prov.items() if not k.startswith("_")):
            city_name = _short(city_full, city.get("_alias"))
            places.append(Place(city_name, city_full, "city", province, ""))
            for county_full, county in ((k, v) for k, v in city.items() if not k.startswith("_")):
                name = _short(county_full, county.get("_alias"))
                places.append(Place(name, county_full, "county", province, city_name))
    jieba.setLogLevel(60)
    jieba.posseg.dt.initialize()
    tags = jieba.posseg.dt.word_tag_tab
    short_counts: dict[str, int] = {}
    for place in places:
        short_counts[place.name] = short_counts.get(place.name, 0) + 1
    aliases: dict[str, Place] = {}
    for place in places:
        aliases.setdefault(place.full, place)
    for place in places:
        unique = short_counts[place.name] == 1
        if len(place.name) < 2 or place.name in aliases:
            continue
        if place.level != "county" or (unique and tags.get(place.name) == "ns"):
            aliases[place.name] = place
    return Gazetteer(places, aliases)
