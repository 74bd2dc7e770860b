"""`kb check-draft FILE`: the 对照检查 on the command line (text, JSON, Markdown, Word)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kb.core.config import Config
from kb.core.models import LEVELS
from kb.draftcheck.check import CheckOptions, CheckResult, DraftError, check_draft
from kb.ingest.departments import DEPT_KINDS
from kb.ingest.readers import ReadError, read_upload
from kb.ingest.readers.limits import MB

MAX_DRAFT_BYTES = 5 * MB  # the same limit as an upload on the /check page
DRAFT_EXTENSIONS = (".txt", ".docx")


def read_draft(name: str, data: bytes) -> tuple[str, dict[str, str]]:
    """(text, container hints) of a draft file held in memory; DraftError when unusable."""
    if Path(name).suffix.lower() not in DRAFT_EXTENSIONS:
        raise DraftError(f"{Path(name).name}：草稿只支持 .txt 和 .docx 文件")
    try:
        raw = read_upload(name, data, MAX_DRAFT_BYTES)
    except ReadError as e:
        raise DraftError(str(e)) from None
    return raw.text, raw.hints


def options_from(
    dept: str | None,
    level: str | None,
    year: int | None,
    section: str | None,
    embed: bool = False,
) -> CheckOptions:
    """CheckOptions from what the drafter stated; a value kb does not know is a DraftError."""
    dept = (dept or "").strip() or None
    level = (level or "").strip() or None
    if dept and dept not in DEPT_KINDS:
        raise DraftError(f"部门类别 {dept!r} 不在已知类别中（如：{'、'.join(DEPT_KINDS[:6])} …）")
    if level and level not in LEVELS:
        raise DraftError(f"行政层级 {level!r} 无效（可选：{'、'.join(LEVELS)}）")
    if year is not None and not 1949 <= year <= 2100:
        raise DraftError(f"年度 {year} 无效")
    return CheckOptions(
        dept_kind=dept, level=level, year=year, section_kind=section or None, embed=embed
    )


def _print_result(result: CheckResult) -> None:
    body = result.to_dict()
    d = body["draft"]
    src = d["sources"]
    print(
        f"对照检查：{d['chars']} 字，{d['paragraphs']} 段；"
        f"部门类别 {d['dept_kind'] or '未知'}（{src['dept_kind']}），"
        f"层级 {d['level'] or '未知'}（{src['level']}），年度 {d['year'] or '未知'}（{src['year']}）；"
        f"{body['took_ms']:.0f} 毫秒"
    )
    for note in body["notes"]:
        print(f"注意：{note}")
    for para in body["paragraphs"]:
        where = " > ".join(para["heading_path"]) or "（无标题）"
        print("", f"[{para['index'] + 1}] 【{para['section_kind']}】{where}")
        print(f"    {para['text'][:120]}{'…' if len(para['text']) > 120 else ''}")
        if para["boilerplate_warning"]:
            print(f"    ⚠ 套话约占 {round(para['boilerplate'] * 100)}%：{para['advice']}")
        for label, hits in (("同类单位", para["peers"]), ("其他单位", para["other_peers"])):
            for hit in hits:
                sim = hit["scores"]["semantic"]["score"]
                print(f"    {label} · {hit['relation']} · 相似度 {sim:.2f}：{hit['text'][:80]}…")
                print(f"        —— {hit['citation']}")
    print("", "同类报告提到而草稿没有写到的内容：")
    for group in body["gaps"]:
        scope = group["dept_kind"] or "全部单位"
        print(f"  【{group['section_kind']}】（{scope}，{group['pool_reports']} 份报告）")
        for n, item in enumerate(group["items"], start=1):
            print(f"  {n}. {'、'.join(item['terms'])}：{item['reports']} 份报告提到")
            for ex in item["examples"]:
                print(f"      例：{ex['org'] or '（发文机关未识别）'}：{ex['text'][:80]}…")
        if not group["items"]:
            print("  （没有发现缺项）")


def run_check_draft(cfg: Config, args: argparse.Namespace) -> int:
    from kb.render.draftcheck import to_docx, to_markdown
    from kb.search import Searcher

    path = Path(args.file)
    try:
        if path.is_file() and path.stat().st_size > MAX_DRAFT_BYTES:
            raise DraftError(f"{path.name}：文件过大（上限 5 MB）")
        data = path.read_bytes()
    except OSError as e:
        print(f"错误：无法读取 {path}（{e.strerror or e}）", file=sys.stderr)
        return 1
    try:
        text, hints = read_draft(path.name, data)
        options = options_from(args.dept, args.level, args.year, args.section, args.embed)
        searcher = Searcher(cfg)
        try:
            result = check_draft(searcher, text, options, hints)
        finally:
            searcher.close()
    except DraftError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    body = result.to_dict()
    if args.md:
        Path(args.md).write_text(to_markdown(body), encoding="utf-8")
    if args.docx:
        Path(args.docx).write_bytes(to_docx(body))
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
    else:
        _print_result(result)
        for out in filter(None, (args.md, args.docx)):
            print(f"已导出：{out}")
    return 0
