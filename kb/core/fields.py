"""The one registry of search fields: what a report or passage can be filtered, counted and
exported by.

Filters (URL, JSON, CLI flags, evaluation files), facets, trends, ``kb stats``, the CSV export
and the index's row table all read this tuple, so adding a field is one entry here. Lookups
happen at call time (``fields.FIELDS``), never copied at import, which is also how the test
that adds a field proves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.core.models import LEVELS, SECTION_KINDS


@dataclass(frozen=True)
class Field:
    name: str  # parameter name in URLs, JSON, CLI flags (--name) and evaluation files
    column: str  # attribute of ReportMeta / Passage, key in hit dictionaries, row-table column
    label: str  # Chinese label on pages, in stats and exports
    of: str = "report"  # "report": a ReportMeta attribute; "passage": a Passage attribute
    # How a filter value matches a stored value:
    #   year   — a year or a range (stored as the row table's year array, not a code column)
    #   place  — administrative suffixes ignored (湖南 = 湖南省)
    #   dept   — a kind or its prefix (应急 matches 应急管理; 人防 matches 人防/国防动员)
    #   choice — one of ``choices`` (or an alias of one)
    #   report — a report id or source file name
    #   exact  — the stored value as is
    match: str = "exact"
    facet: bool = False  # counted in the facet sidebar and /api/facets
    trend: bool = False  # a dimension of the trends page
    export: bool = True  # a column of CSV exports and of `kb stats`
    choices: tuple[str, ...] = ()  # fixed vocabulary, in display order
    aliases: dict[str, str] = field(default_factory=dict)  # short forms of choices
    suffix: str = ""  # an optional suffix users may type (县级 → 县)
    help: str = ""  # CLI help text
    # Describes the issuing organisation: a report without a value is counted (and can be
    # filtered) as UNKNOWN, so facets add up to the whole corpus (issue 14).
    unknown_bucket: bool = False


# The facet value and filter value of a report whose organisation-related field is unknown.
UNKNOWN = "未识别"


FIELDS: tuple[Field, ...] = (
    Field("year", "year", "年度", match="year", facet=True, trend=True,
          help="年度，如 2023 或 2022-2024"),
    Field("province", "province", "省份", match="place", facet=True, trend=True,
          unknown_bucket=True),
    Field("city", "city", "城市", match="place", facet=True, unknown_bucket=True),
    Field("county", "county", "区县", match="place"),
    Field("dept", "dept_kind", "部门类别", match="dept", facet=True, trend=True,
          help="部门类别，如 应急管理（未识别：没有部门类别的报告）", unknown_bucket=True),
    Field("level", "level", "行政层级", match="choice", facet=True, choices=LEVELS, suffix="级",
          help="行政层级：" + "/".join(LEVELS) + "（未识别：没有层级的报告）", unknown_bucket=True),
    Field("section", "section_kind", "章节类型", of="passage", match="choice", facet=True,
          choices=SECTION_KINDS, help="章节类型，如 存在问题",
          aliases={"举措": "主要举措和成效", "成效": "主要举措和成效", "问题": "存在问题",
                   "原因": "原因分析", "履职": "第一责任人履职", "第一责任人": "第一责任人履职",
                   "计划": "下一步工作安排", "下一步": "下一步工作安排"}),
    Field("report", "report_id", "报告", of="passage", match="report", export=False,
          help="只在某份报告中检索（文件名或编号）"),
)  # fmt: skip


def by_name(name: str) -> Field | None:
    return next((f for f in FIELDS if f.name == name), None)


def columns() -> list[Field]:
    """Fields stored as categorical code columns of the row table (all but the year)."""
    return [f for f in FIELDS if f.match != "year"]


def facets() -> list[Field]:
    return [f for f in FIELDS if f.facet]


def trends() -> list[Field]:
    return [f for f in FIELDS if f.trend]


def exported() -> list[Field]:
    return [f for f in FIELDS if f.export]


def labels() -> dict[str, str]:
    """Parameter name → label, for every field."""
    return {f.name: f.label for f in FIELDS}
