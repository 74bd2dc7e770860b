"""How complete and how sure a corpus's citation data is: the numbers `kb ingest` and `kb stats`
report, so an operator knows which reports need a sidecar file.

A citation needs the issuing organisation, the title, the year and the place
(``CITATION_FIELDS``). A report lacks one when nothing in it states the field; it is uncertain
when the value is a guess (confidence "low": the region from a two-letter domain label, an
organisation composed from 我局 and the URL).
"""

from __future__ import annotations

from collections.abc import Iterable

from kb.core.models import CITATION_FIELDS, ReportMeta

FIELD_LABELS = {
    "org": "发文机关",
    "title": "标题",
    "year": "年度",
    "province": "省份",
    "city": "城市",
    "county": "区县",
    "level": "层级",
    "dept_kind": "部门类别",
    "pub_date": "发布日期",
}
SOURCE_LABELS = {
    "sidecar": "元数据文件",
    "header": "页面信息栏",
    "text": "正文",
    "derived": "推断",
    "url": "网址",
}
CONFIDENCE_LABELS = {"high": "高", "medium": "中", "low": "低"}


def weak_fields(meta: ReportMeta) -> tuple[list[str], list[str]]:
    """(unknown, low-confidence) citation fields of one report."""
    unknown = [f for f in CITATION_FIELDS if getattr(meta, f) in (None, "")]
    low = [f for f in CITATION_FIELDS if f not in unknown and meta.confidence.get(f) == "low"]
    return unknown, low


def coverage_line(metas: Iterable[ReportMeta]) -> str:
    """One line: how many reports have each citation field, and how many are uncertain."""
    metas = list(metas)
    n = len(metas)
    parts = []
    low_total = 0
    for f in (*CITATION_FIELDS, "dept_kind"):
        have = sum(getattr(m, f) not in (None, "") for m in metas)
        low = sum(getattr(m, f) not in (None, "") and m.confidence.get(f) == "low" for m in metas)
        low_total += low if f in CITATION_FIELDS else 0
        parts.append(f"{FIELD_LABELS[f]} {have}/{n}")
    weak = sum(any(weak_fields(m)) for m in metas)
    tail = (
        f"；{weak} 份报告有未识别或可信度低的字段（{low_total} 项低可信度），见 kb stats"
        if weak
        else ""
    )
    return f"元数据覆盖（共 {n} 份）：" + "，".join(parts) + tail
