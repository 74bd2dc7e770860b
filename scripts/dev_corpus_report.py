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
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.models import Passage, Report
from kb.ingest.headings import starts_with_label
from kb.ingest.orgs import is_org_name
from kb.ingest.parse import parse_report
from kb.ingest.passages import HARD_MAX_CHARS, MIN_PASSAGE_CHARS
from kb.ingest.readers import ReadError, read_document

ROOT = Path(__file__).resolve().parents[1]


def _find_dev_corpus() -> Path:
    """$KB_SHARED/dev-corpus, <repo>/../shared/dev-corpus, or /work/shared/dev-corpus (a
    worktree sits one level deeper than the main checkout)."""
    for shared in (os.environ.get("KB_SHARED"), ROOT.parent / "shared", "/work/shared"):
        if shared and (Path(shared) / "dev-corpus").is_dir():
            return Path(shared) / "dev-corpus"
    return ROOT.parent / "shared" / "dev-corpus"


DEV_CORPUS = _find_dev_corpus()
DOC_PATH = ROOT / "docs" / "dev-corpus-parse.md"

# Years the dev corpus covers (shared/README.md); anything else is a misread year.
YEARS = range(2019, 2026)
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
    f"每个段落不超过 {HARD_MAX_CHARS} 字；不少于 {MIN_PASSAGE_CHARS} 字，除非它所在的章节只有这一句",
    "每个段落都在句末（。！？；：…）或下一个标题之前结束；被文本结尾或长度上限截断的段落带有“节选”标记",
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
    elif not is_org_name(re.sub(r"[（(][^）)]*[）)]$", "", meta.org)):
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
    for p in report.passages:
        if len(p.text) > HARD_MAX_CHARS:
            problems.append(f"段落过长（第 {p.position} 段 {len(p.text)} 字）")
        elif len(p.text) < MIN_PASSAGE_CHARS and not _one_sentence_section(report, p):
            problems.append(f"段落过短（第 {p.position} 段：{p.text}）")
        if not (p.truncated or _SENTENCE_END.search(p.text) or _before_heading(report, p)):
            problems.append(f"段落在句中截断（第 {p.position} 段：…{p.text[-12:]}）")
    return problems


def _one_sentence_section(report: Report, passage: Passage) -> bool:
    """The passage is its section's only one, and that section is one sentence."""
    same = [p for p in report.passages if p.heading_path == passage.heading_path]
    return (
        same == [passage] and len(re.findall(r"[。！？；]", passage.text.rstrip("。！？；"))) == 0
    )


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
    """Read and parse every report opening, and check each one.

    Each file's source URL (sources.jsonl) is given to the parser as a sidecar would give it
    (``{"source_url": …}``), which is how `make eval` and users ingest such pages.
    """
    urls = load_urls(corpus)
    results = []
    for path in sorted((corpus / "reports").glob("*.txt")):
        res = FileResult(path.name, urls.get(path.name, ""))
        try:
            raw = read_document(path)
        except ReadError as e:
            res.read_error = str(e)
        else:
            overrides = {"source_url": res.url} if res.url else None
            res.report = parse_report(raw, path.name, content_hash="", overrides=overrides)
            res.problems = check_report(res.report)
        results.append(res)
    return results


# --- field accuracy against the hand-judged gold file (tests/data/) ------------------------------

GOLD_PATH = ROOT / "tests" / "data" / "dev_corpus_gold.jsonl"
GOLD_FIELDS = ("org", "title", "year", "province", "city", "county", "level", "dept_kind")
# The bars of issue 14: where the text or URL states a field, share of reports right.
BARS = {"org": 0.95, "year": 0.95, "province": 0.95}
DEFAULT_BAR = 0.90


def load_gold(path: Path = GOLD_PATH) -> dict[str, dict]:
    """File name → gold record."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {r["file"]: r for r in rows}


def _same(a: object, b: object) -> bool:
    """Values compared as a reader would: bracket width and whitespace do not matter."""
    if isinstance(a, str) and isinstance(b, str):

        def norm(x: str) -> str:
            return re.sub(r"\s+", "", x).replace("（", "(").replace("）", ")")

        return norm(a) == norm(b)
    return a == b


@dataclass
class FieldScore:
    field: str
    stated: int = 0  # the gold has a value (text or URL states it)
    right: int = 0
    wrong: int = 0  # a different value
    missing: int = 0  # kb has none
    invented: int = 0  # the gold is null (nothing states it) but kb has a value
    by_evidence: Counter = field(default_factory=Counter)  # "text"/"url" → (stated, right)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / max(self.stated, 1)

    @property
    def bar(self) -> float:
        return BARS.get(self.field, DEFAULT_BAR)


def score_fields(metas: dict[str, object], gold: dict[str, dict]) -> list[FieldScore]:
    """Per field: how often kb's value equals the gold value where the gold states one."""
    scores = {f: FieldScore(f) for f in GOLD_FIELDS}
    for name, rec in gold.items():
        meta = metas.get(name)
        for f, sc in scores.items():
            want, got = rec[f], getattr(meta, f, None) if meta is not None else None
            if want is None:
                sc.invented += got is not None
                if got is not None:
                    sc.misses.append(f"{name}: {got}（应为空）")
                continue
            ev = rec["evidence"].get(f, "text")
            sc.stated += 1
            sc.by_evidence[(ev, "stated")] += 1
            if _same(got, want):
                sc.right += 1
                sc.by_evidence[(ev, "right")] += 1
            else:
                if got is None:
                    sc.missing += 1
                else:
                    sc.wrong += 1
                sc.misses.append(f"{name}: {got or '—'}（应为 {want}）")
    return list(scores.values())


@dataclass
class UrlScore:
    """How the domain table does on the dev corpus's source URLs (kb.ingest.domains)."""

    urls: int = 0
    gov: int = 0
    with_region: int = 0  # the gold has a place for the report
    has_candidates: int = 0
    contains_gold: int = 0  # the most specific gold place is among the candidates
    only_gold: int = 0  # ... and the only one
    picks: Counter = field(default_factory=Counter)  # (variant, outcome) → reports


def score_urls(results: list[FileResult], gold: dict[str, dict]) -> UrlScore:
    """For every URL: its candidates, and what the text tie-break picks — with the text's place
    names only, and with the issuer's level as the text gives it (县委、县政府 → 县)."""
    from kb.ingest.domains import url_evidence
    from kb.ingest.regions import RegionMatch, pick_url_region

    sc = UrlScore()
    for r in results:
        rec = gold.get(r.name)
        if rec is None or r.report is None:
            continue
        ev = url_evidence(rec["url"])
        sc.urls += 1
        sc.gov += bool(ev and ev.gov)
        chain = [rec[f] for f in ("county", "city", "province") if rec[f]]
        if not chain or ev is None:
            continue
        sc.with_region += 1
        names = {_region_name(c) for c in ev.codes}
        sc.has_candidates += bool(names)
        sc.contains_gold += chain[0] in names
        sc.only_gold += names == {chain[0]}
        meta = r.report.meta
        level = meta.level if meta.provenance.get("level") not in ("url", None) else None
        for variant, hint in (("地名", None), ("地名+层级", level)):
            pick = pick_url_region(ev, r.report.text, RegionMatch(None, None, None, None), hint)
            got = pick and (pick.match.county or pick.match.city or pick.match.province)
            outcome = (
                "无结果" if not got else "正确" if got == chain[0] else
                "偏粗（上级地区）" if got in chain else "错误"
            )  # fmt: skip
            sc.picks[(variant, outcome)] += 1
    return sc


def _region_name(code: str) -> str:
    from kb.ingest.regions import _gazetteer

    return _gazetteer().units[code].name


def url_lines(sc: UrlScore) -> list[str]:
    n = max(sc.with_region, 1)
    rows = [
        ("有候选地区", sc.has_candidates),
        ("候选中含正确地区", sc.contains_gold),
        ("正确地区是唯一候选", sc.only_gold),
    ]
    rows += [
        (f"按正文{variant}选定：{outcome}", sc.picks[(variant, outcome)])
        for variant in ("地名", "地名+层级")
        for outcome in ("正确", "偏粗（上级地区）", "错误", "无结果")
    ]
    return [
        f"网址 {sc.urls} 个（gov.cn {sc.gov} 个），其中标准答案有地区的 {sc.with_region} 个。",
        "",
        "| 项目 | 报告数 | 占比 |",
        "|---|--:|--:|",
        *[f"| {label} | {k} | {k / n:.0%} |" for label, k in rows],
    ]


def accuracy_lines(scores: list[FieldScore]) -> list[str]:
    """The accuracy table in Markdown."""
    out = [
        "| 字段 | 有依据 | 正确 | 准确率 | 要求 | 其中正文依据 | 其中网址依据 | 缺失 | 错误 | 无依据却给出 |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for sc in scores:

        def part(ev: str, sc: FieldScore = sc) -> str:
            n = sc.by_evidence[(ev, "stated")]
            return f"{sc.by_evidence[(ev, 'right')]}/{n}" if n else "–"

        out.append(
            f"| {sc.field} | {sc.stated} | {sc.right} | {sc.accuracy:.1%} | ≥{sc.bar:.0%} | "
            f"{part('text')} | {part('url')} | {sc.missing} | {sc.wrong} | {sc.invented} |"
        )
    return out


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
        *_gold_section(results),
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


def _gold_section(results: list[FileResult]) -> list[str]:
    """Field accuracy against tests/data/dev_corpus_gold.jsonl, and the domain table alone."""
    if not GOLD_PATH.is_file():
        return []
    gold = load_gold()
    scores = score_fields({r.name: r.report.meta for r in results if r.report}, gold)
    missed = [f"- {sc.field}：{'；'.join(sc.misses)}" for sc in scores if sc.misses]
    return [
        "## 字段准确率（对照人工标注）",
        "",
        "标准答案：`tests/data/dev_corpus_gold.jsonl`（判定规则见 `tests/data/README.md`）。"
        "每份报告按 `sources.jsonl` 的网址以元数据文件提供 `source_url`，与 `make eval` 和用户导入时相同。"
        "“有依据”指正文或网址写明了该字段；准确率 = 正确 / 有依据。",
        "",
        *accuracy_lines(scores),
        "",
        *(["未答对的："] + missed + [""] if missed else []),
        "## 网址作为地区依据（`kb/ingest/data/domains.tsv`）",
        "",
        "只看网址与正文的地名（不用正文已识别出的机关名称），所选地区与标准答案中最具体的地区（区县，"
        "否则城市，否则省份）相比；“地名+层级”另用正文写明的机关层级（县委、县政府 → 县）在同名地区间取舍。",
        "",
        *url_lines(score_urls(results, gold)),
        "",
    ]


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
