"""Shared helpers of the tests: where the corpora are, and ingest + index in one call."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def _find_shared() -> Path:
    """The shared material (dev corpus) beside the project: $KB_SHARED, <repo>/../shared, or
    /work/shared, so tests find it from a CI clone made anywhere on this machine."""
    candidates = [os.environ.get("KB_SHARED"), ROOT.parent / "shared", "/work/shared"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return ROOT.parent / "shared"


SHARED = _find_shared()
DEV_CORPUS = SHARED / "dev-corpus"


def copy_kb(cfg, dest: Path):
    """A private, writable copy of a data dir (store, indexes, embedding cache) as a Config.

    The session indexes are shared read-only; tests that rebuild, damage or re-ingest work on
    a copy. The embedding cache comes along, so rebuilding the copy embeds nothing new.
    """
    import dataclasses
    import shutil

    shutil.copytree(cfg.data_path, dest)
    return dataclasses.replace(cfg, data_dir=str(dest))


def ingest_and_index(cfg, corpus: Path, embedder=None, force: bool = False, replace: bool = False):
    """What `kb ingest CORPUS` then `kb index` do, in-process, on ``cfg``'s data dir.

    Returns (ingest summary, build result); the embedder defaults to the configured one.
    """
    from indexer.embedders import create_embedder
    from kb import indexing
    from kb.ingest.pipeline import ingest
    from kb.store.corpus import CorpusStore

    store = CorpusStore(cfg.store_path)
    try:
        summary = ingest(
            corpus, store, max_bytes=50 * 1024 * 1024, show_progress=False, replace=replace
        )
        result = indexing.build(
            cfg,
            store,
            embedder or create_embedder(cfg.embedder),
            show_progress=False,
            force=force,
        )
    finally:
        store.close()
    return summary, result
