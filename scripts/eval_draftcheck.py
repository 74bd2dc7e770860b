"""`make eval-draftcheck`: leave-one-out evaluation of 对照检查 (kb.draftcheck.evaluate).

Uses the evaluation index of `make eval` (seeds + dev corpus in kbdata-eval/, built here when
missing), runs every draft of tests/eval/draftcheck/drafts.jsonl with its report hidden, scores
gap recall and alignment precision against the hand judgments, and writes the tables to
tests/eval/draftcheck/results.md and the marked block of the README's "对照检查" section.
Pairs still unjudged (after a change of ranking) go to --unjudged for judging by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_corpus import prepare_corpus, replace_block  # noqa: E402

from kb.cli import main as kb  # noqa: E402

BEGIN, END = "<!-- draftcheck:begin -->", "<!-- draftcheck:end -->"
DATA = ROOT / "tests" / "eval" / "draftcheck"


def ensure_index(data: Path, dev: Path) -> None:
    if (data / "index" / "current").exists() or (data / "index" / "builds").is_dir():
        return
    data.mkdir(parents=True, exist_ok=True)
    (data / ".gitignore").write_text("*\n", encoding="utf-8")
    prepare_corpus(data / "corpus", ROOT / "corpus", dev)
    for argv in (["ingest", "-q", str(data / "corpus")], ["index", "-q"]):
        if kb(["--data-dir", str(data), *argv]) != 0:
            raise SystemExit(f"错误：kb {argv[0]} 失败")


def table(outcomes, judgments) -> str:
    from kb.draftcheck.evaluate import SPLITS, figures

    rows = ["| half | drafts | gap recall@5 | judged paragraphs | alignment@3 | unjudged |",
            "|---|--:|--:|--:|--:|--:|"]  # fmt: skip
    for name in (*SPLITS, "all"):
        chosen = [o for o in outcomes if name == "all" or o.split == name]
        f = figures(chosen, judgments)
        rows.append(
            f"| {name} | {f.drafts} | {f.gap_recall:.2f} ({f.gap_hits}/{f.drafts}) | "
            f"{f.paragraphs} | {f.alignment:.2f} ({f.aligned}/{f.paragraphs}) | {f.unjudged} |"
        )
    return "\n".join(rows)


def failures(outcomes, judgments) -> str:
    lines = ["Drafts whose deleted topic is not among the first 5 gaps:", ""]
    for o in outcomes:
        if o.gap_hit:
            continue
        gaps = "; ".join("、".join(g["terms"][:3]) for g in o.gaps) or "（没有缺项）"
        topics = "、".join(w for ws in o.topics_used for w in ws)
        lines.append(f"- {o.spec.id} {o.spec.report} ({o.split}) topic {topics} — gaps: {gaps}")
    lines += ["", "Kept paragraphs with no genuine match in the top 3:", ""]
    for o in outcomes:
        for k in o.kept:
            marks = [judgments.get((k["key"], p["passage_id"])) for p in k["peers"]]
            if marks and all(m == 0 for m in marks):
                lines.append(f"- {o.spec.id} {k['text'][:40]}…")
    return "\n".join(lines)


def _row(o) -> str:
    topic = "、".join(w for ws in o.topics_used for w in ws)
    gaps = "; ".join("{} ({})".format("、".join(g["terms"][:3]), g["reports"]) for g in o.gaps)
    return f"| {o.spec.id} | {o.split} | {o.spec.report} | {topic} | {o.gap_rank or '—'} | {gaps} |"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT / "kbdata-eval"))
    p.add_argument(
        "--dev-corpus",
        default=os.environ.get("KB_DEV_CORPUS", str(ROOT.parent / "shared" / "dev-corpus")),
    )
    p.add_argument("--drafts", default=str(DATA / "drafts.jsonl"))
    p.add_argument("--judgments", default=str(DATA / "alignment.jsonl"))
    p.add_argument("--unjudged", default=str(DATA / "unjudged.jsonl"))
    p.add_argument("--results", default=str(DATA / "results.md"))
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    p.add_argument("--no-readme", action="store_true")
    p.add_argument("--embed", action="store_true", help="embed every paragraph (精确对照)")
    args = p.parse_args()

    from kb.core.config import load_config
    from kb.draftcheck.evaluate import load_judgments, load_specs, run_draft, unjudged
    from kb.search import Searcher

    data = Path(args.data_dir)
    ensure_index(data, Path(args.dev_corpus))
    cfg = load_config(None)
    cfg.data_dir = str(data)
    searcher = Searcher(cfg)
    specs = load_specs(Path(args.drafts))
    outcomes = [run_draft(searcher, s, args.embed) for s in specs]
    judgments = load_judgments(Path(args.judgments))
    todo = unjudged(outcomes, judgments)
    out = Path(args.unjudged)
    if todo:
        out.write_text(
            "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in todo), encoding="utf-8"
        )
        print(f"待判断：{len(todo)} 对，见 {out}")
    elif out.exists():
        out.unlink()
    block = table(outcomes, judgments)
    detail = "\n".join(_row(o) for o in outcomes)
    results = (
        "# 对照检查 leave-one-out results\n\nRegenerate with `make eval-draftcheck`.\n\n"
        f"{block}\n\n| draft | half | report | deleted topic | rank | first 5 gaps (reports) |\n"
        f"|---|---|---|---|--:|---|\n{detail}\n\n{failures(outcomes, judgments)}\n"
    )
    Path(args.results).write_text(results, encoding="utf-8")
    print(block)
    if not args.no_readme:
        replace_block(Path(args.readme), block, markers=(BEGIN, END))
    return 0


if __name__ == "__main__":
    sys.exit(main())
