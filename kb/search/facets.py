"""Facet counts: how a set of passages spreads over years, places and kinds of department.

Counts come straight from the build's row table (numpy code arrays), so they cost the same
whether they describe the whole corpus (the overview on an empty query) or the result list of
a search. Two units: ``passages`` (how many results fall in each bucket) and ``reports`` (how
many distinct reports do, which is what an overview of the knowledge base should say).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from indexer.rows import RowTable
from kb.core import fields
from kb.core.fields import UNKNOWN, Field

UNITS = ("passages", "reports")


def _order(f: Field, items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Years newest first, fixed vocabularies in their natural order, the rest by count;
    未识别 always last."""
    known = [kv for kv in items if kv[0] != UNKNOWN]
    unknown = [kv for kv in items if kv[0] == UNKNOWN]
    if f.match == "year":
        return sorted(known, key=lambda kv: kv[0], reverse=True) + unknown
    if f.choices:
        pos = {v: i for i, v in enumerate(f.choices)}
        return sorted(known, key=lambda kv: pos.get(kv[0], len(pos))) + unknown
    return sorted(known, key=lambda kv: (-kv[1], kv[0])) + unknown


def counts(
    rows: RowTable, row_ids: Sequence[int] | np.ndarray | None = None, unit: str = "passages"
) -> dict[str, list[dict[str, Any]]]:
    """{facet: [{"value", "count"}, ...]} over the given rows (all rows when None).

    Unknown values of the fields that describe the issuing organisation (province, city, kind
    of department, level) are counted as 未识别 — a report whose organisation kb could not
    identify still counts, and the bucket can be filtered on. Unknown years stay out.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    idx = np.arange(len(rows)) if row_ids is None else np.asarray(row_ids, dtype=np.int64)
    reports = rows.codes["report_id"][idx]
    out: dict[str, list[dict[str, Any]]] = {}
    for f in fields.facets():
        if f.match == "year":
            codes, labels = rows.year[idx].astype(np.int64), None
        else:
            codes, labels = rows.codes[f.column][idx].astype(np.int64), rows.vocab[f.column]
        if unit == "reports":  # one (value, report) pair per report
            pairs = np.unique(np.stack([codes, reports.astype(np.int64)]), axis=1)
            codes = pairs[0]
        values, n = np.unique(codes, return_counts=True)
        items = [
            (UNKNOWN if v == 0 else str(v) if labels is None else labels[v], int(c))
            for v, c in zip(values.tolist(), n.tolist(), strict=True)
            if v != 0 or f.unknown_bucket
        ]
        out[f.name] = [{"value": v, "count": c} for v, c in _order(f, items)]
    return out


def labels() -> dict[str, str]:
    """Facet name → Chinese label, for the page and the JSON API."""
    return {f.name: f.label for f in fields.facets()}
