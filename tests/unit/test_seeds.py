"""The five seed reports: every metadata field the text supports, and the section kinds.

Expected values were read off the reports by hand (see the comments), not copied from kb.
"""

import pytest

S000 = "000_b2dd20f029b9b4d9.txt"  # 沅陵县应急管理局 2024, portal header with 发布时间
S001 = "001_90f9b6f397d6ec91.txt"  # 汕尾市应急管理局 2021: no title, org only as "市应急管理局"
S002 = (
    "002_39f8802a2c038771.txt"  # 荔城区应急管理局 2023: 文号, title over two lines, top level "1、"
)
S003 = "003_3850d62f0c9a890a.txt"  # 开平市应急管理局 2025: no line breaks at all
S004 = "004_f74c4a4a6aa3601c.txt"  # 岳阳市国动办 2022; sidecar gives the full name

EXPECTED = {
    S000: {
        "title": "沅陵县应急管理局2024年法治政府建设工作情况报告",
        "org": "沅陵县应急管理局",
        "province": "湖南省",
        "city": "怀化市",
        "county": "沅陵县",
        "level": "县",
        "dept_kind": "应急管理",
        "year": 2024,  # about 2024, published 2025-04
        "pub_date": "2025-04-17",  # 发布时间 on the portal (signed 2025-04-16)
        "doc_number": None,
        "source_url": "http://www.yuanling.gov.cn/yuanling/c118941/202504/7aeb241ed7824bdaaa11be19530af118.shtml",
    },
    S001: {
        "org": "汕尾市应急管理局",  # "市应急管理局" + 汕尾市 named throughout the text
        "province": "广东省",
        "city": "汕尾市",
        "county": None,
        "level": "市",
        "dept_kind": "应急管理",
        "year": 2021,
        "pub_date": None,
        "doc_number": None,
        "source_url": "https://envoykitchen.com/shanwei/jjsw/ztzl/fzzf/2021n/content/post_799151.html",
    },
    S002: {
        "title": "荔城区应急管理局关于2023年度法治政府建设工作报告",
        "org": "莆田市荔城区应急管理局",  # the sign-off's fuller form
        "province": "福建省",
        "city": "莆田市",
        "county": "荔城区",
        "level": "区",
        "dept_kind": "应急管理",
        "year": 2023,
        "pub_date": None,
        "doc_number": "荔应急〔2024〕9号",  # not the 荔应急〔2023〕32号 cited in the body
        "source_url": None,
    },
    S003: {
        "org": "开平市应急管理局",
        "province": "广东省",
        "city": "江门市",  # 开平市 is a county-level city under 江门市
        "county": "开平市",
        "level": "县",
        "dept_kind": "应急管理",
        "year": 2025,
        "pub_date": None,
        "doc_number": None,
        "source_url": None,
    },
    S004: {
        "org": "岳阳市国防动员办公室",  # sidecar override of the text's 岳阳市国动办
        "province": "湖南省",
        "city": "岳阳市",
        "county": None,
        "level": "市",
        "dept_kind": "人防/国防动员",
        "year": 2022,
        "pub_date": None,
        "doc_number": None,
        "source_url": None,
    },
}

CASES = [(src, name, value) for src, fields in EXPECTED.items() for name, value in fields.items()]


@pytest.mark.parametrize(
    ("source", "field", "expected"), CASES, ids=[f"{s[:3]}-{f}" for s, f, _ in CASES]
)
def test_seed_metadata_field(seed_reports, source, field, expected):
    assert getattr(seed_reports[source].meta, field) == expected


def test_titles_missing_from_the_text_are_not_invented(seed_reports):
    """A citation must not carry a title the report never had (issue 14): no
    "{org}{year}年度法治政府建设情况报告" made up from other fields."""
    for source in (S001, S003, S004):
        meta = seed_reports[source].meta
        assert meta.title is None and "title" not in meta.provenance
        assert "未能识别标题" in seed_reports[source].warnings


def test_every_field_records_source_and_confidence(seed_reports):
    for report in seed_reports.values():
        meta = report.meta
        for name in meta.field_names():
            if getattr(meta, name) is not None:
                assert meta.provenance[name] in ("sidecar", "header", "text", "derived", "url")
                assert meta.confidence[name] in ("high", "medium", "low")


def test_sidecar_override_is_recorded(seed_reports):
    assert seed_reports[S004].meta.provenance["org"] == "sidecar"
    assert seed_reports[S000].meta.provenance["source_url"] == "sidecar"


def _top_level(report):
    return [(s.path[0], s.kind) for s in report.sections if s.heading and s.heading.level == 1]


TOP_LEVEL = {
    S000: [
        ("一、上一年度推进法治政府建设的主要举措和成效", "主要举措和成效"),
        ("二、上一年度推进法治政府建设存在的不足和原因", "存在问题"),
        ("三、上一年度党政主要负责人履行推进法治建设第一责任人职责情况", "第一责任人履职"),
        ("四、下一年度推进法治政府建设的主要安排", "下一步工作安排"),
    ],
    S001: [
        ("一、工作开展情况", "主要举措和成效"),
        ("二、存在问题", "存在问题"),
        ("三、下步工作计划", "下一步工作安排"),
    ],
    S002: [
        ("1、主要举措和成效", "主要举措和成效"),
        ("二、党政主要负责人履行法治政府建设责任情况", "第一责任人履职"),
        ("三、存在问题和原因", "存在问题"),
        ("四、下一步工作计划", "下一步工作安排"),
    ],
    S003: [
        ("一、加强法治政府建设的组织领导", "主要举措和成效"),
        ("二、全面提升法治素养", "主要举措和成效"),
        ("三、主要负责人履行职责，加强法治政府建设情况", "第一责任人履职"),
        ("四、推进法治政府建设主要举措和成效", "主要举措和成效"),
        ("五、存在的问题和不足", "存在问题"),
        ("六、下一年度推进法治政府建设主要工作安排", "下一步工作安排"),
    ],
    S004: [
        ("一、2022年度推进法治政府建设的主要举措和成效", "主要举措和成效"),
        ("二、2022年度推进法治政府建设存在的不足和原因", "存在问题"),
        ("三、2022年度党政主要负责人履行推进法治建设第一责任人职责情况", "第一责任人履职"),
        ("四、2023年度推进法治政府建设的主要安排", "下一步工作安排"),
    ],
}


@pytest.mark.parametrize("source", list(TOP_LEVEL))
def test_seed_top_level_sections_and_kinds(seed_reports, source):
    assert _top_level(seed_reports[source]) == TOP_LEVEL[source]


def test_causes_subsection_is_classified_as_cause_analysis(seed_reports):
    kinds = {s.path[-1]: s.kind for s in seed_reports[S000].sections if s.path}
    assert kinds["（一）存在的不足"] == "存在问题"
    assert kinds["（二）原因分析"] == "原因分析"


def test_seed_passages_are_well_formed(seed_reports):
    for report in seed_reports.values():
        assert report.passages, report.source
        for p in report.passages:
            assert report.text[p.start : p.end] == p.text
            assert p.text.strip() == p.text
        # Front matter (title, portal header, salutation) and sign-off are not passages.
        bodies = "".join(p.text for p in report.passages)
        assert "发布时间" not in bodies and "特此报告" not in bodies
        assert report.meta.title is None or report.meta.title not in bodies


def test_passage_sizes_on_seeds(seed_reports):
    sizes = [len(p.text) for r in seed_reports.values() for p in r.passages]
    assert max(sizes) <= 800
    share_in_range = sum(60 <= n <= 500 for n in sizes) / len(sizes)
    assert share_in_range >= 0.95
