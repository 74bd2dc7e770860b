"""Paging through results: every page of a query is cut from the same list.

A reviewer found the total (and the facet counts) changing from page 1 to page 5, and pages
past the end saying both "找到 112 条" and "没有找到". On the seed index.
"""

from __future__ import annotations

import pytest

from web.app import create_app

pytestmark = pytest.mark.slow  # needs the real seed index (conftest.seed_cfg)


@pytest.fixture(scope="module")
def client(seed_cfg, seed_searcher):
    return create_app(seed_cfg, seed_searcher).test_client()


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "semantic"])
def test_total_and_facets_are_the_same_on_every_page(client, mode):
    first = client.get(f"/api/search?q=执法&mode={mode}&facets=1").get_json()
    pages = -(-first["total"] // 10)
    assert pages > 1
    seen = []
    for page in range(1, pages + 1):
        resp = client.get(f"/api/search?q=执法&mode={mode}&facets=1&page={page}").get_json()
        assert resp["total"] == first["total"]
        assert resp["facets"] == first["facets"]
        seen += [h["passage_id"] for h in resp["hits"]]
    assert len(seen) == len(set(seen)) == first["total"]  # every hit reachable, once
    assert client.get(f"/api/search?q=执法&mode={mode}&limit=100").get_json()["total"] == len(seen)


def test_a_page_past_the_end_says_so_and_links_to_the_last_page(client):
    total = client.get("/api/search?q=执法").get_json()["total"]
    last = -(-total // 10)
    html = client.get("/?q=执法&page=50").get_data(as_text=True)
    assert f"第 50 页已超出末页：共 {total} 条结果，{last} 页" in html
    assert f"page={last}" in html and "回到最后一页" in html
    assert "未找到" not in html and "第 491" not in html


def test_similar_passages_keep_their_total_across_pages(client):
    pid = client.get("/api/search?q=首违不罚").get_json()["hits"][0]["passage_id"]
    first = client.get(f"/api/similar/{pid}").get_json()
    assert first["total"] > 10
    later = client.get(f"/api/similar/{pid}?page=3").get_json()
    assert later["total"] == first["total"]
    html = client.get(f"/similar/{pid}?page=99").get_data(as_text=True)
    assert "已超出末页" in html and "去掉筛选" not in html
