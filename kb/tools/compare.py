"""Compare: how peer organisations wrote the same point, one passage each, side by side.

A drafter writing "存在问题" wants to see how other bureaus put the same problem. A result
list does not show that: one eloquent report can fill the first page. Here a hybrid search
with a deep candidate list is cut down to the best passage of each organisation (an
organisation with several reports keeps its best one, and the others are counted), and the
passages are grouped by section kind — how they described the problem, what they did, what
they plan — in the order reports present them.

Every passage is also checked against the trends matching rule (``kb.tools.trends``), so a weak
entry — an organisation's best passage that still says little about the query — is marked
rather than silently presented as an answer, listed after the strong ones and folded on the
page (显示其余 N 条).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.core.models import SECTION_KINDS
from kb.search import Searcher, SearchRequest
from kb.search.searcher import MAX_LIMIT
from kb.tools.trends import semantic_scores

# At most this many organisations are compared (best first); the page says when it cuts.
MAX_ORGS = 60


@dataclass
class Group:
    """The organisations whose best passage sits in one kind of section."""

    section_kind: str
    hits: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"section_kind": self.section_kind, "hits": self.hits}


@dataclass
class Comparison:
    query: str
    request: SearchRequest
    threshold: float
    groups: list[Group]
    organisations: int  # organisations with a candidate passage (before MAX_ORGS)
    build_id: str
    notes: list[str] = field(default_factory=list)
    took_ms: float = 0.0

    @property
    def hits(self) -> list[dict[str, Any]]:
        return [h for g in self.groups for h in g.hits]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.request.mode,
            "filters": self.request.filters.to_params(),
            "threshold": self.threshold,
            "organisations": self.organisations,
            "shown": len(self.hits),
            "groups": [g.to_dict() for g in self.groups],
            "notes": self.notes,
            "index": self.build_id,
            "took_ms": round(self.took_ms, 1),
        }


def org_key(org: str | None, report_id: str) -> str:
    """Who wrote it: the organisation's name, or the report itself when the name is unknown."""
    name = "".join((org or "").split())
    return name or f"report:{report_id}"


def best_per_org(
    rows: list[int], orgs: list[str], reports: list[str]
) -> tuple[list[tuple[int, int]], dict[str, int]]:
    """[(row, rank)] of the first row of every organisation, in rank order, and how many of
    each organisation's reports had a candidate (``rows`` is best first; ``orgs[i]`` and
    ``reports[i]`` are the organisation and report of rows[i])."""
    chosen: list[tuple[int, int]] = []
    seen: dict[str, set[str]] = {}
    for rank, (row, org, report) in enumerate(zip(rows, orgs, reports, strict=True), start=1):
        if org not in seen:
            chosen.append((row, rank))
            seen[org] = set()
        seen[org].add(report)
    return chosen, {org: len(r) for org, r in seen.items()}


def group_by_section(hits: list[dict[str, Any]]) -> list[Group]:
    """Hits grouped by their section kind, kinds in SECTION_KINDS order, hits keeping theirs."""
    order = {kind: i for i, kind in enumerate(SECTION_KINDS)}
    kinds = sorted({h["section_kind"] for h in hits}, key=lambda k: (order.get(k, len(order)), k))
    return [Group(k, [h for h in hits if h["section_kind"] == k]) for k in kinds]


def compare(searcher: Searcher, req: SearchRequest, threshold: float) -> Comparison:
    """Best passage per organisation for ``req`` (query, mode, filters; paging is ignored)."""
    t0 = time.perf_counter()
    # 3×100 candidates from each retriever, so that many organisations get a say; without
    # grouping near-duplicates, since two bureaus copying one template are two answers here.
    deep = SearchRequest(
        req.query, req.mode, req.filters, limit=MAX_LIMIT, dedupe=False, depth=3 * MAX_LIMIT
    )
    resp = searcher.search(deep)
    bundle = searcher.bundle
    if bundle.build_id != resp.build_id:  # swapped mid-request: rows would be misread
        resp = searcher.search(deep)
        bundle = searcher.bundle
    table = bundle.rows
    rows = [int(r) for r in resp.result_rows]
    reports = [table.vocab["report_id"][table.codes["report_id"][r]] for r in rows]
    orgs = []
    for rid in reports:
        known = searcher.report_meta(rid)
        orgs.append(org_key(known[1].org if known else None, rid))
    chosen, org_reports = best_per_org(rows, orgs, reports)
    notes = []
    if len(chosen) > MAX_ORGS:
        notes.append(f"共有 {len(chosen)} 个单位，只列出最相关的 {MAX_ORGS} 个")
        chosen = chosen[:MAX_ORGS]
    aq = searcher.analyze(req.query)
    picked = [r for r, _ in chosen]
    cosine = np.zeros(len(picked), dtype=np.float32)
    if picked and not aq.is_empty:
        qvec = searcher.embed_query(aq.positive_text)
        cosine = semantic_scores(bundle.vectors, qvec, np.array(picked, dtype=np.int64))
    scores = {
        row: {"semantic": {"score": round(float(c), 4), "rank": rank}}
        for (row, rank), c in zip(chosen, cosine.tolist(), strict=True)
    }
    rank_of = {table.pids[row]: rank for row, rank in chosen}
    hits = [h.to_dict() for h in searcher.hydrate(table, picked, scores, aq.highlight_terms())]
    shown = np.zeros(len(table), dtype=bool)
    shown[picked] = True
    containing = {table.pids[r] for r in searcher.containing(aq, shown).tolist()}
    for hit in hits:
        hit["rank"] = rank_of[hit["passage_id"]]  # place in the fused result list
        hit["org_reports"] = org_reports.get(org_key(hit["org"], hit["report_id"]), 1)
        semantic = hit["scores"]["semantic"]["score"]
        lexical = hit["passage_id"] in containing
        hit["match"] = {"semantic": semantic >= threshold, "lexical": lexical}
        hit["strong"] = bool(semantic >= threshold or lexical)
    # The order a reader sees matches the marks and scores on the cards: strong entries first,
    # then by the similarity each card shows (fused rank breaks ties).
    hits.sort(key=lambda h: (not h["strong"], -h["scores"]["semantic"]["score"], h["rank"]))
    return Comparison(
        query=aq.text,
        request=req,
        threshold=threshold,
        groups=group_by_section(hits),
        organisations=len(org_reports),
        build_id=bundle.build_id,
        notes=notes,
        took_ms=(time.perf_counter() - t0) * 1000,
    )
