"""Parse the dev corpus (115 real report openings) and report how cleanly kb parses it.

Usage::

    .venv/bin/python scripts/dev_corpus_report.py            # print the table
    .venv/bin/python scripts/dev_corpus_report.py --write    # also regenerate docs/dev-corpus-parse.md

The seed corpus is too small to show how the parser copes with the variety of real portals, so
this script runs the same read → parse pipeline as `kb ingest` over
``/work/shared/dev-corpus/reports/*.txt`` and checks every report against what a user needs
from it (see `CLEAN_RULES`). tests/test_dev_corpus.py keeps the clean share from regressing.

The files are only the *openings* of reports (about 700 characters), so the text usually stops
mid-sentence: the last passage of a file is exempt from the sentence-end and length checks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.models import Passage, Report
from kb.ingest.headings import starts_with_label
from kb.ingest.orgs import ENDS_AS_ORG
from kb.ingest.parse import parse_report
from kb.ingest.passages import HARD_MAX_CHARS
from kb.ingest.readers import ReadError, read_document

ROOT = Path(__file__).resolve().parents[1]
DEV_CORPUS = ROOT.parent / "shared" / "dev-corpus"
DOC_PATH = ROOT / "docs" / "dev-corpus-parse.md"

# Years the dev corpus covers (shared/README.md); anything else is a misread year.
YEARS = range(2019, 2026)
# A passage shorter than this (other than a file's truncated last one) is a fragment.
MIN_PASSAGE_CHARS = 20
_SENTENCE_END = re.compile(r"[。！？；：…!?;:][”’」』）)》】]*$")
# An org that starts with a bare level word ("市应急管理局") is missing its place name.
_UNQUALIFIED_ORG = re.compile(r"^[省市县区州]")
# How a report refers to its author when it never names it.
_SELF_REFERENCE = re.compile(r"我[局厅办委]")
_OPENING_CHARS = 400

CLEAN_RULES = [
    f"年度已识别，且在 {YEARS.start}–{YEARS.stop - 1} 之间、不晚于发布日期所在年份",
    "发文机关已识别，以机关名称结尾（局、厅、办……），且带地名（不是“市应急管理局”这样的简称）",
    "省份已识别",
    "至少识别出一个编号章节标题（一、/（一）/1.）",
    f"每个段落不超过 {HARD_MAX_CHARS} 字；除文件最后一段（文本在此截断）外不少于 {MIN_PASSAGE_CHARS} 字",
    "除文件最后一段外，每个段落都在句末（。！？；：…）或下一个标题之前结束，没有被从句子中间切断",
]


@dataclass
class FileResult:
    """One dev-corpus file: its read error, or its parsed report and what is wrong with it."""

    name: str
    url: str = ""
    read_error: str | None = None
    report: Report | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.report is not None and not self.problems


def check_report(report: Report) -> list[str]:
    """Reasons (in Chinese) why a parsed report is not clean; empty when it is."""
    meta, problems = report.meta, []
    if meta.year is None:
        problems.append("年度未识别")
    elif meta.year not in YEARS:
        problems.append(f"年度不在语料范围内（{meta.year}）")
    elif meta.pub_date and meta.year > int(meta.pub_date[:4]):
        problems.append(f"年度晚于发布日期（{meta.year} 年，{meta.pub_date} 发布）")
    if not meta.org:
        self_named = _SELF_REFERENCE.search(report.text[:_OPENING_CHARS])
        problems.append(
            "发文机关未识别" + (f"（开头只称“{self_named.group(0)}”）" if self_named else "")
        )
    elif not ENDS_AS_ORG.search(meta.org) or meta.org.startswith("在"):
        problems.append(f"发文机关有误（{meta.org}）")
    elif _UNQUALIFIED_ORG.match(meta.org):
        problems.append(f"发文机关缺地名（{meta.org}）")
    if not meta.province:
        problems.append("省份未识别")
    if not any(s.heading for s in report.sections):
        problems.append("没有识别出章节标题")
    problems += _passage_problems(report)
    return problems


def _passage_problems(report: Report) -> list[str]:
    problems = []
    text_end = len(report.text.rstrip())
    for p in report.passages:
        truncated_tail = p.end >= text_end  # the file was cut off here, not the passage
        if len(p.text) > HARD_MAX_CHARS:
            problems.append(f"段落过长（第 {p.position} 段 {len(p.text)} 字）")
        elif len(p.text) < MIN_PASSAGE_CHARS and not truncated_tail:
            problems.append(f"段落过短（第 {p.position} 段：{p.text}）")
        if not (truncated_tail or _SENTENCE_END.search(p.text) or _before_heading(report, p)):
            problems.append(f"段落在句中截断（第 {p.position} 段：…{p.text[-12:]}）")
    return problems


def _before_heading(report: Report, passage: Passage) -> bool:
    """True when a heading follows: the paragraph is complete, it just lacks its 。."""
    rest = report.text[passage.end :].lstrip()
    return starts_with_label(rest.split("\n", 1)[0])


def reason_kind(problem: str) -> str:
    """The problem without its details (which are in brackets), for counting failures by reason."""
    return problem.split("（")[0]


def load_urls(corpus: Path) -> dict[str, str]:
    """File name → source URL, from sources.jsonl (missing file: no URLs)."""
    path = corpus / "sources.jsonl"
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {Path(r["file"]).name: r.get("url", "") for r in rows}


def evaluate(corpus: Path = DEV_CORPUS) -> list[FileResult]:
    """Read and parse every report opening, and check each one."""
    urls = load_urls(corpus)
    results = []
    for path in sorted((corpus / "reports").glob("*.txt")):
        res = FileResult(path.name, urls.get(path.name, ""))
        try:
            raw = read_document(path)
        except ReadError as e:
            res.read_error = str(e)
        else:
            res.report = parse_report(raw, path.name, content_hash="")
            res.problems = check_report(res.report)
        results.append(res)
    return results


def clean_share(results: list[FileResult]) -> float:
    return sum(r.clean for r in results) / max(len(results), 1)


def render(results: list[FileResult]) -> str:
    """The Markdown report."""
    read = [r for r in results if r.report is not None]
    clean = [r for r in read if r.clean]
    reasons = Counter(reason_kind(p) for r in read for p in dict.fromkeys(r.problems))
    kinds = Counter(p.section_kind for r in read for p in r.report.passages)
    preamble = sum(not p.heading_path for r in read for p in r.report.passages)
    out = [
        "# 开发语料解析情况（dev corpus parse report）",
        "",
        "> 由 `scripts/dev_corpus_report.py` 生成，请勿手工编辑。重新生成：",
        "> `.venv/bin/python scripts/dev_corpus_report.py --write`",
        "",
        "语料：`shared/dev-corpus/reports/*.txt`（真实报告的开头部分，约 700 字，多在句中截断）。",
        "",
        "## 汇总",
        "",
        "| 项目 | 数量 |",
        "|---|---|",
        f"| 文件 | {len(results)} |",
        f"| 读取成功 | {len(read)} |",
        f"| 解析干净 | {len(clean)}（{len(clean) / max(len(results), 1):.0%}） |",
        f"| 未通过 | {len(read) - len(clean)} |",
        f"| 段落 | {sum(len(r.report.passages) for r in read)} |",
        "",
        "“解析干净”的标准（全部满足）：",
        "",
        *[f"- {rule}" for rule in CLEAN_RULES],
        "",
        "## 未通过原因（按文件计）",
        "",
        "| 原因 | 文件数 |",
        "|---|---|",
        *[f"| {reason} | {n} |" for reason, n in reasons.most_common()],
        "",
        "## 段落按章节类型",
        "",
        "| 章节类型 | 段落数 |",
        "|---|---|",
        *[f"| {kind} | {n} |" for kind, n in kinds.most_common()],
        "",
        f"“其他”中 {preamble} 个是第一个标题之前的前言段落；文件只是开头，所以后面的章节类型很少。",
        "",
        "## 未通过的文件",
        "",
        "| 文件 | 年度 | 发文机关 | 省 | 问题 |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        if r.read_error:
            out.append(f"| {r.name} | | | | 读取失败：{r.read_error} |")
        elif not r.clean:
            m = r.report.meta
            cells = [m.year or "—", m.org or "—", m.province or "—", "；".join(r.problems)]
            out.append(f"| {_link(r)} | " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _link(r: FileResult) -> str:
    return f"[{r.name}]({r.url})" if r.url else r.name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEV_CORPUS, help="dev corpus directory")
    ap.add_argument("--write", action="store_true", help=f"write {DOC_PATH.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    if not (args.corpus / "reports").is_dir():
        print(f"错误：开发语料目录 {args.corpus / 'reports'} 不存在", file=sys.stderr)
        return 1
    text = render(evaluate(args.corpus))
    print(text)
    if args.write:
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(text, encoding="utf-8")
        print(f"已写入 {DOC_PATH.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
