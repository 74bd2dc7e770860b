"""Group near-identical hits (the same sentence reposted by several bureaus).

Similarity is the Jaccard overlap of character 4-gram sets. Only the candidates of the current
result list are compared, so the cost is bounded by the page depth, not the corpus size.
"""

from __future__ import annotations

import math
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


def _prefix(s: frozenset[str], threshold: float) -> list[str]:
    """The smallest shingles of a set (in one global order) that any set with Jaccard ≥
    threshold must share at least one of: |s| - ceil(threshold·|s|) + 1 of them."""
    keep = len(s) - math.ceil(threshold * len(s)) + 1
    return sorted(s)[: max(keep, 1)]


def group(texts: list[str], threshold: float) -> list[list[int]]:
    """Indices grouped by near-identity, in order of their first member; leaders come first.

    Each text joins the first group whose leader is similar enough. Comparing every text with
    every leader is quadratic (it dominated hybrid latency at depth 200), so leaders are found
    through their prefix shingles: two sets can only reach the threshold if their prefixes
    meet, which gives exactly the same groups for a fraction of the comparisons.
    """
    threshold = max(threshold, 1e-6)
    sets = [shingles(t) for t in texts]
    groups: list[list[int]] = []
    by_prefix: dict[str, list[int]] = {}  # prefix shingle -> groups whose leader has it
    for i, s in enumerate(sets):
        prefix = _prefix(s, threshold) if s else []
        candidates = sorted({g for sh in prefix for g in by_prefix.get(sh, ())})
        for g in candidates:
            leader = sets[groups[g][0]]
            if (
                min(len(s), len(leader)) >= threshold * max(len(s), len(leader))
                and jaccard(s, leader) >= threshold
            ):
                groups[g].append(i)
                break
        else:
            groups.append([i])
            for sh in prefix:
                by_prefix.setdefault(sh, []).append(len(groups) - 1)
    return groups
