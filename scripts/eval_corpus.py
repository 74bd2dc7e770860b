"""`make eval`: build the evaluation index (seeds + dev corpus) and regenerate the relevance table.

The development judgments (tests/eval/) name reports by bare file name and cover two sets:
the five seed reports in corpus/ and the 115 report openings of the shared dev corpus. This
script copies both into one flat corpus directory inside its own data dir (the dev pages get a
sidecar with their source URL from sources.jsonl, so hits link to the original), then runs the
ordinary pipeline — ``kb ingest``, ``kb index --force``, ``kb eval`` — against that data dir,
so the numbers measure exactly what users run with the code as it is now. The store is read
afresh and the index forced because both are incremental: they notice changed reports and
settings, not a changed parser or boilerplate statistic. Vectors still come from the cache. The table goes into docs/eval.md and into the marked
block of the README's "Relevance" section; nothing else in either file is touched.

The data dir (default ``kbdata-eval/``) ignores itself in git. Re-runs are cheap: ingest is
incremental and the embedding cache in the data dir keeps every passage vector.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.cli import main as kb  # noqa: E402

BEGIN, END = "<!-- eval:begin -->", "<!-- eval:end -->"
ABL_BEGIN, ABL_END = "<!-- ablation:begin -->", "<!-- ablation:end -->"
DOC_TEMPLATE = """# Relevance evaluation

Regenerate with `make eval` (see README, "Relevance"). Only the blocks between the markers
are rewritten.

{begin}
{end}

<!-- ablation:begin -->
<!-- ablation:end -->
"""


def prepare_corpus(corpus: Path, seeds: Path, dev: Path) -> int:
    """Fill corpus/ with the seeds and the dev pages (flat, bare names); returns the file count.

    Files no longer in either source are removed, so ingest drops them from the store.
    """
    corpus.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, bytes] = {}
    for p in sorted(seeds.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            wanted[p.name] = p.read_bytes()
    urls: dict[str, str] = {}
    sources = dev / "sources.jsonl"
    if sources.is_file():
        for line in sources.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                urls[Path(rec["file"]).name] = rec.get("url") or ""
    for p in sorted((dev / "reports").glob("*.txt")):
        if p.name in wanted:
            raise SystemExit(f"错误：{p.name} 同时出现在种子语料和开发语料中")
        wanted[p.name] = p.read_bytes()
        if urls.get(p.name) and f"{p.name}.meta.json" not in wanted:
            sidecar = {"source_url": urls[p.name]}
            wanted[f"{p.name}.meta.json"] = json.dumps(sidecar, ensure_ascii=False).encode()
    for p in corpus.iterdir():
        if p.name not in wanted:
            p.unlink() if p.is_file() else shutil.rmtree(p)
    for name, data in wanted.items():
        target = corpus / name
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    return sum(not n.endswith(".meta.json") for n in wanted)


def replace_block(
    path: Path, block: str, template: str | None = None, markers: tuple[str, str] = (BEGIN, END)
) -> None:
    """Put block between the markers of path (creating it from template if absent)."""
    begin, end = markers
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    elif template is not None:
        text = template
    else:
        raise SystemExit(f"错误：{path} 不存在")
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"错误：{path} 中没有 {begin} … {end} 标记")
    text = pattern.sub(lambda _: f"{begin}\n{block}\n{end}", text, count=1)
    path.write_text(text, encoding="utf-8")


def summary(data_dir: Path) -> str:
    """One line on what was measured: corpus size and embedder, from the build manifest."""
    from indexer.builds import current_build, read_manifest

    m = read_manifest(current_build(data_dir))
    return (
        f"Index: {m['report_count']} reports, {m['passage_count']} passages, "
        f"embedder `{m['embedder']['id']}`."
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(ROOT / "kbdata-eval"))
    p.add_argument("--seeds", default=str(ROOT / "corpus"))
    p.add_argument(
        "--dev-corpus",
        default=os.environ.get("KB_DEV_CORPUS", str(ROOT.parent / "shared" / "dev-corpus")),
    )
    p.add_argument("--queries", default=str(ROOT / "tests" / "eval" / "queries.jsonl"))
    p.add_argument("--qrels", default=str(ROOT / "tests" / "eval" / "qrels.jsonl"))
    p.add_argument("--doc", default=str(ROOT / "docs" / "eval.md"))
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    p.add_argument("--out", help="also write the per-query table here (.tsv or .jsonl)")
    p.add_argument("--no-ablation", action="store_true", help="skip the per-component table")
    args = p.parse_args()

    data = Path(args.data_dir)
    dev = Path(args.dev_corpus)
    if not (dev / "reports").is_dir():
        print(f"错误：开发语料 {dev}/reports 不存在（可用 --dev-corpus 或 $KB_DEV_CORPUS 指定）")
        return 1
    data.mkdir(parents=True, exist_ok=True)
    (data / ".gitignore").write_text("*\n", encoding="utf-8")
    n = prepare_corpus(data / "corpus", Path(args.seeds), dev)
    print(f"评测语料：{n} 份报告 → {data / 'corpus'}")
    base = ["--data-dir", str(data)]
    # From scratch, like the index: ingest skips unchanged files, and the parser may have
    # changed since they were read. Reading 120 files takes a second.
    for suffix in ("", "-wal", "-shm"):
        (data / f"corpus.sqlite{suffix}").unlink(missing_ok=True)
    for argv in (["ingest", "-q", str(data / "corpus")], ["index", "-q", "--force"]):
        if kb(base + argv) != 0:
            return 1
    table = data / "eval-table.md"
    argv = [
        "eval",
        "-q",
        "--queries",
        args.queries,
        "--qrels",
        args.qrels,
        "--markdown",
        str(table),
    ]
    if args.out:
        argv += ["--out", args.out]
    if kb(base + argv) != 0:
        return 1
    block = f"{summary(data)}\n\n{table.read_text(encoding='utf-8').strip()}"
    replace_block(Path(args.doc), block, DOC_TEMPLATE.format(begin=BEGIN, end=END))
    replace_block(Path(args.readme), block)
    if not args.no_ablation:
        import subprocess

        ablation = data / "ablation.md"
        script = [sys.executable, str(ROOT / "scripts" / "ablation.py"), "--data-dir", str(data)]
        subprocess.run([*script, "--markdown", str(ablation)], check=True)
        table = ablation.read_text(encoding="utf-8").strip()
        for path in (Path(args.doc), Path(args.readme)):
            replace_block(path, table, markers=(ABL_BEGIN, ABL_END))
    print(f"已更新 {args.doc} 和 {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
