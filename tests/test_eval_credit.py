"""Key-fact crediting (evals/credit.py): a fact counts only in an answer segment whose [n] cites the evidence."""

from __future__ import annotations

from evals.credit import answer_segments, credited_facts, evidence_cited, passage_overlaps_quote

DOC = "xiamen-2026-tech-transfer-measures-news"
EVIDENCE = [{"doc_id": DOC, "quote": "经认定的市级中心每年可获最高100万元运营经费支持"}]
RIGHT = (DOC, "支持建设专业领域概念验证中心,经认定的市级中心每年可获最高100万元运营经费支持。")
WRONG = (DOC, "市级技术转移机构开办第一年可获最高100万元办公经费。")


def test_segments_end_at_each_run_of_markers_and_keep_uncited_tails():
    segments = answer_segments("甲“一”[1][2]“二”[3] 尾巴\n表头\n| 行 | “三”[1] |")
    assert segments == [
        ("甲“一”[1][2]", frozenset({1, 2})),
        ("“二”[3]", frozenset({3})),
        (" 尾巴", frozenset()),
        ("表头", frozenset()),
        ("| 行 | “三”[1]", frozenset({1})),
        (" |", frozenset()),
    ]


def test_fact_quoted_from_another_programme_is_not_credited():
    assert credited_facts("“开办第一年可获最高100万元办公经费”[1]", {1: WRONG}, ["100万元"], EVIDENCE) == [False]


def test_fact_in_the_segment_citing_the_evidence_passage_is_credited():
    answer = "“开办第一年可获最高100万元办公经费”[1]“市级中心每年可获最高100万元运营经费支持”[2]"
    assert credited_facts(answer, {1: WRONG, 2: RIGHT}, ["100万元"], EVIDENCE) == [True]


def test_passage_from_another_document_never_matches_the_evidence():
    assert not passage_overlaps_quote(WRONG[1], EVIDENCE[0]["quote"]) and passage_overlaps_quote(
        RIGHT[1], EVIDENCE[0]["quote"]
    )
    assert credited_facts("“100万元运营经费支持”[1]", {1: ("other-doc", RIGHT[1])}, ["100万元"], EVIDENCE) == [False]


def test_passage_cut_by_a_chunk_boundary_still_overlaps_the_quote():
    assert passage_overlaps_quote("……每年可获最高100万元运营", "经认定的市级中心每年可获最高100万元运营经费支持")


def test_evidence_cited_needs_every_evidence_document():
    two = [*EVIDENCE, {"doc_id": "plan", "quote": "力争达2.4%"}]
    assert evidence_cited({1: RIGHT}, EVIDENCE, []) and not evidence_cited({1: RIGHT}, two, [])
