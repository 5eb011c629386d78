"""English answers gloss Chinese amounts from the parsed figure; quoted passages stay verbatim."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.lang.figures import amount_in_english, gloss_amounts


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2E7", "20 million yuan"),
        ("1.29E8", "129 million yuan"),
        ("5E5", "500,000 yuan"),
        ("3.5E9", "3.5 billion yuan"),
    ],
)
def test_amount_in_english_reads_the_value(value, words):
    assert amount_in_english(Decimal(value)) == words


def test_amount_in_the_frame_is_glossed_in_place():
    assert gloss_amounts("| Xiamen | 2000万元 |") == "| Xiamen | 2000万元 (20 million yuan) |"
    assert gloss_amounts("up to 1.29亿元.") == "up to 1.29亿元 (129 million yuan)."


def test_quote_stays_verbatim_and_its_amounts_are_glossed_after_its_markers():
    text = "Xiamen (《措施》): “最高可获2000万元资金支持”[1]"
    glossed = gloss_amounts(text)
    assert glossed.startswith(text)
    assert glossed.endswith("(2000万元 = 20 million yuan)")


def test_percentages_and_glossed_amounts_are_left_alone():
    assert gloss_amounts("a 30% share") == "a 30% share"
    once = gloss_amounts("2000万元")
    assert gloss_amounts(once) == once


def test_a_quote_with_nested_quotes_stays_verbatim():
    text = "Xiamen: “设立“科技成果转化信用贷”,企业最高可获1000万元信用贷款”[1]"
    glossed = gloss_amounts(text)
    assert glossed.startswith(text) and glossed.endswith("(1000万元 = 10 million yuan)")
