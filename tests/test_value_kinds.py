"""The kind of value a sentence states, whatever its unit or numerals (lang.figures.value_kinds)."""

from __future__ import annotations

import pytest

from assistant.lang.figures import value_kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("共有32家企业", "count"),
        ("新增3.6万人", "count"),
        ("本站共两层。", "count"),  # a Chinese numeral before any common classifier
        ("该节目共有三辑", "count"),
        ("拍摄了三部电影", "count"),
        ("出口额120亿美元", "money"),
        ("补助最高500万元", "money"),
        ("入学率约为八成", "percent"),  # 成 as a share of ten
        ("毒性约为对照的四至八倍", "percent"),  # a multiple in Chinese numerals
        ("增长2个百分点", "percent"),
        ("人口自然增长率为3‰", "percent"),
        ("2023年1月3日起施行", "date"),
        ("申报材料于6月底前报送", "date"),  # a month without its year answers "when"
        ("雨季在五月到十月", "date"),
        ("降水最多是三、四月份", "date"),
        ("公元前210年病逝", "year"),  # a year outside 1900-2099, an era or a century
        ("建兴元年（223年），封亭侯", "year"),
        ("兴起于19世纪", "year"),
        ("流行于80年代", "year"),
        ("始建于乾隆年间", "year"),
    ],
)
def test_values_in_any_unit_are_seen(text: str, kind: str) -> None:
    assert kind in value_kinds(text)


@pytest.mark.parametrize("text", ["一部分企业参与", "各部门协同", "推动成果转化", "统一部署", "这一成果成为标杆"])
def test_words_made_of_numerals_are_not_values(text: str) -> None:
    assert not value_kinds(text) & {"count", "percent", "money"}


@pytest.mark.parametrize("text", ["为期3个月", "每月报送一次", "在这一时期", "连续3年获评"])
def test_durations_and_pointers_are_not_dates(text: str) -> None:
    assert not value_kinds(text) & {"date", "year"}


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("针对纺织鞋服、石油化工、建材家居三大产业", 3),
        ("聚焦集成电路、生物医药、新能源、海洋装备四大新兴产业，组织攻关", 4),
        ("支持新型显示和集成电路", 0),  # two items joined by 和 are no enumeration of three
        ("氮化硅、碳化硅等材料", 0),
    ],
)
def test_enumerations_are_counted(text: str, items: int) -> None:
    from assistant.answer.score import enumerated

    assert enumerated(text) == items
