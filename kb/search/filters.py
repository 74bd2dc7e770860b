"""Search filters: parsed and validated from URL/CLI/JSON parameters, applied as a row mask.

The fields come from the registry (:mod:`kb.core.fields`); their names are used everywhere (web
page, JSON API, CLI, evaluation files): ``year`` ("2023" or "2022-2024") with ``year_from`` and
``year_to``, ``province``, ``city``, ``county``, ``dept`` (kind of department), ``level``,
``section`` (section kind), ``report`` (report id or source file name), plus ``concrete``
(只看具体做法: hide boilerplate-heavy passages). A field may hold several values (repeated or
comma-separated): they are OR-ed; fields are AND-ed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from indexer.boilerplate import CONCRETE_MAX
from indexer.rows import RowTable
from kb.core import fields
from kb.core.fields import UNKNOWN, Field
from kb.core.ids import as_report_id

MIN_YEAR, MAX_YEAR = 1990, 2100
# Filter parameters that are not fields of their own.
_EXTRA_LABELS = {"year_from": "起始年度", "year_to": "截止年度", "concrete": "只看具体做法"}
_PLACE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
    "地区",
    "盟",
    "自治州",
    "州",
    "县",
    "区",
)


def filter_labels() -> dict[str, str]:
    """Every filter parameter → its label."""
    return {**fields.labels(), **_EXTRA_LABELS}


def filter_names() -> tuple[str, ...]:
    return tuple(filter_labels())


class FilterError(ValueError):
    """A bad filter value; the message (Chinese) names the field."""

    def __init__(self, name: str, message: str):
        self.field = name
        super().__init__(f"参数 {name}（{filter_labels().get(name, name)}）：{message}")


def _place_key(name: str) -> str:
    """Compare place names without their administrative suffix: 湖南省 ~ 湖南, 怀化市 ~ 怀化."""
    name = name.strip()
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _values(raw: object) -> tuple[str, ...]:
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        out += [v.strip() for v in re.split(r"[,，、]", str(item)) if v.strip()]
    return tuple(dict.fromkeys(out))


def _year(name: str, value: object) -> int:
    try:
        year = int(str(value).strip())
    except ValueError:
        raise FilterError(name, f"{value!r} 不是年份") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FilterError(name, f"年份 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    return year


def _normalise(f: Field, vals: tuple[str, ...]) -> tuple[str, ...]:
    """Values of one field as stored, or a FilterError naming the first bad one."""
    if f.match == "choice":
        out = []
        for v in vals:
            if v == UNKNOWN and f.unknown_bucket:
                out.append(v)
                continue
            choice = f.aliases.get(v, v.removesuffix(f.suffix) if f.suffix else v)
            if choice not in f.choices:
                raise FilterError(f.name, f"{v!r} 不是{f.label}（可选：{'、'.join(f.choices)}）")
            out.append(choice)
        vals = tuple(out)
    elif f.match == "report":
        vals = tuple(as_report_id(v) for v in vals)
    return vals


@dataclass(frozen=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    # (field name, values) for every field with values, in registry order
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    concrete: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Filters:
        """Parse filter parameters (unknown keys are ignored: they belong to the caller)."""
        year_from = year_to = None
        year = params.get("year")
        if year not in (None, ""):
            text = str(year).strip()
            m = re.fullmatch(r"(\d{4})\s*[-–~至到]\s*(\d{4})", text)
            if m:
                year_from, year_to = _year("year", m.group(1)), _year("year", m.group(2))
            else:
                year_from = year_to = _year("year", text)
        if params.get("year_from") not in (None, ""):
            year_from = _year("year_from", params["year_from"])
        if params.get("year_to") not in (None, ""):
            year_to = _year("year_to", params["year_to"])
        if year_from and year_to and year_from > year_to:
            raise FilterError("year", f"起始年度 {year_from} 晚于截止年度 {year_to}")
        values = []
        for f in fields.FIELDS:
            if f.match == "year":
                continue
            vals = _normalise(f, _values(params.get(f.name)))
            if vals:
                values.append((f.name, vals))
        concrete = False
        raw = params.get("concrete")
        if raw not in (None, "", False):
            flag = str(raw).strip().lower()
            if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise FilterError("concrete", f"{raw!r} 应为 1（只看具体做法）或 0")
            concrete = flag in ("1", "true", "yes", "on")
        return cls(year_from, year_to, tuple(values), concrete)

    def get(self, name: str) -> tuple[str, ...]:
        """The values of one field (empty when it is not filtered)."""
        return dict(self.values).get(name, ())

    def __getattr__(self, name: str) -> tuple[str, ...]:
        """``filters.province`` and the like: the values of a registry field."""
        if name.startswith("_") or fields.by_name(name) is None:
            raise AttributeError(name)
        return self.get(name)

    def is_empty(self) -> bool:
        return self == Filters()

    def without(self, name: str) -> Filters:
        """The same filters without one field (``year``: the whole year range): what a facet
        of that field counts over, so its other values stay selectable (OR within a field)."""
        if name == "year":
            return replace(self, year_from=None, year_to=None)
        return replace(self, values=tuple((n, v) for n, v in self.values if n != name))

    def fields_set(self) -> list[str]:
        """Names of the registry fields this filters on (``year`` for a year range)."""
        return (["year"] if self.year_from or self.year_to else []) + [n for n, _ in self.values]

    def to_params(self) -> dict[str, str]:
        """URL/JSON form (only set filters): the inverse of from_params."""
        out: dict[str, str] = {}
        if self.year_from and self.year_from == self.year_to:
            out["year"] = str(self.year_from)
        else:
            if self.year_from:
                out["year_from"] = str(self.year_from)
            if self.year_to:
                out["year_to"] = str(self.year_to)
        out.update((name, ",".join(vals)) for name, vals in self.values)
        if self.concrete:
            out["concrete"] = "1"
        return out

    def mask(self, rows: RowTable) -> np.ndarray | None:
        """Boolean row mask of passages passing every filter, or None when nothing is filtered."""
        if self.is_empty():
            return None
        mask = np.ones(len(rows), dtype=bool)
        if self.year_from:
            mask &= rows.year >= self.year_from
        if self.year_to:
            mask &= (rows.year <= self.year_to) & (rows.year > 0)
        for name, wanted in self.values:
            f = fields.by_name(name)
            assert f is not None
            codes = [i for i, v in enumerate(rows.vocab[f.column]) if v and _matches(f, v, wanted)]
            if f.unknown_bucket and UNKNOWN in wanted:
                codes.append(0)  # reports without a value: the 未识别 bucket
            mask &= np.isin(rows.codes[f.column], codes)
        if self.concrete:
            mask &= rows.boilerplate < CONCRETE_MAX
        return mask


def _matches(f: Field, value: str, wanted: tuple[str, ...]) -> bool:
    if f.match == "place":
        return _place_key(value) in {_place_key(w) for w in wanted}
    if f.match == "dept":
        return any(value == w or value.startswith(w) or w in value.split("/") for w in wanted)
    return value in wanted
