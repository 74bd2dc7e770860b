"""Adding a search field is one entry in the registry (kb.core.fields): filters, CLI flags,
facets, trends, stats, the CSV export and the index's row table all follow."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kb.core import fields
from kb.core.fields import Field
from tests.support import CORPUS, copy_kb, ingest_and_index

pytestmark = pytest.mark.slow  # rebuilds a copy of the seed index

DOC_NUMBER = "荔应急〔2024〕9号"  # the 文号 of one seed report


@pytest.fixture
def with_doc_number(monkeypatch, seed_cfg, tmp_path):
    """The one edit: 文号 becomes a search field; then the index is rebuilt as `kb index` would."""
    field = Field("doc_number", "doc_number", "发文字号", facet=True, trend=True)
    monkeypatch.setattr(fields, "FIELDS", (*fields.FIELDS, field))
    cfg = copy_kb(seed_cfg, tmp_path / "kb")
    _summary, build = ingest_and_index(cfg, CORPUS)
    assert build.build_id  # the registry's columns are part of the build settings
    return cfg


def test_a_new_field_filters_facets_counts_and_exports(with_doc_number, kb_cli):
    from kb.render.csv import to_csv
    from kb.search import Searcher, SearchRequest
    from kb.search.filters import Filters
    from kb.tools.trends import trends

    cfg = with_doc_number
    searcher = Searcher(cfg)
    try:
        assert DOC_NUMBER in searcher.bundle.rows.values("doc_number")
        req = SearchRequest.from_params({"q": "执法", "doc_number": DOC_NUMBER, "limit": 100})
        hits = [h.to_dict() for h in searcher.search(req).hits]
        assert hits and {h["doc_number"] for h in hits} == {DOC_NUMBER}
        overview = searcher.overview(Filters())
        assert {"value": DOC_NUMBER, "count": 1} in overview["facets"]["doc_number"]
        result = trends(searcher, "执法", Filters(), 0.0).to_dict()
        assert result["labels"]["doc_number"] == "发文字号"
        assert DOC_NUMBER in [b["value"] for b in result["counts"]["doc_number"]]
        header = next(csv.reader(io.StringIO(to_csv(hits).lstrip("\ufeff"))))
        assert "发文字号" in header
    finally:
        searcher.close()

    run = kb_cli(cfg.data_path, "search", "执法", "--doc_number", DOC_NUMBER, "--json")
    assert run.code == 0, run
    assert {json.loads(line)["doc_number"] for line in run.out.splitlines()} == {DOC_NUMBER}
    stats = kb_cli(cfg.data_path, "stats")
    assert f"发文字号：{DOC_NUMBER}" in stats.out
