"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from kb.store.corpus import CorpusStore


@pytest.fixture
def store(tmp_path):
    """An empty corpus store of the test's own, in tmp_path/data."""
    s = CorpusStore(tmp_path / "data" / "corpus.sqlite")
    yield s
    s.close()
