"""A peer to measure kb's lexical indexing against, in the same run: tantivy over kb's tokens.

tantivy (Rust) indexes the same passages and fields as kb's lexical index (passage id, text,
heading path, report metadata) from the same tokens — kb's own search-mode segmentation
(:func:`indexer.analyzer.segment`), joined by spaces and split again by tantivy's whitespace
tokenizer — segmented in the same number of worker processes as kb's build. So the ratio of
the two rates is what Whoosh's writer costs against a compiled engine on identical input.

tantivy is a bench-only dependency (``pip install -e '.[bench]'``; ``make bench`` does it);
without it the peer is reported as not measured.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

_BATCH = 256


def _segment_batch(batch: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    from indexer.analyzer import segment

    return [
        (pid, *(" ".join(w for w, _, _ in segment(v)) for v in (text, heading, meta)))
        for pid, text, heading, meta in batch
    ]


def tantivy_lexical(docs: Sequence, work: Path, procs: int, keep: bool = False) -> dict:
    """Index ``docs`` (LexicalDoc) with tantivy; passages/s with and without segmentation.
    With ``keep`` the index stays in ``work/tantivy`` (for the query latency peer)."""
    try:
        import tantivy
    except ImportError:
        return {"error": "tantivy not installed (pip install -e '.[bench]')"}
    from indexer.analyzer import segment

    segment("预热")  # workers inherit the loaded dictionaries
    rows = [(d.pid, d.text, d.heading, d.meta) for d in docs]
    batches = [rows[i : i + _BATCH] for i in range(0, len(rows), _BATCH)]
    path = work / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("pid", stored=True, tokenizer_name="raw")
    for name in ("text", "heading", "meta"):
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    index = tantivy.Index(sb.build(), path=str(path))
    t0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        segmented = [d for batch in pool.imap(_segment_batch, batches) for d in batch]
    seg_s = time.perf_counter() - t0
    t = time.perf_counter()
    writer = index.writer(heap_size=256 << 20, num_threads=procs)
    for pid, text, heading, meta in segmented:
        writer.add_document(tantivy.Document(pid=pid, text=text, heading=heading, meta=meta))
    writer.commit()
    writer.wait_merging_threads()
    index_s = time.perf_counter() - t
    total = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    if not keep:
        shutil.rmtree(path, ignore_errors=True)
    n = len(rows)
    return {
        "engine": f"tantivy {getattr(tantivy, '__version__', '0.27')}",
        "segmentation_procs": procs,
        "passages": n,
        "seconds": round(total, 1),
        "segmentation_seconds": round(seg_s, 1),
        "index_seconds": round(index_s, 1),
        "passages_per_s": round(n / total, 1),
        "passages_per_s_without_segmentation": round(n / index_s, 1),
        "index_bytes": size,
        "load_average": os.getloadavg(),
    }
