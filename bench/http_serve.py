"""`kb serve` on a benchmark data dir: the real server, with the bench's stored-vector embedder.

Benchmark builds embed passages with stored vectors (:mod:`bench.vectors`), so their vector
index is not the configured model's and `kb serve` would refuse it; this starts the same
server (:func:`web.serve.serve`: waitress, its threads, the app) with a Searcher holding the
embedder the build was made with. Queries are still embedded by the real model.

    python -m bench.http_serve DATA_DIR POOL_CACHE PORT
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench/serve.py

import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main(argv: list[str]) -> int:
    from bench.generate import load_pool
    from bench.run import base_embedder
    from bench.vectors import StoredVectorEmbedder, pool_vectors
    from kb.core.config import Config
    from kb.search import Searcher
    from web.serve import serve

    data, pool_cache, port = Path(argv[0]), Path(argv[1]), int(argv[2])
    cfg = Config(data_dir=str(data))
    model = base_embedder("real")
    keys, vectors = pool_vectors(load_pool(), model, pool_cache)
    searcher = Searcher(cfg, embedder=StoredVectorEmbedder(model, keys, vectors), warm=True)
    return serve(cfg, "127.0.0.1", port, searcher=searcher)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
