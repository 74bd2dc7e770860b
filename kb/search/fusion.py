"""Fuse the lexical and semantic retrievers into one hybrid ranking.

Two methods (``[search] fusion``):

* ``convex`` (default): a weighted sum of *normalised scores*. BM25 is divided by the best
  lexical score of the query (the top exact match is 1); cosine similarity is rescaled
  between a floor — the similarity of the ``candidates``-th nearest passage, i.e. "as close as
  an arbitrary passage of this corpus gets" — and the best similarity among the candidates.
  Unlike rank fusion this keeps the *size* of a lead: a passage that contains the jargon the
  user typed keeps its clear lexical lead over the small multilingual embedder's vague
  neighbours, while for a paraphrase, where BM25 only matches generic words, no lexical score
  stands out and the semantic side decides. Every candidate gets both scores (its similarity
  is computed from its stored vector even when the vector search did not return it).
* ``rrf``: reciprocal rank fusion (Cormack et al., 2009), score(d) = Σ_i w_i / (k + rank_i(d)).
  Calibration-free, but it throws the score gaps away; on our development set plain RRF ranks
  below BM25 alone because the embedder's top-10 for a jargon query is mostly noise.

How much each side counts depends on the query (:func:`lexical_share`): when the lexical hits
hold everything the query says, they lead; when they share only a word or two with it, the
semantic side decides more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from kb.core.config import SearchConfig


def rrf(
    ranked: dict[str, np.ndarray], weights: dict[str, float], k: int
) -> list[tuple[int, float]]:
    """(row, fused score) best first; ``ranked[name]`` holds rows best first."""
    fused: dict[int, float] = {}
    for name, rows in ranked.items():
        w = weights.get(name, 1.0)
        for rank, row in enumerate(rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + w / (k + rank)
    return _best_first(fused)


def add(lists: Iterable[Iterable[tuple[int, float]]], weight: float = 1.0) -> dict[int, float]:
    """Sum each row's scores over several scored lists of one retriever, times ``weight``.

    Used for a query's synonyms: each is searched on its own with the same BM25, so their
    scores share a scale and a passage using two wordings of the practice earns both.
    """
    total: dict[int, float] = {}
    for hits in lists:
        for row, score in hits:
            total[row] = total.get(row, 0.0) + weight * score
    return total


def lexical_share(coverage: float, cfg: SearchConfig) -> float:
    """Share of the lexical side in the convex fusion for one query.

    ``coverage`` is how much of the query (IDF-weighted) the best lexical hits hold: 1 when a
    passage says everything the user typed, near 0 when hits share only a common word. The
    lexical side earns its weight from that, between ``share_low`` and ``share_high``
    (measured on the tune half: 0.4–0.8; a fixed share per query kind did worse on both
    halves). The share is then tilted by ``lexical_weight``/``semantic_weight`` (1 and 1 leave
    it as is), so those two settings mean the same thing for both fusion methods.
    """
    base = cfg.share_low + (cfg.share_high - cfg.share_low) * min(max(coverage, 0.0), 1.0)
    lex, sem = base * cfg.lexical_weight, (1.0 - base) * cfg.semantic_weight
    return lex / (lex + sem) if lex + sem > 0 else 0.5


def convex(
    lexical: Mapping[int, float],
    similarity: Mapping[int, float],
    floor: float,
    share: float,
    boilerplate: np.ndarray | None = None,
    penalty: float = 0.0,
    unembedded: Iterable[int] = (),
) -> list[tuple[int, float]]:
    """(row, score in [0, 1]) best first over the rows of ``similarity`` and ``unembedded``.

    ``lexical`` holds BM25 scores (missing = no lexical match); ``similarity`` the cosine of
    every candidate that has a vector; ``floor`` the similarity that counts as zero. A
    passage's score is ``share·lexical/max + (1−share)·(sim−floor)/(top−floor)``, times
    ``1 − penalty·boilerplate`` so that of two equally relevant passages the bureau's concrete
    practice comes before the formula every report repeats. A candidate without a vector yet
    (``unembedded``: a build published while embedding goes on) is ranked by its lexical
    evidence alone, ``lexical/max``: missing similarity is no evidence against it.
    """
    rows = [*similarity, *(r for r in unembedded if r not in similarity)]
    if not rows:
        return []
    top_lex = max(lexical.values(), default=0.0)
    top_sim = max(similarity.values(), default=floor)
    span = top_sim - floor
    fused: dict[int, float] = {}
    for row in rows:
        lex = lexical.get(row, 0.0) / top_lex if top_lex > 0 else 0.0
        sim = similarity.get(row)
        if sim is None:
            score = lex
        else:
            sem = max(0.0, (sim - floor) / span) if span > 0 else 0.0
            score = share * lex + (1.0 - share) * sem
        if boilerplate is not None and penalty:
            score *= 1.0 - penalty * float(boilerplate[row])
        fused[row] = score
    return _best_first(fused)


def _best_first(scores: Mapping[int, float]) -> list[tuple[int, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
