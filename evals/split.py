"""`python -m evals.split`: give every gold item a seeded `split` (dev or test), stratified by category and language."""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

GOLD = Path(__file__).resolve().parent / "gold.jsonl"
SPLITS = ("dev", "test")
SEED = 12  # issue 12; changing it reshuffles every item, so it is fixed once


def assign_splits(items: Sequence[dict[str, Any]], seed: int = SEED) -> dict[str, str]:
    """Item id → "dev" or "test": each (category, lang) stratum shuffled and halved; odd leftovers alternate."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        strata[(item["category"], item["lang"])].append(item["id"])
    assigned: dict[str, str] = {}
    leftover_to = 0  # which split receives the next stratum's odd item, so the halves stay within one item
    for key in sorted(strata):
        ids = sorted(strata[key])
        random.Random(f"{seed}:{key[0]}:{key[1]}").shuffle(ids)
        half = len(ids) // 2
        for i, item_id in enumerate(ids):
            if i < half:
                assigned[item_id] = "dev"
            elif i < 2 * half:
                assigned[item_id] = "test"
            else:
                assigned[item_id] = SPLITS[leftover_to]
                leftover_to = 1 - leftover_to
    return assigned


def write_splits(path: Path = GOLD, seed: int = SEED) -> dict[str, int]:
    """Rewrite the gold file with each item's `split` field (the rest of every line unchanged); counts per split."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [json.loads(line) for line in lines]
    splits = assign_splits(items, seed)
    out = []
    for item in items:
        item["split"] = splits[item["id"]]
        out.append(json.dumps(item, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return {name: sum(s == name for s in splits.values()) for name in SPLITS}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the splits and print how many items each holds."""
    parser = argparse.ArgumentParser(prog="python -m evals.split", description=__doc__)
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = write_splits(args.gold, args.seed)
    print(", ".join(f"{name} {n}" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
