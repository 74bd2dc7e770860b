"""Fixtures of the web tests: the app on the seed index with its own collections file."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(seed_cfg, seed_searcher, tmp_path):
    """The app on the (read-only, shared) seed index; collections in a fresh temporary file."""
    from web.app import create_app

    app = create_app(seed_cfg, seed_searcher)
    app.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def seed_pids(seed_searcher) -> list[str]:
    """Passages of the seed index that match 首违不罚 (lexical), best first."""
    from kb.search import SearchRequest

    resp = seed_searcher.search(SearchRequest("首违不罚", mode="lexical"))
    return [h.passage.id for h in resp.hits]
