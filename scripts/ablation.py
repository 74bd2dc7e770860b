"""What each ranking component adds, on each half of the development set.

Runs the evaluation on the index ``make eval`` built (kbdata-eval/) with kb's defaults, then
once per component with that component taken out (or, for components that are off by
default, put in), and prints a Markdown table of nDCG@10 differences for both halves. A
component earns its place when the tune half says so and the held-out half confirms it.
Components are switched through the configuration where there is a setting, and through
the module constant that holds them otherwise (this is a measurement script).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import indexer.lexical.whoosh as whoosh  # noqa: E402
import kb.search.query as query  # noqa: E402
from kb.core.config import load_config  # noqa: E402
from kb.search import Searcher  # noqa: E402
from kb.tools.eval import ALL, aggregate, by_split, evaluate, load_qrels, load_queries  # noqa: E402


@dataclass
class Variant:
    label: str
    change: Callable[[Searcher], None]
    modes: tuple[str, ...] = ("hybrid",)


def _setting(**values) -> Callable[[Searcher], None]:
    def change(searcher: Searcher) -> None:
        for key, value in values.items():
            setattr(searcher.cfg.search, key, value)

    return change


def _field_weights(heading: float, meta: float) -> Callable[[Searcher], None]:
    def change(searcher: Searcher) -> None:
        whoosh.FIELD_WEIGHTS.update(heading=heading, meta=meta)
        searcher.bundle.lexical._postings.clear()

    return change


def _part_weight(weight: float) -> Callable[[Searcher], None]:
    def change(_searcher: Searcher) -> None:
        query.PART_WEIGHT = weight

    return change


VARIANTS = [
    Variant("verbatim matches first", _setting(verbatim_first=False), ("hybrid", "lexical")),
    Variant("fusion share from lexical coverage (vs a fixed 0.7)", _setting(share_low=0.7, share_high=0.7)),
    Variant("field weights: headings and metadata at 0.25 (vs 1)", _field_weights(1.0, 1.0), ("hybrid", "lexical")),
    Variant("meaningful sub-words of query words", _part_weight(0.0), ("hybrid", "lexical")),
    Variant("no-results rule", _setting(no_result_coverage=0.0), ("hybrid", "lexical")),
    Variant("domain synonym groups", _setting(synonyms="")),
    Variant("boilerplate penalty 0.3", _setting(boilerplate_penalty=0.0)),
]  # fmt: skip


def scores(searcher, queries, qrels, modes) -> dict[tuple[str, str], float]:
    """(half, mode) → mean nDCG@10."""
    results = evaluate(searcher, queries, qrels, modes, 10)
    out = {}
    for half, part in by_split(results).items():
        for row in aggregate(part):
            if row.group == ALL:
                out[(half, row.mode)] = row.ndcg
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT / "kbdata-eval"))
    p.add_argument("--queries", default=str(ROOT / "tests" / "eval" / "queries.jsonl"))
    p.add_argument("--qrels", default=str(ROOT / "tests" / "eval" / "qrels.jsonl"))
    p.add_argument("--markdown", help="write the table here too")
    args = p.parse_args()
    queries, qrels = load_queries(args.queries), load_qrels(args.qrels)
    lines = [
        "| component | mode | tune Δ nDCG@10 | held-out Δ nDCG@10 |",
        "|---|---|--:|--:|",
    ]
    for v in VARIANTS:
        cfg = load_config(env={"KB_DATA_DIR": args.data_dir})
        searcher = Searcher(cfg)
        saved = (dict(whoosh.FIELD_WEIGHTS), query.PART_WEIGHT)
        try:
            base = scores(searcher, queries, qrels, v.modes)
            v.change(searcher)
            changed = scores(searcher, queries, qrels, v.modes)
        finally:
            whoosh.FIELD_WEIGHTS.update(saved[0])
            query.PART_WEIGHT = saved[1]
            searcher.close()
        # "on" components were taken out: their contribution is base - changed
        sign = -1 if "off by default" in v.label else 1
        for mode in v.modes:
            deltas = [sign * (base[(h, mode)] - changed[(h, mode)]) for h in ("tune", "heldout")]
            lines.append(f"| {v.label} | {mode} | {deltas[0]:+.3f} | {deltas[1]:+.3f} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
