"""The systems under evaluation answer through the assistant's own answerer, over the hits they report."""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore, TextNode

from evals.baselines import AssistantSystem, node_hit
from evals.harness import load_gold

PICKED = ("numeric-002", "followup-001", "unanswerable-009", "english-003")


def _items() -> list[dict]:
    return [item for item in load_gold() if item["id"] in PICKED]


def test_answer_from_hits_over_the_retrieved_hits_is_the_answer_ask_gives(assistant):
    for item in _items():
        hits = assistant.retrieve(item["question"], item["history"])
        composed = assistant.answer_from_hits(item["question"], hits, item["history"])
        asked = assistant.ask(item["question"], history=item["history"])
        assert (composed.text, composed.refused, composed.refusal_kind) == (
            asked.text,
            asked.refused,
            asked.refusal_kind,
        )


def test_assistant_system_reports_the_hits_its_answer_cites_from(assistant):
    system = AssistantSystem("full", assistant)
    for item in _items():
        reply = system.answer(item["question"], item["history"])
        used = set(reply.used)
        assert len(reply.used) == assistant.settings.top_k and all(p in used for p in reply.cited.values())


def test_stock_node_becomes_a_hit_no_neighbour_can_be_joined_to(assistant):
    node = NodeWithScore(
        node=TextNode(text="中试基地", metadata={"doc_id": "quanzhou-2023-63-reply-pilot-bases"}), score=0.83
    )
    hit = node_hit(node, 1)
    neighbour = assistant.snapshot().chunk_at(hit.chunk.doc_id, hit.chunk.position + 1)
    assert (hit.dense_score, hit.dense_rank) == (0.83, 1) and neighbour is None


def test_a_multi_part_question_is_evaluated_as_ask_answers_it(assistant):
    # Part by part, as a user gets it; every passage the parts cite is among the hits the harness scores.
    question = "厦门对技术转移机构开办第一年补多少？稳定运营后呢？"
    answer, hits = assistant.ask_with_hits(question)
    assert answer.text == assistant.ask(question).text and "问二" in answer.text
    assert {c.chunk_id for c in answer.citations} <= {h.chunk.chunk_id for h in hits}
    reply = AssistantSystem("full", assistant).answer(question, [])
    assert all(p in set(reply.used) for p in reply.cited.values())
