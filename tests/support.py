"""Shared helpers of the tests: where the corpora are, and ingest + index in one call."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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

    # Not Milvus Lite's lock file: its server holds a POSIX lock on it, which this process
    # would release (stopping the server under the session's searchers) by reading it.
    shutil.copytree(cfg.data_path, dest, ignore=shutil.ignore_patterns(".*.lock"))
    return dataclasses.replace(cfg, data_dir=str(dest))


def seeds_plus(seed_cfg, root: Path, extra: dict[str, str]):
    """The seed data dir plus some reports (file name → text) under ``root``: (cfg, ingest
    summary). Built on a copy of the seed data dir, so only the new reports are embedded."""
    import shutil

    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    for name, text in extra.items():
        (corpus / name).write_text(text, encoding="utf-8")
    cfg = copy_kb(seed_cfg, root / "kb")
    summary, _build = ingest_and_index(cfg, corpus)
    return cfg, summary


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


@contextmanager
def served(cfg) -> Iterator[tuple[str, object]]:
    """The real app on ``cfg`` behind waitress in a background thread: (base URL, app).

    Bodies are limited in waitress as ``kb serve`` does (``web.limits.server_body_limit``)."""
    from waitress import wasyncore
    from waitress.server import create_server

    from web.app import create_app
    from web.limits import server_body_limit

    app = create_app(cfg)
    server = create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=4,
        max_request_body_size=server_body_limit(cfg.server.max_body_kb),
    )
    thread = threading.Thread(target=server.run, name="kb-browser-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        server.close()  # stop listening
        wasyncore.close_all(server._map)  # drop kept-alive connections: the loop ends
        server.task_dispatcher.shutdown()
        thread.join(timeout=10)
        app.config["KB_SEARCHER"].close()


def send(client, method: str, url: str, body=None, status: int = 200, **headers):
    """A JSON request through a Flask test client; asserts the status, returns the JSON."""
    r = client.open(url, method=method, json=body, headers=headers)
    assert r.status_code == status, r.get_data(as_text=True)
    return r.get_json()


def form_token(client, url: str = "/collections") -> str:
    """The CSRF token a page's forms carry (the client keeps the matching cookie)."""
    import re

    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class PassThroughEmbedder:
    """Base of test embedders that watch or interrupt the real one: passes every call on
    to ``inner`` (subclasses override what they observe)."""

    def __init__(self, inner):
        self.inner, self.id, self.dim = inner, inner.id, inner.dim

    @classmethod
    def from_config(cls, cfg):
        from indexer.embedders import create_embedder

        return cls(create_embedder(cfg))

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)
