"""The check itself: a draft in, per-paragraph peers, gaps and boilerplate marks out.

Privacy is a property of this module: the draft lives in local variables and the returned
result only. Nothing is written to the corpus store, the index, the embedding cache or a log;
the draft's vectors are made from indexed vectors or by the embedder directly (no cache),
and the result is returned to the caller, who shows or exports it and drops it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.boilerplate import CONCRETE_MAX
from kb.draftcheck.corpus import peer_corpus
from kb.draftcheck.draft import Draft, parse_draft
from kb.draftcheck.gaps import MIN_POOL_REPORTS, examples, find_gaps, peer_pool
from kb.draftcheck.peers import peer_hits, peer_rows
from kb.search import Searcher

GAPS_MAX = 10  # gaps listed per section kind
# Section kinds whose gaps are listed (the preamble is no measure).
GAP_KINDS = ("主要举措和成效", "存在问题", "原因分析", "第一责任人履职", "下一步工作安排")
BOILERPLATE_ADVICE = (
    "这一段大部分是各地报告通用的表述（套话），建议补充本单位的具体做法、数字、文件名称或成效。"
)
# How a paragraph gets its vector. "embed": the embedder reads its first EMBED_CHARS characters
# (a paragraph's opening names its measure). "lexical": no embedder call — the mean of the
# vectors of its LEXICAL_K best BM25 neighbours (weighted by score), which places it where
# the passages sharing its distinctive words are; the embedder is what makes a long draft
# slow (README, "对照检查": speed), and this is what keeps 10,000 characters under 5 s.
VECTORS = "lexical"
EMBED_CHARS = 150
LEXICAL_K = 5
MAX_DRAFT_CHARS = 200_000  # far above a report (tens of thousands): refuse before parsing


class DraftError(ValueError):
    """A draft that cannot be checked; the message is Chinese and shown as it is."""


@dataclass
class CheckOptions:
    dept_kind: str | None = None
    level: str | None = None
    year: int | None = None
    section_kind: str | None = None  # every paragraph is of this kind (a one-section draft)
    # Reports left out of every peer list and pool: the leave-one-out evaluation hides the
    # draft's own report this way instead of rebuilding the index without it.
    hidden_reports: frozenset[str] = frozenset()
    # Embed every paragraph (VECTORS = "embed" for this check): closer peers, far slower.
    embed: bool = False

    def stated(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {}
        if self.dept_kind:
            out["dept_kind"] = self.dept_kind
        if self.level:
            out["level"] = self.level
        if self.year:
            out["year"] = self.year
        return out


@dataclass
class CheckResult:
    draft: Draft
    paragraphs: list[dict[str, Any]]
    gaps: list[dict[str, Any]]  # per section kind: {"section_kind", "dept_kind", ...}
    took_ms: float
    build_id: str
    notes: list[str] = field(default_factory=list)

    @property
    def warned(self) -> int:
        return sum(1 for p in self.paragraphs if p["boilerplate_warning"])

    def to_dict(self) -> dict[str, Any]:
        m = self.draft.meta
        return {
            "draft": {
                "chars": len(self.draft.text),
                "paragraphs": len(self.paragraphs),
                "org": m.org,
                "dept_kind": m.dept_kind,
                "level": m.level,
                "year": m.year,
                "province": m.province,
                "city": m.city,
                "sources": self.draft.field_sources(),
                "section_kinds": self.draft.kinds,
            },
            "paragraphs": self.paragraphs,
            "gaps": self.gaps,
            "boilerplate_warnings": self.warned,
            "notes": self.notes,
            "index": self.build_id,
            "took_ms": round(self.took_ms, 1),
            "stored": False,  # the draft is not kept anywhere
        }


def paragraph_vectors(
    searcher: Searcher,
    draft: Draft,
    mask: Callable[[str, str | None], np.ndarray],
    hidden: np.ndarray,
    embed: bool = False,
) -> np.ndarray:
    """One unit vector per paragraph (see VECTORS). A paragraph with no lexical neighbour is
    embedded after all."""
    texts = [p.text for p in draft.paragraphs]
    if embed or VECTORS == "embed":
        return searcher.embed_passages([t[:EMBED_CHARS] for t in texts])
    store = searcher.bundle.vectors
    out = np.zeros((len(texts), store.dim), dtype=np.float32)
    missing = []
    for i, p in enumerate(draft.paragraphs):
        allowed = mask("section_kind", p.section_kind) & ~hidden
        found = searcher.lexical_neighbours(p.text, allowed, LEXICAL_K)
        if not found:
            missing.append(i)
            continue
        rows = np.array([r for r, _ in found], dtype=np.int64)
        weights = np.array([s for _, s in found], dtype=np.float32)
        v = (store.vectors(rows) * (weights / weights.max())[:, None]).sum(axis=0)
        out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
    if missing:
        out[missing] = searcher.embed_passages([texts[i][:EMBED_CHARS] for i in missing])
    return out


def check_draft(
    searcher: Searcher,
    text: str,
    options: CheckOptions | None = None,
    hints: dict[str, str] | None = None,
) -> CheckResult:
    """Check a draft against the corpus (see the package docstring)."""
    t0 = time.perf_counter()
    options = options or CheckOptions()
    if len(text) > MAX_DRAFT_CHARS:
        raise DraftError(f"草稿过长（{len(text)} 字，上限 {MAX_DRAFT_CHARS} 字）")
    draft = parse_draft(text, options.stated(), hints, options.section_kind)
    if not draft.paragraphs:
        raise DraftError("草稿中没有可以对照的正文段落")
    model = peer_corpus(searcher)
    rows = model.rows
    hidden = np.zeros(len(rows), dtype=bool)
    for rid in options.hidden_reports:
        hidden |= model.mask("report_id", rid)
    vectors = paragraph_vectors(searcher, draft, model.mask, hidden, options.embed)
    dept = draft.meta.dept_kind
    same_dept = model.mask("dept_kind", dept) if dept else None
    depth = searcher.cfg.search.candidates
    paragraphs = []
    neighbours: dict[str, list[list[int]]] = {}  # per section kind: each paragraph's neighbours
    for p, vector in zip(draft.paragraphs, vectors, strict=True):
        allowed = model.mask("section_kind", p.section_kind) & ~hidden
        bp = model.grams.score(p.text)
        found = peer_rows(searcher, p.text, vector, allowed, same_dept, depth)
        neighbours.setdefault(p.section_kind, []).append([r for r, _ in found.fused])
        paragraphs.append(
            {
                "index": p.index,
                "text": p.text,
                "section_kind": p.section_kind,
                "heading_path": p.heading_path,
                "boilerplate": round(bp, 3),
                "boilerplate_warning": bp >= CONCRETE_MAX,
                "advice": BOILERPLATE_ADVICE if bp >= CONCRETE_MAX else None,
                "peers": peer_hits(searcher, found.same, found.per, p.text, bp, vector),
                "other_peers": peer_hits(searcher, found.other, found.per, p.text, bp, vector),
            }
        )
    gaps, notes = [], []
    for kind in draft.kinds:
        if kind not in GAP_KINDS:
            continue
        pool = peer_pool(searcher, model, kind, dept, options.hidden_reports)
        if dept and pool.dept is None:
            notes.append(
                f"“{kind}”部分同类单位（{dept}）的报告不足 {MIN_POOL_REPORTS} 份，缺项按全部单位的报告统计"
            )
        # Every paragraph counts, whatever its kind: a measure may be told in another section.
        near = [rows for group in neighbours.values() for rows in group]
        found = find_gaps(pool, near, draft.text)[:GAPS_MAX]
        gaps.append(
            {
                "section_kind": kind,
                "dept_kind": pool.dept,
                "pool_reports": pool.reports,
                "items": [
                    {
                        "terms": c.terms,
                        "reports": len(c.reports),
                        "passages": len(c.rows),
                        "examples": examples(searcher, model, c),
                    }
                    for c in found
                ],
            }
        )
    return CheckResult(
        draft=draft,
        paragraphs=paragraphs,
        gaps=gaps,
        took_ms=(time.perf_counter() - t0) * 1000,
        build_id=model.build_id,
        notes=notes,
    )
