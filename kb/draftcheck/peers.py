"""Per draft paragraph: the closest peer passages of the same section kind, and how they relate.

Neighbours come from the search API's hybrid neighbour search (the paragraph's vector fused
with a BM25 search for its distinctive words, as 相似段落 does), restricted to passages of the
paragraph's section kind. Peers of the draft's department kind are listed first; the others
form a second list the page folds away. Each report gives at most one passage per list, so
three to five peers are three to five different bureaus.

Each peer is labelled against the paragraph with the boilerplate score (the share of a text
made of stretches many reports use, :mod:`indexer.boilerplate`) and its concrete facts
(numbers, named documents 《…》):

* 更具体 — the peer says it with facts where the paragraph is generic: its boilerplate share
  is at least ``MORE_SPECIFIC_MARGIN`` lower, or it states ``MORE_FACTS`` more facts while
  being no more formulaic;
* 相同做法 — otherwise: the same practice, said about as concretely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.search import Searcher

PEERS_MAX = 5  # peers listed per paragraph and list
MORE_SPECIFIC_MARGIN = 0.2
MORE_FACTS = 2
SAME, MORE_SPECIFIC = "相同做法", "更具体"

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NAMED = re.compile(r"《[^》]{2,60}》")


def facts(text: str) -> int:
    """Concrete facts a text states: numbers and named documents."""
    return len(_NUMBER.findall(text)) + len(_NAMED.findall(text))


def relation(draft_text: str, draft_bp: float, peer_text: str, peer_bp: float) -> str:
    """相同做法 or 更具体 (see the module docstring)."""
    if draft_bp - peer_bp >= MORE_SPECIFIC_MARGIN:
        return MORE_SPECIFIC
    if facts(peer_text) >= facts(draft_text) + MORE_FACTS and peer_bp <= draft_bp:
        return MORE_SPECIFIC
    return SAME


@dataclass
class PeerRows:
    same: list[tuple[int, float]]  # (row, fused score), department kind of the draft
    other: list[tuple[int, float]]  # the other departments
    fused: list[tuple[int, float]]  # every neighbour, best first (gap coverage)
    per: dict[str, dict[int, tuple[float, int]]]


def one_per_report(
    fused: list[tuple[int, float]], report_codes: np.ndarray, limit: int
) -> list[tuple[int, float]]:
    """The first ``limit`` rows of distinct reports, in order."""
    seen: set[int] = set()
    out = []
    for row, score in fused:
        code = int(report_codes[row])
        if code in seen:
            continue
        seen.add(code)
        out.append((row, score))
        if len(out) == limit:
            break
    return out


def peer_rows(
    searcher: Searcher,
    text: str,
    vector: np.ndarray,
    allowed: np.ndarray,
    same_dept: np.ndarray | None,
    depth: int,
) -> PeerRows:
    """Neighbours of one paragraph among ``allowed`` rows, split by department kind
    (``same_dept`` None: the draft's kind is unknown, every peer is in the first list)."""
    fused, per = searcher.neighbours(text, vector, allowed, depth)
    codes = searcher.bundle.rows.codes["report_id"]
    if same_dept is None:
        return PeerRows(one_per_report(fused, codes, PEERS_MAX), [], fused, per)
    same = [(r, s) for r, s in fused if same_dept[r]]
    other = [(r, s) for r, s in fused if not same_dept[r]]
    return PeerRows(
        one_per_report(same, codes, PEERS_MAX),
        one_per_report(other, codes, PEERS_MAX),
        fused,
        per,
    )


def peer_hits(
    searcher: Searcher,
    rows: list[tuple[int, float]],
    per: dict[str, dict[int, tuple[float, int]]],
    draft_text: str,
    draft_bp: float,
    vector: np.ndarray,
) -> list[dict[str, Any]]:
    """Hit dicts (the search API's fields, citation included) with ``relation`` and ``facts``;
    ``scores.semantic.score`` is the exact cosine to the paragraph, shown as 相似度."""
    table = searcher.bundle.rows
    if not rows:
        return []
    sims = searcher.bundle.vectors.vectors(np.array([r for r, _ in rows], dtype=np.int64)) @ vector
    scores: dict[int, dict[str, Any]] = {}
    for (row, fused), sim in zip(rows, sims.tolist(), strict=True):
        entry: dict[str, Any] = {"fused": round(fused, 6)}
        lexical = per.get("lexical", {}).get(row)
        entry["lexical"] = {"score": round(lexical[0], 4), "rank": lexical[1]} if lexical else None
        semantic = per.get("semantic", {}).get(row)
        entry["semantic"] = {"score": round(sim, 4), "rank": semantic[1] if semantic else None}
        scores[row] = entry
    hits = searcher.hydrate(table, [r for r, _ in rows], scores, [])
    out = []
    for hit in hits:
        d = hit.to_dict()
        d["relation"] = relation(draft_text, draft_bp, d["text"], d["boilerplate"])
        d["facts"] = facts(d["text"])
        out.append(d)
    return out
