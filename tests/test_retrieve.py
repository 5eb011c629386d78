from pathlib import Path

import pytest

from assistant.lang.lexicon import is_english, load_lexicon
from assistant.query.intent import read_intent, resolve_followup
from assistant.retrieve.fusion import fuse_rankings

GLOSSARY = Path(__file__).resolve().parent.parent / "corpus" / "glossary.toml"


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(GLOSSARY)


def test_fuse_rankings_rewards_agreement_between_retrievers():
    fused = fuse_rankings([["a", "b", "c"], ["b", "d"]], rrf_k=60)
    assert max(fused, key=fused.get) == "b"
    assert fused["a"] > fused["d"]  # rank 1 in one list beats rank 2 in one list


def test_fuse_rankings_weights_scale_a_ranking():
    fused = fuse_rankings([["a"], ["b"]], rrf_k=60, weights=[1.0, 2.0])
    assert fused["b"] == pytest.approx(2 * fused["a"])


def test_is_english_distinguishes_languages():
    assert is_english("What subsidy does a pilot-scale base get?")
    assert not is_english("中试基地能获得什么补贴？")
    assert not is_english("R&D经费投入占GDP比重是多少")


def test_followup_replaces_place_of_previous_question(lexicon):
    history = [{"role": "user", "content": "泉州对中试平台有什么补贴？"}, {"role": "assistant", "content": "…"}]
    resolved = resolve_followup("那厦门呢？", history)
    assert "厦门" in resolved and "中试平台" in resolved and "泉州" not in resolved


def test_followup_replaces_year_of_previous_question(lexicon):
    history = [
        {"role": "user", "content": "国家高新技术企业2025年的目标值是多少？"},
        {"role": "assistant", "content": "3500"},
    ]
    resolved = resolve_followup("2023年的目标值呢？", history)
    assert "2023" in resolved and "2025" not in resolved and "国家高新技术企业" in resolved


def test_standalone_question_ignores_history(lexicon):
    history = [{"role": "user", "content": "厦门的科技副总有什么待遇？"}]
    question = "泉州市技术合同成交额2022年突破了多少亿元？"
    assert resolve_followup(question, history) == question


def test_build_query_adds_glossary_terms_to_keywords(lexicon):
    query = read_intent("What subsidy does a pilot-scale base get?", [], lexicon).query
    assert query.english and "中试" in query.keywords and "补贴" in query.keywords


def test_give_each_group_a_slot_replaces_the_crowded_groups_last_chunk():
    from assistant.retrieve.diversity import give_each_group_a_slot

    group = {"a1": "A", "a2": "A", "a3": "A", "b1": "B"}.get
    assert give_each_group_a_slot(["a1", "a2", "a3"], ["a1", "a2", "a3", "b1"], group) == ["a1", "a2", "b1"]


def test_give_each_group_a_slot_keeps_a_single_group_ranking():
    from assistant.retrieve.diversity import give_each_group_a_slot

    assert give_each_group_a_slot(["a1", "a2"], ["a1", "a2", "a3"], lambda c: "A") == ["a1", "a2"]


def test_a_missing_group_is_represented_by_its_best_fitting_passage():
    from assistant.retrieve.diversity import give_each_group_a_slot

    pool = ["a1", "a2", "a3", "b-signature", "b-content"]
    group = lambda c: c[0]  # noqa: E731
    fit = {"a1": 3, "a2": 3, "a3": 3, "b-signature": 0, "b-content": 5}.get
    assert give_each_group_a_slot(["a1", "a2", "a3"], pool, group, fit) == ["a1", "a2", "b-content"]
    assert give_each_group_a_slot(["a1", "a2", "a3"], pool, group) == ["a1", "a2", "b-signature"]


def test_plan_named_by_kind_alone_does_not_hide_the_other_documents(assistant):
    hits = assistant.retrieve("国家技术转移东部中心泉州分中心在规划里是怎么安排的，现在运营成效如何？", top_k=5)
    docs = {h.chunk.doc_id for h in hits}
    assert "quanzhou-14th-five-year-sti-plan" in docs and len(docs) > 1


def test_normalized_scores_keep_margins():
    from assistant.retrieve.fusion import normalized

    assert normalized([("a", 9.0), ("b", 4.5), ("c", 0.9)], floor=0.0) == {"a": 1.0, "b": 0.5, "c": 0.1}
    dense = normalized([("a", 0.90), ("b", 0.88), ("c", 0.86)], floor=None)
    assert dense["a"] == 1.0 and dense["c"] == 0.0 and abs(dense["b"] - 0.5) < 1e-9
    assert normalized([], floor=0.0) == {} and normalized([("a", 0.9)], floor=None) == {}


def test_a_passage_bm25_scores_far_above_the_rest_is_not_outranked_by_middling_ones(assistant):
    # "允许泉州市以外的科研院所也可以参与揭榜挂帅" is BM25's clear first and outside the embedding's top 30;
    # by reciprocal rank alone it fell to 6th, behind passages both retrievers ranked 10th-25th.
    hits = assistant.retrieve("外地的科研院所能不能来泉州揭榜？", top_k=5)
    assert any("允许泉州市以外的科研院所也可以参与揭榜挂帅" in h.chunk.text for h in hits)


def test_each_rankings_leader_is_kept_in_the_top_k():
    from assistant.retrieve import with_leaders

    # BM25's first ("k1") fell out of the fused top 3: it takes the last place that is no leader.
    assert with_leaders(["d1", "x", "y"], [[("d1", 0.9)], [("k1", 7.5)]]) == ["d1", "x", "k1"]
    # Leaders already in, or rankings that are empty, change nothing.
    assert with_leaders(["d1", "k1", "y"], [[("d1", 0.9)], [("k1", 7.5)]]) == ["d1", "k1", "y"]
    assert with_leaders(["a", "b"], [[], []]) == ["a", "b"]
    assert with_leaders([], [[("d1", 0.9)]]) == []


def test_a_second_leader_does_not_push_out_the_first():
    from assistant.retrieve import with_leaders

    assert with_leaders(["z"], [[("d1", 0.9)], [("k1", 7.5)]]) == ["d1"]
    assert with_leaders(["a", "b"], [[("d1", 0.9)], [("k1", 7.5)]]) == ["k1", "d1"]
