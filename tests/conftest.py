"""Shared fixtures: paths to the seed corpus and the dev corpus, a parsed seed store."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.support import CORPUS, copy_kb, ingest_and_index  # noqa: F401 (re-exported)


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory):
    """The seed corpus ingested into a fresh store (read-only for tests)."""
    from kb.ingest.pipeline import ingest
    from kb.store.corpus import CorpusStore

    store = CorpusStore(tmp_path_factory.mktemp("seed") / "corpus.sqlite")
    summary = ingest(CORPUS, store, max_bytes=50 * 1024 * 1024, show_progress=False)
    assert summary.read == 5 and not summary.skipped
    yield store
    store.close()


@pytest.fixture(scope="session")
def seed_reports(seed_store):
    """source file name → Report (with sections and passages)."""
    return {r["source"]: seed_store.get_report(r["id"]) for r in seed_store.report_rows()}


ENGINES = ("embedded", "milvus")


def pytest_generate_tests(metafunc):
    """Tests marked ``engines`` run once per engine: their ``seed_cfg`` (and so
    ``seed_searcher``) is the seed corpus indexed by the embedded engine, then by Milvus Lite.
    A test that cannot run on Milvus says why with ``embedded_only``."""
    if (
        metafunc.definition.get_closest_marker("engines")
        and not metafunc.definition.get_closest_marker("embedded_only")
        and "seed_cfg" in metafunc.fixturenames
    ):
        metafunc.parametrize("seed_cfg", ENGINES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def seed_cfg_embedded(tmp_path_factory):
    """A data dir with the seed corpus ingested and both indexes built (default embedder)."""
    from kb.core.config import Config

    cfg = Config(data_dir=str(tmp_path_factory.mktemp("seedkb")))
    ingest_and_index(cfg, CORPUS)
    return cfg


@pytest.fixture(scope="session")
def seed_cfg_milvus(seed_cfg_embedded, tmp_path_factory):
    """The same corpus indexed into Milvus Lite (a copy of the data dir: its embedding cache
    comes along, so nothing is embedded again)."""
    cfg = copy_kb(seed_cfg_embedded, tmp_path_factory.mktemp("seedmilvus") / "data")
    cfg.engine = dataclasses.replace(cfg.engine, name="milvus")
    ingest_and_index(cfg, CORPUS)
    return cfg


@pytest.fixture(scope="session")
def seed_cfg(request):
    """The seed corpus, indexed (by the embedded engine unless the test is marked ``engines``).

    Shared by every test that needs real indexes; treat it as read-only (copy it to damage it).
    """
    return request.getfixturevalue(f"seed_cfg_{getattr(request, 'param', 'embedded')}")


@pytest.fixture(scope="session")
def seed_searcher(seed_cfg):
    """A Searcher over the seed indexes (read-only, shared)."""
    from kb.search.searcher import Searcher

    searcher = Searcher(seed_cfg)
    yield searcher
    searcher.close()


class CliRun:
    """What a `kb` run left behind: exit status, stdout and stderr."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:  # shown by pytest when an assertion on a run fails
        return f"CliRun(code={self.code}, out={self.out[-2000:]!r}, err={self.err[-2000:]!r})"


@pytest.fixture
def kb_cli(tmp_path, monkeypatch, capsys):
    """Run `kb ARGS…` in-process on a data dir: ``kb_cli(data_dir, *args) -> CliRun``.

    Other KB_* variables and any ./kb.toml are kept out (empty working directory), and the
    SIGTERM handler `kb` installs is put back afterwards so it cannot outlive the test.
    """
    import signal

    from kb.cli import main

    for name in [n for n in os.environ if n.startswith("KB_")]:
        monkeypatch.delenv(name)
    work = tmp_path / "kb-cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    sigterm = signal.getsignal(signal.SIGTERM)

    def run(data_dir: Path, *args: str) -> CliRun:
        monkeypatch.setenv("KB_DATA_DIR", str(data_dir))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    yield run
    signal.signal(signal.SIGTERM, sigterm)
