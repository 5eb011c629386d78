"""A corpus ×N: copy 0 is the real corpus; copies 1…N-1 replace city names and numbers with seeded random ones."""

from __future__ import annotations

import json
import random
import re
import shutil
import tomllib
from pathlib import Path

CITIES = [
    "福州",
    "漳州",
    "莆田",
    "宁德",
    "龙岩",
    "三明",
    "南平",
    "温州",
    "宁波",
    "台州",
    "绍兴",
    "嘉兴",
    "湖州",
    "金华",
    "苏州",
    "无锡",
    "常州",
    "南通",
    "扬州",
    "徐州",
    "合肥",
    "芜湖",
    "南昌",
    "赣州",
    "长沙",
    "株洲",
    "武汉",
    "宜昌",
    "成都",
    "绵阳",
    "西安",
    "郑州",
    "洛阳",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "东莞",
    "佛山",
    "珠海",
    "汕头",
    "惠州",
    "中山",
    "江门",
    "南宁",
    "柳州",
    "昆明",
    "贵阳",
    "太原",
    "石家庄",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "兰州",
    "银川",
    "西宁",
    "海口",
    "三亚",
]
SOURCE_CITIES = ("泉州", "厦门")
_NUMBER = re.compile(r"\d+")


def _perturb_number(match: re.Match[str], rng: random.Random) -> str:
    digits = match.group()
    if len(digits) == 4 and digits.startswith(("19", "20")):
        return digits  # keep years: the text stays plausible and date metadata parses
    first = str(rng.randint(1, 9)) if len(digits) > 1 else str(rng.randint(0, 9))
    return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])


def perturb(text: str, cities: dict[str, str], rng: random.Random) -> str:
    """The text with other cities and other numbers (same digit counts)."""
    for old, new in cities.items():
        text = text.replace(old, new)
    return _NUMBER.sub(lambda m: _perturb_number(m, rng), text)


def _toml_table(name: str, entry: dict[str, str]) -> str:
    lines = [f"[{json.dumps(name, ensure_ascii=False)}]"]
    lines += [f"{key} = {json.dumps(str(value), ensure_ascii=False)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


def replicate(source: Path, target: Path, factor: int, seed: int = 20260101) -> dict[str, int]:
    """Write the corpus ×factor into `target` (with a manifest for every copy); returns files and bytes."""
    target.mkdir(parents=True, exist_ok=True)
    manifest = tomllib.loads((source / "manifest.toml").read_text(encoding="utf-8"))
    shutil.copy(source / "glossary.toml", target / "glossary.toml")
    files = sorted(p for p in source.glob("*.txt"))
    rng = random.Random(seed)
    tables, total = [], 0
    for copy in range(factor):
        cities = {c: rng.choice(CITIES) for c in SOURCE_CITIES} if copy else {}
        if cities:
            cities["泉科函"] = cities["泉州"][0] + "科函"  # the bureau's abbreviation in 文号
        for path in files:
            name = path.name if copy == 0 else f"{path.stem}--x{copy:04d}.txt"
            text = path.read_text(encoding="utf-8")
            text = perturb(text, cities, rng) if copy else text
            (target / name).write_text(text, encoding="utf-8")
            total += len(text.encode())
            entry = manifest.get(path.name, {})
            if entry:
                entry = {k: perturb(str(v), cities, rng) if copy and k != "date" else v for k, v in entry.items()}
                tables.append(_toml_table(name, entry))
    (target / "manifest.toml").write_text("\n".join(tables), encoding="utf-8")
    return {"files": factor * len(files), "bytes": total}
