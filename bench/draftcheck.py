"""Benchmark: a 10,000-character draft checked against the dev-corpus-sized index.

    python -m bench.draftcheck              # kbdata-eval/ (seeds + dev corpus, `make eval`)

The draft is the seed reports' bodies, cut at a line end after 10,000 characters. It is
checked once cold (a fresh Searcher: the embedder and the per-build statistics load) and
``--runs`` times warm; for comparison, once warm with the paragraphs embedded (their first
``EMBED_CHARS`` characters, ``VECTORS = "embed"``) instead of placed by their lexical
neighbours (the default). Results, with the load average before and after
(2 cores shared by other work), go to ``bench/results/draftcheck.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see bench/serve.py

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.run import REPO, machine_info  # noqa: E402

TARGET_CHARS = 10_000
LIMIT_S = 5.0


def seed_draft(chars: int = TARGET_CHARS) -> str:
    """The seeds' text, whole lines, until ``chars`` characters."""
    lines: list[str] = []
    size = 0
    for path in sorted((REPO / "corpus").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if size >= chars:
                return "\n".join(lines)
            lines.append(line)
            size += len(line) + 1
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(REPO / "kbdata-eval"))
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "draftcheck.json"))
    args = p.parse_args()

    sys.path.insert(0, str(REPO / "scripts"))
    from eval_draftcheck import ensure_index

    from kb.core.config import load_config
    from kb.draftcheck import check, check_draft
    from kb.search import Searcher

    data = Path(args.data_dir)
    ensure_index(data, Path(os.environ.get("KB_DEV_CORPUS", REPO.parent / "shared" / "dev-corpus")))
    cfg = load_config(None)
    cfg.data_dir = str(data)
    draft = seed_draft()
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    searcher = Searcher(cfg)
    result = check_draft(searcher, draft)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        check_draft(searcher, draft)
        warm.append(time.perf_counter() - t0)
    saved, check.VECTORS = check.VECTORS, "embed"
    t0 = time.perf_counter()
    check_draft(searcher, draft)
    embedded = time.perf_counter() - t0
    check.VECTORS = saved
    body = result.to_dict()
    out = {
        "draft_chars": len(draft),
        "paragraphs": body["draft"]["paragraphs"],
        "index_passages": len(searcher.bundle.rows),
        "index_reports": len(searcher.reports()),
        "vectors": check.VECTORS,
        "cold_s": round(cold, 2),
        "warm_s": [round(x, 2) for x in warm],
        "warm_median_s": round(statistics.median(warm), 2),
        "embedded_s": round(embedded, 2),
        "embed_chars": check.EMBED_CHARS,
        "limit_s": LIMIT_S,
        "within_limit": statistics.median(warm) < LIMIT_S,
        "load_average_before": load_before,
        "machine": machine_info(),
    }
    Path(args.out).write_text(
        json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"{out['draft_chars']} 字 / {out['paragraphs']} 段，索引 {out['index_passages']} 段："
        f"冷启动 {out['cold_s']} 秒，热 {out['warm_median_s']} 秒（中位数，{args.runs} 次），"
        f"改用嵌入 {out['embedded_s']} 秒；负载 {load_before[0]:.1f} → "
        f"{out['machine']['load_average'][0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
