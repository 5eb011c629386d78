"""The quality gate: the full system on the test split meets evals/thresholds.toml, floors set from its bootstrap."""

from __future__ import annotations

import json
import math

import pytest

from evals.baselines import build_systems
from evals.bootstrap import BOUNDS, bootstrap
from evals.harness import ItemResult, evaluate, load_gold, summarize_groups
from evals.run import gate
from evals.thresholds import check_category_thresholds, check_thresholds, load_thresholds


def test_check_thresholds_flags_a_metric_below_its_minimum():
    failures = check_thresholds({"recall_at_5": 0.80}, {"min": {"recall_at_5": 0.85}, "max": {}})
    assert failures == ["recall_at_5 = 0.8, below the minimum 0.85"]


def test_check_thresholds_flags_a_metric_above_its_maximum():
    failures = check_thresholds({"false_refusal_rate": 0.2}, {"min": {}, "max": {"false_refusal_rate": 0.1}})
    assert failures == ["false_refusal_rate = 0.2, above the maximum 0.1"]


def test_check_thresholds_flags_an_unmeasured_metric():
    failures = check_thresholds({"refusal_precision": None}, {"min": {"refusal_precision": 0.5}, "max": {}})
    assert failures == ["refusal_precision: not measured (threshold min 0.5)"]


def test_check_thresholds_passes_metrics_at_their_threshold():
    assert (
        check_thresholds(
            {"mrr": 0.7, "answer_chars_median": 200}, {"min": {"mrr": 0.7}, "max": {"answer_chars_median": 200}}
        )
        == []
    )


def test_thresholds_file_covers_the_headline_metrics():
    limits = load_thresholds()
    wanted = {
        "recall_at_5",
        "mrr_at_5",
        "key_fact_accuracy",
        "all_facts_rate",
        "evidence_cited_rate",
        "refusal_precision",
        "refusal_recall",
        "refusal_kind_accuracy",
    }
    assert wanted <= set(limits["min"]) and "false_refusal_rate" in limits["max"]


def test_category_threshold_flags_the_weak_category_and_skips_where_it_does_not_apply():
    by_category = {
        "numeric": {"key_fact_accuracy": 1.0},
        "paraphrase": {"key_fact_accuracy": 0.75},
        "unanswerable": {"key_fact_accuracy": None},
    }
    failures = check_category_thresholds(by_category, {"per_category_min": {"key_fact_accuracy": 0.85}})
    assert failures == ["key_fact_accuracy in paraphrase = 0.75, below the minimum 0.85"]


def test_thresholds_file_gates_key_facts_in_every_category():
    # The per-category floor is the weakest category's bootstrap lower bound (3 to 11 test items a category).
    bounds = json.loads(BOUNDS.read_text(encoding="utf-8"))["per_category"]["key_fact_accuracy"]
    floor = load_thresholds()["per_category_min"]["key_fact_accuracy"]
    assert floor >= math.floor(100 * min(b["lower"] for b in bounds.values())) / 100 - 1e-9


def test_gate_fails_when_the_test_split_misses_though_dev_passes():
    limits = load_thresholds()
    good = {"overall": {m: 1.0 for m in limits["min"]} | {m: 0.0 for m in limits["max"]}, "by_category": {}}
    bad = {"overall": {**good["overall"], "key_fact_accuracy": 0.5}, "by_category": {}}
    assert (gate({"dev": good, "test": bad}), gate({"dev": bad, "test": good})) == (1, 0)


def test_every_floor_is_at_least_the_bootstrap_lower_bound_of_the_test_split():
    bounds = json.loads(BOUNDS.read_text(encoding="utf-8"))
    limits = load_thresholds()
    assert bounds["split"] == "test"
    # Bounds are rounded to 2 decimals outward (down for a floor, up for a ceiling).
    low = {m: v for m, v in limits["min"].items() if v < math.floor(100 * bounds["overall"][m]["lower"]) / 100 - 1e-9}
    high = {m: v for m, v in limits["max"].items() if v > math.ceil(100 * bounds["overall"][m]["upper"]) / 100 + 1e-9}
    assert not low and not high, f"floors below / ceilings above the bootstrap bound: {low} {high}"


def test_bootstrap_bounds_bracket_the_point_value():
    results = [_result(i < 7) for i in range(10)]
    bound = bootstrap(results, ["key_fact_accuracy"], resamples=300, seed=0, level=0.95)["key_fact_accuracy"]
    assert bound["lower"] < bound["point"] == 0.7 < bound["upper"]


def _result(correct: bool) -> ItemResult:
    return ItemResult(
        id="x",
        category="numeric",
        lang="zh",
        split="test",
        question="q",
        answerable=True,
        refusal_kind="",
        key_facts=["1"],
        facts_found=[correct],
        facts_anywhere=[correct],
        answer="1",
        refused=False,
        answered_kind="",
        latency_ms=1.0,
        retrieval_scored=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first test to use the session `assistant` pays for embedding the whole corpus
def test_full_system_meets_thresholds_on_the_test_split(assistant):
    [system] = build_systems(["full"], assistant)
    test_items = [item for item in load_gold() if item["split"] == "test"]
    groups = summarize_groups(evaluate([system], test_items)["full"])
    limits = load_thresholds()
    failures = check_thresholds(groups["overall"], limits) + check_category_thresholds(groups["by_category"], limits)
    assert not failures, "metrics below evals/thresholds.toml:\n" + "\n".join(failures)
