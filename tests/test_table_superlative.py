"""Superlatives are computed over a table's rows (parsed values of the asked column), and the row is cited."""

from pathlib import Path

import pytest

from assistant import Assistant
from tests.conftest import assistant_over

PROJECTS = [
    ("甲城新材料中试基地", "12"),
    ("乙城智能装备产业园", "30"),
    ("丙城生物医药平台", "7"),
    ("丁城数据中心", "18.5"),
]


def annex() -> str:
    rows = "\n\n".join(f"\t{n}\n\t{name}\n\t{money}" for n, (name, money) in enumerate(PROJECTS, start=1))
    return (
        "某市科技局关于印发重大科技项目清单的通知\n\n各有关单位：\n\n现将2025年重大科技项目清单印发给你们。\n\n"
        f"附件1 2025年重大科技项目清单\n\n\t序号\n\t项目名称\n\t总投资（亿元）\n\n{rows}\n"
    )


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    root = tmp_path_factory.mktemp("projects")
    return assistant_over(root, {"projects.txt": annex()}, collection="projects", embed_cache=embedding_cache)


def test_largest_value_of_the_asked_column_picks_its_row(projects):
    answer = projects.ask("哪个项目的总投资最大？")
    assert answer.text.startswith("答：乙城智能装备产业园") and "30" in answer.text
    assert "乙城智能装备产业园" in answer.citations[0].text


def test_smallest_value_is_found_though_no_retrieved_row_holds_it_first(projects):
    answer = projects.ask("总投资最少的项目是哪个？")
    assert answer.text.startswith("答：丙城生物医药平台") and "7" in answer.text


def test_decimal_values_compare_as_numbers():
    from assistant.answer.tables import _number

    assert _number("18.5") == 18.5 and _number("20以上") == 20.0
    assert _number("项目总投资15亿元，分期建设") is None  # a description is not a numeric cell
