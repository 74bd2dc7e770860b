"""Calibrate the no-results rule on the tune half; report it on the held-out half.

A query finds nothing when no lexical hit holds ``no_result_coverage`` of it and no passage
is ``no_result_similarity`` similar (kb.search.searcher). Signals come from the evaluation
index (``make eval`` builds it in kbdata-eval/): the development queries, which all have
relevant passages, and ``tests/eval/offtopic.jsonl``, queries the corpus says nothing about.
Both are split into halves by the hash of their id, as the relevance evaluation is.

The coverage threshold is fixed at 0.5 (a hit holding at least half of what was asked).
The similarity floor sits MARGIN below the least similar real tune query that has less
coverage than that: this embedder's similarities fall in a narrow band (an unrelated query
still scores ~0.84), and silencing a real query costs more than listing passages for a
nonsense one, so the floor keeps a margin to the real queries rather than splitting the
difference with the off-topic ones. Precision: of the queries the rule silences, the share
that are off-topic; recall: of the off-topic queries, the share it silences; and which real
queries it silences by mistake.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.core.config import load_config  # noqa: E402
from kb.search import Searcher  # noqa: E402
from kb.tools.eval import load_queries, split_of  # noqa: E402

COVERAGE = 0.5
MARGIN = 0.01


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT / "kbdata-eval"))
    p.add_argument("--queries", default=str(ROOT / "tests" / "eval" / "queries.jsonl"))
    p.add_argument("--offtopic", default=str(ROOT / "tests" / "eval" / "offtopic.jsonl"))
    args = p.parse_args()
    searcher = Searcher(load_config(env={"KB_DATA_DIR": args.data_dir}))
    real = [(q.qid, q.query, True) for q in load_queries(args.queries)]
    off = [json.loads(line) for line in Path(args.offtopic).read_text("utf-8").splitlines()]
    rows = [(qid, q, ok, *searcher.evidence(q)) for qid, q, ok in real]
    rows += [(o["qid"], o["query"], False, *searcher.evidence(o["query"])) for o in off]
    tune = [r for r in rows if split_of(r[0]) == "tune"]
    low_real = [sim for _i, _q, ok, cov, sim in tune if ok and cov < COVERAGE]
    off_sims = [sim for _i, _q, ok, _cov, sim in tune if not ok]
    floor = round(min(low_real) - MARGIN, 3)
    print(f"tune: off-topic max similarity {max(off_sims):.3f}, real (coverage < {COVERAGE}) "
          f"min {min(low_real):.3f} -> no_result_similarity = {floor}")  # fmt: skip
    for half in ("tune", "heldout"):
        part = [r for r in rows if split_of(r[0]) == half]
        silenced = [r for r in part if r[3] < COVERAGE and r[4] < floor]
        off_n = sum(not r[2] for r in part)
        right = sum(not r[2] for r in silenced)
        precision = right / len(silenced) if silenced else 1.0
        print(
            f"{half}: {len(part)} queries ({off_n} off-topic); silenced {len(silenced)}; "
            f"precision {precision:.2f}, recall {right / off_n if off_n else 1.0:.2f}; "
            f"real queries silenced: {[r[1] for r in silenced if r[2]]}"
        )
    searcher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
