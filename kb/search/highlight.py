"""Highlight spans: where the query's words occur in a passage.

Spans are character offsets into the passage text (add the passage's start for offsets into
the report). They are computed on the raw text and escaped only when rendered, so highlighting
can never inject markup.
"""

from __future__ import annotations

import re
import unicodedata


def spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) spans of every occurrence of any word (case-insensitive)."""
    words = [w for w in words if w and (len(w) > 1 or len(words) == 1)]
    if not words:
        return []
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) != len(text):  # NFKC changed lengths (rare ligatures): fall back to lower()
        folded = text.lower()
    pattern = re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)))
    found = sorted((m.start(), m.end()) for m in pattern.finditer(folded))
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
