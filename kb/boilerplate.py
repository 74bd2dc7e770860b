"""How much of a passage is boilerplate shared with many other reports.

Almost every report repeats the same clauses (坚持以习近平新时代中国特色社会主义思想为指导,
成立法治政府建设领导小组, 营造良好的法治氛围 …). A drafter or trainer wants the concrete
practice, not the formula. We split every passage into clauses (at ，。；：！？), blank out
digits (so "全年召开会议4次" and "6次" count as the same formula), and count in how many
distinct reports each clause occurs. A passage's score is the share of its characters that sit
in clauses common to many reports. Clause counting keeps memory linear in the corpus and works
the same on five reports or a million passages.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

_CLAUSE = re.compile(r"[^，。；：！？、,.;:!?\n]+")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
MIN_CLAUSE_CHARS = 6
MIN_REPORTS = 3  # a clause must occur in at least this many reports to count as shared
SHARED_FRACTION = 0.2  # ... and is fully "boilerplate" once in this share of all reports
CONCRETE_MAX = 0.5  # "只看具体做法" keeps passages whose boilerplate score is below this


def _clauses(text: str) -> list[tuple[int, int]]:
    """(hash, length) of each clause long enough to be a formula."""
    out = []
    for m in _CLAUSE.finditer(text):
        clause = _DIGITS.sub("0", m.group(0).strip(" “”\"'（）()《》"))
        if len(clause) >= MIN_CLAUSE_CHARS:
            h = int.from_bytes(hashlib.blake2b(clause.encode(), digest_size=8).digest(), "little")
            out.append((h, len(clause)))
    return out


def boilerplate_scores(passages: Iterable[tuple[str, str]]) -> np.ndarray:
    """Score in [0, 1] for each (report_id, text), in order."""
    items = [(rid, _clauses(text)) for rid, text in passages]
    per_report: dict[str, set[int]] = {}
    for rid, clauses in items:
        per_report.setdefault(rid, set()).update(h for h, _ in clauses)
    df: Counter[int] = Counter()
    for hashes in per_report.values():
        df.update(hashes)
    n_reports = max(len(per_report), 1)
    full = max(MIN_REPORTS, SHARED_FRACTION * n_reports)
    scores = np.zeros(len(items), dtype=np.float32)
    for i, (_, clauses) in enumerate(items):
        total = sum(length for _, length in clauses)
        if not total:
            continue
        shared = sum(
            length * min(1.0, df[h] / full) for h, length in clauses if df[h] >= MIN_REPORTS
        )
        scores[i] = shared / total
    return scores
