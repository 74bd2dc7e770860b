"""The Milvus engine against a real Milvus Lite: `kb index` / `kb search` / `kb check` /
`kb stats` with ``KB_ENGINE_NAME=milvus``, atomic builds, and row masks as expressions.

The engine-independent search tests run on both engines through the ``engines`` marker
(tests/conftest.py); these are the Milvus engine's own. Milvus Lite implements no aliases,
so the alias swap itself is exercised only against a server (docs/milvus.md); here the
build pointer is what swaps, and what must never move on a failed build.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from indexer.builds import current_build, read_manifest
from indexer.milvus.client import connect
from indexer.milvus.expr import mask_expr
from indexer.milvus.lexical import query_rows
from tests.support import CORPUS, copy_kb, ingest_and_index

pytestmark = pytest.mark.slow

S000 = "000_b2dd20f029b9b4d9.txt"  # 沅陵县应急管理局: two 首违不罚 passages
S004 = "004_f74c4a4a6aa3601c.txt"  # 岳阳市国防动员办公室: one


@pytest.fixture
def milvus_copy(seed_cfg_milvus, tmp_path):
    """A private copy of the Milvus-indexed seed data dir (its Lite file included)."""
    return copy_kb(seed_cfg_milvus, tmp_path / "kbdata")


def collections(cfg) -> set[str]:
    client = connect(cfg.engine, cfg.data_path)
    try:
        return set(client.list_collections())
    finally:
        client.close()


def test_env_selects_milvus_and_search_finds_the_seed_passages(
    seed_cfg_embedded, tmp_path, kb_cli, monkeypatch
) -> None:
    data = copy_kb(seed_cfg_embedded, tmp_path / "kbdata").data_path
    monkeypatch.setenv("KB_ENGINE_NAME", "milvus")
    run = kb_cli(data, "index")
    assert run.code == 0, run
    assert "复用缓存 116 个" in run.out  # moving to Milvus embeds nothing again
    assert (data / "milvus.db").is_file()  # the default URI: Milvus Lite in the data dir
    run = kb_cli(data, "search", "首违不罚", "--json", "--limit", "3")
    assert run.code == 0, run
    hits = [json.loads(line) for line in run.out.splitlines()]
    assert sorted(h["report"] for h in hits) == [S000, S000, S004]
    assert all("首违不罚" in h["text"] for h in hits)
    run = kb_cli(data, "check")
    assert run.code == 0, run
    assert "检索引擎 milvus" in run.out and "段落编号（语料库 vs 关键词索引）：一致" in run.out
    stats = json.loads(kb_cli(data, "stats", "--json").out)
    assert stats["engine"]["name"] == "milvus" and stats["engine"]["lite"] is True
    assert stats["engine"]["collection"].startswith("kb_")
    assert "检索引擎：milvus（集合 kb_" in kb_cli(data, "stats").out


def test_check_finds_a_collection_missing_passages(milvus_copy, kb_cli, monkeypatch) -> None:
    """`kb check` compares the collection itself with the store, not the manifest."""
    monkeypatch.setenv("KB_ENGINE_NAME", "milvus")
    name = read_manifest(current_build(milvus_copy.data_path))["engine"]["collection"]
    client = connect(milvus_copy.engine, milvus_copy.data_path)
    try:
        client.delete(name, filter="row < 3")
    finally:
        client.close()
    run = kb_cli(milvus_copy.data_path, "check")
    assert run.code != 0, run
    assert "关键词索引 113" in run.out and "缺少 3 个" in run.out


class Interrupt(KeyboardInterrupt):
    """Ctrl-C in the middle of writing the collection."""


def stop_while_writing(stage: str, done: int, total: int) -> None:
    if stage == "milvus":
        raise Interrupt


def test_an_interrupted_build_never_replaces_the_serving_collection(milvus_copy) -> None:
    before = current_build(milvus_copy.data_path)
    serving = read_manifest(before)["engine"]["collection"]
    names = collections(milvus_copy)
    from indexer.build import build_indexes
    from indexer.embedders import create_embedder
    from kb.indexing import index_records
    from kb.store.corpus import CorpusStore

    store = CorpusStore(milvus_copy.store_path)
    try:
        with pytest.raises(Interrupt):
            build_indexes(
                milvus_copy.index_settings(),
                index_records(store),
                store.fingerprint(),
                create_embedder(milvus_copy.embedder),
                progress=stop_while_writing,
                force=True,
            )
    finally:
        store.close()
    assert current_build(milvus_copy.data_path) == before
    assert collections(milvus_copy) == names  # the half-written collection is dropped
    from kb.search.searcher import Searcher, SearchRequest

    searcher = Searcher(milvus_copy)
    try:
        assert searcher.bundle.lexical.collection == serving
        assert searcher.search(SearchRequest("首违不罚", mode="lexical")).total == 3
    finally:
        searcher.close()


def test_a_failed_build_keeps_the_current_one(milvus_copy) -> None:
    """A collection Milvus refuses to create (a name with "-") fails the build cleanly."""
    before = current_build(milvus_copy.data_path)
    bad = dataclasses.replace(
        milvus_copy, engine=dataclasses.replace(milvus_copy.engine, collection="kb-bad")
    )
    with pytest.raises(Exception, match="(?i)collection|name"):
        ingest_and_index(bad, CORPUS, force=True)
    assert current_build(milvus_copy.data_path) == before


def test_rebuilds_keep_two_collections(milvus_copy) -> None:
    seen = []
    for _ in range(3):
        ingest_and_index(milvus_copy, CORPUS, force=True)
        seen.append(read_manifest(current_build(milvus_copy.data_path))["engine"]["collection"])
    assert len(set(seen)) == 3  # one collection per build
    assert {n for n in collections(milvus_copy) if n.startswith("kb_")} == set(seen[1:])


@pytest.mark.parametrize(
    "make",
    [
        lambda n: np.arange(n) < 7,  # one range
        lambda n: np.arange(n) % 3 == 0,  # scattered: an in-list
        lambda n: np.arange(n) != 5,  # all but one: a negation
        lambda n: (np.arange(n) % 40) < 2,  # a few short runs
        lambda n: (np.arange(n) % 2 == 0) | (np.arange(n) > 30),  # mostly allowed, many holes
    ],
)
def test_a_row_mask_selects_the_same_rows_in_milvus(seed_cfg_milvus, make) -> None:
    name = read_manifest(current_build(seed_cfg_milvus.data_path))["engine"]["collection"]
    client = connect(seed_cfg_milvus.engine, seed_cfg_milvus.data_path)
    try:
        n = len(query_rows(client, name, "", 10_000))
        mask = make(n)
        rows = sorted(query_rows(client, name, mask_expr(mask), n))
    finally:
        client.close()
    assert rows == np.flatnonzero(mask).tolist()


@pytest.mark.parametrize(
    "params",
    [
        {"year": "2021"},
        {"year_from": "2024"},
        {"province": "湖南"},
        {"city": "岳阳", "level": "市,区"},
        {"dept": "应急管理", "section": "存在问题"},
        {"report": S004},
        {"concrete": "1", "year": "2024"},  # the seed passages are all concrete
        {"province": "湖南", "section": "主要举措和成效", "year": "2020-2024"},
    ],
)
def test_every_filter_is_a_milvus_expression_on_the_metadata_fields(
    seed_cfg_milvus, params
) -> None:
    """kb's filters (with their 湖南 ~ 湖南省, 市,区 and alias rules resolved) select in Milvus,
    through conditions on the scalar fields alone, exactly the rows kb's own mask selects."""
    from indexer.bundle import open_bundle
    from indexer.milvus.expr import field_expr
    from kb.search.filters import Filters

    bundle = open_bundle(seed_cfg_milvus.index_settings())
    try:
        mask = Filters.from_params(params).mask(bundle.rows)
        assert mask is not None and 0 < mask.sum() < len(mask)
        expr = field_expr(bundle.rows, mask)
        assert expr is not None and "row" not in expr, expr
        found = query_rows(bundle.lexical.client, bundle.lexical.collection, expr, len(mask))
    finally:
        bundle.close()
    assert sorted(found) == np.flatnonzero(mask).tolist()
