"""kb.ingest.regions: where a report comes from (province / city / county / level).

Seeds and dev corpus live in ``<repo>/../shared`` (/work/shared when the repo is /work/main);
tests that need them are skipped when it is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kb.ingest.departments import department_kind
from kb.ingest.regions import RegionMatch, _gazetteer, province_short, resolve_region
from tests.support import CORPUS, SHARED

SEEDS = CORPUS  # the five seeds, copied from shared/seeds
DEV = SHARED / "dev-corpus"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seeds at {SEEDS}")
needs_dev = pytest.mark.skipif(not DEV.is_dir(), reason=f"no dev corpus at {DEV}")


def _seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


# --- seeds: organisation + full text, field by field -------------------------------------

SEED_CASES = [
    ("000", "沅陵县应急管理局", RegionMatch("湖南省", "怀化市", "沅陵县", "县")),
    ("001", "市应急管理局", RegionMatch("广东省", "汕尾市", None, "市")),
    ("002", "莆田市荔城区应急管理局", RegionMatch("福建省", "莆田市", "荔城区", "区")),
    ("003", "开平市应急管理局", RegionMatch("广东省", "江门市", "开平市", "县")),
    ("004", "岳阳市国动办", RegionMatch("湖南省", "岳阳市", None, "市")),
]


@needs_seeds
@pytest.mark.parametrize(("prefix", "org", "expected"), SEED_CASES)
def test_seed_with_org(prefix: str, org: str, expected: RegionMatch) -> None:
    got = resolve_region(org, _seed(prefix))
    for field in ("province", "city", "county", "level"):
        assert getattr(got, field) == getattr(expected, field), (prefix, field, got)


@needs_seeds
@pytest.mark.parametrize(("prefix", "org", "expected"), SEED_CASES)
def test_seed_without_org(prefix: str, org: str, expected: RegionMatch) -> None:
    """The text alone names its author (title line or first sentence) in every seed."""
    assert resolve_region(None, _seed(prefix)) == expected


# --- organisation names ------------------------------------------------------------------

ORG_CASES = [
    ("沅陵县应急管理局", ("湖南省", "怀化市", "沅陵县", "县")),
    ("开平市应急管理局", ("广东省", "江门市", "开平市", "县")),
    ("莆田市荔城区应急管理局", ("福建省", "莆田市", "荔城区", "区")),
    ("荔城区应急管理局", ("福建省", "莆田市", "荔城区", "区")),
    ("岳阳市国动办", ("湖南省", "岳阳市", None, "市")),
    ("重庆市应急管理局", ("重庆市", "重庆市", None, "省")),
    ("重庆市巴南区规划和自然资源局", ("重庆市", "重庆市", "巴南区", "区")),
    ("广东省应急管理厅", ("广东省", None, None, "省")),
    ("岳阳市生态环境局岳阳县分局", ("湖南省", "岳阳市", "岳阳县", "县")),
    ("平湖市消防救援大队", ("浙江省", "嘉兴市", "平湖市", "县")),
    ("天津市滨海新区应急管理局", ("天津市", "天津市", "滨海新区", "区")),
    ("上海市浦东新区生态环境局", ("上海市", "上海市", "浦东新区", "区")),
    ("广西壮族自治区司法厅", ("广西壮族自治区", None, None, "省")),
    ("广西应急管理厅", ("广西壮族自治区", None, None, "省")),
    ("西藏自治区国防动员办公室", ("西藏自治区", None, None, "省")),
    ("恩施州生态环境局", ("湖北省", "恩施土家族苗族自治州", None, "市")),
    ("恩施土家族苗族自治州生态环境局", ("湖北省", "恩施土家族苗族自治州", None, "市")),
    ("芷江县应急管理局", ("湖南省", "怀化市", "芷江侗族自治县", "县")),
    ("金华市应急管理局(人防办)", ("浙江省", "金华市", None, "市")),
    ("韶关市浈江区消防救援大队", ("广东省", "韶关市", "浈江区", "区")),
    ("中共青岛市交通运输局党组", ("山东省", "青岛市", None, "市")),
    ("国家税务总局沅陵县税务局", ("湖南省", "怀化市", "沅陵县", "县")),
    ("东安县应急管理局", ("湖南省", "永州市", "东安县", "县")),  # not 安县
    ("汕尾市城区应急管理局", ("广东省", "汕尾市", "城区", "区")),
    ("益阳市南县司法局", ("湖南省", "益阳市", "南县", "县")),
    # province-administered county-level units have no prefecture city
    ("潜江市应急管理局", ("湖北省", None, "潜江市", "县")),
    ("仙桃市司法局", ("湖北省", None, "仙桃市", "县")),
    ("东莞市应急管理局", ("广东省", "东莞市", None, "市")),
    # townships
    ("沅陵县官庄镇人民政府", ("湖南省", "怀化市", "沅陵县", "乡镇")),
    ("荔城区镇海街道办事处", ("福建省", "莆田市", "荔城区", "乡镇")),
    ("沅陵县住房和城乡建设局", ("湖南省", "怀化市", "沅陵县", "县")),  # 城乡 is no township
    # changes after the source data (renamed, upgraded, merged, new)
    ("宁乡市应急管理局", ("湖南省", "长沙市", "宁乡市", "县")),
    ("宁乡县应急管理局", ("湖南省", "长沙市", "宁乡市", "县")),
    ("海安市交通运输局", ("江苏省", "南通市", "海安市", "县")),
    ("重庆市梁平区交通局", ("重庆市", "重庆市", "梁平区", "区")),
    ("济南市莱芜区应急管理局", ("山东省", "济南市", "莱芜区", "区")),
    ("深圳市光明区应急管理局", ("广东省", "深圳市", "光明区", "区")),
    ("杭州市临平区司法局", ("浙江省", "杭州市", "临平区", "区")),
    ("那曲市应急管理局", ("西藏自治区", "那曲市", None, "市")),
]


@pytest.mark.parametrize(("org", "expected"), ORG_CASES)
def test_org_names(org: str, expected: tuple) -> None:
    assert resolve_region(org) == RegionMatch(*expected)


def test_org_spacing_and_full_width_brackets() -> None:
    assert resolve_region(" 金华市应急管理局（人防办） ").city == "金华市"


# --- ambiguity ---------------------------------------------------------------------------


def test_kaiping_city_vs_district_needs_context() -> None:
    guangdong = (
        "2024年，我局在江门市委、市政府领导下，落实《广东省安全生产条例》。江门市应急管理局…"
    )
    hebei = "2024年，在唐山市委、市政府领导下，贯彻《河北省安全生产条例》，唐山市应急管理局指导…"
    assert resolve_region("开平应急管理局", guangdong) == RegionMatch(
        "广东省", "江门市", "开平市", "县"
    )
    assert resolve_region("开平应急管理局", hebei) == RegionMatch(
        "河北省", "唐山市", "开平区", "区"
    )
    # No context: neither candidate is guessed.
    assert resolve_region("开平应急管理局") == RegionMatch(None, None, None, None)


def test_full_names_are_not_ambiguous() -> None:
    hebei_text = "河北省唐山市" * 5
    assert resolve_region("开平市应急管理局", hebei_text).city == "江门市"
    assert resolve_region("开平区应急管理局").city == "唐山市"


def test_chengguan_district_from_province_in_text() -> None:
    gansu = "根据《甘肃省法治政府建设实施方案》，按照甘肃省委部署，在兰州市委领导下……"
    tibet = "根据《西藏自治区法治政府建设实施方案》和拉萨市委部署……"
    assert resolve_region("城关区应急管理局", gansu) == RegionMatch(
        "甘肃省", "兰州市", "城关区", "区"
    )
    assert resolve_region("城关区应急管理局", tibet) == RegionMatch(
        "西藏自治区", "拉萨市", "城关区", "区"
    )
    # No evidence: the district name is certain, its city is not.
    assert resolve_region("城关区应急管理局", "我局坚持依法行政。") == RegionMatch(
        None, None, "城关区", "区"
    )


def test_gulou_district_of_fuzhou() -> None:
    text = "在福州市委、市政府的正确领导下，福州市鼓楼区应急管理局……" + "福建省" * 2
    assert resolve_region("鼓楼区应急管理局", text) == RegionMatch(
        "福建省", "福州市", "鼓楼区", "区"
    )


def test_unknown_org_gives_nothing() -> None:
    for org in ("某某公司", "xyz", "", "   ", "应急管理局", "新区应急管理局", "公安局", "（）"):
        assert resolve_region(org) == RegionMatch(None, None, None, None), org
    assert resolve_region(None) == RegionMatch(None, None, None, None)
    assert resolve_region(None, "") == RegionMatch(None, None, None, None)
    assert resolve_region("某某公司", "毫无地名的一段文字。" * 100) == RegionMatch(
        None, None, None, None
    )


def test_department_names_contain_no_places() -> None:
    """Every common department name scans clean: no place hides inside them."""
    gaz = _gazetteer()
    depts = [
        "应急管理局",
        "应急管理厅",
        "人民防空办公室",
        "国防动员办公室",
        "司法局",
        "市场监督管理局",
        "人民政府办公室",
        "交通运输局",
        "交通运输委员会",
        "生态环境局",
        "生态环境分局",
        "规划和自然资源局",
        "自然资源和规划局",
        "消防救援大队",
        "消防救援支队",
        "公安局",
        "住房和城乡建设局",
        "住房和城市建设局",
        "水利局",
        "水务局",
        "农业农村局",
        "卫生健康委员会",
        "教育局",
        "税务局",
        "财政局",
        "商务局",
        "文化和旅游局",
        "文化广电旅游体育局",
        "林业局",
        "城市管理局",
        "综合行政执法局",
        "发展和改革委员会",
        "人力资源和社会保障局",
        "民政局",
        "审计局",
        "统计局",
        "医疗保障局",
        "退役军人事务局",
        "工业和信息化局",
        "科学技术局",
        "机关事务管理局",
        "信访局",
        "气象局",
        "地震局",
    ]
    for dept in depts:
        assert gaz.org_index.scan(dept) == [], dept
        level = "省" if dept.endswith("厅") else None  # only provinces have 厅
        assert resolve_region(dept) == RegionMatch(None, None, None, level), dept


def test_words_are_not_places_in_text() -> None:
    gaz = _gazetteer()
    text = (
        "认真贯彻《中华人民共和国安全生产法》，推进主城区、老城区改造，开展“安康杯”竞赛，"
        "维护长治久安，精简文山会海，提高县级执法能力，创新县域治理，完成县乡两级培训，"
        "在中山路与黄石镇开展检查。"
    )
    found = {text[h.start : h.end] for h in gaz.text_index.scan(text)}
    assert found.isdisjoint({"共和", "城区", "老城区", "安康", "长治", "文山", "高县", "新县"}), (
        found
    )
    assert resolve_region("市应急管理局", text) == RegionMatch(None, None, None, "市")


def test_generic_district_counts_only_with_its_city() -> None:
    text = "汕尾市城区应急管理局" + "。汕尾市城区" * 3
    assert resolve_region("区应急管理局", text) == RegionMatch("广东省", "汕尾市", "城区", "区")


# --- resolving from the text -------------------------------------------------------------


def test_bare_city_bureau_from_text() -> None:
    text = (
        "2021年，市应急管理局坚持以习近平法治思想为指导。根据《广东省安全生产条例》，"
        "汕尾市应急管理局制定《汕尾市安全生产专项整治方案》，全市……汕尾市安委会……"
    )
    expected = RegionMatch("广东省", "汕尾市", None, "市")
    assert resolve_region("市应急管理局", text) == expected
    assert resolve_region(None, text) == expected


def test_bare_city_bureau_of_a_municipality_is_provincial() -> None:
    text = "市委、市政府：\n根据《上海市法治政府建设规划》，市应急局……上海市安全生产……"
    assert resolve_region("市应急局", text) == RegionMatch("上海市", "上海市", None, "省")


def test_bare_county_level_city_bureau() -> None:
    text = "2024年，市应急管理局……修订《大冶市应急管理局行政执法制度》，大冶市安委会……湖北省"
    assert resolve_region("市应急管理局", text) == RegionMatch("湖北省", "黄石市", "大冶市", "县")


def test_bare_district_bureau_keeps_only_what_is_clear() -> None:
    text = "贯彻《广东省法治政府建设实施纲要》《深圳市法治政府建设实施方案》，深圳市……广东省……"
    assert resolve_region("区应急管理局", text) == RegionMatch("广东省", "深圳市", None, "区")


def test_no_clear_winner_stays_none() -> None:
    text = "赴深圳市、广州市学习。深圳市、广州市经验……"
    assert resolve_region("市应急管理局", text) == RegionMatch("广东省", None, None, "市")
    text = "赴深圳市、长沙市学习，借鉴深圳市、长沙市经验，广东省、湖南省……"
    assert resolve_region("市应急管理局", text) == RegionMatch(None, None, None, "市")


def test_provincial_office_from_text() -> None:
    text = "发布机构：省人防办\n浙江省国防动员办公室2022年法治政府建设情况……《浙江省人民防空条例》"
    assert resolve_region("省人防办", text) == RegionMatch("浙江省", None, None, "省")


def test_township_without_place_uses_text() -> None:
    text = "在沅陵县委、县政府领导下……沅陵县官庄镇……沅陵县……湖南省"
    assert resolve_region("官庄镇人民政府", text) == RegionMatch(
        "湖南省", "怀化市", "沅陵县", "乡镇"
    )
    assert resolve_region("城关街道办事处") == RegionMatch(None, None, None, "乡镇")


# --- province_short ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("湖南省", "湖南"),
        ("广西壮族自治区", "广西"),
        ("重庆市", "重庆"),
        ("内蒙古自治区", "内蒙古"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("西藏自治区", "西藏"),
        ("黑龙江省", "黑龙江"),
        ("湖南", "湖南"),
        ("", ""),
    ],
)
def test_province_short(full: str, short: str) -> None:
    assert province_short(full) == short


# --- the table itself --------------------------------------------------------------------


def test_table_is_consistent() -> None:
    gaz = _gazetteer()
    units = gaz.units
    provinces = [u for u in units.values() if u.kind in ("province", "municipality")]
    assert len(provinces) == 31
    assert len(units) > 3000
    for u in units.values():
        assert (u.parent == "") == (u.kind in ("province", "municipality")), u
        assert not u.parent or u.parent in units, u
    assert {u.name for u in provinces if u.kind == "municipality"} == {
        "北京市",
        "天津市",
        "上海市",
        "重庆市",
    }


# --- dev corpus: no crash, most reports placed ---------------------------------------------

_HEADER = re.compile(r"(?:发文机关|发布机构|发布单位|信息来源|来\s*源)\s*[:：|]?\s*\|?\s*([^|\s]+)")
_ORG_LINE = re.compile(
    r"^([\u4e00-\u9fff()（）]{2,40}?(?:局|厅|办公室|办|大队|支队|委员会|委|政府|分局))(?:关于|20\d\d|$)"
)


def _dev_org(text: str) -> str | None:
    """The 发文机关/发布机构 header value, else the first line that is an organisation name."""
    lines = [ln.strip().strip("|•").strip() for ln in text.splitlines()[:15]]
    for line in lines:
        m = _HEADER.search(line)
        if m and re.search(r"(?:局|厅|办|室|队|会|委|府)$", m.group(1)):
            return m.group(1)
    for line in lines:
        m = _ORG_LINE.match(line)
        if m:
            return m.group(1)
    return None


@needs_dev
def test_dev_corpus_resolves(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [json.loads(line) for line in (DEV / "sources.jsonl").read_text().splitlines() if line]
    placed = kinds = 0
    unplaced = []
    for row in rows:
        text = (DEV / row["file"]).read_text(encoding="utf-8")
        org = _dev_org(text)
        region = resolve_region(org, text)
        kind = department_kind(org, text)
        if region.province:
            placed += 1
        else:
            unplaced.append(Path(row["file"]).stem)
        kinds += kind is not None
    with capsys.disabled():
        print(
            f"\ndev corpus: {placed}/{len(rows)} placed in a province, "
            f"{kinds}/{len(rows)} with a department kind; no province: {' '.join(unplaced)}"
        )
    assert len(rows) >= 100
    assert placed >= 0.6 * len(rows)
    assert kinds >= 0.6 * len(rows)


def test_bare_district_bureau_with_homonym_district() -> None:
    text = "2024年，区应急管理局在区委领导下……福州市鼓楼区……鼓楼区安委会……《福州市安全生产条例》"
    assert resolve_region("区应急管理局", text) == RegionMatch("福建省", "福州市", "鼓楼区", "区")
    assert resolve_region(None, text) == RegionMatch("福建省", "福州市", "鼓楼区", "区")
