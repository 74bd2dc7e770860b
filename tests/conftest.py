"""Shared fixtures: paths to the seed corpus and the dev corpus, a parsed seed store."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
DEV_CORPUS = SHARED / "dev-corpus"


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory):
    """The seed corpus ingested into a fresh store (read-only for tests)."""
    from kb.ingest import ingest
    from kb.store import CorpusStore

    store = CorpusStore(tmp_path_factory.mktemp("seed") / "corpus.sqlite")
    summary = ingest(CORPUS, store, max_bytes=50 * 1024 * 1024, show_progress=False)
    assert summary.read == 5 and not summary.skipped
    yield store
    store.close()


@pytest.fixture(scope="session")
def seed_reports(seed_store):
    """source file name → Report (with sections and passages)."""
    return {r["source"]: seed_store.get_report(r["id"]) for r in seed_store.report_rows()}
