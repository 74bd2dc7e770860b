"""How much of a passage is boilerplate shared with many other reports.

Almost every report repeats the same formulas (坚持以习近平新时代中国特色社会主义思想为指导,
在市委、市政府坚强领导下, 扎实推进法治政府建设 …). A drafter or trainer wants the concrete
practice, not the formula. Formulas are rarely repeated clause for clause — each bureau splices
them with its own names, dates and a few words of its own — so we look at stretches of
``NGRAM`` characters: in how many distinct reports does each occur? Punctuation and spaces are
ignored and digits blanked, so "全年召开会议4次" and "6次" count as the same formula.

A passage's score is the share of its characters covered by stretches that many reports use:
a stretch counts fully once it occurs in ``SHARED_FRACTION`` of all reports (at least
``MIN_REPORTS``), proportionally below that, and not at all in fewer than ``MIN_REPORTS``.
Eight characters are longer than any single domain term (习近平法治思想 is seven), so a passage
is not called boilerplate for *naming* a common practice, only for phrasing it the way everyone
else does. Memory is one hash set per report, linear in the corpus.

The score serves the 只看具体做法 filter (``concrete``: score below ``CONCRETE_MAX``) and, in
hybrid ranking, a mild penalty (``[search] boilerplate_penalty``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

NGRAM = 8  # characters per stretch
MIN_REPORTS = 3  # a stretch must occur in at least this many reports to count as shared
SHARED_FRACTION = 0.1  # ... and counts fully once it occurs in this share of all reports
CONCRETE_MAX = 0.5  # "只看具体做法" keeps passages whose boilerplate score is below this

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def _skeleton(text: str) -> str:
    """The characters that make a formula: words only, every number replaced by 0."""
    return _NOT_TEXT.sub("", _DIGITS.sub("0", text)).lower()


def _grams(skeleton: str) -> list[int]:
    """Hash of every NGRAM-character stretch (only identity matters, within one run)."""
    return [hash(skeleton[i : i + NGRAM]) for i in range(len(skeleton) - NGRAM + 1)]


def _coverage(weights: np.ndarray, length: int) -> float:
    """Mean over characters of the highest weight of a stretch covering that character."""
    if not length:
        return 0.0
    if not len(weights):
        return 0.0
    per_char = np.zeros(length, dtype=np.float32)
    for offset in range(NGRAM):  # stretch i covers characters i … i+NGRAM-1
        window = per_char[offset : offset + len(weights)]
        np.maximum(window, weights[: len(window)], out=window)
    return float(per_char.mean())


class GramStats:
    """In how many reports each stretch occurs: the statistic every score is read from.

    Built once from the corpus; ``score`` then rates any text against it, so a drafter's
    paragraph (never indexed) is measured by the same rule as the indexed passages.
    """

    def __init__(self, passages: Iterable[tuple[str, str]], keep_items: bool = False):
        # The passages' own grams, kept only to score them afterwards (the index build).
        self.items: list[tuple[list[int], int]] = []
        per_report: dict[str, set[int]] = {}
        for rid, text in passages:
            skeleton = _skeleton(text)
            grams = _grams(skeleton)
            if keep_items:
                self.items.append((grams, len(skeleton)))
            per_report.setdefault(rid, set()).update(grams)
        self.df: Counter[int] = Counter()
        for grams in per_report.values():
            self.df.update(grams)
        self.reports = len(per_report)
        self.full = max(MIN_REPORTS, SHARED_FRACTION * self.reports)

    def _score(self, grams: list[int], length: int) -> float:
        counts = np.array([self.df[h] for h in grams], dtype=np.float32)
        weights = np.where(counts >= MIN_REPORTS, np.minimum(1.0, counts / self.full), 0.0)
        return _coverage(weights.astype(np.float32), length)

    def score(self, text: str) -> float:
        """Boilerplate share of a text that is not part of the statistic (a draft)."""
        skeleton = _skeleton(text)
        return self._score(_grams(skeleton), len(skeleton))

    def indexed_scores(self) -> np.ndarray:
        """Scores of the passages the statistic was built from, in order."""
        scores = np.zeros(len(self.items), dtype=np.float32)
        for i, (grams, length) in enumerate(self.items):
            scores[i] = self._score(grams, length)
        return scores


def boilerplate_scores(passages: Iterable[tuple[str, str]]) -> np.ndarray:
    """Score in [0, 1] for each (report_id, text), in order."""
    return GramStats(passages, keep_items=True).indexed_scores()
