"""The quality gate: the full system on the whole gold set meets evals/thresholds.toml (CI fails when it drops)."""

from __future__ import annotations

import pytest

from evals.baselines import build_systems
from evals.harness import evaluate, load_gold, summarize_groups
from evals.thresholds import THRESHOLDS, check_category_thresholds, check_thresholds, load_thresholds


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
        "mrr",
        "key_fact_accuracy",
        "all_facts_rate",
        "citation_support",
        "refusal_precision",
        "refusal_recall",
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
    assert load_thresholds()["per_category_min"]["key_fact_accuracy"] >= 0.85


def test_thresholds_file_says_never_lower_to_pass():
    assert "never lower to pass" in THRESHOLDS.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first test to use the session `assistant` pays for embedding the whole corpus
def test_full_system_meets_thresholds_on_the_whole_gold_set(assistant):
    [system] = build_systems(["full"], assistant)
    groups = summarize_groups(evaluate([system], load_gold())["full"])
    limits = load_thresholds()
    failures = check_thresholds(groups["overall"], limits) + check_category_thresholds(groups["by_category"], limits)
    assert not failures, "metrics below evals/thresholds.toml:\n" + "\n".join(failures)
