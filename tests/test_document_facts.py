"""When a document was issued, answered from its own dateline (answer/document_facts.py), on made-up replies."""

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.answer.document_facts import date_pattern
from tests.conftest import assistant_over

DATED = """无锡市科学技术局

锡科函〔2025〕8号

关于市人大代表建议的答复

我市将出台科技成果转化中试验证专项政策，对中试平台按服务收入的10%给予运营奖励。

无锡市科学技术局
2025年5月9日
"""
UNDATED = """无锡市科学技术局

锡科函〔2023〕12号

关于市政协提案的答复

对新认定的市级中试平台给予最高100万元补助。2021年以来全市已建成中试平台12家。
"""


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("dates")
    files = {"wuxi-2025.txt": DATED, "wuxi-2023.txt": UNDATED}
    return assistant_over(root, files, glossary=False, collection="dates", embed_cache=embedding_cache)


@pytest.mark.parametrize(
    ("question", "stated"),
    [("无锡2025年的答复是哪天发布的？", "2025-05-09"), ("When was the 2025 reply issued?", "2025-05-09")],
)
def test_a_documents_date_is_answered_from_its_dateline(replies, question, stated):
    answer = replies.ask(question)
    assert not answer.refused
    assert stated in answer.text.splitlines()[0]
    assert "2025年5月9日" in answer.text  # the dateline quoted as written
    assert {c.doc_id for c in answer.citations} == {"wuxi-2025"}


def test_each_document_asked_about_gets_its_date_or_says_it_has_none(replies):
    answer = replies.ask("无锡的两份答复分别是哪天发布的？")
    lead = answer.text.splitlines()[0]
    assert "锡科函〔2025〕8号：2025-05-09" in lead
    assert "锡科函〔2023〕12号：2023年（未写明具体日期）" in lead  # the year its 文号 gives, never a made-up day


@pytest.mark.parametrize("text", ["2025-05-09", "2025年5月9日", "2025 年 5 月 9 日", "2025.5.9", "2025/05/09"])
def test_a_date_is_found_however_it_is_written(text):
    assert date_pattern("2025-05-09").search(f"落款：{text}。")
    assert not date_pattern("2025-05-09").search("2025年5月19日")


def test_a_day_no_document_states_is_not_stated(replies):
    # The 2023 reply carries only the year of its 文号: asked for the day, the answer says the day is not given.
    answer = replies.ask("锡科函〔2023〕12号是哪一天发布的？")
    assert answer.refused and answer.refusal_kind == "not_stated"
    assert "锡科函〔2023〕12号" in answer.text
    assert replies.ask("锡科函〔2023〕12号是哪一年发布的？").text.startswith("答：锡科函〔2023〕12号：2023年")
