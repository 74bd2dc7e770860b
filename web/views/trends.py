"""Trends of a theme across years and places (``/trends``), its JSON twin (``/api/trends``) and
the table behind the charts as CSV (``/trends.csv``).

Same parameters as the search page (query and filters; ``mode`` does not apply) plus
``threshold``. A bar links to the same page with that year / province / kind of department
added as a filter, where the list under the charts shows the passages it counted.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for

from kb.render.csv import cell
from kb.search import FilterError, RequestError
from kb.search.searcher import MAX_OFFSET
from kb.tools.trends import (
    DEFAULT_THRESHOLD,
    RULE,
    Trends,
    dimensions,
    matching_hits,
)
from kb.tools.trends import trends as compute
from web import charts
from web.context import searcher
from web.limits import capped_hits
from web.params import format_threshold, require_query, tool_request
from web.responses import download, error_page, filename
from web.url_builder import with_changes

bp = Blueprint("trends", __name__)

EXAMPLES = ("执法力量薄弱", "首违不罚", "行政执法公示", "普法宣传方式单一", "法律顾问")
CSV_HEADER = (
    "维度",
    "取值",
    "匹配报告数",
    "范围内报告数",
    "占比",
    "匹配段落数",
    "检索词",
    "相似度阈值",
)
# What the default threshold was measured on (kb.tools.trends docstring), shown with the rule.
THRESHOLD_EVIDENCE = (
    "默认阈值 0.895 在本项目的相关性评测集（115 个查询、120 份报告）上选定："
    "按“报告中任一段落匹配”计，阈值 0.89 时准确率 0.77、召回率 0.42；0.895 时 0.90、0.40；"
    "0.90 时 0.94、0.36。阈值越高，计入的报告越少但越可靠。该数值只适用于默认的向量模型。"
)


# The default view is the share of reports in scope: 2025 has four times the reports of 2021,
# so raw counts mostly show how many reports were published. Counts are one click away.
VIEWS = {"share": "占比", "count": "报告数"}
# Horizontal charts (provinces, kinds of department) show this many values with matches; the
# rest with matches become one 其他 bar, and values without any match appear in the table only.
TOP_N = 10


def parse_view(raw: str | None) -> str:
    return raw if raw in VIEWS else "share"


def _bucket_title(dim: str, b: dict[str, Any]) -> str:
    unit = " 年度" if dim == "year" else ""
    if not b["reports_total"]:
        return f"{b['value']}{unit}：范围内没有报告"
    return (
        f"{b['value']}{unit}：{b['reports']} 份报告匹配（该范围共 {b['reports_total']} 份，"
        f"占 {b['share'] * 100:.0f}%），{b['passages']} 个段落。点击查看这些段落"
    )


def _plotted(b: dict[str, Any], view: str) -> float:
    return round(b["share"] * 100, 1) if view == "share" else b["reports"]


def _bar(dim: str, b: dict[str, Any], view: str) -> charts.Bar:
    gap = not b["reports_total"]
    href = None if gap else b["href"]
    return charts.Bar(
        b["value"], _plotted(b, view), href, _bucket_title(dim, b), b["value"], gap=gap
    )


def _top_with_rest(dim: str, rows: list[dict[str, Any]], view: str) -> list[charts.Bar]:
    """The values with matches, largest first; beyond TOP_N they are summed into 其他."""
    matched = [b for b in rows if b["reports"]]
    matched.sort(key=lambda b: (-_plotted(b, view), -b["reports"], b["value"]))
    bars = [_bar(dim, b, view) for b in matched[:TOP_N]]
    rest = matched[TOP_N:]
    if rest:
        reports = sum(b["reports"] for b in rest)
        total = sum(b["reports_total"] for b in rest)
        share = reports / total if total else 0.0
        value = round(share * 100, 1) if view == "share" else reports
        title = (
            f"其他 {len(rest)} 个：{reports} 份报告匹配（共 {total} 份，占 {share * 100:.0f}%），"
            "见下表"
        )
        bars.append(charts.Bar(f"其他 {len(rest)} 个", value, None, title, "其他"))
    return bars


def chart_data(result: Trends, state: dict[str, str], view: str) -> dict[str, dict[str, Any]]:
    """Per dimension: the chart(s) as SVG and the table rows, every value linking to its
    passages (the page with that value as a filter, scrolled to the list)."""
    unit = "%" if view == "share" else ""
    what = "匹配报告的占比" if view == "share" else "匹配的报告数"
    out: dict[str, dict[str, Any]] = {}
    for dim, label in dimensions().items():
        rows = [b.to_dict() for b in result.counts[dim]]
        for b in rows:
            b["href"] = url_for(
                "trends.page", **with_changes(state, **{dim: b["value"]}), _anchor="passages"
            )
        entry: dict[str, Any] = {"label": label, "rows": rows}
        if dim == "year":
            bars = [_bar(dim, b, view) for b in rows]
            entry["chart"] = charts.column_chart(
                bars, dim=dim, caption=f"各年度{what}：{result.query}", unit=unit
            )
            points = [
                charts.Bar(
                    b["value"],
                    b["passages"],
                    None if not b["reports_total"] else b["href"],
                    _bucket_title(dim, b),
                    b["value"],
                    gap=not b["reports_total"],
                )
                for b in rows
            ]
            entry["line"] = charts.line_chart(
                points, dim="year-passages", caption=f"各年度匹配的段落数：{result.query}"
            )
        else:
            bars = _top_with_rest(dim, rows, view)
            entry["chart"] = charts.bar_chart(
                bars, dim=dim, caption=f"各{label}{what}：{result.query}", unit=unit
            )
            entry["unmatched"] = sum(1 for b in rows if not b["reports"])
        out[dim] = entry
    return out


@bp.get("/trends")
def page():
    try:
        req, state, threshold = tool_request(request.args)
    except (RequestError, FilterError) as e:
        return error_page("trends.html", e, examples=EXAMPLES)
    view = parse_view(request.args.get("view"))
    if view != "share":
        state["view"] = view
    common = {
        "state": state,
        "view": view,
        "views": VIEWS,
        "threshold": threshold,
        "default_threshold": DEFAULT_THRESHOLD,
        "rule": RULE,
        "evidence": THRESHOLD_EVIDENCE,
        "examples": EXAMPLES,
    }
    if not req.query.strip():
        return render_template("trends.html", **common)
    result = compute(searcher(), req.query, req.filters, threshold)
    words = searcher().analyze(req.query).highlight_terms()
    hits = matching_hits(searcher(), result, req.offset, req.limit, words)
    last_page = max(1, min(math.ceil(result.passages / req.limit), MAX_OFFSET // req.limit + 1))
    return render_template(
        "trends.html",
        **common,
        req=req,
        result=result,
        summary=result.to_dict(),
        data=chart_data(result, state, view),
        hits=hits,
        page_no=req.offset // req.limit + 1,
        last_page=last_page,
    )


@bp.get("/api/trends")
def api():
    """Counts per year, province and kind of department, plus one page of matching passages."""
    req, _state, threshold = tool_request(request.args)
    require_query(req.query)
    result = compute(searcher(), req.query, req.filters, threshold)
    words = searcher().analyze(req.query).highlight_terms()
    body = result.to_dict()
    body.update(
        total=result.passages,
        limit=req.limit,
        offset=req.offset,
        hits=capped_hits(matching_hits(searcher(), result, req.offset, req.limit, words)),
    )
    return jsonify(body)


def to_csv(result: Trends) -> str:
    """The tables behind the charts, one row per value, self-describing (query, threshold)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    threshold = format_threshold(result.threshold)
    for dim, label in dimensions().items():
        for b in result.counts[dim]:
            d = b.to_dict()
            writer.writerow(
                [
                    label,
                    cell(d["value"]),
                    d["reports"],
                    d["reports_total"],
                    f"{d['share']:.3f}",
                    d["passages"],
                    cell(result.query),
                    threshold,
                ]
            )
    return "\ufeff" + buf.getvalue()


@bp.get("/trends.csv")
def csv_download():
    req, _state, threshold = tool_request(request.args)
    require_query(req.query)
    result = compute(searcher(), req.query, req.filters, threshold)
    name = filename(f"趋势{req.query}", "csv")
    return download(to_csv(result), "text/csv; charset=utf-8", name)
