"""Issue 15, item 13: no JSON answer carries unbounded text.

A report whose one passage runs to 12,000 characters and whose text to 1.2 million is put
straight into a copy of the seed store (as an older kb, or a file the passage splitter could
not cut, would leave it) and indexed for real. The API then cuts the passage in search hits and
the report in /api/report, and says so with ``truncated: true``; ordinary hits and reports say
``truncated: false`` and are unchanged.
"""

from __future__ import annotations

import pytest

from indexer.embedders import create_embedder
from kb import indexing
from kb.core.ids import report_id
from kb.core.models import Passage, Report, ReportMeta, Section
from kb.store.corpus import CorpusStore
from tests.support import copy_kb
from web.app import create_app
from web.limits import HIT_TEXT_LIMIT, REPORT_TEXT_LIMIT

pytestmark = pytest.mark.slow  # indexes into a copy of the real seed index

SOURCE = "huge.txt"
LONG_PASSAGE = "首违不罚" + "坚持依法行政推进严格规范公正文明执法" * 666 + "首违不罚"
TAIL_PASSAGE = "超长报告的最后一段提到首违不罚。"
TEXT_CHARS = 1_200_000


def _huge_report() -> Report:
    rid = report_id(SOURCE)
    filler = "。" * (TEXT_CHARS - len(LONG_PASSAGE) - len(TAIL_PASSAGE))
    text = LONG_PASSAGE + filler + TAIL_PASSAGE
    tail_start = len(text) - len(TAIL_PASSAGE)
    kind = "主要举措和成效"
    return Report(
        id=rid,
        source=SOURCE,
        format="txt",
        content_hash="crafted",
        text=text,
        meta=ReportMeta(title="超长报告", org="某某县司法局", year=2024),
        sections=[Section(None, [], kind, 0, len(text))],
        passages=[
            Passage(f"{rid}-0", rid, 0, 0, len(LONG_PASSAGE), LONG_PASSAGE, [], kind),
            Passage(f"{rid}-1", rid, 1, tail_start, len(text), TAIL_PASSAGE, [], kind),
        ],
    )


@pytest.fixture(scope="module")
def client(seed_cfg, tmp_path_factory):
    cfg = copy_kb(seed_cfg, tmp_path_factory.mktemp("limits") / "kbdata")
    store = CorpusStore(cfg.store_path)
    try:
        store.upsert_report(_huge_report())
        indexing.build(cfg, store, create_embedder(cfg.embedder), show_progress=False)
    finally:
        store.close()
    app = create_app(cfg)
    yield app.test_client()
    app.config["KB_SEARCHER"].close()


def _hits(client, q: str) -> list[dict]:
    r = client.get(f"/api/search?q={q}&mode=lexical&limit=20")
    assert r.status_code == 200
    return r.get_json()["hits"]


def test_a_long_passage_is_cut_in_search_hits_and_says_so(client):
    hit = next(h for h in _hits(client, "首违不罚") if h["report"] == SOURCE and h["start"] == 0)

    assert hit["truncated"] is True
    assert hit["text_chars"] == len(LONG_PASSAGE) > HIT_TEXT_LIMIT
    assert hit["text"] == LONG_PASSAGE[:HIT_TEXT_LIMIT]
    assert hit["highlights"] == [[0, 4]]  # the match past the cut is not pointed at


def test_ordinary_hits_are_whole_and_say_so(client):
    hits = [h for h in _hits(client, "首违不罚") if h["report"] != SOURCE]
    assert hits and all(h["truncated"] is False and "text_chars" not in h for h in hits)
    for hit in hits:
        s, e = hit["highlights"][0]
        assert hit["text"][s:e] == "首违不罚"


def test_a_huge_report_is_cut_in_api_report_and_says_so(client):
    r = client.get(f"/api/report/{SOURCE}")
    assert r.status_code == 200
    body = r.get_json()

    assert body["truncated"] is True and body["text_chars"] == TEXT_CHARS
    assert len(body["text"]) == REPORT_TEXT_LIMIT
    assert body["passages_total"] == 2 and len(body["passages"]) == 1  # the tail is past the cut
    (passage,) = body["passages"]
    assert passage["truncated"] is True and len(passage["text"]) == HIT_TEXT_LIMIT
    assert len(r.get_data()) < 4 * REPORT_TEXT_LIMIT  # bytes: 3 per character at most, plus JSON


def test_an_ordinary_report_is_whole(client):
    body = client.get("/api/report/000_b2dd20f029b9b4d9.txt").get_json()
    assert body["truncated"] is False and "text_chars" not in body
    assert all(p["text"] == body["text"][p["start"] : p["end"]] for p in body["passages"])


def test_similar_trends_and_compare_hits_are_capped_too(client):
    pid = f"{report_id(SOURCE)}-0"
    similar = client.get(f"/api/similar/{pid}").get_json()
    assert similar["source"]["truncated"] is True
    assert len(similar["source"]["text"]) == HIT_TEXT_LIMIT
    for url in ("/api/trends?q=首违不罚&limit=100", "/api/compare?q=首违不罚"):
        body = client.get(url).get_json()
        hits = body.get("hits") or [h for g in body["groups"] for h in g["hits"]]
        assert hits and all(len(h["text"]) <= HIT_TEXT_LIMIT for h in hits)
        assert all("truncated" in h for h in hits)
