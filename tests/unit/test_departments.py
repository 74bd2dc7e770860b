"""kb.ingest.departments: what kind of department wrote a report."""

from __future__ import annotations

import pytest

from kb.ingest.departments import DEPT_KINDS, department_kind
from tests.support import CORPUS

SEEDS = CORPUS  # the five seeds, copied from shared/seeds
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seeds at {SEEDS}")


def test_vocabulary() -> None:
    required = [
        "应急管理",
        "人防/国防动员",
        "司法",
        "市场监管",
        "人民政府",
        "交通运输",
        "生态环境",
        "自然资源",
        "消防救援",
        "公安",
        "住房和城乡建设",
        "水利",
        "农业农村",
        "卫生健康",
        "教育",
        "税务",
        "财政",
        "商务",
        "文化和旅游",
        "林业",
        "城市管理",
        "其他",
    ]
    assert set(required) <= set(DEPT_KINDS)
    assert DEPT_KINDS[-1] == "其他"
    assert len(set(DEPT_KINDS)) == len(DEPT_KINDS)


@pytest.mark.parametrize(
    ("org", "kind"),
    [
        # the seeds
        ("沅陵县应急管理局", "应急管理"),
        ("市应急管理局", "应急管理"),
        ("莆田市荔城区应急管理局", "应急管理"),
        ("开平市应急管理局", "应急管理"),
        ("岳阳市国动办", "人防/国防动员"),
        # organisations seen in the dev corpus
        ("郑州市应急管理局", "应急管理"),
        ("区应急局", "应急管理"),
        ("广东省应急管理厅", "应急管理"),
        ("金华市应急管理局(人防办)", "应急管理"),  # the bureau first, the office second
        ("上海市民防办公室", "人防/国防动员"),
        ("上海市国防动员办公室", "人防/国防动员"),
        ("杭州市人民防空办公室", "人防/国防动员"),
        ("省人防办", "人防/国防动员"),
        ("南开区国动办", "人防/国防动员"),
        ("平湖市消防救援大队", "消防救援"),
        ("深圳市龙岗区消防救援局", "消防救援"),
        ("泽州县司法局", "司法"),
        ("相山区生态环境分局", "生态环境"),
        ("岳阳市生态环境局岳阳县分局", "生态环境"),
        ("州生态环境局", "生态环境"),
        ("重庆市荣昌区交通局", "交通运输"),
        ("重庆市荣昌区交通运输委员会", "交通运输"),
        ("广东省交通运输厅", "交通运输"),
        ("中共青岛市交通运输局党组", "交通运输"),
        ("市交通运输局龙岗管理局", "交通运输"),
        ("重庆市巴南区规划和自然资源局", "自然资源"),
        ("温州市自然资源和规划局", "自然资源"),
        ("西安市莲湖区住房和城市建设局", "住房和城乡建设"),
        ("深圳市罗湖区人民政府", "人民政府"),
        # others
        ("沅陵县市场监督管理局", "市场监管"),
        ("xx县市场监管局", "市场监管"),
        ("沅陵县人民政府办公室", "人民政府"),
        ("沅陵县官庄镇人民政府", "人民政府"),
        ("城关街道办事处", "人民政府"),
        ("xx区人民政府应急管理办公室", "应急管理"),
        ("公安局交通警察支队", "公安"),
        ("xx县住建局", "住房和城乡建设"),
        ("xx县水利局", "水利"),
        ("xx县农业农村局", "农业农村"),
        ("xx市卫生健康委员会", "卫生健康"),
        ("xx县教育局", "教育"),
        ("国家税务总局沅陵县税务局", "税务"),
        ("xx市财政局", "财政"),
        ("xx市商务局", "商务"),
        ("xx县文化旅游广电体育局", "文化和旅游"),
        ("xx县林业局", "林业"),
        ("xx市城市管理综合执法局", "城市管理"),
        ("xx县民政局", "民政"),
        ("xx市机关事务管理局", "其他"),
    ],
)
def test_kind_from_org(org: str, kind: str) -> None:
    assert department_kind(org) == kind
    assert kind in DEPT_KINDS


@needs_seeds
@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("000", "应急管理"),
        ("001", "应急管理"),
        ("002", "应急管理"),
        ("003", "应急管理"),
        ("004", "人防/国防动员"),
    ],
)
def test_kind_from_seed_text_alone(prefix: str, kind: str) -> None:
    text = next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    assert department_kind(None, text) == kind


def test_kind_from_opening_sentence() -> None:
    assert department_kind(None, "2021年，市应急管理局坚持以习近平法治思想为指导") == "应急管理"
    assert department_kind(None, "2022年，岳阳市国动办深入贯彻") == "人防/国防动员"


def test_guiding_department_is_not_the_author() -> None:
    text = (
        "2023年，在市委、市政府的正确领导和市司法局的指导支持下，我局坚持依法行政。"
        "交通运输法治建设……道路运输执法……公路养护……交通运输综合执法……"
    )
    assert department_kind(None, text) == "交通运输"


def test_keyword_fallback_needs_a_clear_winner() -> None:
    assert department_kind(None, "我局坚持依法行政，推进法治政府建设。") is None
    mixed = "我局推进应急管理与生态环境工作：应急管理、生态环境、安全生产、污染防治。"
    assert department_kind(None, mixed) is None
    assert department_kind(None, "我局……安全生产……应急管理……防灾减灾……应急救援") == "应急管理"


def test_nothing_to_go_on() -> None:
    assert department_kind(None) is None
    assert department_kind(None, "") is None
    assert department_kind("", "") is None
    assert department_kind("某某") is None
