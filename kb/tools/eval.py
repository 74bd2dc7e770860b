"""Relevance evaluation: judged queries in, nDCG@k / Recall@k / MRR@k per mode and per tag out.

Judgments name a *stretch of report text* (an anchor), not a passage id, so the same set keeps
working when we change how reports are cut into passages. Scoring rules:

* texts are compared after NFKC normalisation with all whitespace removed;
* a retrieved passage covers an anchor if it comes from the anchor's report (compared by bare
  file name) and contains the anchor — in its text or in one of its headings, which every hit
  shows (see :class:`Retrieved`);
* each anchor is credited once, to the first result that covers it; a result's gain is the
  highest grade among the anchors it newly covers (so a long passage covering three anchors
  earns one gain, not three, and cannot beat three precise passages);
* the ideal DCG ranks all anchors' grades, best first; Recall@k = covered anchors / anchors;
  MRR@k = 1 / rank of the first result with a positive gain. The same anchor judged twice for
  a query counts once, with its higher grade; grade 0 means judged not relevant.

A result is one line of the result list as users see it: a passage plus the near-identical
passages grouped under it (kb groups the same sentence reposted by several bureaus). The group
covers what any of its members covers, at the leader's rank; the mean passage length is the
leader's, so a system cannot buy recall with long passages without it showing.

Loading and scoring are pure functions; :func:`evaluate` runs a :class:`~kb.search.Searcher`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.search import Searcher, SearchResponse

MODES = ("lexical", "semantic", "hybrid")
BASELINE = "bm25"  # the plain BM25 baseline (kb.tools.baseline), reported next to the modes
ALL = "全部"  # the aggregate row over every query
# The development set is split in two halves, fixed by a hash of the query id: ranking is
# tuned on "tune" only, and "heldout" says whether a change generalises.
SPLITS = ("tune", "heldout")
_WS = re.compile(r"\s+")


class EvalError(ValueError):
    """A bad queries/judgments file; the message (Chinese) names the file and line."""


def split_of(qid: str) -> str:
    """Which half of the development set a query belongs to (stable, by SHA-1 of its id)."""
    return SPLITS[int(hashlib.sha1(qid.encode()).hexdigest(), 16) % 2]


def norm(text: str) -> str:
    """The scoring normal form: NFKC, then every whitespace character removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


# -- files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalQuery:
    qid: str
    query: str
    tags: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Judgment:
    qid: str
    doc: str  # bare source file name of the report
    anchor: str  # verbatim stretch of the report text
    grade: int


def _jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    """(line number, object) for every non-blank line; errors name the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalError(f"{path}：文件不存在") from None
    except (OSError, UnicodeDecodeError) as e:
        raise EvalError(f"{path}：无法读取（{e}）") from None
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise EvalError(f"{path} 第 {i} 行：不是有效的 JSON（{e.msg}）") from None
        if not isinstance(obj, dict):
            raise EvalError(f"{path} 第 {i} 行：应为一个 JSON 对象")
        yield i, obj


def _text_field(obj: dict, name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EvalError(f"{where}：缺少字段 {name!r}，或它不是非空字符串")
    return value


def load_queries(path: str | Path) -> list[EvalQuery]:
    """Read queries: ``{"qid", "query", "tags"?, "filters"?}`` per line.

    Filters are checked here with the search API's own parser, so a typo in a filter name's
    value fails before an hour of evaluation, naming the line.
    """
    from kb.search.filters import FilterError, Filters, filter_names

    out: list[EvalQuery] = []
    seen: dict[str, int] = {}
    for i, obj in _jsonl(Path(path)):
        where = f"{path} 第 {i} 行"
        qid = _text_field(obj, "qid", where)
        if qid in seen:
            raise EvalError(f"{where}：查询编号 {qid!r} 与第 {seen[qid]} 行重复")
        seen[qid] = i
        tags = obj.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise EvalError(f"{where}：tags 应为字符串列表")
        filters = obj.get("filters") or {}
        if not isinstance(filters, dict):
            raise EvalError(f"{where}：filters 应为一个 JSON 对象")
        unknown = sorted(set(filters) - set(filter_names()))
        if unknown:
            raise EvalError(
                f"{where}：未知的筛选条件 {unknown[0]!r}（可选：{'、'.join(filter_names())}）"
            )
        try:
            Filters.from_params(filters)
        except FilterError as e:
            raise EvalError(f"{where}：{e}") from None
        out.append(EvalQuery(qid, _text_field(obj, "query", where), tuple(tags), filters))
    if not out:
        raise EvalError(f"{path}：没有任何查询")
    return out


def load_qrels(path: str | Path) -> list[Judgment]:
    """Read judgments: ``{"qid", "doc", "anchor", "grade"}`` per line (grade a positive int)."""
    out: list[Judgment] = []
    for i, obj in _jsonl(Path(path)):
        where = f"{path} 第 {i} 行"
        qid = _text_field(obj, "qid", where)
        doc = _text_field(obj, "doc", where)
        anchor = _text_field(obj, "anchor", where)
        grade = obj.get("grade")
        if isinstance(grade, bool) or not isinstance(grade, int) or grade < 0:
            raise EvalError(f"{where}：grade 应为非负整数，而不是 {grade!r}")
        if not norm(anchor):
            raise EvalError(f"{where}：anchor 去掉空白后为空")
        out.append(Judgment(qid, Path(doc).name, anchor, grade))
    if not out:
        raise EvalError(f"{path}：没有任何标注")
    return out


# -- scoring one ranked list -----------------------------------------------------------------


@dataclass(frozen=True)
class Retrieved:
    """One line of a result list: the shown passage and the near-duplicates grouped under it.

    ``headings`` is the passage's heading path, shown with every hit: a judge may anchor on a
    heading line ("纵深推进“无证明城市”创建工作") when it is the sentence that says the thing,
    and no passage body contains a heading. Anchors never cross a heading, so each heading is
    matched on its own and never glued to the body.
    """

    doc: str
    text: str
    headings: tuple[str, ...] = ()
    also: tuple[Retrieved, ...] = ()  # grouped near-duplicates

    def members(self) -> Iterable[Retrieved]:
        yield self
        for dup in self.also:
            yield from dup.members()


@dataclass
class QueryScore:
    ndcg: float
    recall: float
    mrr: float
    covered: int  # anchors covered within the top k
    anchors: int
    gains: list[int]  # gain of each of the top-k results
    mean_chars: float  # mean length of the top-k passages shown (0 when nothing was returned)


def _anchors(judgments: Iterable[Judgment]) -> dict[tuple[str, str], int]:
    """(doc, normalised anchor) → grade; a repeated anchor keeps its highest grade."""
    out: dict[tuple[str, str], int] = {}
    for j in judgments:
        if j.grade <= 0:
            continue  # judged not relevant: neither a gain nor part of the ideal
        key = (Path(j.doc).name, norm(j.anchor))
        out[key] = max(out.get(key, 0), j.grade)
    return out


def dcg(gains: Sequence[float]) -> float:
    """Σ gain_i / log2(i + 1) over ranks i = 1, 2, …"""
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))


def score_ranking(ranked: Sequence[Retrieved], judgments: Iterable[Judgment], k: int) -> QueryScore:
    """Score the top k of one ranked list against one query's judgments (see module doc)."""
    anchors = _anchors(judgments)
    by_doc: dict[str, list[tuple[str, int]]] = {}
    for (doc, text), grade in anchors.items():
        by_doc.setdefault(doc, []).append((text, grade))
    credited: set[tuple[str, str]] = set()
    gains: list[int] = []
    first = 0
    for rank, item in enumerate(ranked[:k], start=1):
        gain = 0
        for member in item.members():
            doc = Path(member.doc).name
            candidates = by_doc.get(doc)
            if not candidates:
                continue
            texts = [norm(t) for t in (member.text, *member.headings)]
            for anchor, grade in candidates:
                if (doc, anchor) not in credited and any(anchor in t for t in texts):
                    credited.add((doc, anchor))
                    gain = max(gain, grade)
        gains.append(gain)
        if gain and not first:
            first = rank
    ideal = dcg(sorted(anchors.values(), reverse=True)[:k])
    shown = [len(item.text) for item in ranked[:k]]
    return QueryScore(
        ndcg=dcg(gains) / ideal if ideal else 0.0,
        recall=len(credited) / len(anchors) if anchors else 0.0,
        mrr=1.0 / first if first else 0.0,
        covered=len(credited),
        anchors=len(anchors),
        gains=gains,
        mean_chars=sum(shown) / len(shown) if shown else 0.0,
    )


# -- aggregation ---------------------------------------------------------------------------


@dataclass
class Row:
    """Mean metrics of one mode over a group of queries (all, or those with one tag)."""

    mode: str
    group: str
    queries: int
    ndcg: float
    recall: float
    mrr: float
    mean_chars: float


@dataclass
class QueryResult:
    mode: str
    query: EvalQuery
    score: QueryScore


def by_split(results: Sequence[QueryResult]) -> dict[str, list[QueryResult]]:
    """The results of each half of the development set (see :func:`split_of`)."""
    return {s: [r for r in results if split_of(r.query.qid) == s] for s in SPLITS}


def aggregate(results: Sequence[QueryResult]) -> list[Row]:
    """One row per mode over all queries, then one per (mode, tag); modes in input order.

    Every query weighs the same, whatever its number of anchors. The mean passage length is
    averaged over queries that returned something.
    """
    modes = list(dict.fromkeys(r.mode for r in results))
    tags = sorted({t for r in results for t in r.query.tags})
    rows = []
    for mode in modes:
        mine = [r for r in results if r.mode == mode]
        for group in (ALL, *tags):
            sel = [r for r in mine if group == ALL or group in r.query.tags]
            if not sel:
                continue
            lens = [r.score.mean_chars for r in sel if r.score.gains]
            rows.append(
                Row(
                    mode=mode,
                    group=group,
                    queries=len(sel),
                    ndcg=sum(r.score.ndcg for r in sel) / len(sel),
                    recall=sum(r.score.recall for r in sel) / len(sel),
                    mrr=sum(r.score.mrr for r in sel) / len(sel),
                    mean_chars=sum(lens) / len(lens) if lens else 0.0,
                )
            )
    return rows


def markdown_table(rows: Sequence[Row], k: int) -> str:
    """Per tag, one line per mode: the table that goes into docs/eval.md and the README."""
    groups = list(dict.fromkeys(r.group for r in rows))
    lines = [
        f"| tag | mode | queries | nDCG@{k} | Recall@{k} | MRR@{k} | mean passage chars |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for group in groups:
        for r in (r for r in rows if r.group == group):
            label = "**all**" if group == ALL else group
            lines.append(
                f"| {label} | {r.mode} | {r.queries} | {r.ndcg:.3f} | {r.recall:.3f} "
                f"| {r.mrr:.3f} | {r.mean_chars:.0f} |"
            )
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal, counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def text_table(rows: Sequence[Row], k: int) -> list[str]:
    """The same table as plain aligned text for the terminal."""
    metrics = (f"nDCG@{k}", f"Recall@{k}", f"MRR@{k}")
    head = _pad("标签", 12) + _pad("方式", 10) + _pad("查询数", 8)
    out = [head + "".join(f"{m:>11}" for m in metrics) + "  " + "平均段长"]
    for r in rows:
        line = _pad(r.group, 12) + _pad(r.mode, 10) + f"{r.queries:>6}  "
        line += f"{r.ndcg:>11.3f}{r.recall:>11.3f}{r.mrr:>11.3f}{r.mean_chars:>10.0f}"
        out.append(line)
    return out


PER_QUERY_COLUMNS = (
    "qid",
    "mode",
    "tags",
    "query",
    "ndcg",
    "recall",
    "mrr",
    "covered",
    "anchors",
    "gains",
    "mean_chars",
)


def per_query_records(results: Sequence[QueryResult]) -> list[dict[str, Any]]:
    """One flat record per (query, mode), for --out (TSV or JSON lines)."""
    return [
        {
            "qid": r.query.qid,
            "mode": r.mode,
            "tags": ",".join(r.query.tags),
            "query": r.query.query,
            "ndcg": round(r.score.ndcg, 4),
            "recall": round(r.score.recall, 4),
            "mrr": round(r.score.mrr, 4),
            "covered": r.score.covered,
            "anchors": r.score.anchors,
            "gains": " ".join(map(str, r.score.gains)),
            "mean_chars": round(r.score.mean_chars, 1),
        }
        for r in results
    ]


def write_per_query(path: str | Path, results: Sequence[QueryResult]) -> None:
    """Write the per-query table; the format follows the extension (.jsonl/.json or TSV)."""
    path = Path(path)
    records = per_query_records(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".jsonl", ".json"):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        lines = ["\t".join(PER_QUERY_COLUMNS)]
        for r in records:
            lines.append("\t".join(re.sub(r"\s", " ", str(r[c])) for c in PER_QUERY_COLUMNS))
        text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


# -- running the searcher ------------------------------------------------------------------


def ranked_results(searcher: Searcher, query: EvalQuery, mode: str, k: int) -> list[Retrieved]:
    """The top k result lines for one query, exactly as the search API returns them."""
    from kb.search import SearchRequest

    params = {**query.filters, "q": query.query, "mode": mode, "limit": k}
    return as_retrieved(searcher, searcher.search(SearchRequest.from_params(params)))


def as_retrieved(searcher: Searcher, response: SearchResponse) -> list[Retrieved]:
    """Result lines of a response, with the text of the near-duplicates grouped under each."""
    dup_ids = [d["passage_id"] for h in response.hits for d in h.duplicates]
    dups = searcher.store.get_passages(dup_ids) if dup_ids else {}
    out = []
    for h in response.hits:
        also = tuple(
            Retrieved(d["report"], p.text, tuple(p.heading_path))
            for d in h.duplicates
            if (p := dups.get(d["passage_id"])) is not None
        )
        out.append(Retrieved(h.source, h.passage.text, tuple(h.passage.heading_path), also))
    return out


def evaluate(
    searcher: Searcher,
    queries: Sequence[EvalQuery],
    qrels: Sequence[Judgment],
    modes: Sequence[str] = MODES,
    k: int = 10,
    on_query: Callable[[], None] | None = None,
) -> list[QueryResult]:
    """Run every judged query in every mode; queries without judgments are skipped.

    The mode ``bm25`` is the plain baseline (:mod:`kb.tools.baseline`), built over the
    searcher's corpus store.
    """
    from kb.search.filters import Filters

    baseline = None
    if BASELINE in modes:
        from kb.tools.baseline import PlainBM25

        baseline = PlainBM25(searcher.store)
    by_qid: dict[str, list[Judgment]] = {}
    for j in qrels:
        by_qid.setdefault(j.qid, []).append(j)
    results = []
    for q in queries:
        judged = by_qid.get(q.qid)
        if not judged or not _anchors(judged):
            continue
        for mode in modes:
            if mode == BASELINE:
                assert baseline is not None
                ranked = baseline.search(q.query, Filters.from_params(q.filters), k)
            else:
                ranked = ranked_results(searcher, q, mode, k)
            results.append(QueryResult(mode, q, score_ranking(ranked, judged, k)))
        if on_query:
            on_query()
    return results


def restrict_to_docs(qrels: Iterable[Judgment], docs: Iterable[str]) -> list[Judgment]:
    """Only the judgments on these reports (bare file names).

    For evaluating on part of a corpus (CI indexes the five seeds only): anchors in reports
    that are not indexed could never be found and would only lower every mode alike.
    """
    keep = {Path(d).name for d in docs}
    return [j for j in qrels if j.doc in keep]


def check_coverage(
    queries: Sequence[EvalQuery], qrels: Sequence[Judgment], sources: Iterable[str]
) -> list[str]:
    """Warnings (Chinese) about judgments the evaluation cannot credit as configured."""
    qids = {q.qid for q in queries}
    known = {Path(s).name for s in sources}
    warnings = []
    orphan = sorted({j.qid for j in qrels} - qids)
    if orphan:
        warnings.append(f"{len(orphan)} 个标注的查询编号不在查询文件中（如 {orphan[0]}），已忽略")
    unjudged = [q.qid for q in queries if q.qid not in {j.qid for j in qrels}]
    if unjudged:
        warnings.append(f"{len(unjudged)} 个查询没有标注（如 {unjudged[0]}），不计入结果")
    missing = sorted({j.doc for j in qrels if j.qid in qids} - known)
    if missing:
        warnings.append(
            f"{len(missing)} 份被标注的报告不在索引中（如 {missing[0]}），其标注无法命中"
        )
    return warnings
