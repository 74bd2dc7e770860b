"""Compare: one passage per organisation, grouped by section kind; page, API and Markdown.

The picking and grouping are unit-tested on plain lists; the rest runs on the seed index, where
the five seed reports come from five organisations.
"""

from __future__ import annotations

import re

import pytest

from kb.core.models import SECTION_KINDS
from kb.render.markdown import comparison_markdown as to_markdown
from kb.search import SearchRequest
from kb.tools.compare import Comparison, Group, best_per_org, group_by_section, org_key

# the seed tests run on both engines (tests/conftest.py)
pytestmark = pytest.mark.engines

SEED_ORGS = {
    "沅陵县应急管理局",
    "汕尾市应急管理局",
    "莆田市荔城区应急管理局",
    "开平市应急管理局",
    "岳阳市国防动员办公室",
}


def test_best_row_of_each_organisation_in_rank_order():
    rows = [10, 11, 12, 13, 14, 15]
    orgs = ["甲局", "乙局", "甲局", "丙局", "乙局", "甲局"]
    reports = ["a1", "b1", "a2", "c1", "b1", "a1"]
    chosen, per_org = best_per_org(rows, orgs, reports)
    assert chosen == [(10, 1), (11, 2), (13, 4)]
    assert per_org == {"甲局": 2, "乙局": 1, "丙局": 1}  # distinct reports per organisation


def test_unknown_organisations_stay_apart_by_report():
    assert org_key(None, "r1") != org_key("", "r2")
    assert org_key(" 甲 局 ", "r1") == org_key("甲局", "r2") == "甲局"


def test_groups_follow_the_order_reports_present_sections_in():
    hits = [
        {"section_kind": "下一步工作安排", "org": "甲"},
        {"section_kind": "存在问题", "org": "乙"},
        {"section_kind": "主要举措和成效", "org": "丙"},
        {"section_kind": "存在问题", "org": "丁"},
    ]
    groups = group_by_section(hits)
    assert [g.section_kind for g in groups] == ["主要举措和成效", "存在问题", "下一步工作安排"]
    assert [h["org"] for h in groups[1].hits] == ["乙", "丁"]
    assert [g.section_kind for g in groups] == [
        k for k in SECTION_KINDS if k in {h["section_kind"] for h in hits}
    ]


def test_markdown_quotes_each_organisation_with_a_citation():
    hit = {
        "org": "甲县应急管理局",
        "year": 2024,
        "title": "甲县应急管理局2024年法治政府建设工作报告",
        "section_kind": "存在问题",
        "heading_path": ["二、存在问题"],
        "text": "执法力量薄弱。\n人少事多。",
        "source_url": "http://example.gov.cn/a.html",
        "strong": False,
    }
    comp = Comparison(
        "执法力量薄弱", SearchRequest("执法力量薄弱"), 0.9, [Group("存在问题", [hit])], 1, "b"
    )
    md = to_markdown(comp, "year=2024")
    assert md.startswith("# 对比：执法力量薄弱")
    assert "检索条件：year=2024" in md and "## 存在问题" in md
    assert "### 甲县应急管理局（2024年度）" in md
    assert "> 执法力量薄弱。\n> 人少事多。" in md
    assert (
        "—— 引自：甲县应急管理局. 甲县应急管理局2024年法治政府建设工作报告[EB/OL]. " in md
        and "http://example.gov.cn/a.html" in md
    )
    assert "相关度较低" in md


def test_markdown_keeps_query_names_text_and_links_inert():
    hit = {
        "org": "<b>甲县</b>应急管理局",
        "year": 2024,
        "title": "<i>报告</i>",
        "section_kind": "存在问题",
        "text": "执法力量“薄弱”。\n<script>alert(1)</script>",
        "source_url": "javascript:alert(1)",
        "strong": True,
    }
    query = "<img src=x onerror=alert(1)>执法"
    comp = Comparison(query, SearchRequest(query), 0.9, [Group("存在问题", [hit])], 1, "b")
    md = to_markdown(comp, "dept=<u>x</u>")
    assert md.startswith("# 对比：&lt;img src=x onerror=alert(1)&gt;执法\n")
    assert "检索条件：dept=&lt;u&gt;x&lt;/u&gt;" in md
    assert "### &lt;b&gt;甲县&lt;/b&gt;应急管理局（2024年度）" in md
    assert "> 执法力量“薄弱”。\n> &lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "—— 引自：&lt;b&gt;甲县&lt;/b&gt;应急管理局. &lt;i&gt;报告&lt;/i&gt;[EB/OL]. [" in md
    assert not re.search(r"<(img|b|i|u|script)\b", md) and "javascript:" not in md


# -- on the seed index ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(seed_cfg, seed_searcher):
    from web.app import create_app

    return create_app(seed_cfg, seed_searcher).test_client()


@pytest.mark.slow
def test_one_passage_per_seed_report(seed_searcher):
    from kb.tools.compare import compare

    comp = compare(seed_searcher, SearchRequest("执法力量薄弱"), 0.895)
    hits = comp.hits
    assert {h["org"] for h in hits} == SEED_ORGS and len(hits) == 5
    assert len({h["report_id"] for h in hits}) == 5
    assert comp.organisations == 5
    # Each is its organisation's best: the first of its report's rows in the fused list.
    full = seed_searcher.search(SearchRequest("执法力量薄弱", limit=100, dedupe=False))
    table = seed_searcher.bundle.rows
    first: dict[str, str] = {}
    for row in full.result_rows:
        rid = table.vocab["report_id"][table.codes["report_id"][row]]
        first.setdefault(rid, table.pids[row])
    assert {h["report_id"]: h["passage_id"] for h in hits} == first
    for g in comp.groups:  # the order the cards show: strong first, then by the shown score
        shown = [(not h["strong"], -h["scores"]["semantic"]["score"]) for h in g.hits]
        assert shown == sorted(shown)
    assert all(h["strong"] for h in hits)  # every seed writes about weak enforcement
    assert {g.section_kind for g in comp.groups} == {"存在问题"}


@pytest.mark.slow
def test_api_compare_groups_by_section_and_marks_weak_entries(client):
    body = client.get("/api/compare?q=首违不罚").get_json()
    kinds = [g["section_kind"] for g in body["groups"]]
    assert kinds == [k for k in SECTION_KINDS if k in kinds]
    hits = [h for g in body["groups"] for h in g["hits"]]
    assert {h["org"] for h in hits} == SEED_ORGS
    strong = {h["org"] for h in hits if h["strong"]}
    assert strong == {"沅陵县应急管理局", "岳阳市国防动员办公室"}  # the two that say 首违不罚
    assert all(h["match"]["lexical"] for h in hits if h["org"] in strong)
    for g in body["groups"]:  # no weak card above a strong one, scores falling within each
        marks = [(not h["strong"], -h["scores"]["semantic"]["score"]) for h in g["hits"]]
        assert marks == sorted(marks)


@pytest.mark.slow
def test_api_compare_section_filter_and_errors(client):
    body = client.get("/api/compare?q=执法力量薄弱&section=下一步工作安排").get_json()
    assert [g["section_kind"] for g in body["groups"]] == ["下一步工作安排"]
    assert body["filters"] == {"section": "下一步工作安排"}
    r = client.get("/api/compare?q=")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "q"
    r = client.get("/api/compare?q=执法&section=不存在")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "section"


@pytest.mark.slow
def test_markdown_export_has_one_citation_per_organisation(client):
    api = client.get("/api/compare?q=执法力量薄弱").get_json()
    r = client.get("/compare.md?q=执法力量薄弱")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/markdown; charset=utf-8"
    text = r.get_data(as_text=True)
    cites = [ln for ln in text.splitlines() if ln.startswith(("—— 引自：", "—— 节选自："))]
    hits = [h for g in api["groups"] for h in g["hits"]]
    assert [c.split("：", 1)[1] for c in cites] == [h["citation"] for h in hits]


@pytest.mark.slow
def test_markdown_export_keeps_the_query_inert(client):
    r = client.get("/compare.md?q=执法力量薄弱<script>alert(1)</script>")
    md = r.get_data(as_text=True)
    assert r.status_code == 200, md
    assert md.startswith("# 对比：执法力量薄弱&lt;script&gt;alert(1)&lt;/script&gt;\n")
    assert "<script>" not in md


@pytest.mark.slow
def test_page_shows_a_card_per_organisation(client):
    html = client.get("/compare?q=执法力量薄弱").get_data(as_text=True)
    assert len(re.findall(r'class="compare-card(?: weak)?"', html)) == 5
    for org in SEED_ORGS:
        assert org in html
    assert "加入案例集" in html and "compare.md" in html


@pytest.mark.slow
def test_page_folds_the_weak_entries(client):
    import lxml.html

    page = lxml.html.fromstring(client.get("/compare?q=首违不罚").get_data(as_text=True))
    cards = page.xpath("//div[contains(concat(' ', @class, ' '), ' compare-card ')]")
    folded = [c for c in cards if c.xpath("ancestor::details[@class='more-weak']")]
    assert len(cards) == 5 and len(folded) == 3
    assert all("weak" in c.get("class") for c in folded)  # only the weak ones are folded
    summaries = page.xpath("//details[@class='more-weak']/summary")
    counts = [int(re.search(r"显示其余 (\d+) 条", s.text_content()).group(1)) for s in summaries]
    assert sum(counts) == 3
