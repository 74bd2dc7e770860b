"""Fuse ranked lists from the lexical and semantic retrievers.

Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ_i w_i / (k + rank_i(d)). It needs
no score calibration between BM25 and cosine similarity, which live on unrelated scales.
"""

from __future__ import annotations

import numpy as np


def rrf(
    ranked: dict[str, np.ndarray], weights: dict[str, float], k: int
) -> list[tuple[int, float]]:
    """(row, fused score) best first; ``ranked[name]`` holds rows best first."""
    fused: dict[int, float] = {}
    for name, rows in ranked.items():
        w = weights.get(name, 1.0)
        for rank, row in enumerate(rows.tolist(), start=1):
            fused[row] = fused.get(row, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
