"""The web app through Flask's test client on the real seed index: JSON API, validation, pages.

What a user (or a script calling the API) sees: status codes, JSON fields, error messages
naming the parameter, escaped text, exports matching the result list.
"""

from __future__ import annotations

import csv
import io

import pytest

from kb.search.facets import labels as facet_labels
from web.app import create_app

pytestmark = pytest.mark.slow  # needs the real seed index (conftest.seed_cfg)

CLI_FIELDS = {"rank", "text", "report", "title", "year", "heading_path", "section_kind", "start"}
CLI_FIELDS |= {"end", "scores"}
SHOUWEI_ORGS = {"沅陵县应急管理局", "岳阳市国防动员办公室"}  # 000 has two such passages, 004 one


@pytest.fixture(scope="module")
def client(seed_cfg, seed_searcher):
    app = create_app(seed_cfg, seed_searcher)
    return app.test_client()


def get_json(client, url: str, status: int = 200) -> dict:
    r = client.get(url)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.is_json
    return r.get_json()


def first_hit(client, q: str = "首违不罚") -> dict:
    return get_json(client, f"/api/search?q={q}&mode=lexical&limit=1")["hits"][0]


# -- /api/search ------------------------------------------------------------------------------


def test_api_search_answers_hits_with_cli_fields(client):
    body = get_json(client, "/api/search?q=首违不罚&mode=lexical")
    assert body["total"] == 3 and body["query"] == "首违不罚"
    assert {h["org"] for h in body["hits"]} == SHOUWEI_ORGS
    for hit in body["hits"]:
        assert hit.keys() >= CLI_FIELDS
        assert "首违不罚" in hit["text"]
        s, e = hit["highlights"][0]
        assert hit["text"][s:e] == "首违不罚"


def test_api_search_hybrid_puts_seed_passages_first(client):
    lexical = get_json(client, "/api/search?q=首违不罚&mode=lexical")["hits"]
    hits = get_json(client, "/api/search?q=首违不罚")["hits"]
    assert {h["passage_id"] for h in hits[:3]} == {h["passage_id"] for h in lexical}


def test_api_search_filters_apply(client):
    for url, check in (
        ("/api/search?q=执法&year=2024", lambda h: h["year"] == 2024),
        ("/api/search?q=执法&year=2021-2022", lambda h: 2021 <= h["year"] <= 2022),
        ("/api/search?q=执法&province=湖南", lambda h: h["province"] == "湖南省"),
        ("/api/search?q=执法&section=存在问题", lambda h: h["section_kind"] == "存在问题"),
        ("/api/search?q=执法&dept=人防", lambda h: h["dept_kind"] == "人防/国防动员"),
    ):
        body = get_json(client, url)
        assert body["hits"], url
        assert all(check(h) for h in body["hits"]), url


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=abc", "year"),
        ("year=2024-2020", "year"),
        ("mode=bogus", "mode"),
        ("limit=ten", "limit"),
        ("page=x", "page"),
        ("section=不存在", "section"),
        ("level=国家", "level"),
    ],
)
def test_api_search_rejects_bad_parameters_naming_them(client, query, field):
    body = get_json(client, f"/api/search?q=执法&{query}", status=400)
    assert body["error"]["status"] == 400
    assert body["error"]["field"] == field
    assert field in body["error"]["message"]


def test_api_search_clamps_out_of_range_numbers(client):
    body = get_json(client, "/api/search?q=执法&limit=100000&page=-1")
    assert body["limit"] == 100 and body["offset"] == 0
    body = get_json(client, "/api/search?q=执法&limit=0")
    assert body["limit"] == 1 and len(body["hits"]) == 1


def test_api_search_pages_do_not_overlap(client):
    p1 = get_json(client, "/api/search?q=执法&limit=5")["hits"]
    p2 = get_json(client, "/api/search?q=执法&limit=5&page=2")["hits"]
    assert [h["rank"] for h in p2] == [6, 7, 8, 9, 10]
    assert not {h["passage_id"] for h in p1} & {h["passage_id"] for h in p2}


def test_api_search_hostile_queries_never_fail(client):
    for q in ('"unbalanced', "执法 AND", "title:x", "！！！", "<script>alert(1)</script>", ""):
        body = get_json(client, f"/api/search?q={q}")
        assert isinstance(body["hits"], list)


# -- /api/report, /api/similar, /api/facets ------------------------------------------------------


def test_api_report_returns_text_and_passages_by_id_or_file_name(client):
    hit = first_hit(client)
    body = get_json(client, f"/api/report/{hit['report_id']}")
    assert body["org"] == hit["org"] and body["report"] == hit["report"]
    for p in body["passages"]:
        assert body["text"][p["start"] : p["end"]] == p["text"]
    assert get_json(client, f"/api/report/{hit['report']}")["id"] == hit["report_id"]


def test_unknown_ids_are_json_404(client):
    for url in ("/api/report/000000000000", "/api/similar/nope", "/api/nothing-here"):
        body = get_json(client, url, status=404)
        assert body["error"]["status"] == 404 and body["error"]["message"]


def test_api_similar_excludes_the_source_report(client):
    hit = first_hit(client)
    body = get_json(client, f"/api/similar/{hit['passage_id']}?limit=20")
    assert body["source"]["passage_id"] == hit["passage_id"]
    assert body["hits"]
    assert all(h["report_id"] != hit["report_id"] for h in body["hits"])
    section = get_json(client, f"/api/similar/{hit['passage_id']}?section=存在问题")["hits"]
    assert section and all(h["section_kind"] == "存在问题" for h in section)


def test_api_facets_counts_reports_without_query_and_passages_with_one(client):
    body = get_json(client, "/api/facets")
    assert body["unit"] == "reports" and body["total"] == 5
    assert set(body["facets"]) == set(facet_labels())
    years = {v["value"]: v["count"] for v in body["facets"]["year"]["values"]}
    assert years == {"2021": 1, "2022": 1, "2023": 1, "2024": 1, "2025": 1}
    body = get_json(client, "/api/facets?q=首违不罚&mode=lexical")
    assert body["unit"] == "passages"
    assert sum(v["count"] for v in body["facets"]["year"]["values"]) == body["total"] == 3
    assert get_json(client, "/api/facets?province=广东")["total"] == 2


# -- pages --------------------------------------------------------------------------------------


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "Traceback" not in html
    return html


def test_search_page_shows_highlighted_hits_and_keeps_state_in_links(client):
    html = page(client, "/?q=首违不罚&mode=lexical&year=2024")
    assert "<mark>首违不罚</mark>" in html
    assert "沅陵县应急管理局" in html and "岳阳市国防动员办公室" not in html
    # export and facet links carry the query, the mode and the filter
    assert (
        'href="/export.csv?q=%E9%A6%96%E8%BF%9D%E4%B8%8D%E7%BD%9A&amp;mode=lexical&amp;year=2024"'
        in html
    )


def test_empty_query_shows_overview_and_examples(client):
    html = page(client, "/")
    assert "5</strong> 份报告" in html
    assert "首违不罚" in html and "汕尾市应急管理局" in html


def test_no_results_suggests_loosening_filters(client):
    html = page(client, "/?q=首违不罚&mode=lexical&year=2021")
    assert "未找到" in html and "去掉全部筛选条件" in html


def test_query_html_is_escaped(client):
    html = page(client, "/?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bad_parameter_on_page_is_a_message_not_a_traceback(client):
    html = page(client, "/?q=执法&year=abc", status=400)
    assert "参数 year" in html and "不是年份" in html


def test_report_page_highlights_the_chosen_passage(client):
    hit = first_hit(client)
    html = page(client, f"/report/{hit['report_id']}?p={hit['passage_id']}&q=首违不罚")
    assert f'id="p-{hit["passage_id"]}" class="passage selected"' in html
    assert "<mark>首违不罚</mark>" in html
    assert hit["org"] in html and f"{hit['year']} 年度" in html


def test_unknown_report_and_page_are_404_pages(client):
    assert "找不到报告" in page(client, "/report/000000000000", status=404)
    assert "页面不存在" in page(client, "/no/such/page", status=404)


def test_similar_page_lists_other_reports(client):
    hit = first_hit(client)
    html = page(client, f"/similar/{hit['passage_id']}")
    assert "相似段落" in html and 'class="hit"' in html
    assert "找不到段落" in page(client, "/similar/nope", status=404)


def test_pages_send_a_strict_content_security_policy(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp


# -- export -------------------------------------------------------------------------------------


def test_csv_export_matches_the_result_list(client):
    hits = get_json(client, "/api/search?q=首违不罚&limit=5")["hits"]
    r = client.get("/export.csv?q=首违不罚&limit=5")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    raw = r.get_data(as_text=True)
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0][:3] == ["序号", "发文机关", "年度"]
    assert [r[1] for r in rows[1:]] == [h["org"] for h in hits]
    assert [r[rows[0].index("段落原文")] for r in rows[1:]] == [h["text"] for h in hits]


def test_markdown_export_keeps_the_query_inert(client):
    r = client.get("/export.md?q=<script>alert(1)</script>")
    md = r.get_data(as_text=True)
    assert r.status_code == 200, md
    assert md.startswith("# 检索：&lt;script&gt;alert(1)&lt;/script&gt;\n")
    assert "<script>" not in md


def test_markdown_export_has_a_citation_per_passage(client):
    hits = get_json(client, "/api/search?q=首违不罚&limit=4")["hits"]
    r = client.get("/export.md?q=首违不罚&limit=4")
    assert r.headers["Content-Type"] == "text/markdown; charset=utf-8"
    md = r.get_data(as_text=True)
    assert md.startswith("# 检索：首违不罚")
    cites = [ln for ln in md.splitlines() if ln.startswith(("—— 引自：", "—— 节选自："))]
    assert len(cites) == len(hits)
    # the same GB/T 7714 citation as each hit's JSON (same day), cut passages marked 节选
    for line, hit in zip(cites, hits, strict=True):
        assert line == f"—— {'节选自' if hit['truncated'] else '引自'}：{hit['citation']}"
        assert hit["citation"].startswith(f"{hit['org']}. ") if hit["org"] else True
        assert "[EB/OL]. " in hit["citation"]
