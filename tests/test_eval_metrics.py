"""Unit tests of the evaluation metrics (evals/metrics.py): one behaviour each, no index needed."""

from __future__ import annotations

import pytest

from evals.metrics import (
    bigram_share,
    extract_numbers,
    fact_in_text,
    normalize,
    passage_matches_quote,
    percentile,
    score_refusals,
    score_retrieval,
    score_support,
)

XIAMEN = "xiamen-2026-tech-transfer-measures-news"
PLAN = "quanzhou-14th-five-year-sti-plan"
REPLY = "quanzhou-2023-63-reply-pilot-bases"


def test_normalize_removes_all_whitespace():
    assert normalize("技术转移机\n\n构 5 家\t\u3000") == "技术转移机构5家"


def test_normalize_unifies_fullwidth_comma_and_colon():
    assert normalize("联系人：吴志云，领导署名︰王小阳") == "联系人:吴志云,领导署名:王小阳"


def test_normalize_applies_nfkc():
    assert normalize("（２０２５）７０％") == "(2025)70%"


def test_key_fact_13_does_not_match_130():
    assert not fact_in_text("13", "目标为130家")


def test_key_fact_13_does_not_match_2013():
    assert not fact_in_text("13", "2013年起实施")


def test_key_fact_13_does_not_match_1_point_3():
    assert not fact_in_text("13", "增长1.3倍")


def test_key_fact_13_does_not_match_13_point_5():
    assert not fact_in_text("13", "达到13.5亿元")


def test_key_fact_13_matches_before_a_unit():
    assert fact_in_text("13", "比重达到13%")


def test_key_fact_13_matches_before_a_sentence_full_stop():
    assert fact_in_text("13", "The 2025 target is 13.")


def test_key_fact_matches_a_later_occurrence_when_the_first_is_glued():
    assert fact_in_text("13", "由130家增至13家")


def test_key_fact_amount_with_unit_matches():
    assert fact_in_text("2000万元", "单家单次最高2000万元股权直接投资")


def test_key_fact_2000_wan_does_not_match_12000_wan():
    assert not fact_in_text("2000万元", "最高12000万元")


def test_key_fact_matches_across_whitespace():
    assert fact_in_text("技术转移机构5家", "新培育省级技术转移机\n\n构 5 家")


def test_key_fact_with_fullwidth_colon_matches_ascii_colon():
    assert fact_in_text("领导署名：史思泉", "领导署名:史思泉")


def test_text_key_fact_is_a_plain_substring():
    assert fact_in_text("福建晋锐能源有限公司", "项目单位为福建晋锐能源有限公司，晋江市")


def test_extract_numbers_reads_decimals_and_integers():
    assert extract_numbers("比重1.72%，成交额13.5亿元，共3项") == ["1.72", "13.5", "3"]


def test_extract_numbers_skips_citation_markers():
    assert extract_numbers("最高500万元资助[1][2]") == ["500"]


def test_passage_matches_verbatim_quote_across_whitespace():
    passage = "新培育省级技术转移机\n\n构 5 家，累计达 32 家"
    assert passage_matches_quote(passage, "新培育省级技术转移机构 5 家，累计达 32 家")


def test_passage_does_not_match_quote_whose_number_is_longer_in_passage():
    assert not passage_matches_quote("累计达 132 家", "累计达 32 家")


def test_passage_matches_table_quote_as_cells_in_order():
    passage = "表1 指标：国家高新技术企业｜单位：家｜2020年：1037｜2025年：3500｜累计：[2463]"
    assert passage_matches_quote(passage, "国家高新技术企业 家 1037 3500 [2463]")


def test_passage_does_not_match_table_quote_with_cells_far_apart():
    passage = "国家高新技术企业" + "其他内容" * 10 + "家 1037 3500 [2463]"
    assert not passage_matches_quote(passage, "国家高新技术企业 家 1037 3500 [2463]")


def test_passage_matches_cut_long_quote_by_bigrams_when_key_fact_present():
    quote = "2022年全市技术合同成交额突破10亿元，同比增长62%（对比2020年的4.07亿元，实现两年翻一番以上）"
    passage = "2022年全市技术合同成交额突破10亿元，同比增长62%（对比2020年的4.07亿"
    assert passage_matches_quote(passage, quote, ["10亿元", "62%"])


def test_passage_does_not_match_cut_long_quote_missing_key_fact():
    quote = "2022年全市技术合同成交额突破10亿元，同比增长62%（对比2020年的4.07亿元，实现两年翻一番以上）"
    passage = "同比增长62%（对比2020年的4.07亿元，实现两年翻一番以上）"
    assert not passage_matches_quote(passage, quote, ["10亿元"])


def test_short_quote_gets_no_bigram_fallback():
    assert not passage_matches_quote("领导署名：王小", "领导署名：王小阳")


def test_bigram_share_counts_distinct_quote_bigrams():
    assert bigram_share("abcd", "xxabyycd") == pytest.approx(2 / 3)


def test_retrieval_first_rank_is_the_first_matching_passage():
    evidence = [{"doc_id": XIAMEN, "quote": "最高2000万元股权直接投资"}]
    passages = [
        (XIAMEN, "无关内容"),
        (XIAMEN, "单家单次最高2000万元股权直接投资"),
        (XIAMEN, "最高2000万元股权直接投资"),
    ]
    score = score_retrieval(passages, evidence, ["2000万元"])
    assert (score.first_rank, score.reciprocal_rank) == (2, 0.5)


def test_retrieval_requires_the_evidence_document():
    evidence = [{"doc_id": REPLY, "quote": "联系人：吴志云"}]
    score = score_retrieval([("quanzhou-2026-108-reply-tech-transfer", "联系人：吴志云")], evidence, [])
    assert score.first_rank is None


def test_retrieval_recall_at_k_only_counts_the_top_k():
    evidence = [{"doc_id": XIAMEN, "quote": "最高500万元资助"}]
    passages = [(XIAMEN, "其他")] * 3 + [(XIAMEN, "每年可获最高500万元资助")]
    score = score_retrieval(passages, evidence, [])
    assert (score.recall[3], score.recall[5]) == (0.0, 1.0)


def test_retrieval_cross_document_recall_is_the_fraction_of_documents():
    evidence = [{"doc_id": PLAN, "quote": "技术合同成交金额达17.7亿元以上"}, {"doc_id": XIAMEN, "quote": "22亿元"}]
    score = score_retrieval([(PLAN, "到2025年，技术合同成交金额达17.7亿元以上")], evidence, [])
    assert score.recall[1] == 0.5


def test_retrieval_all_evidence_needs_every_document():
    evidence = [{"doc_id": PLAN, "quote": "17.7亿元以上"}, {"doc_id": XIAMEN, "quote": "最高500万元资助"}]
    passages = [(PLAN, "达17.7亿元以上"), (XIAMEN, "其他"), (XIAMEN, "每年可获最高500万元资助")]
    score = score_retrieval(passages, evidence, [])
    assert (score.all_evidence[1], score.all_evidence[3]) == (False, True)


def test_support_accepts_an_answer_backed_by_its_citations():
    score = score_support("最高500万元资助[1]", ["500万元"], ["运营合作机构每年可获最高500万元资助"])
    assert score.supported


def test_support_flags_a_number_missing_from_cited_passages():
    score = score_support("最高600万元资助[1]", [], ["运营合作机构每年可获最高500万元资助"])
    assert score.unsupported_numbers == ["600"]


def test_support_flags_a_key_fact_missing_from_cited_passages():
    score = score_support("项目单位是福州大学[1]", ["福州大学"], ["31.5 2019－2024 泉港区"])
    assert score.unsupported_facts == ["福州大学"]


def test_support_does_not_treat_a_longer_number_as_backing():
    score = score_support("共13家[1]", [], ["共130家"])
    assert not score.supported


def test_refusal_precision_is_the_share_of_refusals_that_were_unanswerable():
    score = score_refusals([(False, True), (True, True), (False, False), (True, False)])
    assert score.precision == 0.5


def test_refusal_recall_is_the_share_of_unanswerable_items_refused():
    score = score_refusals([(False, True), (False, False), (False, False), (True, False)])
    assert score.recall == pytest.approx(1 / 3)


def test_false_refusal_rate_is_the_share_of_answerable_items_refused():
    score = score_refusals([(True, True), (True, False), (True, False), (True, False), (False, True)])
    assert score.false_refusal_rate == 0.25


def test_refusal_precision_is_none_when_nothing_is_refused():
    assert score_refusals([(True, False), (False, False)]).precision is None


def test_percentile_interpolates_between_values():
    assert percentile([10, 20, 30, 40], 50) == 25


def test_percentile_of_no_values_is_none():
    assert percentile([], 95) is None


def test_normalize_keeps_numbers_in_separate_table_cells_apart():
    assert normalize("家\n\t1037\n\t1500\n") == "家1037 1500"


def test_key_fact_matches_a_table_cell_among_other_number_cells():
    assert fact_in_text("2500", "国家高新技术企业\n\t家\n\t1037\n\t1500\n\t2000\n\t2500\n\t3000")


def test_extract_numbers_keeps_adjacent_table_cells_apart():
    assert extract_numbers("%\n\t1.4\n\t1.54\n\t1.72") == ["1.4", "1.54", "1.72"]


def test_extract_numbers_reads_a_dotted_date_as_one_number():
    assert extract_numbers("发布于2022.12.31") == ["2022.12.31"]


def test_support_accepts_a_marked_difference_of_cited_numbers_only():
    from evals.metrics import score_support

    row = ["技术合同登记成交额 | 单位: 亿元 | 2021年: 6.2 | 2023年: 10.5"]
    assert score_support("答：6.2到10.5，增加4.3亿元（按表中数值计算）[1]", [], row).supported
    assert not score_support("答：增加4.3亿元[1]", [], row).supported
