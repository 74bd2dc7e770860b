"""Vector side alone at a size the full pipeline cannot reach in one sitting (10^6 passages).

    python -m bench.ann_scale --size 1000000

The full run (``make bench-full``) spends hours on Whoosh indexing before it gets to vectors.
This takes the generator's passages straight from memory (no files, no parsing), gives them
stored vectors (:mod:`bench.vectors`, real e5 sentence vectors), and measures what the
vector index costs at that size: build time, bytes per passage, peak memory, latency of
exact and HNSW search, and recall@10 of HNSW against exact for the benchmark queries
(embedded by the real model). Writes ``bench/results/ann-<size>.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench/serve.py

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.generate import Generator, load_pool  # noqa: E402
from bench.queries import bench_queries  # noqa: E402
from bench.run import RESULTS, WORK, base_embedder, bench_ann, log, machine_info  # noqa: E402
from bench.serve import memory  # noqa: E402
from bench.vectors import StoredVectorEmbedder, pool_vectors  # noqa: E402
from kb.core.config import VectorConfig  # noqa: E402


def passages(size: int, seed: int):
    """Paragraph texts of the generated corpus (one paragraph is one passage)."""
    gen = Generator(load_pool(), seed)
    n = 0
    for report in gen.reports(10**12):
        for line in report.text.splitlines():
            if len(line) >= 100:  # headings and front matter are shorter
                yield line
                n += 1
                if n >= size:
                    return


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--base", default="real", choices=("real", "hash"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--ann", default="hnsw,fp16,sq8", help="index kinds, comma-separated")
    args = ap.parse_args(argv)
    model = base_embedder(args.base)
    keys, vecs = pool_vectors(load_pool(), model, WORK / "pool-cache")
    embedder = StoredVectorEmbedder(model, keys, vecs, args.seed)
    log(f"ann {args.size}: stored vectors")
    t = time.perf_counter()
    vectors = np.empty((args.size, embedder.dim), np.float32)
    batch: list[str] = []
    row = 0
    for text in passages(args.size, args.seed):
        batch.append(text)
        if len(batch) == 4096:
            vectors[row : row + len(batch)] = embedder.embed_passages(batch)
            row += len(batch)
            batch = []
    if batch:
        vectors[row : row + len(batch)] = embedder.embed_passages(batch)
        row += len(batch)
    vectors = vectors[:row]
    vec_s = time.perf_counter() - t
    log(f"ann {args.size}: {row} vectors in {vec_s:.0f} s; query vectors")
    queries = bench_queries(load_pool(), args.seed)
    t = time.perf_counter()
    qvecs = np.stack([model.embed_query(q.query) for q in queries]).astype(np.float32)
    q_ms = (time.perf_counter() - t) * 1000 / len(queries)
    log(f"ann {args.size}: HNSW build and recall")
    mem0 = memory()
    ann = bench_ann(vectors, qvecs, VectorConfig(), [k for k in args.ann.split(",") if k])
    path = args.out / f"ann-{args.size}.json"
    if path.is_file():  # keep kinds measured by an earlier run (an HNSW build takes long)
        earlier = json.loads(path.read_text())["ann"]
        ann = {**{k: v for k, v in earlier.items() if k not in ann}, **ann}
    result = {
        "size": row,
        "seed": args.seed,
        "vectors": "stored: real e5 sentence vectors recombined per passage (bench/vectors.py); "
        "queries embedded by the real model",
        "stored_vectors_per_s": round(row / vec_s, 1),
        "query_embedding_ms": round(q_ms, 1),
        "ann": ann,
        "memory": {"rss_with_vectors": mem0.get("VmRSS"), "peak_rss": memory().get("VmHWM")},
        "machine": machine_info(),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"ann-{args.size}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2)
    )
    log(f"ann {args.size}: done")


if __name__ == "__main__":
    main()
