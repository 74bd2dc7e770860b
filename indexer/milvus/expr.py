"""A row mask as a Milvus boolean expression over the ``row`` primary key.

kb resolves its filters (year ranges, regions including 未识别, section kinds, reports,
只看具体做法) and its exclusions (words *as written*) to one boolean row mask with the same
code on both engines; Milvus then ranks only the rows that expression allows, before it
takes the top k, exactly as FAISS and Whoosh do with the mask. The shorter of the allowed and
the excluded list is sent; runs of consecutive rows (a report's passages are consecutive
rows) become ranges when there are few of them.
"""

from __future__ import annotations

import numpy as np

MAX_RANGES = 32  # a longer OR-chain only makes the expression parser work harder


def _ranges(rows: np.ndarray) -> list[tuple[int, int]]:
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _as_expr(rows: np.ndarray, negate: bool = False) -> str:
    """Rows (or, negated, every row but these) as an expression. Milvus Lite 2.5.1 cannot
    search with ``not (…)``, so a negation is written out: ``not in``, ``<``/``>``."""
    spans = _ranges(rows)
    if len(spans) > MAX_RANGES:
        return f"row {'not in' if negate else 'in'} [{','.join(map(str, rows.tolist()))}]"
    if negate:
        return " and ".join(
            f"row != {a}" if a == b else f"(row < {a} or row > {b})" for a, b in spans
        )
    return " or ".join(
        f"row == {a}" if a == b else f"(row >= {a} and row <= {b})" for a, b in spans
    )


def mask_expr(allowed: np.ndarray | None) -> str:
    """ "" for no restriction (None or all rows), else the expression; callers check
    ``allowed.any()`` first (an empty mask allows nothing and needs no query)."""
    if allowed is None or allowed.all():
        return ""
    keep = np.flatnonzero(allowed)
    drop = np.flatnonzero(~allowed)
    if len(drop) < len(keep):
        return _as_expr(drop, negate=True)
    return _as_expr(keep)


def quote(value: str) -> str:
    """A string literal for an expression (backslash and double quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
