"""`kb` command line: ingest, index, search, serve, user, stats, check, check-draft, eval.

Messages are in Chinese for the people who use kb; errors name the file or parameter at
fault and exit with status 1 without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from kb.core import fields
from kb.core.config import Config, ConfigError, load_config
from kb.core.models import SECTION_KINDS

EXIT_OK, EXIT_ERROR = 0, 1


def _print(*lines: str) -> None:
    for line in lines:
        print(line)


def _err(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_ERROR


def _unwritable(command: str, *paths: Path) -> str | None:
    """One Chinese line saying which path stops a write command, or None when all can be written."""
    from kb.store.sqlite import unwritable_path

    for path in paths:
        blocked = unwritable_path(path)
        if blocked is not None:
            return (
                f"{command} 需要写入 {path}，但 {blocked} 不可写（没有写权限，或位于只读的文件系统上）；"
                "只读的数据目录只能用于 search、serve、stats、check"
            )
    return None


def _terminate_gracefully() -> None:
    """Turn SIGTERM into KeyboardInterrupt so interrupted builds clean up after themselves."""

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


# -- commands ------------------------------------------------------------------------------


def cmd_ingest(cfg: Config, args: argparse.Namespace) -> int:
    from kb.ingest.pipeline import WouldReplaceCorpus, ingest
    from kb.store.corpus import CorpusStore

    root = Path(args.directory)
    if root.is_file():
        return _err(
            f"{root} 是文件：kb ingest 读取的是语料目录（如 corpus/），请把报告放进目录再导入"
        )
    if not root.is_dir():
        return _err(f"语料目录 {root} 不存在")
    blocked = _unwritable("kb ingest", cfg.store_path)
    if blocked:
        return _err(blocked)
    store = CorpusStore(cfg.store_path)
    try:
        summary = ingest(
            root,
            store,
            max_bytes=int(cfg.ingest.max_file_mb * 1024 * 1024),
            show_progress=not args.quiet,
            replace=args.replace,
            follow_links=args.follow_links,
        )
    except WouldReplaceCorpus as e:
        return _err(f"{e}（未作任何更改）")
    finally:
        store.close()
    _print(*summary.lines())
    return EXIT_OK


def cmd_index(cfg: Config, args: argparse.Namespace) -> int:
    from indexer.build import BuildError
    from indexer.builds import builds_dir, index_root
    from indexer.embedders import create_embedder
    from kb import indexing
    from kb.store.corpus import CorpusStore

    if not cfg.store_path.is_file():
        return _err(f"语料库 {cfg.store_path} 不存在：请先运行 `kb ingest corpus/`")
    index_dir = index_root(cfg.data_path)
    blocked = _unwritable(
        "kb index",
        index_dir / "CURRENT",
        index_dir / "build.lock",
        builds_dir(cfg.data_path) / "new-build",
        cfg.data_path / "cache" / "embeddings.sqlite",
    )
    if blocked:
        return _err(blocked)
    store = CorpusStore(cfg.store_path, readonly=True)
    try:
        embedder = create_embedder(cfg.embedder)
        result = indexing.build(
            cfg,
            store,
            embedder,
            show_progress=not args.quiet,
            force=args.force,
            lexical_only=args.lexical_only,
        )
    except BuildError as e:
        return _err(str(e))
    except KeyboardInterrupt:
        print(
            "索引构建已中断；当前索引保持可用（可用 `kb check` 确认），"
            "已算好的向量已缓存：再次运行 `kb index` 会从中断处继续。",
            file=sys.stderr,
        )
        return 130
    finally:
        store.close()
    _print(*result.lines())
    return EXIT_OK


def _search_params(args: argparse.Namespace) -> dict:
    params = {
        "q": args.query,
        "mode": args.mode,
        "limit": args.limit,
        "offset": args.offset,
        **{f.name: getattr(args, f.name) for f in fields.FIELDS},
        "concrete": "1" if args.concrete else None,
        "dedupe": "0" if args.no_dedupe else "1",
    }
    return {k: v for k, v in params.items() if v is not None}


def cmd_search(cfg: Config, args: argparse.Namespace) -> int:
    from kb.search import Searcher, SearchRequest
    from kb.search.searcher import INDEX_BEHIND

    req = SearchRequest.from_params(_search_params(args), default_mode=cfg.search.mode)
    searcher = Searcher(cfg)
    try:
        resp = searcher.search(req)
    finally:
        searcher.close()
    if resp.index_behind:
        print(f"注意：{INDEX_BEHIND}", file=sys.stderr)
    if args.json:
        # one line per hit; the passages shown when nothing is found are not hits
        for hit in resp.hits:
            print(json.dumps(hit.to_dict(), ensure_ascii=False))
        if not resp.hits and not resp.total:
            print(f"未找到与“{resp.query.text}”相关的段落。", file=sys.stderr)
        return EXIT_OK
    if not resp.hits and resp.total:
        _print(f"第 {req.offset + 1} 条之后没有结果了：“{resp.query.text}”共 {resp.total} 条结果。")
        return EXIT_OK
    if not resp.hits:
        _print(f"未找到与“{resp.query.text}”相关的段落。可以换个说法，或放宽筛选条件。")
        if resp.related:
            _print("", "语义相近的段落（不含检索词，仅供参考）：")
            _print_hits(resp.related)
        return EXIT_OK
    _print(
        f"“{resp.query.text}”：共 {resp.total} 条结果（{resp.request.mode}，{resp.took_ms:.0f} 毫秒）"
    )
    _print_hits(resp.hits)
    return EXIT_OK


def _print_hits(hits: list) -> None:
    from kb.render.citation import org_label

    for hit in hits:
        d = hit.to_dict()
        head = [
            org_label(d),
            str(d["year"] or "年度不详"),
            " ".join(filter(None, [d["province"], d["city"], d["county"]])),
            f"【{d['section_kind']}】",
        ]
        _print(
            "",
            f"[{d['rank']}] {' · '.join(filter(None, head))}",
            f"    {' > '.join(d['heading_path']) or '（前言）'}",
            f"    {_marked(d['text'], hit.highlights)}" + ("…（节选）" if d["truncated"] else ""),
            f"    —— {d['report']} 第 {d['start']}–{d['end']} 字"
            + (f"，另有 {len(d['duplicates'])} 处相近表述" if d["duplicates"] else ""),
        )


def _marked(text: str, spans: list[tuple[int, int]], width: int = 160) -> str:
    """The passage with 【】 around highlighted words, trimmed around the first highlight."""
    out, pos = [], 0
    for s, e in spans:
        out += [text[pos:s], "【", text[s:e], "】"]
        pos = e
    out.append(text[pos:])
    marked = "".join(out).replace("\n", " ")
    first = marked.find("【")
    start = max(0, first - 40) if first > width - 40 else 0
    snippet = marked[start : start + width]
    return ("…" if start else "") + snippet + ("…" if start + width < len(marked) else "")


def _engine_info(manifest: dict | None) -> dict:
    """Which engine serves the current build, and for Milvus its collection and alias."""
    engine = (manifest or {}).get("engine") or {"name": "embedded"}
    keys = ("name", "collection", "alias", "uri", "lite", "dense_index")
    return {k: engine[k] for k in keys if k in engine}


def cmd_stats(cfg: Config, args: argparse.Namespace) -> int:
    from indexer.builds import current_build, read_manifest
    from kb.ingest.parse import PARSER_VERSION
    from kb.ingest.quality import (
        CONFIDENCE_LABELS,
        FIELD_LABELS,
        SOURCE_LABELS,
        coverage_line,
        weak_fields,
    )
    from kb.store.corpus import CorpusStore

    if not cfg.store_path.is_file():
        return _err(f"语料库 {cfg.store_path} 不存在：请先运行 `kb ingest corpus/`")
    store = CorpusStore(cfg.store_path, readonly=True)
    try:
        rows = store.report_rows()
        metas = {rid: meta for rid, _src, meta in store.report_metas()}
        kinds = store.section_kind_counts()
        total = store.passage_count()
        per_report = store.passage_counts()
        parser_version = store.get_meta("parser_version")
    finally:
        store.close()
    build = current_build(cfg.data_path)
    manifest = read_manifest(build) if build and (build / "manifest.json").is_file() else None
    stale = bool(rows) and parser_version != PARSER_VERSION
    # who wrote what, the report-level search fields (with the registry's labels), then the
    # rest of what a citation needs
    labels = {"title": "标题", "org": "发文机关"}
    labels |= {f.column: f.label for f in fields.FIELDS if f.of == "report"}
    for key, label in (("pub_date", "发布日期"), ("doc_number", "文号"), ("source_url", "来源")):
        labels.setdefault(key, label)
    reports = []
    for r in rows:
        meta = metas[r["id"]]
        unknown, low = weak_fields(meta)
        reports.append(
            {
                "report": r["source"],
                "passages": per_report.get(r["id"], 0),
                **{k: r[k] for k in labels},
                "provenance": meta.provenance,
                "confidence": meta.confidence,
                "unknown": unknown,
                "low_confidence": low,
                "warnings": json.loads(r["warnings_json"]),
            }
        )
    review = [r for r in reports if r["unknown"] or r["low_confidence"]]
    if args.json:
        print(
            json.dumps(
                {
                    "reports": len(rows),
                    "passages": total,
                    "section_kinds": kinds,
                    "index": manifest,
                    "engine": _engine_info(manifest),
                    "parser_version": parser_version,
                    "parser_outdated": stale,
                    "needs_review": [r["report"] for r in review],
                    "per_report": reports,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    _print(f"报告 {len(rows)} 份，段落 {total} 个。", "按章节类型：")
    for kind in SECTION_KINDS:
        _print(f"  {kind}：{kinds.get(kind, 0)}")
    if manifest:
        _print(
            f"索引版本 {manifest['build_id']}（{manifest['passage_count']} 个段落，向量模型 {manifest['embedder']['id']}）"
        )
        engine = _engine_info(manifest)
        where = (
            f"集合 {engine['collection']}，别名 {engine['alias']}，"
            + (f"Milvus Lite 文件 {engine['uri']}" if engine["lite"] else "Milvus 服务器")
            if engine["name"] == "milvus"
            else "Whoosh + FAISS，索引文件在数据目录中"
        )
        _print(f"检索引擎：{engine['name']}（{where}）")
    else:
        _print("尚未建立索引：运行 `kb index`。")
    if stale:
        _print(
            f"注意：语料库由旧版解析器（{parser_version or '1'}）导入，元数据来源与段落划分已更新；"
            "请运行 `kb ingest` 重新解析，再运行 `kb index`。"
        )
    if rows:
        _print(coverage_line(metas.values()))

    def named(keys: list[str]) -> str:
        return "、".join(FIELD_LABELS.get(k, k) for k in keys)

    if review:
        _print(
            "",
            f"需要核对的报告（{len(review)} 份：引用所需字段未识别或可信度低；"
            "可在报告旁放一个 NAME.EXT.meta.json 元数据文件补正）：",
        )
        for r in review:
            parts = [f"未识别 {named(r['unknown'])}"] if r["unknown"] else []
            parts += [
                f"{FIELD_LABELS.get(k, k)}（{SOURCE_LABELS.get(r['provenance'].get(k, ''), '?')}，"
                f"可信度低）：{r[k]}"
                for k in r["low_confidence"]
            ]
            _print(f"  {r['report']}：{'；'.join(parts)}")
    for r in reports:
        _print("", f"■ {r['report']}（{r['passages']} 个段落）")
        for key, label in labels.items():
            value = r[key] if r[key] not in (None, "") else "—"
            source = r["provenance"].get(key)
            note = ""
            if source and value != "—":
                note = f"（{SOURCE_LABELS.get(source, source)}"
                conf = r["confidence"].get(key)
                note += (
                    f"，可信度{CONFIDENCE_LABELS[conf]}）" if conf in CONFIDENCE_LABELS else "）"
                )
            _print(f"    {label}：{value}{note}")
        for w in r["warnings"]:
            _print(f"    注意：{w}")
    return EXIT_OK


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    from kb import indexing

    checks = indexing.check(cfg)
    for c in checks:
        _print(f"{'✓' if c.ok else '✗'} {c.message}")
    ok = all(c.ok for c in checks)
    _print("检查通过：语料库与两个索引一致。" if ok else "检查未通过。")
    return EXIT_OK if ok else EXIT_ERROR


def cmd_check_draft(cfg: Config, args: argparse.Namespace) -> int:
    """对照检查 of a draft file: peers per paragraph, gaps, boilerplate marks; the draft is read
    into memory and nothing of it is written anywhere but the requested exports."""
    from kb.draftcheck.cli import run_check_draft

    return run_check_draft(cfg, args)


def cmd_eval(cfg: Config, args: argparse.Namespace) -> int:
    """Score the search API against judged queries, per mode and per query tag."""
    from kb.core.progress import bar
    from kb.search import Searcher
    from kb.tools.eval import (
        BASELINE,
        MODES,
        EvalError,
        aggregate,
        by_split,
        check_coverage,
        evaluate,
        load_qrels,
        load_queries,
        markdown_table,
        text_table,
        write_per_query,
    )

    if args.k < 1:
        return _err(f"参数 --k：应为正整数，而不是 {args.k}")
    try:
        queries = load_queries(args.queries)
        qrels = load_qrels(args.qrels)
    except EvalError as e:
        return _err(str(e))
    modes = (*MODES, BASELINE) if args.mode == "all" else (args.mode,)
    searcher = Searcher(cfg)
    try:
        sources = [r["source"] for r in searcher.store.report_rows()]
        for warning in check_coverage(queries, qrels, sources):
            print(f"注意：{warning}", file=sys.stderr)
        judged = {j.qid for j in qrels}
        progress = bar(
            sum(q.qid in judged for q in queries), "评测查询", "个", enable=not args.quiet
        )
        try:
            results = evaluate(searcher, queries, qrels, modes, args.k, on_query=progress.update)
        finally:
            progress.close()
    finally:
        searcher.close()
    if not results:
        return _err("没有可评测的查询：查询文件与标注文件的 qid 没有交集")
    n_queries = len({r.query.qid for r in results})
    _print(f"评测：{n_queries} 个查询，{len(qrels)} 条标注，k={args.k}，方式：{'、'.join(modes)}")
    # Each half of the development set on its own (ranking is tuned on one half only),
    # or every query together.
    parts = by_split(results) if args.split == "halves" else {"all": results}
    titles = {"tune": "调参半集（tune）", "heldout": "留出半集（held-out）", "all": "全部查询"}
    md = []
    for name, part in parts.items():
        if not part:
            continue
        rows = aggregate(part)
        count = len({r.query.qid for r in part})
        _print("", f"{titles[name]}：{count} 个查询", *text_table(rows, args.k))
        md += [f"**{name}** ({count} queries)", "", markdown_table(rows, args.k), ""]
    try:
        if args.out:
            write_per_query(args.out, results)
            _print(f"逐条结果已写入 {args.out}")
        if args.markdown:
            path = Path(args.markdown)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(md), encoding="utf-8")
            _print(f"结果表已写入 {path}")
    except OSError as e:
        return _err(f"无法写入结果文件（{e}）")
    return EXIT_OK


def cmd_serve(cfg: Config, args: argparse.Namespace) -> int:
    from web.serve import serve

    return serve(cfg, host=args.host or cfg.server.host, port=args.port or cfg.server.port)


def _read_password(args: argparse.Namespace) -> str:
    """The new password: the first line of stdin (``--password-stdin``, for scripts), else
    typed twice at a prompt that does not echo it. Never printed or logged."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(f"{args.name} 的密码：")
    if getpass.getpass("再输入一次：") != first:
        raise ValueError("两次输入的密码不一致")
    return first


def cmd_user(cfg: Config, args: argparse.Namespace) -> int:
    """Accounts of the access model: add, passwd, remove, list, adopt."""
    from kb.store.collections import CollectionStore
    from kb.store.collections import default_path as collections_path
    from kb.store.users import UserError, UserStore

    users = UserStore(cfg.users_path)
    try:
        if args.action == "list":
            rows = users.list_users()
            owned = _collections_per_owner(cfg)
            for name, created in rows:
                _print(f"{name}  建于 {created.replace('T', ' ')}  案例集 {owned.get(name, 0)} 个")
            _print(
                f"共 {len(rows)} 个用户。" if rows else "还没有用户：用 kb user add 用户名 添加。"
            )
            return EXIT_OK
        if args.action == "add":
            name = users.add(args.name, _read_password(args))
            _print(f"已添加用户 {name}。")
            if cfg.access.mode != "accounts":
                _print('注意：登录只在配置 [access] mode = "accounts" 时启用（现为 '
                       f"{cfg.access.mode}）。")  # fmt: skip
            return EXIT_OK
        name = users.canonical(args.name)
        if name is None:
            return _err(f"没有用户 {args.name}（kb user list 列出所有用户）")
        if args.action == "passwd":
            users.set_password(name, _read_password(args))
            _print(f"已更改 {name} 的密码；其所有已登录的会话随即失效。")
        elif args.action == "remove":
            users.remove(name)
            kept = _collections_per_owner(cfg).get(name, 0)
            _print(
                f"已删除用户 {name}。其 {kept} 个案例集保留，仍归 {name}：再添加同名用户即可找回。"
            )
        elif args.action == "adopt":
            if not collections_path(cfg.data_path).is_file():
                _print("还没有任何案例集，无需移交。")
                return EXIT_OK
            store = CollectionStore(collections_path(cfg.data_path))
            try:
                moved, clashes = store.adopt(name)
            finally:
                store.close()
            _print(f"已把 {moved} 个无归属的案例集交给 {name}。")
            for clash in clashes:
                _print(f"  未移交「{clash}」：{name} 已有同名案例集，请先改名。")
    except UserError as e:
        return _err(e.message)
    except ValueError as e:  # the two passwords typed differ
        return _err(str(e))
    finally:
        users.close()
    return EXIT_OK


def _collections_per_owner(cfg: Config) -> dict[str, int]:
    from kb.store.collections import CollectionStore, default_path

    path = default_path(cfg.data_path)
    if not path.is_file():
        return {}
    store = CollectionStore(path)
    try:
        counts: dict[str, int] = {}
        for col in store.list_collections():
            counts[col.owner] = counts.get(col.owner, 0) + 1
        return counts
    finally:
        store.close()


# -- parser --------------------------------------------------------------------------------


# argparse's own messages, in the users' language (the rest of the text is kept as is).
_ARGPARSE_MESSAGES = [
    (r"the following arguments are required: (.*)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (
        r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)",
        r"参数 \1：无效的取值 \2（可选：\3）",
    ),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个值"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"参数 \1：\3 不是有效的 \2 值"),
]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are in Chinese and point at -h."""

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, chinese in _ARGPARSE_MESSAGES:
            message = re.sub(pattern, chinese, message)
        hint = ""
        if self.prog.endswith("search") and re.search(r"参数：(query|-[^-\s])", message):
            hint = '；以 - 开头的检索式（排除词）请放在 -- 之后，选项放在前面：kb search --limit 5 -- "-排除词 检索词"'
        self.exit(2, f"错误：{message}{hint}（用 {self.prog} -h 查看用法）\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kb", description="法治政府建设年度报告知识库")
    p.add_argument("--config", help="配置文件（TOML），默认 ./kb.toml 或 $KB_CONFIG")
    p.add_argument("--data-dir", help="数据目录（语料库与索引），默认 kbdata")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="读取报告目录，更新语料库")
    s.add_argument("directory", nargs="?", default="corpus")
    s.add_argument("-q", "--quiet", action="store_true", help="不显示进度条")
    s.add_argument(
        "--replace", action="store_true", help="允许用一个与语料库毫无重合的目录替换整个语料库"
    )
    s.add_argument(
        "--follow-links",
        action="store_true",
        help="跟随指向语料目录之外的链接和指向文件夹的链接（默认不跟随）",
    )
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("index", help="构建或更新关键词索引和向量索引")
    s.add_argument("--force", action="store_true", help="即使语料未变化也重建")
    s.add_argument(
        "--lexical-only",
        action="store_true",
        help="只构建关键词索引（已缓存的向量一并发布），不计算新向量；之后运行 `kb index` 补齐",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="不显示进度条")
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("search", help="检索段落")
    s.add_argument("query")
    # Validated by SearchRequest.from_params, not argparse, so a bad value gets the Chinese
    # message naming the parameter and exit status 1 like every other error.
    s.add_argument("--mode", help="检索方式：hybrid（默认）、lexical 或 semantic")
    for f in fields.FIELDS:  # repeatable (--province 湖南 --province 广东: either one)
        several = f.match != "year"
        s.add_argument(
            f"--{f.name}",
            action="append" if several else "store",
            help=(f.help or f.label) + ("（可重复，取其一即可）" if several else ""),
        )
    s.add_argument("--concrete", action="store_true", help="只看具体做法（过滤套话较多的段落）")
    s.add_argument("--limit", default="10", help="每页条数（1–100）")
    s.add_argument("--offset", default="0", help="跳过前若干条（翻页）")
    s.add_argument("--no-dedupe", action="store_true", help="不合并相近表述")
    s.add_argument("--json", action="store_true", help="每条结果输出一行 JSON")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("serve", help="启动检索网页")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("user", help='管理登录账号（[access] mode = "accounts" 时使用）')
    actions = s.add_subparsers(dest="action", required=True)
    for action, text in (
        ("add", "添加用户（提示输入密码两次）"),
        ("passwd", "更改密码（其已登录的会话随即失效）"),
        ("remove", "删除用户（其案例集保留）"),
        ("adopt", "把启用登录之前建立的、无归属的案例集交给该用户"),
    ):
        a = actions.add_parser(action, help=text)
        a.add_argument("name", help="用户名")
        if action in ("add", "passwd"):
            a.add_argument(
                "--password-stdin",
                action="store_true",
                help="从标准输入的第一行读取密码（供脚本使用）",
            )
    actions.add_parser("list", help="列出用户及其案例集数量")
    s.set_defaults(func=cmd_user)

    s = sub.add_parser("stats", help="语料库统计与每份报告的元数据")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("check", help="检查语料库与索引是否一致")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("check-draft", help="对照检查：草稿各段与同类报告的写法对照，列出缺项和套话")
    s.add_argument("file", help="草稿文件（.txt 或 .docx）")
    s.add_argument("--dept", help="部门类别，如 应急管理（默认从草稿推断）")
    s.add_argument("--level", help="行政层级：省、市、县、区、乡镇（默认从草稿推断）")
    s.add_argument("--year", type=int, help="年度（默认从草稿推断）")
    s.add_argument("--section", choices=SECTION_KINDS, help="草稿各段都按此章节类型对照")
    s.add_argument("--embed", action="store_true", help="逐段语义嵌入：同类写法更准，长草稿慢得多")
    s.add_argument("--json", action="store_true", help="输出 JSON")
    s.add_argument("--md", metavar="OUT", help="结果另存为 Markdown")
    s.add_argument("--docx", metavar="OUT", help="结果另存为 Word 文档")
    s.set_defaults(func=cmd_check_draft)

    s = sub.add_parser("eval", help="用标注的查询评测检索质量（nDCG、召回率、MRR）")
    s.add_argument(
        "--queries", required=True, help="查询文件（JSON Lines：qid、query、tags、filters）"
    )
    s.add_argument("--qrels", required=True, help="标注文件（JSON Lines：qid、doc、anchor、grade）")
    s.add_argument(
        "--mode",
        choices=["all", "hybrid", "lexical", "semantic", "bm25"],
        default="all",
        help="all = 三种检索方式加上朴素 BM25 基线（bm25）",
    )
    s.add_argument(
        "--split",
        choices=["halves", "all"],
        default="halves",
        help="halves（默认）：调参半集与留出半集分别成表；all：全部查询一张表",
    )
    s.add_argument("--k", type=int, default=10, help="评测前 k 条结果，默认 10")
    s.add_argument("--out", help="逐条结果写入此文件（.tsv 或 .jsonl）")
    s.add_argument("--markdown", help="结果表（Markdown）写入此文件")
    s.add_argument("-q", "--quiet", action="store_true", help="不显示进度条")
    s.set_defaults(func=cmd_eval)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        return _err(str(e))
    if args.data_dir:
        cfg.data_dir = args.data_dir
    _terminate_gracefully()
    from indexer.bundle import EmbedderMismatch, IndexMissing
    from kb.search import FilterError, RequestError
    from kb.store.sqlite import NotReadable, NotWritable

    try:
        return args.func(cfg, args)
    except (IndexMissing, EmbedderMismatch, FilterError, RequestError, ConfigError) as e:
        return _err(str(e))
    except (NotWritable, NotReadable) as e:
        return _err(str(e))
    except PermissionError as e:
        # The checks above name the usual paths; this names any other one, without a traceback.
        return _err(f"没有权限访问 {e.filename}（{e.strerror}）")
    except BrokenPipeError:
        # `kb search … | head`: the reader has what it wanted; stop quietly (no traceback
        # from the interpreter flushing stdout on exit either).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
