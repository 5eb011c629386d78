"""The harness and report on a scripted fake system: scoring of one item, summaries, the failures section."""

from __future__ import annotations

from collections.abc import Sequence

from evals.baselines import Passage, Reply
from evals.harness import evaluate, evaluate_item, load_gold, summarize, summarize_splits
from evals.report import failure_section

XIAMEN = "xiamen-2026-tech-transfer-measures-news"
ITEM = {
    "id": "numeric-005",
    "category": "numeric",
    "lang": "zh",
    "question": "厦门“创新飞地”的运营合作机构每年最多能拿到多少资助？",
    "history": [],
    "key_facts": ["500万元"],
    "evidence": [{"doc_id": XIAMEN, "quote": "运营合作机构每年可获最高500万元资助"}],
    "answerable": True,
}
UNANSWERABLE = {
    "id": "unanswerable-009",
    "category": "unanswerable",
    "lang": "zh",
    "question": "福州市2022年技术合同成交额是多少？",
    "history": [],
    "key_facts": [],
    "evidence": [],
    "answerable": False,
    "refusal_kind": "not_covered",
}
EVIDENCE = Passage(XIAMEN, "厦门将布局建设若干“创新飞地”，运营合作机构每年可获最高500万元资助。")
OTHER = Passage(XIAMEN, "技术经理人促成技术交易的，按合同金额0.1%给予奖励。")


class ScriptedSystem:
    """Scripted hits (the answerer's top 5), a scripted deeper list, and one scripted reply for every question."""

    name = "scripted"
    description = "scripted replies"

    def __init__(
        self,
        passages: Sequence[Passage],
        text: str,
        refused: bool = False,
        kind: str = "",
        deep: Sequence[Passage] = (),
    ) -> None:
        self.passages = list(passages)
        self.deep = list(deep) or self.passages
        self.text = text
        self.refused = refused
        self.kind = kind
        self.questions: list[str] = []

    def retrieve(self, question: str, history: Sequence[dict], k: int) -> list[Passage]:
        return self.deep[:k]

    def answer(self, question: str, history: Sequence[dict]) -> Reply:
        self.questions.append(question)
        cited = {} if self.refused else {n: p for n, p in enumerate(self.passages[:2], 1)}
        kind = self.kind if self.refused else ""
        sources = [p.text for p in cited.values()]
        return Reply(self.text, self.refused, kind, cited, {}, self.passages[:5], sources, 12.0)


def test_evaluate_item_scores_a_correct_cited_answer():
    result = evaluate_item(ScriptedSystem([EVIDENCE], "每年可获最高500万元资助[1]"), ITEM)
    assert (result.all_facts, result.supported, result.first_rank, result.evidence_cited) == (True, True, 1, True)


def test_evaluate_item_gives_a_refused_answerable_question_no_facts():
    result = evaluate_item(ScriptedSystem([EVIDENCE], "文件未提及500万元以外的金额", refused=True), ITEM)
    assert result.facts_found == [False]


def test_key_fact_in_a_segment_citing_another_passage_is_not_credited():
    result = evaluate_item(ScriptedSystem([EVIDENCE, OTHER], "“其他项目最高500万元”[2]"), ITEM)
    assert (result.facts_found, result.facts_anywhere) == ([False], [True])


def test_key_fact_is_credited_in_the_segment_citing_the_evidence_among_others():
    result = evaluate_item(
        ScriptedSystem([OTHER, EVIDENCE], "“按合同金额0.1%给予奖励”[1]“每年最高500万元资助”[2]"), ITEM
    )
    assert (result.facts_found, result.evidence_cited) == ([True], True)


def test_key_fact_outside_any_cited_segment_is_not_credited():
    result = evaluate_item(ScriptedSystem([EVIDENCE], "“运营合作机构每年可获资助”[1] 约500万元"), ITEM)
    assert result.facts_found == [False]


def test_evaluate_item_flags_an_answer_number_missing_from_its_citation():
    result = evaluate_item(ScriptedSystem([EVIDENCE], "每年可获最高600万元资助[1]"), ITEM)
    assert (result.supported, result.unsupported) == (False, ["600"])


def test_recall_comes_from_the_hits_the_answerer_used_not_the_deeper_list():
    used = [OTHER] * 5
    result = evaluate_item(ScriptedSystem(used, "“按合同金额0.1%给予奖励”[1]", deep=[EVIDENCE, *used]), ITEM)
    assert (result.first_rank, result.recall[5], result.deep_recall) == (None, 0.0, 1.0)


def test_evaluate_item_ranks_the_evidence_among_the_used_hits():
    result = evaluate_item(ScriptedSystem([OTHER, OTHER, EVIDENCE], "500万元[1]"), ITEM)
    assert (result.first_rank, result.recall[1], result.recall[3]) == (3, 0.0, 1.0)


def test_refusal_of_the_wrong_kind_counts_against_refusal_kind_only():
    system = ScriptedSystem([OTHER], "文档中没有关于福州的内容。", refused=True, kind="not_stated")
    summary = summarize([evaluate_item(system, UNANSWERABLE)])
    assert (summary["refusal_recall"], summary["refusal_kind_accuracy"]) == (1.0, 0.0)


def test_refusal_of_the_gold_kind_is_scored_right():
    system = ScriptedSystem([OTHER], "文档中没有关于福州的内容。", refused=True, kind="not_covered")
    assert summarize([evaluate_item(system, UNANSWERABLE)])["refusal_kind_accuracy"] == 1.0


def test_evaluate_warms_each_system_up_with_a_question_outside_the_gold_set():
    system = ScriptedSystem([EVIDENCE], "500万元[1]")
    evaluate([system], [ITEM])
    gold_questions = {item["question"] for item in load_gold()}
    assert len(system.questions) == 2 and system.questions[0] not in gold_questions


def test_summary_counts_recall_over_answerable_items_only():
    system = ScriptedSystem([EVIDENCE], "500万元[1]")
    summary = summarize([evaluate_item(system, ITEM), evaluate_item(system, UNANSWERABLE)])
    assert (summary["recall_at_1"], summary["refusal_recall"]) == (1.0, 0.0)


def test_summaries_are_kept_per_split():
    system = ScriptedSystem([EVIDENCE], "500万元[1]")
    dev, test = evaluate_item(system, ITEM | {"split": "dev"}), evaluate_item(system, UNANSWERABLE | {"split": "test"})
    splits = summarize_splits([dev, test])
    assert (
        splits["dev"]["overall"]["items"],
        splits["test"]["overall"]["unanswerable"],
        splits["all"]["overall"]["items"],
    ) == (1, 1, 2)


def test_failure_section_shows_the_answer_and_top_passages_of_a_failed_item():
    result = evaluate_item(ScriptedSystem([OTHER], "按合同金额0.1%给予奖励[1]"), ITEM)
    text = "\n".join(failure_section([result]))
    assert "500万元" in text and "按合同金额0.1%给予奖励[1]" in text and f"`{XIAMEN}`" in text


def test_failure_section_skips_passed_items():
    result = evaluate_item(ScriptedSystem([EVIDENCE], "500万元[1]"), ITEM)
    assert "(0 of 1 items)" in failure_section([result])[0]
