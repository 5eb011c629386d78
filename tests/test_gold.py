"""Integrity checks for the gold evaluation set (evals/gold.jsonl).

The gold set is hand-written from the corpus; these tests make sure every quote is verbatim,
every key fact is backed by a quote, and the category mix stays as specified.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import CORPUS

from evals.harness import GOLD

MIN_PER_CATEGORY = {
    "numeric": 15,
    "entity": 10,
    "list": 8,
    "table": 15,
    "cross_document": 8,
    "paraphrase": 10,
    "english": 15,
    "followup": 8,
    "unanswerable": 18,
}
MIN_ITEMS = 110
SEED_DOCS = {
    "quanzhou-2026-108-reply-tech-transfer",
    "quanzhou-2023-63-reply-pilot-bases",
    "quanzhou-2025-81-reply-sti-industry-fusion",
    "xiamen-2026-tech-transfer-measures-news",
    "quanzhou-14th-five-year-sti-plan",
}
MIN_ENGLISH = 15
MIN_UNANSWERABLE_ENGLISH = 4
MIN_NOT_STATED = 3
REFUSAL_KINDS = {"not_stated", "not_covered"}
LANGS = {"zh", "en"}
REQUIRED_FIELDS = {
    "id": str,
    "category": str,
    "lang": str,
    "question": str,
    "history": list,
    "reference": str,
    "key_facts": list,
    "evidence": list,
    "answerable": bool,
}

_WS = re.compile(r"\s+")  # str pattern: also strips NBSP (U+00A0) and U+3000


def squash(text: str) -> str:
    """Remove all whitespace, so page breaks and table cell layout do not matter."""
    return _WS.sub("", text)


def _load_lines() -> list[str]:
    return [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [json.loads(line) for line in _load_lines()]


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    return {p.stem: squash(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.txt")}


def _label(item: dict) -> str:
    return item.get("id", "<no id>")


def test_gold_every_line_is_a_json_object():
    lines = _load_lines()
    assert lines, "evals/gold.jsonl is empty"
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {n} is not a JSON object"


def test_gold_has_enough_items(items):
    assert len(items) >= MIN_ITEMS


def test_gold_ids_are_unique(items):
    dupes = [i for i, c in Counter(it["id"] for it in items).items() if c > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_gold_required_fields_have_the_right_types(items):
    for it in items:
        for field, typ in REQUIRED_FIELDS.items():
            assert field in it, f"{_label(it)}: missing {field}"
            assert isinstance(it[field], typ), f"{_label(it)}: {field} is not {typ.__name__}"
        assert it["question"].strip(), f"{_label(it)}: empty question"
        assert it["reference"].strip(), f"{_label(it)}: empty reference"
        assert all(isinstance(k, str) and k.strip() for k in it["key_facts"]), _label(it)
        for ev in it["evidence"]:
            assert isinstance(ev, dict), _label(it)
            assert isinstance(ev.get("doc_id"), str) and ev["doc_id"], _label(it)
            assert isinstance(ev.get("quote"), str) and ev["quote"].strip(), _label(it)


def test_gold_categories_and_langs_are_known(items):
    for it in items:
        assert it["category"] in MIN_PER_CATEGORY, f"{_label(it)}: unknown category {it['category']}"
        assert it["lang"] in LANGS, f"{_label(it)}: unknown lang {it['lang']}"


def test_gold_meets_minimum_count_per_category(items):
    counts = Counter(it["category"] for it in items)
    short = {c: (counts.get(c, 0), n) for c, n in MIN_PER_CATEGORY.items() if counts.get(c, 0) < n}
    assert not short, f"categories below minimum (have, need): {short}"


def test_gold_has_enough_english_questions(items):
    assert sum(it["lang"] == "en" for it in items) >= MIN_ENGLISH
    assert all(it["lang"] == "en" for it in items if it["category"] == "english")


def test_gold_history_is_well_formed(items):
    for it in items:
        for turn in it["history"]:
            assert isinstance(turn, dict), _label(it)
            assert turn.get("role") in {"user", "assistant"}, _label(it)
            assert isinstance(turn.get("content"), str) and turn["content"].strip(), _label(it)
        if it["category"] == "followup":
            roles = [t["role"] for t in it["history"]]
            assert len(roles) >= 2 and roles[0] == "user" and roles[-1] == "assistant", _label(it)


def test_gold_evidence_doc_ids_are_corpus_files(items, corpus_texts):
    for it in items:
        for ev in it["evidence"]:
            assert ev["doc_id"] in corpus_texts, f"{_label(it)}: unknown doc_id {ev['doc_id']}"


def test_gold_quotes_exist_in_corpus(items, corpus_texts):
    missing = [
        (_label(it), ev["doc_id"], ev["quote"])
        for it in items
        for ev in it["evidence"]
        if squash(ev["quote"]) not in corpus_texts.get(ev["doc_id"], "")
    ]
    assert not missing, f"quotes not found verbatim in corpus: {missing}"


def test_gold_key_facts_occur_in_evidence_quotes(items):
    unsupported = []
    for it in items:
        quotes = [squash(ev["quote"]) for ev in it["evidence"]]
        for fact in it["key_facts"]:
            if not any(squash(fact) in q for q in quotes):
                unsupported.append((_label(it), fact))
    assert not unsupported, f"key facts not in any evidence quote: {unsupported}"


def test_gold_answerable_items_have_key_facts_and_evidence(items):
    for it in items:
        if it["answerable"]:
            assert it["category"] != "unanswerable", _label(it)
            assert it["key_facts"], f"{_label(it)}: no key facts"
            assert it["evidence"], f"{_label(it)}: no evidence"
            assert "refusal_kind" not in it, _label(it)


def test_gold_unanswerable_items_are_refusals(items):
    for it in items:
        if it["category"] == "unanswerable":
            assert it["answerable"] is False, _label(it)
        if not it["answerable"]:
            assert it["category"] == "unanswerable", _label(it)
            assert it.get("refusal_kind") in REFUSAL_KINDS, f"{_label(it)}: bad refusal_kind"
            assert not it["key_facts"], f"{_label(it)}: refusals have no key facts"


def test_gold_not_covered_refusals_have_no_key_facts_or_evidence(items):
    for it in items:
        if it.get("refusal_kind") == "not_covered":
            assert not it["key_facts"], _label(it)
            assert not it["evidence"], _label(it)


def test_gold_not_stated_refusals_quote_what_is_said(items):
    not_stated = [it for it in items if it.get("refusal_kind") == "not_stated"]
    assert len(not_stated) >= MIN_NOT_STATED
    for it in not_stated:
        assert it["evidence"], f"{_label(it)}: not_stated needs the passage that is there"


def test_gold_has_english_refusals(items):
    n = sum(1 for it in items if it["category"] == "unanswerable" and it["lang"] == "en")
    assert n >= MIN_UNANSWERABLE_ENGLISH


def test_gold_cross_document_items_cite_two_documents(items):
    for it in items:
        if it["category"] == "cross_document":
            docs = {ev["doc_id"] for ev in it["evidence"]}
            assert len(docs) >= 2, f"{_label(it)}: evidence from {docs}"


def test_gold_covers_every_seed_document(items, corpus_texts):
    assert set(corpus_texts) >= SEED_DOCS, f"seed documents missing from corpus/: {SEED_DOCS - set(corpus_texts)}"
    cited = {ev["doc_id"] for it in items for ev in it["evidence"]}
    assert cited >= SEED_DOCS, f"documents never cited: {SEED_DOCS - cited}"
