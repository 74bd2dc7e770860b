"""只看具体做法 (``concrete``): which passages it hides, how many, and the rule in words.

A result list that shrinks from 157 to 156 when the filter is switched on looks broken; the
page therefore says what the filter takes out of the current results (隐藏了 N 条套话段落)
and states the rule it applies (``indexer.boilerplate``).
"""

from __future__ import annotations

import numpy as np

from indexer.boilerplate import CONCRETE_MAX, MIN_REPORTS, NGRAM, SHARED_FRACTION
from indexer.rows import RowTable


def rule() -> str:
    """The boilerplate rule, in the words the page shows next to the toggle."""
    return (
        f"套话段落：段落中至少 {CONCRETE_MAX:.0%} 的文字，逐字（连续 {NGRAM} 个字，不计标点，"
        f"数字不论大小）出现在许多其他报告里——至少 {MIN_REPORTS} 份，"
        f"达到全部报告的 {SHARED_FRACTION:.0%} 时完全计入。"
        "只看具体做法时，这些段落不显示；点名一项做法（如首违不罚）不算套话。"
    )


def is_concrete(rows: RowTable, row: int) -> bool:
    """Whether the filter keeps this row."""
    return bool(rows.boilerplate[row] < CONCRETE_MAX)


def keep(rows: RowTable, allowed: np.ndarray | None) -> np.ndarray:
    """``allowed`` (None: every row) without the rows the filter hides."""
    concrete = rows.boilerplate < CONCRETE_MAX
    return concrete if allowed is None else allowed & concrete
