"""What peers report that the draft does not: clusters of peer passages no paragraph covers.

For one section kind and the draft's department kind, the peer passages (the *pool*) are
grouped by spherical k-means on their embeddings, one cluster per ``CLUSTER_SIZE`` passages,
so a cluster gathers passages about one measure. A cluster is named by its most distinctive
words (frequent in the cluster, rare in the pool: a class-based tf·idf, named practices of the
domain dictionary weighted up), and counts the peer reports that have a passage in it.

A draft **covers** a cluster when one of a paragraph's first ``COVER_NEIGHBOURS`` neighbours in
the pool (the hybrid neighbours that also give its peers) is in the cluster, or when the draft
uses the cluster's first two name words. (The embedder's similarities are compressed — a
paragraph's cosine to any cluster centre is 0.91–0.95, below the members' own — so an absolute
or centre-relative threshold cannot tell covered from missing; nearest neighbours can.) The clusters no paragraph covers
are the gaps, ranked by how many peer reports mention them; each comes with two example
passages from different reports. When the pool has fewer than ``MIN_POOL_REPORTS`` reports of
the draft's department kind, every department's passages of that section kind are used and
the result says so.

Clusters depend only on the corpus, so they are computed once per build and kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.draftcheck.corpus import PeerCorpus
from kb.ingest.regions import place_in
from kb.search import Searcher
from kb.search.query import squash

CLUSTER_SIZE = 4  # passages per cluster, on average (tuned: 3–6 on the tune half)
MAX_CLUSTERS = 60
MIN_POOL_REPORTS = 4
MIN_GAP_REPORTS = 2  # a measure one other report mentions is not "what peers report"
GAP_SHARE = 0.1  # ... nor one under a tenth of the pool's reports mention
COVER_NEIGHBOURS = 0  # tuned: 1–3 lowered gap recall on the tune half (README)
NAMED_WORDS, NAMED_OF = 2, 2
NAME_TERMS = 4
COMMON_SHARE = 0.4  # a word in more of the pool's passages than this names no measure
# Verbs and adverbs every measure is told with (加强 …, 结合 …): they name none.
_GENERIC = (
    "结合 推动 加强 开展 推进 组织 进一步 全面 持续 深入 落实 制定 建立 完善 提升 提高 强化 "
    "严格 认真 积极 不断 切实 扎实 确保 实现 做好 工作 相关 有关 各项 全年 今年 目前"
)
GENERIC_WORDS = frozenset(_GENERIC.split())
# Characters that make jieba's leftovers (由局, 对其): a name word holds none of them.
_FUNCTION_CHARS = frozenset("由的了在对将把按其之于及与和或并等被向从")
DOMAIN_WEIGHT = 1.5
ITERATIONS = 20


@dataclass
class Cluster:
    rows: list[int]  # members, closest to the centre first
    reports: list[str]  # distinct report ids of the members
    centre: np.ndarray  # unit vector
    cohesion: float  # median cosine of the members to the centre
    terms: list[str]


@dataclass
class Pool:
    kind: str
    dept: str | None  # the department kind used, None when widened to every department
    reports: int
    clusters: list[Cluster]
    cluster_of: dict[int, int]  # row → index of its cluster


def spherical_kmeans(x: np.ndarray, k: int, iterations: int = ITERATIONS) -> np.ndarray:
    """Cluster label of every row of ``x`` (unit vectors). Deterministic: farthest-first
    seeding from the row closest to the mean, then Lloyd iterations on cosine."""
    n = len(x)
    k = max(1, min(k, n))
    mean = x.mean(axis=0)
    seeds = [int(np.argmax(x @ mean))]
    best = x @ x[seeds[0]]
    for _ in range(1, k):
        nxt = int(np.argmin(best))
        seeds.append(nxt)
        best = np.maximum(best, x @ x[nxt])
    centres = x[seeds].copy()
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations):
        new = np.argmax(x @ centres.T, axis=1)
        if it and np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = x[labels == c]
            if len(members):
                v = members.sum(axis=0)
                centres[c] = v / max(np.linalg.norm(v), 1e-12)
    return labels


def _is_place(word: str) -> bool:
    """A place name (深圳市, 罗湖区) tells which bureau wrote a passage, not what it did."""
    return place_in(word) is not None


def _may_name(word: str) -> bool:
    """Whether a word may name a measure: not a number, a place, a generic verb or a scrap."""
    return not (
        word.isdigit()
        or word in GENERIC_WORDS
        or (len(word) == 2 and any(ch in _FUNCTION_CHARS for ch in word))
        or _is_place(word)
    )


def _names(
    searcher: Searcher, model: PeerCorpus, pool_rows: list[int], groups: list[list[int]]
) -> list[list[str]]:
    """The most distinctive words of each group against the whole pool."""
    words = model.words(searcher, pool_rows)
    pool_df: dict[str, int] = {}
    for r in pool_rows:
        for w in words[r]:
            pool_df[w] = pool_df.get(w, 0) + 1
    analyzer = searcher.bundle.lexical.analyzer
    n = len(pool_rows)
    out = []
    for group in groups:
        df: dict[str, int] = {}
        for r in group:
            for w in words[r]:
                df[w] = df.get(w, 0) + 1
        floor = 2 if len(group) >= 3 else 1
        scored = []
        for w, c in df.items():
            if c < floor or not _may_name(w) or pool_df[w] > COMMON_SHARE * n:
                continue
            weight = DOMAIN_WEIGHT if analyzer.is_term(w) else 1.0
            scored.append((weight * (c / len(group)) * math.log((n + 1) / (pool_df[w] + 1)), w))
        chosen: list[str] = []
        for _score, w in sorted(scored, reverse=True):
            if any(w in c or c in w for c in chosen):
                continue
            chosen.append(w)
            if len(chosen) == NAME_TERMS:
                break
        out.append(chosen)
    return out


def peer_pool(
    searcher: Searcher, model: PeerCorpus, kind: str, dept: str | None, hidden: frozenset[str]
) -> Pool:
    """The clustered pool of one section kind (and department kind), cached per build."""
    key = (kind, dept, hidden)
    cached = model.clusters.get(key)
    if isinstance(cached, Pool):
        return cached
    allowed = model.mask("section_kind", kind)
    for rid in hidden:
        allowed &= ~model.mask("report_id", rid)
    pool, used = allowed, None
    if dept:
        same = allowed & model.mask("dept_kind", dept)
        codes = model.rows.codes["report_id"]
        if len(np.unique(codes[same])) >= MIN_POOL_REPORTS:
            pool, used = same, dept
    rows = np.nonzero(pool)[0]
    codes = model.rows.codes["report_id"]
    n_reports = len(np.unique(codes[rows]))
    clusters: list[Cluster] = []
    if len(rows) >= 2:
        x = searcher.bundle.vectors.vectors(rows.astype(np.int64))
        k = min(MAX_CLUSTERS, max(2, round(len(rows) / CLUSTER_SIZE)))
        labels = spherical_kmeans(x, k)
        groups = []
        for c in range(labels.max() + 1):
            idx = np.nonzero(labels == c)[0]
            if not len(idx):
                continue
            centre = x[idx].sum(axis=0)
            centre /= max(np.linalg.norm(centre), 1e-12)
            sims = x[idx] @ centre
            order = idx[np.argsort(-sims)]
            members = [int(rows[i]) for i in order]
            reports = list(dict.fromkeys(model.report_of(r) for r in members))
            groups.append((members, reports, centre, float(np.median(sims))))
        names = _names(searcher, model, rows.tolist(), [g[0] for g in groups])
        clusters = [Cluster(m, r, c, h, t) for (m, r, c, h), t in zip(groups, names, strict=True)]
    cluster_of = {r: i for i, c in enumerate(clusters) for r in c.rows}
    result = Pool(kind, used, n_reports, clusters, cluster_of)
    model.clusters[key] = result
    return result


def min_reports(pool: Pool) -> int:
    """Reports a cluster needs to count as a measure peers report."""
    return max(MIN_GAP_REPORTS, math.ceil(GAP_SHARE * pool.reports))


def covered_clusters(pool: Pool, neighbours: list[list[int]]) -> set[int]:
    """Indices of the clusters the draft's paragraphs are about: those holding one of each
    paragraph's first ``COVER_NEIGHBOURS`` neighbours in the pool (``neighbours``: per
    paragraph, its hybrid neighbour rows, best first)."""
    out: set[int] = set()
    if COVER_NEIGHBOURS <= 0:
        return out
    for rows in neighbours:
        taken = 0
        for r in rows:
            c = pool.cluster_of.get(r)
            if c is None:
                continue
            out.add(c)
            taken += 1
            if taken == COVER_NEIGHBOURS:
                break
    return out


def named_in(cluster: Cluster, draft_letters: str) -> bool:
    """Whether the draft uses ``NAMED_WORDS`` of the cluster's first ``NAMED_OF`` name words."""
    first = cluster.terms[:NAMED_OF]
    return sum(squash(t) in draft_letters for t in first) >= min(NAMED_WORDS, len(first))


def find_gaps(pool: Pool, neighbours: list[list[int]], draft_text: str) -> list[Cluster]:
    """Clusters of the pool the draft does not cover, most-mentioned first."""
    letters = squash(draft_text)
    near = covered_clusters(pool, neighbours)
    gaps = [
        c
        for i, c in enumerate(pool.clusters)
        if len(c.reports) >= min_reports(pool) and i not in near and not named_in(c, letters)
    ]
    gaps.sort(key=lambda c: (-len(c.reports), -c.cohesion))
    return gaps


def examples(searcher: Searcher, model: PeerCorpus, cluster: Cluster) -> list[dict[str, Any]]:
    """Two passages of the cluster from different reports, closest to its centre first."""
    picked, seen = [], set()
    for r in cluster.rows:
        rid = model.report_of(r)
        if rid in seen:
            continue
        seen.add(rid)
        picked.append(r)
        if len(picked) == 2:
            break
    return [h.to_dict() for h in searcher.hydrate(model.rows, picked, {}, cluster.terms)]
