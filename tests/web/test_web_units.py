"""Fast unit tests of the pieces the pages are made of: escaping, links, exports, facets."""

from __future__ import annotations

import csv
import io

import numpy as np
from flask import Flask

from indexer.rows import RowTable
from kb.render import citation as citations
from kb.render import csv as csv_export
from kb.render import markdown
from kb.search import facets
from web import templating, url_builder


def test_highlight_escapes_text_and_marks_only_spans():
    html = templating.highlight("<b>首违不罚</b> & 其他", [(3, 7)])
    assert str(html) == "&lt;b&gt;<mark>首违不罚</mark>&lt;/b&gt; &amp; 其他"


def test_highlight_ignores_overlapping_and_out_of_range_spans():
    marked = templating.highlight("abcdef", [(0, 3), (2, 4), (5, 99)])
    assert str(marked) == "<mark>abc</mark><mark>d</mark>e<mark>f</mark>"


def test_report_paragraphs_after_a_line_break_are_indented_too():
    html = templating.highlight("第一段。\n第二段<i>", [(5, 8)], indent=True)
    assert str(html) == '第一段。\n<span class="indent"></span><mark>第二段</mark>&lt;i&gt;'
    assert "indent" not in str(templating.highlight("第一段。\n第二段", []))


def test_only_http_links_are_rendered():
    assert templating.safe_url("https://www.gov.cn/a.html") == "https://www.gov.cn/a.html"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil", "", None, "http://"):
        assert templating.safe_url(bad) is None


def test_region_does_not_repeat_names():
    assert (
        templating.region({"province": "北京市", "city": "北京市", "county": "朝阳区"})
        == "北京市 朝阳区"
    )


def app_context():
    app = Flask("t")
    for name, rule in (("search.page", "/"), ("export.csv", "/export.csv")):
        app.add_url_rule(rule, name, lambda: "")
    return app.test_request_context()


def test_links_keep_state_and_reset_the_page():
    state = {"q": "首违不罚", "year": "2024", "page": "3"}
    with app_context():
        assert (
            url_builder.facet(state, "year", "2024") == "/?q=%E9%A6%96%E8%BF%9D%E4%B8%8D%E7%BD%9A"
        )
        assert "page" not in url_builder.search(state, mode="lexical")
        assert "page=2" in url_builder.page(state, 2) and "year=2024" in url_builder.page(state, 2)
        assert "page" not in url_builder.page(state, 1)
        assert url_builder.export(state, "csv").endswith("year=2024&page=3")


def test_pager_window():
    assert url_builder.pages(1, 1) == [1]
    assert url_builder.pages(5, 20) == [1, None, 3, 4, 5, 6, 7, None, 20]
    assert url_builder.pages(2, 4) == [1, 2, 3, 4]


HIT = {
    "rank": 1,
    "org": "沅陵县应急管理局",
    "year": 2024,
    "title": "沅陵县应急管理局2024年法治政府建设工作情况报告",
    "section_kind": "主要举措和成效",
    "heading_path": ["一、主要举措", "（二）严格执法"],
    "text": '=HYPERLINK("http://x")推行首违不罚。\n第二段',
    "report": "000.txt",
    "source_url": "http://www.example.gov.cn/1.html",
    "doc_number": None,
}


def test_citation_line():
    assert citations.citation(HIT, cited="2025-03-01") == (
        "沅陵县应急管理局. 沅陵县应急管理局2024年法治政府建设工作情况报告[EB/OL]. "
        "[2025-03-01]. http://www.example.gov.cn/1.html"
    )
    # nothing known but the file: no file name, no made-up organisation or title
    assert citations.citation({"report": "x.txt"}, cited="2025-03-01") == "[EB/OL]. [2025-03-01]."


def test_csv_has_bom_and_neutralises_formulas():
    text = csv_export.to_csv([HIT])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    cell = rows[1][[label for _k, label in csv_export.columns()].index("段落原文")]
    assert cell.startswith("'=HYPERLINK") and cell.endswith("第二段")


def test_markdown_quotes_every_line_and_cites():
    md = markdown.to_markdown([HIT], "检索：首违不罚", "year=2024")
    assert "> =HYPERLINK" in md and "> 第二段" in md
    assert "—— 引自：沅陵县应急管理局. 沅陵县应急管理局2024年法治政府建设工作情况报告[EB/OL]." in md
    assert md.rstrip().endswith("http://www.example.gov.cn/1.html")
    assert "（没有结果）" in markdown.to_markdown([], "检索：x")


def test_markdown_keeps_hostile_text_and_links_inert():
    hostile = {**HIT, "text": "<script>x()</script>", "source_url": "javascript:x()"}
    md = markdown.to_markdown([hostile], "检索")
    assert "<script>" not in md and "&lt;script&gt;x()&lt;/script&gt;" in md
    assert "javascript:" not in md


def test_markdown_heading_and_conditions_are_inert_and_stay_one_line():
    md = markdown.to_markdown([HIT], "检索：<script>alert(1)</script>\n# 注入", "dept=<b>公安</b>")
    assert md.splitlines()[0] == "# 检索：&lt;script&gt;alert(1)&lt;/script&gt; # 注入"
    assert "检索条件：dept=&lt;b&gt;公安&lt;/b&gt;" in md
    assert "<script>" not in md and "<b>" not in md and "\n# 注入" not in md
    # Chinese text and punctuation are left as typed.
    assert (
        markdown.md_text("“首违不罚”、（一）；《办法》：A&B")
        == "“首违不罚”、（一）；《办法》：A&amp;B"
    )


def rows() -> RowTable:
    return RowTable.from_records(
        pids=["a", "b", "c", "d"],
        years=[2024, 2024, 2023, None],
        values={
            "province": ["湖南省", "湖南省", "广东省", None],
            "city": ["怀化市", "怀化市", None, None],
            "county": [None] * 4,
            "level": ["县", "县", "市", None],
            "dept_kind": ["应急管理"] * 4,
            "section_kind": ["存在问题", "主要举措和成效", "存在问题", "其他"],
            "report_id": ["r1", "r1", "r2", "r3"],
        },
        boilerplate=np.zeros(4),
    )


def test_the_unknown_bucket_is_a_filter():
    from kb.search.filters import FilterError, Filters

    t = rows()
    assert Filters.from_params({"province": "未识别"}).mask(t).tolist() == [
        False,
        False,
        False,
        True,
    ]
    assert Filters.from_params({"level": "未识别,县"}).mask(t).tolist() == [True, True, False, True]
    assert Filters.from_params({"city": "怀化"}).mask(t).tolist() == [True, True, False, False]
    try:
        Filters.from_params({"section": "未识别"})  # passage-level: no such bucket
    except FilterError as e:
        assert "section" in str(e)
    else:
        raise AssertionError("section=未识别 should be refused")


def test_facet_counts_passages_and_reports():
    t = rows()
    by_passage = facets.counts(t)
    assert by_passage["year"] == [{"value": "2024", "count": 2}, {"value": "2023", "count": 1}]
    assert by_passage["section"][0] == {"value": "主要举措和成效", "count": 1}
    by_report = facets.counts(t, unit="reports")
    assert by_report["province"] == [
        {"value": "广东省", "count": 1},
        {"value": "湖南省", "count": 1},
        {"value": "未识别", "count": 1},  # r3: organisation-related, counted and last
    ]
    assert by_report["city"][-1] == {"value": "未识别", "count": 2}
    assert by_report["level"] == [
        {"value": "市", "count": 1},
        {"value": "县", "count": 1},
        {"value": "未识别", "count": 1},
    ]
    assert by_report["dept"] == [{"value": "应急管理", "count": 3}]
    assert facets.counts(t, [3])["year"] == []  # an unknown year is no bucket
    assert facets.counts(t, [2])["year"] == [{"value": "2023", "count": 1}]
    assert facets.counts(t, [])["year"] == []
