"""Trends: the matching rule, the counting, the threshold parameter, the page, API and CSV.

Unit tests build tiny row tables and vector stubs, so the rule (similarity ≥ threshold, or every
query word in the text) and the counting (a report once per bucket) are checked on numbers
worked out by hand. The rest runs on the real seed index, where each seed report is one year.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest

from indexer.analyzer import Analyzer
from indexer.rows import RowTable
from kb.core import fields
from kb.search import RequestError
from kb.tools.trends import (
    DEFAULT_THRESHOLD,
    parse_threshold,
    semantic_matches,
    tally,
)

# the seed tests run on both engines (tests/conftest.py)
pytestmark = pytest.mark.engines

DEFAULT_ANALYZER = Analyzer()  # the analysis of an index built with the default settings

SEED_YEARS = ["2021", "2022", "2023", "2024", "2025"]


# -- the threshold parameter -------------------------------------------------------------------


def test_threshold_defaults_and_parses():
    assert parse_threshold(None) == parse_threshold("") == DEFAULT_THRESHOLD
    assert parse_threshold("0.9") == 0.9
    assert parse_threshold(" 0 ") == 0.0 and parse_threshold("1") == 1.0


@pytest.mark.parametrize("raw", ["abc", "1.5", "-0.1", "nan", "inf", "0,9"])
def test_bad_threshold_is_refused_naming_the_parameter(raw):
    with pytest.raises(RequestError) as err:
        parse_threshold(raw)
    assert err.value.field == "threshold"
    assert "threshold" in str(err.value) and "0 到 1" in str(err.value)


# -- the similarity rule -----------------------------------------------------------------------


class StubVectors:
    """Rows are unit vectors at chosen cosines to the query e0."""

    def __init__(self, cosines: list[float]):
        c = np.asarray(cosines, dtype=np.float32)
        self.x = np.stack([c, np.sqrt(1 - c**2), np.zeros_like(c)], axis=1)
        self.searched = 0

    def vectors(self, rows):
        return self.x[rows]

    def search(self, query, k, allowed=None):
        self.searched += 1
        scores = self.x @ query
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        top = np.argsort(-scores)[:k]
        top = top[np.isfinite(scores[top])]
        return scores[top], top


QUERY = np.array([1.0, 0.0, 0.0], dtype=np.float32)


def test_similarity_at_or_above_threshold_matches_exactly_over_the_scope():
    vec = StubVectors([0.95, 0.90, 0.895, 0.89, 0.50])
    rows, note = semantic_matches(vec, QUERY, np.arange(5), None, 0.895)
    assert rows.tolist() == [0, 1, 2] and note is None and vec.searched == 0
    scope = np.array([1, 3, 4])
    rows, _ = semantic_matches(vec, QUERY, scope, None, 0.8)
    assert rows.tolist() == [1, 3]  # rows outside the scope (0, 2) are never counted


def test_big_scopes_take_the_nearest_and_say_when_the_cap_may_cut():
    vec = StubVectors([0.99, 0.98, 0.97, 0.10])
    scope = np.arange(4)
    rows, note = semantic_matches(vec, QUERY, scope, None, 0.9, exact_max=2, top_n=2)
    assert rows.tolist() == [0, 1] and "2" in note and vec.searched == 1
    rows, note = semantic_matches(vec, QUERY, scope, None, 0.9, exact_max=2, top_n=10)
    assert rows.tolist() == [0, 1, 2] and note is None


# -- counting ----------------------------------------------------------------------------------


def table(records: list[tuple[str, int | None, str | None, str | None]]) -> RowTable:
    """Rows from (report, year, province, dept kind)."""
    values = {f.column: [None] * len(records) for f in fields.columns()}
    values["report_id"] = [r for r, _y, _p, _d in records]
    values["province"] = [p for _r, _y, p, _d in records]
    values["dept_kind"] = [d for _r, _y, _p, d in records]
    return RowTable.from_records(
        [f"p{i}" for i in range(len(records))],
        [y for _r, y, _p, _d in records],
        values,
        np.zeros(len(records), np.float32),
    )


ROWS = table(
    [
        ("A", 2023, "湖南省", "应急管理"),  # 0
        ("A", 2023, "湖南省", "应急管理"),  # 1
        ("B", 2023, "广东省", "司法"),  # 2
        ("C", 2024, "湖南省", "应急管理"),  # 3
        ("D", 2024, "福建省", None),  # 4
        ("E", None, None, "司法"),  # 5
    ]
)


def as_dicts(buckets):
    return [(b.value, b.reports, b.passages, b.reports_total) for b in buckets]


def test_a_report_counts_once_however_many_of_its_passages_match():
    counts, unknown = tally(ROWS, np.array([0, 1, 3]), np.arange(6))
    assert as_dicts(counts["year"]) == [("2023", 1, 2, 2), ("2024", 1, 1, 2)]
    assert as_dicts(counts["province"])[0] == ("湖南省", 2, 3, 2)
    assert ("广东省", 0, 0, 1) in as_dicts(counts["province"])  # absent themes show as 0
    assert as_dicts(counts["dept"]) == [("应急管理", 2, 3, 2), ("司法", 0, 0, 2)]
    assert unknown["year"] == {"reports": 0, "passages": 0}


def test_unknown_values_are_counted_apart_and_scope_limits_the_buckets():
    counts, unknown = tally(ROWS, np.array([4, 5]), np.array([3, 4, 5]))
    assert as_dicts(counts["year"]) == [("2024", 1, 1, 2)]
    assert unknown["year"] == {"reports": 1, "passages": 1}  # report E has no year
    assert unknown["dept"] == {"reports": 1, "passages": 1}  # report D has no dept kind
    assert [b.value for b in counts["province"]] == ["福建省", "湖南省"]


def test_a_year_without_reports_is_a_gap_not_a_skipped_tick():
    rows = table([("A", 2017, "湖南省", "司法"), ("B", 2019, "湖南省", "司法")])
    counts, _ = tally(rows, np.array([1]), np.arange(2))
    assert as_dicts(counts["year"]) == [
        ("2017", 0, 0, 1),
        ("2018", 0, 0, 0),  # no report in scope: kept, so the axis does not jump
        ("2019", 1, 1, 1),
    ]


def test_bucket_share_is_matching_over_reports_in_scope():
    counts, _ = tally(ROWS, np.array([0]), np.arange(6))
    assert counts["year"][0].to_dict()["share"] == 0.5


# -- on the seed index ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_trends(seed_searcher):
    from kb.search import Filters
    from kb.tools.trends import trends

    return lambda q, threshold=DEFAULT_THRESHOLD, **f: trends(
        seed_searcher, q, Filters.from_params(f), threshold
    )


def by_value(buckets):
    return {b.value: b for b in buckets}


@pytest.mark.slow
def test_seed_years_all_write_about_weak_enforcement(seed_trends, seed_searcher):
    result = seed_trends("执法力量薄弱")
    years = by_value(result.counts["year"])
    assert sorted(years) == SEED_YEARS
    assert all(years[y].reports == 1 for y in SEED_YEARS)
    # The rule worked out independently: exact cosine over every row.
    bundle = seed_searcher.bundle
    cos = bundle.vectors.vectors(np.arange(len(bundle.rows))) @ seed_searcher.embed_query(
        "执法力量薄弱"
    )
    assert sorted(result.rows.tolist()) == np.flatnonzero(cos >= DEFAULT_THRESHOLD).tolist()
    assert sum(b.passages for b in years.values()) == len(result.rows)
    assert result.semantic.tolist() == sorted(result.semantic.tolist(), reverse=True)


@pytest.mark.slow
def test_seed_words_rule_finds_the_three_shouwei_passages(seed_trends):
    result = seed_trends("首违不罚")
    assert result.lexical.sum() == 3 and result.passages == 3
    years = by_value(result.counts["year"])
    assert (years["2024"].reports, years["2024"].passages) == (1, 2)
    assert (years["2022"].reports, years["2022"].passages) == (1, 1)
    assert years["2021"].reports == years["2023"].reports == years["2025"].reports == 0


@pytest.mark.slow
def test_seed_filters_narrow_the_scope_and_higher_thresholds_count_less(seed_trends):
    guangdong = seed_trends("执法力量薄弱", province="广东")
    assert [b.value for b in guangdong.counts["province"]] == ["广东省"]
    assert guangdong.scope_reports == 2
    strict = seed_trends("执法力量薄弱", threshold=0.91)
    assert 0 < strict.passages < seed_trends("执法力量薄弱").passages
    assert seed_trends("执法力量薄弱", threshold=1.0).passages == 0


# -- web: page, API, CSV -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(seed_cfg, seed_searcher):
    from web.app import create_app

    return create_app(seed_cfg, seed_searcher).test_client()


@pytest.mark.slow
def test_api_answers_counts_per_year_province_and_dept(client):
    r = client.get("/api/trends?q=执法力量薄弱")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body["counts"]) == {"year", "province", "dept"}
    assert [b["value"] for b in body["counts"]["year"]] == SEED_YEARS
    assert body["threshold"] == DEFAULT_THRESHOLD and "阈值" in body["rule"]
    assert body["totals"]["reports"] == 5 and body["totals"]["reports_in_scope"] == 5
    assert body["total"] == body["totals"]["passages"]
    assert len(body["hits"]) == min(10, body["total"])
    assert all(h["match"]["semantic"] or h["match"]["lexical"] for h in body["hits"])
    assert {b["value"] for b in body["counts"]["dept"]} == {"应急管理", "人防/国防动员"}


@pytest.mark.slow
def test_api_filters_and_paging(client):
    body = client.get("/api/trends?q=执法力量薄弱&year=2024&limit=1&page=2").get_json()
    assert [b["value"] for b in body["counts"]["year"]] == ["2024"]
    assert body["filters"] == {"year": "2024"} and body["offset"] == 1
    assert len(body["hits"]) == 1 and body["hits"][0]["year"] == 2024


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "field"),
    [("q=执法&threshold=2", "threshold"), ("q=执法&threshold=x", "threshold"), ("q=", "q")],
)
def test_api_bad_parameters_are_400_naming_them(client, query, field):
    r = client.get(f"/api/trends?{query}")
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert err["field"] == field and field in err["message"]


@pytest.mark.slow
def test_csv_holds_the_tables_behind_the_charts(client):
    api = client.get("/api/trends?q=执法力量薄弱").get_json()
    r = client.get("/trends.csv?q=执法力量薄弱")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    header, *rows = csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")))
    assert header[:3] == ["维度", "取值", "匹配报告数"]
    years = [r for r in rows if r[0] == "年度"]
    assert [(r[1], int(r[2]), int(r[5])) for r in years] == [
        (b["value"], b["reports"], b["passages"]) for b in api["counts"]["year"]
    ]
    assert len(rows) == sum(len(v) for v in api["counts"].values())


@pytest.mark.slow
def test_page_draws_a_bar_per_year_linking_to_its_passages(client):
    html = client.get("/trends?q=执法力量薄弱").get_data(as_text=True)
    assert '<svg class="chart columns" data-dim="year"' in html
    bars = re.findall(
        r'<a class="bar" href="([^"]+)" data-value="(\d{4})" data-count="(\d+)"', html
    )
    assert [v for _h, v, _c in bars if v in SEED_YEARS][:5] == SEED_YEARS
    href = next(h for h, v, _c in bars if v == "2024")
    assert "year=2024" in href and href.endswith("#passages")
    assert "计数规则" in html and "0.895" in html
    listed = client.get(href.replace("&amp;", "&").split("#")[0]).get_data(as_text=True)
    assert "2024 年度" in listed and "2021 年度" not in listed


@pytest.mark.slow
def test_page_escapes_the_query_and_reports_bad_threshold(client):
    html = client.get("/trends?q=<script>x</script>").get_data(as_text=True)
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    r = client.get("/trends?q=执法&threshold=5")
    assert r.status_code == 400 and "threshold" in r.get_data(as_text=True)
