"""Lexical query latency against tantivy over the same tokens, first pass, in one process.

    python -m bench.lexical_latency bench/work/n100000     # a size `make bench` has built

The peer indexes the build's passages from kb's own tokens (:mod:`bench.peers`) and answers
the same analysed queries: every term a should-clause over text, heading and metadata with
kb's field and term weights, every phrase a phrase query on the text. Both return the top
``search.candidates`` passages, without filters (the peer has no metadata fields). Queries
alternate between the two engines, so that load from other processes hits both alike.

kb is measured three ways, each in a fresh index object (empty caches): first pass with
nothing read ahead; first pass after the server's start-up warming (``Searcher(warm=True)``,
what `kb serve` does); and the same queries repeated. Only retrieval is timed here, not
hydration, grouping or highlighting: that is what tantivy would replace.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.serve import percentiles


def tantivy_query(tantivy, schema, q, field_weights: dict[str, float]):
    """kb's TermQuery as a tantivy boolean query over the same tokens."""
    clauses = []
    for term, weight in q.terms:
        for field, fw in field_weights.items():
            tq = tantivy.Query.term_query(schema, field, term)
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(tq, weight * fw)))
    for words, weight in q.phrases:
        pq = (
            tantivy.Query.phrase_query(schema, "text", list(words))
            if len(words) > 1
            else tantivy.Query.term_query(schema, "text", words[0])
        )
        clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(pq, weight)))
    return tantivy.Query.boolean_query(clauses)


def measure(work: Path) -> dict:
    import tantivy

    from bench.peers import tantivy_lexical
    from bench.queries import read_queries
    from bench.run import machine_info
    from indexer.build import lexical_doc, resolve_procs
    from indexer.lexical.whoosh import FIELD_WEIGHTS
    from kb import indexing
    from kb.core.config import Config
    from kb.search.searcher import Searcher
    from kb.store.corpus import CorpusStore

    cfg = Config(data_dir=str(work / "kbdata"))
    store = CorpusStore(cfg.store_path, readonly=True)
    docs = [lexical_doc(r) for r in indexing.index_records(store)]
    store.close()
    peer = tantivy_lexical(docs, work, resolve_procs(cfg.lexical.procs), keep=True)
    del docs
    index = tantivy.Index.open(str(work / "tantivy"))
    index.reload()
    t_searcher = index.searcher()
    schema = index.schema
    k = cfg.search.candidates

    def open_kb(warm: bool) -> Searcher:
        s = Searcher(cfg, warm=warm)
        if s.warming is not None:
            s.warming.join()
        return s

    cold = open_kb(False)
    analysed = [cold.analyze(q.query).base_query() for q in read_queries(work / "queries.jsonl")]
    analysed = [q for q in analysed if not q.is_empty()]
    tq = [tantivy_query(tantivy, schema, q, FIELD_WEIGHTS) for q in analysed]

    def run(searcher: Searcher) -> tuple[list[float], list[float], list[int], list[int]]:
        kb_ms, tv_ms, kb_hits, tv_hits = [], [], [], []
        lexical = searcher.bundle.lexical
        for q, t in zip(analysed, tq, strict=True):
            t0 = time.perf_counter()
            _, rows, _ = lexical.search(q, k)
            kb_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            found = t_searcher.search(t, k).hits
            tv_ms.append((time.perf_counter() - t0) * 1000)
            kb_hits.append(len(rows))
            tv_hits.append(len(found))
        return kb_ms, tv_ms, kb_hits, tv_hits

    first_kb, first_tv, kb_hits, tv_hits = run(cold)
    again_kb, again_tv, _, _ = run(cold)
    cold.close()
    t0 = time.perf_counter()
    warm = open_kb(True)
    warm_s = time.perf_counter() - t0
    warm_kb, warm_tv, _, _ = run(warm)
    warm.close()
    shutil.rmtree(work / "tantivy", ignore_errors=True)

    def row(kb_ms: list[float], tv_ms: list[float]) -> dict:
        a, b = percentiles(kb_ms), percentiles(tv_ms)
        return {"kb": a, "tantivy": b, "p95_ratio": round(a["p95"] / b["p95"], 1)}

    return {
        "what": "lexical retrieval only, top search.candidates, same analysed queries and "
        "tokens, kb (Whoosh index, numpy scorer) vs tantivy, interleaved per query",
        "passages": peer.get("passages"),
        "queries": len(analysed),
        "k": k,
        "mean_hits": {"kb": sum(kb_hits) / len(kb_hits), "tantivy": sum(tv_hits) / len(tv_hits)},
        "first_pass": row(first_kb, first_tv),
        "first_pass_after_startup_warming": row(warm_kb, warm_tv) | {"warm_seconds": warm_s},
        "repeated": row(again_kb, again_tv),
        "peer_build": peer,
        "machine": machine_info(),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path, help="a built size's work dir, e.g. bench/work/n100000")
    ap.add_argument("--out", type=Path, help="default: bench/results/lexical-latency-N.json")
    args = ap.parse_args(argv)
    result = measure(args.work)
    out = args.out or Path("bench/results") / f"lexical-latency-{result['passages']}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    for name in ("first_pass", "first_pass_after_startup_warming", "repeated"):
        r = result[name]
        print(
            f"{name}: kb p50/p95/p99 {r['kb']['p50']}/{r['kb']['p95']}/{r['kb']['p99']} ms, "
            f"tantivy {r['tantivy']['p50']}/{r['tantivy']['p95']}/{r['tantivy']['p99']} ms, "
            f"p95 ratio {r['p95_ratio']} (load {os.getloadavg()[0]:.1f}) → {out}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
