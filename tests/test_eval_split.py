"""The gold set's dev/test split (evals/split.py): seeded, stratified, and the file agrees with the script."""

from __future__ import annotations

from collections import Counter

from evals.harness import load_gold
from evals.split import assign_splits


def test_every_gold_item_has_the_split_the_script_assigns():
    items = load_gold()
    assert {item["id"]: item.get("split") for item in items} == assign_splits(items)


def test_split_halves_every_category_and_language_within_one_item():
    counts = Counter((item["category"], item["lang"], item["split"]) for item in load_gold())
    strata = {(category, lang) for category, lang, _ in counts}
    assert all(abs(counts[(*key, "dev")] - counts[(*key, "test")]) <= 1 for key in strata)


def test_split_depends_on_the_seed():
    items = load_gold()
    assert assign_splits(items, seed=1) != assign_splits(items, seed=2)


def test_test_split_holds_both_refusal_kinds():
    kinds = Counter(item.get("refusal_kind") for item in load_gold() if item["split"] == "test")
    assert kinds["not_covered"] > 0 and kinds["not_stated"] > 0
