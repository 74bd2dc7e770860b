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


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter) -> None:
    """How many cases the web fuzz tests ran (tests/web/test_fuzz_web.py)."""
    import sys

    fuzz = sys.modules.get("tests.web.test_fuzz_web")
    if fuzz is not None and fuzz.CASES:
        parts = ", ".join(f"{kind} {n}" for kind, n in sorted(fuzz.CASES.items()))
        terminalreporter.write_line(f"web fuzz: {sum(fuzz.CASES.values())} cases ran ({parts})")
