"""Group near-identical hits (the same sentence reposted by several bureaus).

Similarity is the Jaccard overlap of character 4-gram sets. Only the candidates of the current
result list are compared, so the cost is bounded by the page depth, not the corpus size.
"""

from __future__ import annotations

import re

_NON_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


def shingles(text: str, n: int = 4) -> frozenset[str]:
    t = _NON_TEXT.sub("", text)
    if len(t) <= n:
        return frozenset([t]) if t else frozenset()
    return frozenset(t[i : i + n] for i in range(len(t) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def group(texts: list[str], threshold: float) -> list[list[int]]:
    """Indices grouped by near-identity, in order of their first member; leaders come first."""
    sets = [shingles(t) for t in texts]
    groups: list[list[int]] = []
    for i, s in enumerate(sets):
        for g in groups:
            leader = sets[g[0]]
            # Cheap length check first: Jaccard ≥ t requires the sizes to be within a factor t.
            if (
                min(len(s), len(leader)) >= threshold * max(len(s), len(leader))
                and jaccard(s, leader) >= threshold
            ):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups
