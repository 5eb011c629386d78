"""Short names the documents define ("（以下简称《措施》）"), learned at ingest and used by the question's reading."""

from pathlib import Path

import pytest

from assistant import Assistant
from assistant.ingest.metadata import find_aliases
from assistant.query.intent import read_intent
from tests.conftest import assistant_over


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        (
            "印发《合肥市促进科技成果转化若干措施》（以下简称《措施》），共18条。",
            ("措施", "合肥市促进科技成果转化若干措施"),
        ),
        ("对接引进国家技术转移华东中心（以下简称“华东中心”）。", ("华东中心", "国家技术转移华东中心")),
        ("合肥市科学技术局(以下简称市科技局)负责组织实施。", ("市科技局", "合肥市科学技术局")),
    ],
)
def test_a_defined_short_name_is_found_with_its_full_name(text, pair):
    assert pair in find_aliases(text)


def test_text_without_definitions_has_no_aliases():
    assert find_aliases("（一）电子信息。重点支持新型显示（含柔性屏）。") == ()


NEWS = """合肥出台科技成果转化新政

来源：合肥市科技局

近日，合肥市人民政府办公厅印发《合肥市促进科技成果转化若干措施》（以下简称《措施》），共18条。合肥市科学技术局（以下简称市科技局）负责组织实施。

对新建的概念验证中心，经合肥市科学技术局认定后给予最高200万元建设补助。
"""
OTHER = """芜湖市科技局关于中试平台建设的通知

对新认定的中试平台给予最高100万元补助。
"""


@pytest.fixture(scope="module")
def hefei(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("aliases")
    files = {"hefei-news.txt": NEWS, "wuhu-notice.txt": OTHER}
    return assistant_over(root, files, glossary=False, collection="aliases", embed_cache=embedding_cache)


def test_the_short_name_a_question_uses_is_met_by_the_full_name(hefei):
    snap = hefei.snapshot()
    intent = read_intent("市科技局认定的概念验证中心补助多少？", [], hefei.lexicon, snap.docs, snap.df)
    forms = dict(intent.query.concepts)
    assert any("合肥市科学技术局" in f for t, f in forms.items() if t in "市科技局")


def test_a_document_named_by_the_short_name_it_defines(hefei):
    snap = hefei.snapshot()
    intent = read_intent("《措施》对概念验证中心补多少？", [], hefei.lexicon, snap.docs, snap.df)
    assert intent.constraints.documents == ("hefei-news",)
    answer = hefei.ask("《措施》对概念验证中心补多少？")
    assert "200万元" in answer.text and {c.doc_id for c in answer.citations} == {"hefei-news"}
