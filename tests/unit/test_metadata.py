"""Organisation, title, year and place from portal layouts (issue 14), as short openings.

Each case is a layout or a failure class seen on real portal pages: the organisation on a line
of its own, header fields, fragments that used to become organisations (大中街道在区委, 我委紧扣
法治政府), portal chrome in titles, 我局/区财政局 resolved only when the text or the source URL
says where. They run without the dev corpus.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.core.models import ReportMeta
from kb.ingest.domains import url_evidence
from kb.ingest.layout import header_fields
from kb.ingest.orgs import is_org_name, org_prefix
from kb.ingest.parse import parse_report
from kb.ingest.readers import RawDocument

BODY = (
    "一、主要举措和成效\n（一）严格落实行政执法三项制度。全年公示执法信息一百二十三条，"
    "重大执法决定法制审核率百分之百。"
)

# Verbs and function words that have no place in an organisation's name.
_VERBS = re.compile(r"在|我|的|坚持|紧扣|深入|贯彻|落实|推进|围绕|法治政府|法治建设|工作")


def _meta(opening: str, url: str | None = None, body: str = BODY) -> ReportMeta:
    raw = RawDocument(path=Path("r.txt"), text=f"{opening}\n{body}", format="txt")
    overrides = {"source_url": url} if url else None
    return parse_report(raw, "r.txt", content_hash="", overrides=overrides).meta


# --- fragments are never organisations ---------------------------------------------------------

FRAGMENT_OPENINGS = {
    # opening sentence → the organisation the sentence names (None: it names none)
    "2023年，大中街道在区委、区政府的坚强领导下，扎实推进法治政府建设。": "大中街道",
    "2024年，留下街道在区委、区政府的正确领导下，全面推进依法行政。": "留下街道",
    "2023年，棣棠乡在县委、县政府的坚强领导下，深入推进法治建设。": "棣棠乡",
    "2023年，中村乡法治建设工作在乡党委的领导下稳步推进。": "中村乡",
    "2023年，全市司法行政系统在市委、市政府的坚强领导下，统筹推进法治建设。": None,
    "2022年，宁河经济开发区在区委、区政府的领导下，持续优化法治化营商环境。": "宁河经济开发区",
    "2023年，我委紧扣法治政府建设目标，扎实推进各项工作。": None,
    "2023年，我街道法治政府建设工作取得新成效。": None,
    "2024年，我分局深入学习贯彻习近平法治思想。": None,
}


@pytest.mark.parametrize("opening", list(FRAGMENT_OPENINGS), ids=list(range(9)))
def test_fragment_classes_are_cut_at_a_suffix_never_at_a_verb(opening):
    org = _meta(opening).org
    assert org == FRAGMENT_OPENINGS[opening]
    assert org is None or not _VERBS.search(org)


@pytest.mark.parametrize(
    "phrase, name",
    [
        ("大中街道在区委", "大中街道"),
        ("中村乡法治建设工作在乡党委", "中村乡"),
        ("宁河经济开发区在区委", "宁河经济开发区"),
        ("全市司法行政系统在市委", None),
        ("我委紧扣法治政府", None),
        ("我街道法治政府", None),
        ("我分局", None),
        ("市委依法治市办", None),  # the supervisor, and no name with 依法
        ("区委、区政府", None),
        ("局党组坚持", None),
        ("岳阳市生态环境局岳阳县分局（以下简称“我局”）", "岳阳市生态环境局岳阳县分局"),
        ("金华市应急管理局(人防办)关于", "金华市应急管理局(人防办)"),
        ("中共青岛市交通运输局党组", "中共青岛市交通运输局党组"),
        ("城关镇人民政府关于2023年", "城关镇人民政府"),
        ("重庆市荣昌区交通运输委员会关于", "重庆市荣昌区交通运输委员会"),
        ("西安市莲湖区住房和城市建设局2024年", "西安市莲湖区住房和城市建设局"),
    ],
)
def test_org_prefix(phrase, name):
    assert org_prefix(phrase) == name


def test_party_committees_are_not_bureaus():
    assert not is_org_name("大中街道在区委")
    assert not is_org_name("县委县政府")
    assert is_org_name("中共泽州县委")  # a committee's own name, written as such
    assert is_org_name("泽州县发改委")


# --- layouts ------------------------------------------------------------------------------------


def test_org_on_its_own_line_after_a_portal_header():
    """The issue's example: heading, a portal line with the publishing section and date, the
    organisation on a line of its own, then the heading again."""
    meta = _meta(
        "2023年法治政府建设工作年度报告\n政策法规科 2023-12-29\n广元市人力资源和社会保障局\n"
        "2023年法治政府建设工作年度报告\n2023年，我局坚持以习近平法治思想为指导，全面推进依法行政。"
    )
    assert meta.org == "广元市人力资源和社会保障局"
    assert (meta.province, meta.city, meta.level) == ("四川省", "广元市", "市")
    assert meta.dept_kind == "人力资源和社会保障"
    assert meta.title == "2023年法治政府建设工作年度报告"
    assert meta.provenance["org"] == "text" and meta.confidence["org"] == "high"


def test_org_line_above_a_heading_without_its_author_joins_the_title():
    meta = _meta("郑州市应急管理局\n关于2023年度法治政府建设工作的报告")
    assert meta.title == "郑州市应急管理局关于2023年度法治政府建设工作的报告"
    assert meta.org == "郑州市应急管理局"


def test_banner_above_a_complete_title_is_chrome():
    meta = _meta(
        "泽州县司法局\n搜索位置\n匹配度\n泽州县交通运输局2025年法治政府建设报告\n"
        "发布日期： 2026-02-28 发布机构： 县司法局"
    )
    assert meta.org == "泽州县交通运输局"  # the publisher 县司法局 is not the author
    assert meta.title == "泽州县交通运输局2025年法治政府建设报告"
    assert meta.pub_date == "2026-02-28" and meta.provenance["pub_date"] == "header"


@pytest.mark.parametrize(
    "front, title",
    [
        (
            "[ 体裁分类 ] 工作报告\n首页>政府信息公开>法定主动公开内容>法治政府建设年度报告\n"
            "宁乡市司法局2023年度法治政府建设情况报告",
            "宁乡市司法局2023年度法治政府建设情况报告",
        ),
        (
            "【2022年】州生态环境局2022年度法治政府建设报告",
            "州生态环境局2022年度法治政府建设报告",
        ),
        (
            "上海市民防办公室关于2020年度法治政府建设工作的情况报告 ( 2021年02月10日 )",
            "上海市民防办公室关于2020年度法治政府建设工作的情况报告",
        ),
        (
            "亳州市生态环境局关于2024年度\n法治政府建设情况的报告",
            "亳州市生态环境局关于2024年度法治政府建设情况的报告",
        ),
        ("建设工作情况的报告", None),  # a truncated heading is no title
        ("市委、市政府：", None),  # a salutation
    ],
)
def test_portal_chrome_is_not_part_of_the_title(front, title):
    assert _meta(front).title == title


def test_covering_letter_gives_way_to_the_enclosed_report():
    meta = _meta(
        "湖南省交通运输厅关于报送2019年法治政府部门建设工作自查报告的函\n省司法厅：\n"
        "根据工作要求，现将《2019年法治政府部门建设工作自查报告》（附后）随函报送。\n"
        "湖南省交通运输厅\n2019年法治政府部门建设工作自查报告"
    )
    assert meta.title == "湖南省交通运输厅2019年法治政府部门建设工作自查报告"
    assert meta.year == 2019


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["| 发文机关： | 东安县应急管理局 | 发文日期： | |"], {"发文机关": "东安县应急管理局"}),
        (
            ["发布日期： 2026-02-28 发布机构： 县司法局"],
            {"发布日期": "2026-02-28", "发布机构": "县司法局"},
        ),
        (["发布单位湖南省交通运输厅来源厅法制处"], {"发布单位": "湖南省交通运输厅", "来源": "厅法制处"}),
        (["• [ 发布机构 ]", "• 荣昌区生态环境局"], {"发布机构": "荣昌区生态环境局"}),
        (["索 引 号 : 001003044/2023-00020 公开方式：主动公开"],
         {"索引号": "001003044/2023-00020", "公开方式": "主动公开"}),
    ],
)  # fmt: skip
def test_header_fields(lines, expected):
    fields = header_fields(lines)
    assert {k: fields.get(k) for k in expected} == expected


def test_a_breadcrumb_ending_in_an_organisation_is_no_byline():
    meta = _meta(
        ">政府信息公开>部门信息>区市场监管局\n2023年度法治政府建设情况报告\n"
        "发布日期：2024-01-20 信息来源：区市场监管局\n"
        "2023年，区市场监管局在区委区政府的领导下，认真履行市场监管职责。"
    )
    assert meta.org is None  # 区市场监管局, and nothing says which 区
    assert meta.title == "2023年度法治政府建设情况报告"
    assert (meta.dept_kind, meta.level) == ("市场监管", "区")


@pytest.mark.parametrize(
    "opening, org, level",
    [
        ("关于2023年度法治政府建设情况的报告\n2023年，城关街道办事处在区委、区政府的正确领导下，"
         "扎实推进法治建设。", "城关街道办事处", "乡镇"),
        ("金牛区司法局2024年度法治政府建设工作报告\n来源：金牛区司法局 发布时间：2025-01-10\n"
         "2024年，区司法局在区委、区政府的坚强领导下，充分发挥司法行政职能作用。", "金牛区司法局", "区"),
        ("泸州市纳溪区人民政府\n2023年法治政府建设年度报告\n2023年，纳溪区深入学习贯彻习近平法治思想。",
         "泸州市纳溪区人民政府", "区"),
    ],
)  # fmt: skip
def test_levels_and_kinds_beyond_the_dev_corpus(opening, org, level):
    meta = _meta(opening)
    assert (meta.org, meta.level) == (org, level)


def test_header_field_gives_the_fullest_form():
    meta = _meta(
        "龙岗区消防救援局2025年法治政府建设年度报告\n• 发布时间： 2026-01-22\n"
        "• 来源：深圳市龙岗区消防救援局"
    )
    assert meta.org == "深圳市龙岗区消防救援局"
    assert (meta.city, meta.county, meta.level) == ("深圳市", "龙岗区", "区")


# --- 我局 / 区财政局: resolved only where the text or the source says where ---------------------

SELF_ONLY = (
    "2023年，我局坚持以习近平生态文明思想为指导，深入打好污染防治攻坚战，依法严格生态环境执法，"
    "推进排污许可全覆盖，规范环评审批。"
)


def test_self_reference_alone_names_nobody():
    meta = _meta(SELF_ONLY)
    assert meta.org is None and "org" not in meta.provenance
    assert meta.dept_kind == "生态环境"


def test_self_reference_with_a_source_url_and_the_text_naming_the_place():
    meta = _meta(
        SELF_ONLY + "坚决贯彻习近平总书记考察绍兴重要讲话精神，全市水质持续改善。",
        url="https://www.sx.gov.cn/art/2024/1/29/art_1229309447_4107577.html",
    )
    assert meta.org == "绍兴市生态环境局"
    assert (meta.provenance["org"], meta.confidence["org"]) == ("url", "low")
    assert (meta.province, meta.city, meta.level) == ("浙江省", "绍兴市", "市")


def test_self_reference_and_a_department_label_in_the_host():
    meta = _meta(
        "2024年，我厅始终坚持以习近平新时代中国特色社会主义思想为指导，统筹发展和安全，"
        "推进应急管理法治建设，安全生产形势持续稳定。",
        url="https://yjt.sc.gov.cn/scyjt/gongshigonggao/2025/1/21/x.shtml",
    )
    assert meta.org == "四川省应急管理厅"
    assert (meta.province, meta.level, meta.dept_kind) == ("四川省", "省", "应急管理")


def test_the_text_names_its_own_documents():
    meta = _meta(
        "2024年，我局认真贯彻落实市委、市政府关于法治政府建设工作的决策部署。",
        body=BODY
        + "修订《平顶山市应急管理局依法行政制度汇编》，公示《平顶山市应急管理局权责清单》。",
    )
    assert meta.org == "平顶山市应急管理局"
    assert meta.provenance["org"] == "text"


def test_a_supervisors_notice_is_not_the_author():
    meta = _meta(
        "2024年，我局认真贯彻落实县委、县政府关于法治政府建设工作的决策部署。",
        body=BODY + "根据《永州市应急管理局关于做好2024年度法治政府建设年度报告工作的通知》要求，"
        "现将有关情况报告如下。",
    )
    assert meta.org is None


def test_a_superior_bureau_praising_the_author_is_not_the_author():
    meta = _meta(
        "2024年，在县委、县政府的坚强领导下，我局扎实推进应急管理法治建设，安全生产形势稳定。",
        body=BODY + "永州市应急管理局对我局法治工作给予充分肯定。全县未发生较大生产安全事故。",
    )
    assert meta.org is None


def test_bare_district_bureau_completed_from_the_text():
    meta = _meta(
        "2023年，区财政局在区委、区政府的坚强领导下，立足我区实际，扎实推进法治财政建设。",
        body=BODY + "认真执行《深圳市罗湖区财政专项资金管理办法》，服务罗湖区高质量发展。",
    )
    assert meta.org == "罗湖区财政局"
    assert (meta.city, meta.county, meta.level) == ("深圳市", "罗湖区", "区")
    assert meta.provenance["org"] == "derived"


def test_bare_bureau_completed_from_the_url_when_the_text_says_nothing():
    meta = _meta(
        "2024年，市应急管理局全面贯彻党的二十大精神，认真落实习近平法治思想。",
        url="https://yjglj.chaoyang.gov.cn/html/CYYGJ/202501/0174314496405153.html",
        body=BODY + "贯彻落实《辽宁省安全生产条例》。",
    )
    assert meta.org == "朝阳市应急管理局"
    assert meta.provenance["org"] == "url" and meta.confidence["org"] == "low"


def test_bare_bureau_with_nothing_to_say_where_is_dropped():
    meta = _meta("2020年，在省委、省政府的正确领导下，省交通运输厅坚持依法行政。")
    assert meta.org is None
    assert meta.dept_kind == "交通运输"  # still known from the bare name


# --- the URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, names, dept",
    [
        ("https://yjj.cq.gov.cn/zwgk/x.html", {"重庆市"}, "应急管理"),
        ("http://www.tjjh.gov.cn/a.html", {"静海区"}, None),
        ("https://jxx.nc.gov.cn/jxxrmzf/gfxwj/", {"进贤县"}, None),  # below 南昌 (nc)
        ("https://ghzrzyj.cq.gov.cn/zz/yzq/202401/t.html", {"渝中区"}, "自然资源"),  # path
        ("http://www.hfzf.gov.cn/hfzf/x.shtml", {"横峰县"}, None),  # 横峰 + 政府
    ],
)
def test_url_evidence(url, names, dept):
    from kb.ingest.regions import _gazetteer

    ev = url_evidence(url)
    specific = [c for c in ev.candidates if c.specific] or ev.candidates
    found = {_gazetteer().units[c.code].name for c in specific}
    assert names <= found
    assert ev.dept_kind == dept


def test_mirror_domains_mean_nothing_but_their_path_may():
    ev = url_evidence("http://sd-xs.com/bmpd/jmsjtysj/ztzl/content/post_2986011.html")
    assert ev is not None and not ev.gov
    assert all(c.where == "path" for c in ev.candidates)  # sd / xs are not taken
    assert ev.dept_kind == "交通运输"


def test_a_mirror_path_counts_only_when_the_text_names_the_place():
    url = "https://envoykitchen.com/shanwei/jjsw/ztzl/fzzf/2021n/content/post_799151.html"
    opening = "2021年，市应急管理局坚持以习近平新时代中国特色社会主义思想为指导，认真履职。"
    assert _meta(opening, url=url).org is None
    named = _meta(
        opening, url=url, body=BODY + "汕尾市安全生产形势持续稳定，汕尾全市未发生较大事故。"
    )
    assert named.org == "汕尾市应急管理局"


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "not a url", "http://"])
def test_odd_urls_give_no_evidence(url):
    ev = url_evidence(url)
    assert ev is None or ev.candidates == []
