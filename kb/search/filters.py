"""Search filters: parsed and validated from URL/CLI/JSON parameters, applied as a row mask.

The same names are used everywhere (web page, JSON API, CLI, evaluation files):
``year`` ("2023" or "2022-2024"), ``year_from``, ``year_to``, ``province``, ``city``, ``county``,
``dept`` (kind of department), ``level``, ``section`` (section kind), ``report`` (report id or
source file name, e.g. 000_b2dd20f029b9b4d9.txt) and ``concrete`` (只看具体做法: hide boilerplate-heavy passages). A field may
hold several values (repeated or comma-separated): they are OR-ed; fields are AND-ed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from indexer.boilerplate import CONCRETE_MAX
from indexer.rows import RowTable
from kb.core.models import LEVELS, SECTION_KINDS
from kb.ingest.parse import report_id

MIN_YEAR, MAX_YEAR = 1990, 2100

# filter name -> row table field
_FIELD = {
    "province": "province",
    "city": "city",
    "county": "county",
    "dept": "dept_kind",
    "level": "level",
    "section": "section_kind",
    "report": "report_id",
}
_LABELS = {
    "year": "年度",
    "year_from": "起始年度",
    "year_to": "截止年度",
    "province": "省份",
    "city": "城市",
    "county": "区县",
    "dept": "部门类别",
    "level": "行政层级",
    "section": "章节类型",
    "report": "报告",
    "concrete": "只看具体做法",
}
_SECTION_ALIASES = {
    "举措": "主要举措和成效",
    "成效": "主要举措和成效",
    "问题": "存在问题",
    "原因": "原因分析",
    "履职": "第一责任人履职",
    "第一责任人": "第一责任人履职",
    "计划": "下一步工作安排",
    "下一步": "下一步工作安排",
}
FILTER_NAMES = tuple(_LABELS)


class FilterError(ValueError):
    """A bad filter value; the message (Chinese) names the field."""

    def __init__(self, name: str, message: str):
        self.field = name
        super().__init__(f"参数 {name}（{_LABELS.get(name, name)}）：{message}")


def _place_key(name: str) -> str:
    """Compare place names without their administrative suffix: 湖南省 ~ 湖南, 怀化市 ~ 怀化."""
    name = name.strip()
    for suffix in (
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
    ):
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


@dataclass(frozen=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    province: tuple[str, ...] = ()
    city: tuple[str, ...] = ()
    county: tuple[str, ...] = ()
    dept: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    report: tuple[str, ...] = ()
    concrete: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> Filters:
        """Parse filter parameters (unknown keys are ignored: they belong to the caller)."""
        kw: dict[str, object] = {}
        year = params.get("year")
        if year not in (None, ""):
            text = str(year).strip()
            m = re.fullmatch(r"(\d{4})\s*[-–~至到]\s*(\d{4})", text)
            if m:
                kw["year_from"], kw["year_to"] = (
                    _year("year", m.group(1)),
                    _year("year", m.group(2)),
                )
            else:
                kw["year_from"] = kw["year_to"] = _year("year", text)
        for name in ("year_from", "year_to"):
            if params.get(name) not in (None, ""):
                kw[name] = _year(name, params[name])
        if kw.get("year_from") and kw.get("year_to") and kw["year_from"] > kw["year_to"]:
            raise FilterError("year", f"起始年度 {kw['year_from']} 晚于截止年度 {kw['year_to']}")
        for name in _FIELD:
            vals = _values(params.get(name))
            if name == "level":
                bad = [v for v in vals if v.removesuffix("级") not in LEVELS]
                if bad:
                    raise FilterError(name, f"{bad[0]!r} 不是行政层级（可选：{'、'.join(LEVELS)}）")
                vals = tuple(v.removesuffix("级") for v in vals)
            if name == "section":
                vals = tuple(_SECTION_ALIASES.get(v, v) for v in vals)
                bad = [v for v in vals if v not in SECTION_KINDS]
                if bad:
                    raise FilterError(
                        name, f"{bad[0]!r} 不是章节类型（可选：{'、'.join(SECTION_KINDS)}）"
                    )
            if name == "report":
                vals = tuple(v if re.fullmatch(r"[0-9a-f]{12}", v) else report_id(v) for v in vals)
            if vals:
                kw[name] = vals
        concrete = params.get("concrete")
        if concrete not in (None, "", False):
            flag = str(concrete).strip().lower()
            if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise FilterError("concrete", f"{concrete!r} 应为 1（只看具体做法）或 0")
            kw["concrete"] = flag in ("1", "true", "yes", "on")
        return cls(**kw)

    def is_empty(self) -> bool:
        return self == Filters()

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
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _FIELD and value:
                out[f.name] = ",".join(value)
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
        for name, column in _FIELD.items():
            wanted = getattr(self, name)
            if wanted:
                codes = [
                    i for i, v in enumerate(rows.vocab[column]) if v and _matches(name, v, wanted)
                ]
                mask &= np.isin(rows.codes[column], codes)
        if self.concrete:
            mask &= rows.boilerplate < CONCRETE_MAX
        return mask


def _matches(name: str, value: str, wanted: tuple[str, ...]) -> bool:
    if name in ("province", "city", "county"):
        return _place_key(value) in {_place_key(w) for w in wanted}
    if name == "dept":
        return any(value == w or value.startswith(w) or w in value.split("/") for w in wanted)
    return value in wanted
