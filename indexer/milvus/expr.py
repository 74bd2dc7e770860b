"""A row mask as a Milvus boolean expression: over the metadata fields where it can be, over
the ``row`` primary key where it must be.

kb resolves its filters (year ranges, regions including 未识别 and 湖南 ~ 湖南省, kinds of
department, section kinds, reports, 只看具体做法) and its exclusions (words *as written*) to
one boolean row mask with the same code on both engines; Milvus then ranks only the rows the
expression allows, before it takes the top k, exactly as FAISS and Whoosh do with the mask.

:func:`field_expr` rewrites the mask as conditions on the collection's scalar fields —
``year >= 2022 and year <= 2024 and province in ["湖南省"] and boilerplate < 0.5`` — found
greedily from the row table and kept only if they select exactly the masked rows (a few rows
they let through, such as those an exclusion removes, are subtracted with ``row not in``).
That expression does not grow with the corpus. A mask no field conditions describe (similar
passages' "other reports", an exclusion hitting many rows) is sent as rows: the shorter of
the allowed and the excluded list, runs of consecutive rows (a report's passages are
consecutive rows) as ranges when there are few of them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from indexer.boilerplate import CONCRETE_MAX
from indexer.rows import RowTable

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


MAX_LEFTOVER = 1_000  # rows the field conditions let through that may be subtracted by id


def _conditions(rows: RowTable, allowed: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Every field condition that holds for all allowed rows: (expression, rows it keeps)."""
    out = []
    years = rows.year[allowed]
    lo, hi = int(years.min()), int(years.max())
    keep = (rows.year >= lo) & (rows.year <= hi)
    out.append((f"year >= {lo} and year <= {hi}", keep))
    for column, codes in rows.codes.items():
        present = np.unique(codes[allowed])
        values = ",".join(quote(rows.vocab[column][c]) for c in present.tolist())
        out.append((f"{column} in [{values}]", np.isin(codes, present)))
    if (rows.boilerplate[allowed] < CONCRETE_MAX).all():
        out.append((f"boilerplate < {CONCRETE_MAX}", rows.boilerplate < CONCRETE_MAX))
    return out


def field_expr(rows: RowTable, allowed: np.ndarray) -> str | None:
    """The mask as conditions on the scalar fields (greedy: each step takes the condition
    that excludes the most rows still wrongly allowed), or None when they cannot say it."""
    candidate = np.ones(len(rows), dtype=bool)
    chosen: list[str] = []
    conditions = _conditions(rows, allowed)
    while (wrong := int((candidate & ~allowed).sum())) > 0:
        best, gain = None, 0
        for i, (_, keep) in enumerate(conditions):
            g = wrong - int((candidate & keep & ~allowed).sum())
            if g > gain:
                best, gain = i, g
        if best is None:
            break
        text, keep = conditions.pop(best)
        chosen.append(text)
        candidate &= keep
    leftover = np.flatnonzero(candidate & ~allowed)
    if len(leftover) > MAX_LEFTOVER or not chosen:
        return None
    if len(leftover):
        chosen.append(f"row not in [{','.join(map(str, leftover.tolist()))}]")
    return " and ".join(chosen)


_RECENT: OrderedDict[tuple[int, bytes], str] = OrderedDict()
_RECENT_MAX = 64  # a search sends the same mask to several retrievers


def filter_expr(rows: RowTable, allowed: np.ndarray | None) -> str:
    """What the Milvus backends send: field conditions when they describe the mask, else
    :func:`mask_expr` (the shorter of the two when both do)."""
    if allowed is None or allowed.all() or not allowed.any():
        return mask_expr(allowed)
    key = (id(rows), hashlib.blake2b(np.packbits(allowed).tobytes(), digest_size=16).digest())
    if (found := _RECENT.get(key)) is not None:
        return found
    by_rows = mask_expr(allowed)
    by_fields = field_expr(rows, allowed)
    out = by_fields if by_fields is not None and len(by_fields) <= len(by_rows) else by_rows
    _RECENT[key] = out
    while len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)
    return out
