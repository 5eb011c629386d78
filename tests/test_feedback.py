"""Feedback rows in SQLite beside the index, and their export as candidate gold items (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.types import Answer, Citation
from assistant.ui import conversations as convo
from assistant.ui.feedback import FeedbackStore
from evals.feedback import candidate_item, main

CITATION = Citation(1, "doc", "doc#1", "标题", "泉科函〔2023〕63号", "2023", "一、", "段落全文。", 0.5, "段落全文。")
ANSWER = Answer(question="补贴多少？", text="“段落全文。”[1]", citations=[CITATION], refused=False)


def test_thumbs_down_with_comment_is_stored_beside_the_index(tmp_path: Path):
    store = FeedbackStore.beside_index(tmp_path)
    store.comment(store.record(ANSWER, liked=False), "  缺少条件 ")
    store.record(ANSWER, liked=True)
    assert (tmp_path / "feedback.sqlite").is_file()
    down = store.rows(liked=False)
    assert [(r["question"], r["comment"], r["citations"][0]["doc_id"]) for r in down] == [
        ("补贴多少？", "缺少条件", "doc")
    ]
    assert len(store.rows()) == 2


def test_export_writes_only_thumbs_down_as_gold_candidates(tmp_path: Path):
    store = FeedbackStore.beside_index(tmp_path)
    store.record(ANSWER, liked=True)
    store.record(ANSWER, liked=False, history=[{"role": "user", "content": "上一问"}])
    out = tmp_path / "candidates.jsonl"
    assert main(["export", "--index-dir", str(tmp_path), "--out", str(out)]) == 0
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(items) == 1
    assert items[0]["evidence"] == [{"doc_id": "doc", "quote": "段落全文。"}]
    assert items[0]["history"] == [{"role": "user", "content": "上一问"}] and items[0]["answerable"] is None
    assert items[0] == candidate_item(store.rows(liked=False)[0])


def test_export_without_feedback_says_so(tmp_path: Path, capsys):
    assert main(["export", "--index-dir", str(tmp_path)]) == 1
    assert "no feedback yet" in capsys.readouterr().err


def test_conversation_round_trips_through_the_browser_store_with_its_citations():
    session = convo.Session(
        [{"role": "user", "content": "补贴多少？"}, {"role": "assistant", "content": "x"}], [], [ANSWER]
    )
    store = json.loads(json.dumps(convo.saved(None, session)))  # what localStorage keeps
    restored = convo.session_of(store)
    assert restored.answers == [ANSWER] and restored.chat == session.chat
    assert convo.choices(store) == [("补贴多少？", store["active"])]


def test_renamed_conversation_keeps_its_name_and_deleting_the_active_one_starts_afresh():
    session = convo.Session([{"role": "user", "content": "问题"}], [], [])
    store = convo.saved(None, session)
    key = store["active"]
    store = convo.saved(convo.renamed(store, key, "我的问题"), session)
    assert convo.choices(store) == [("我的问题", key)]
    emptied = convo.deleted(store, key)
    assert emptied == {"active": "", "items": {}}
    assert convo.session_of(emptied).chat == []
