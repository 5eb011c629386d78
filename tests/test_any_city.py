"""Documents made for the test, about cities the seed corpus does not have: any city, N cities, near misses."""

from pathlib import Path

import pytest

from assistant import Assistant
from tests.conftest import assistant_over, make_settings

# (city, issuer, 文号, date, amount): ten notices that differ only in their place and their figures.
CITIES = [
    ("绵阳", "绵阳市科学技术局", "绵科发〔2025〕12号", "2025年3月5日", "300万元"),
    ("洛阳", "洛阳市科学技术局", "洛科〔2025〕8号", "2025年4月1日", "200万元"),
    ("兰州", "兰州市科学技术局", "兰科发〔2024〕31号", "2024年11月20日", "150万元"),
    ("柳州", "柳州市科学技术局", "柳科发〔2025〕5号", "2025年2月14日", "250万元"),
    ("芜湖", "芜湖市科学技术局", "芜科〔2025〕19号", "2025年6月3日", "500万元"),
    ("襄阳", "襄阳市科学技术局", "襄科发〔2025〕7号", "2025年1月9日", "120万元"),
    ("烟台", "烟台市科学技术局", "烟科发〔2024〕44号", "2024年12月2日", "400万元"),
    ("株洲", "株洲市科学技术局", "株科发〔2025〕3号", "2025年5月18日", "180万元"),
    ("赣州", "赣州市科学技术局", "赣市科发〔2025〕21号", "2025年7月7日", "350万元"),
    ("遵义", "遵义市科学技术局", "遵市科〔2025〕16号", "2025年8月8日", "220万元"),
]


def notice(city: str, issuer: str, number: str, day: str, amount: str) -> str:
    return (
        f"{issuer}关于支持中试平台建设的通知\n\n{number}\n\n各有关单位：\n\n"
        f"为加快科技成果转化，{city}市对新认定的市级中试平台给予一次性建设补助，最高{amount}。"
        f"中试平台应当面向社会开放服务，每年服务企业不少于10家。\n\n"
        f"{issuer}\n\n{day}\n"
    )


@pytest.fixture(scope="module")
def ten_cities(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Assistant:
    settings = make_settings(
        tmp_path_factory.mktemp("ten-cities"), collection="ten_cities", embed_cache=embedding_cache
    )
    for n, row in enumerate(CITIES):
        (settings.corpus_dir / f"notice-{n}.txt").write_text(notice(*row), encoding="utf-8")
    built = Assistant.from_settings(settings)
    built.ingest()
    return built


def test_loader_reads_city_issuer_number_and_date_of_a_new_city(ten_cities):
    docs = {info.document.doc_number: info.document for info in ten_cities.documents()}
    mianyang = docs["绵科发〔2025〕12号"]
    assert mianyang.city == "绵阳" and mianyang.issuer == "绵阳市科学技术局" and mianyang.date == "2025-03-05"


def test_question_about_one_new_city_is_answered_from_its_own_notice(ten_cities):
    answer = ten_cities.ask("芜湖对中试平台的建设补助最高多少？")
    assert not answer.refused and "500万元" in answer.text
    assert {c.doc_number for c in answer.citations} == {"芜科〔2025〕19号"}


def test_comparison_across_ten_cities_cites_every_city(ten_cities):
    answer = ten_cities.ask("各市对中试平台的建设补助分别是多少？", top_k=10)
    assert not answer.refused
    for city, *_, amount in CITIES:
        assert amount in answer.text, city


def test_city_in_no_document_is_refused_as_not_covered(ten_cities):
    answer = ten_cities.ask("鄂尔多斯对中试平台有什么补助？")
    assert answer.refused and answer.refusal_kind == "not_covered" and "鄂尔多斯" in answer.text


def test_english_question_names_a_new_city_in_pinyin(ten_cities):
    answer = ten_cities.ask("What is the maximum subsidy for a pilot platform in Zunyi?")
    assert not answer.refused and "220万元" in answer.text and "Zunyi" in answer.text


def test_year_no_document_states_is_not_answered_with_another_year(ten_cities):
    answer = ten_cities.ask("2019年绵阳对中试平台的建设补助是多少？")
    assert answer.refused and "300万元" not in answer.text.split("最接近的原文")[0]


def test_asked_kind_of_value_absent_is_a_graded_refusal(ten_cities):
    # The notices give amounts and a count, never a date by which to apply.
    answer = ten_cities.ask("绵阳中试平台的申报截止日期是哪一天？")
    assert answer.refused and answer.refusal_kind in ("not_stated", "not_covered")


def test_upload_of_a_new_city_notice_is_answered_with_its_own_metadata(tmp_path, embedding_cache):
    settings = make_settings(tmp_path, collection="upload", embed_cache=embedding_cache)
    (settings.corpus_dir / "luoyang.txt").write_text(notice(*CITIES[1]), encoding="utf-8")
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    assistant.add_file("通知.txt", notice(*CITIES[0]).encode("utf-8"))
    answer = assistant.ask("绵阳的中试平台建设补助最高多少？")
    (citation,) = answer.citations
    assert "300万元" in answer.text and citation.doc_number == "绵科发〔2025〕12号" and citation.date == "2025-03-05"
    assert "绵阳" in {info.document.city for info in assistant.documents()}


def test_two_part_question_answers_each_part(ten_cities):
    answer = ten_cities.ask("烟台的中试平台建设补助最高多少？株洲的又是多少？")
    assert "400万元" in answer.text and "180万元" in answer.text
    assert answer.text.index("400万元") < answer.text.index("180万元")


def test_organisation_no_document_names_is_refused_as_not_covered(ten_cities):
    answer = ten_cities.ask("华为公司在芜湖能拿到多少中试平台建设补助？")
    assert answer.refused and answer.refusal_kind == "not_covered" and "华为" in answer.text


def test_comparison_names_a_city_without_documents_and_answers_the_others(ten_cities):
    answer = ten_cities.ask("兰州和鄂尔多斯对中试平台的建设补助分别是多少？")
    assert not answer.refused and "150万元" in answer.text
    assert "鄂尔多斯：文档中没有找到所问的内容。" in answer.text


def test_every_named_city_gets_a_passage_however_many_passages_others_have(tmp_path, embedding_cache):
    # Two cities' notices say it in many passages each; the third city named must still be heard.
    def long(city: str) -> str:
        clause = f"{city}市中试平台建设补助资金用于中试平台的设备购置、场地改造和运营服务，中试平台建设补助按年度拨付。"
        return "".join(f"\n\n（{n}）第{n}批中试平台：{clause * 6}" for n in range(1, 21))

    files = {"liuzhou.txt": notice(*CITIES[3]) + long("柳州"), "luoyang.txt": notice(*CITIES[1]) + long("洛阳")}
    files["wuhu.txt"] = notice(*CITIES[4])
    assistant = assistant_over(tmp_path, files, collection="three", embed_cache=embedding_cache)
    answer = assistant.ask("柳州、洛阳、芜湖对中试平台的建设补助分别是多少？")
    assert "500万元" in answer.text and "芜湖：文档中没有" not in answer.text, answer.text


def test_later_part_with_its_own_subject_keeps_the_place_of_the_part_before(ten_cities):
    answer = ten_cities.ask("芜湖市科学技术局是哪天发的通知？中试平台建设补助最高多少？")
    second = answer.text.split("问二")[-1]
    assert "500万元" in second and not any(a in second for *_, a in CITIES if a != "500万元")
