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


def _bucket_title(dim: str, b: dict[str, Any]) -> str:
    unit = " 年度" if dim == "year" else ""
    return (
        f"{b['value']}{unit}：{b['reports']} 份报告匹配（该范围共 {b['reports_total']} 份），"
        f"{b['passages']} 个段落。点击查看这些段落"
    )


def chart_data(result: Trends, state: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per dimension: the chart(s) as SVG and the table rows, every value linking to its
    passages (the page with that value as a filter, scrolled to the list)."""
    out: dict[str, dict[str, Any]] = {}
    for dim, label in dimensions().items():
        rows = [b.to_dict() for b in result.counts[dim]]
        for b in rows:
            b["href"] = url_for(
                "trends.page", **with_changes(state, **{dim: b["value"]}), _anchor="passages"
            )
        bars = [
            charts.Bar(b["value"], b["reports"], b["href"], _bucket_title(dim, b)) for b in rows
        ]
        entry: dict[str, Any] = {"label": label, "rows": rows}
        if dim == "year":
            entry["chart"] = charts.column_chart(
                bars, dim=dim, caption=f"各年度匹配的报告数：{result.query}"
            )
            points = [
                charts.Bar(b["value"], b["passages"], b["href"], _bucket_title(dim, b), b["value"])
                for b in rows
            ]
            entry["line"] = charts.line_chart(
                points, dim="year-passages", caption=f"各年度匹配的段落数：{result.query}"
            )
        else:
            entry["chart"] = charts.bar_chart(
                bars, dim=dim, caption=f"各{label}匹配的报告数：{result.query}"
            )
        out[dim] = entry
    return out


@bp.get("/trends")
def page():
    try:
        req, state, threshold = tool_request(request.args)
    except (RequestError, FilterError) as e:
        return error_page("trends.html", e, examples=EXAMPLES)
    common = {
        "state": state,
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
        data=chart_data(result, state),
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
