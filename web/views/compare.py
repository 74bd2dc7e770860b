"""Compare how peer organisations wrote the same point (``/compare``), its JSON twin
(``/api/compare``) and a Markdown handout with citations (``/compare.md``).

Takes the search page's parameters (query, mode, filters) plus ``threshold`` for the relevance
mark; paging does not apply — every organisation gets one passage.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from kb.render.markdown import comparison_markdown
from kb.search import FilterError, RequestError
from kb.tools.compare import Comparison, compare
from web.context import config, searcher
from web.limits import capped_hits
from web.params import require_query, tool_request
from web.responses import download, error_page, filename

bp = Blueprint("compare", __name__)

# What each kind of section tells a drafter.
SECTION_HINTS = {
    "主要举措和成效": "做了什么",
    "存在问题": "怎样描述问题",
    "原因分析": "怎样分析原因",
    "第一责任人履职": "主要负责人怎样履职",
    "下一步工作安排": "下一步打算怎么做",
    "其他": "其他部分",
}
SECTION_CHOICES = ("存在问题", "主要举措和成效", "下一步工作安排")


def _compare() -> tuple[Comparison, dict[str, str]]:
    req, state, threshold = tool_request(request.args)
    state.pop("limit", None)
    if req.mode != config().search.mode:
        state["mode"] = req.mode
    require_query(req.query)
    return compare(searcher(), req, threshold), state


@bp.get("/compare")
def page():
    try:
        req, state, _threshold = tool_request(request.args)
    except (RequestError, FilterError) as e:
        return error_page("compare.html", e)
    if not req.query.strip():
        return render_template("compare.html", state=state, choices=SECTION_CHOICES)
    comp, state = _compare()
    return render_template(
        "compare.html",
        state=state,
        comp=comp,
        hints=SECTION_HINTS,
        choices=SECTION_CHOICES,
    )


@bp.get("/api/compare")
def api():
    """Best passage per organisation, grouped by section kind."""
    comp, _state = _compare()
    body = comp.to_dict()
    for group in body["groups"]:
        group["hits"] = capped_hits(group["hits"])
    return jsonify(body)


@bp.get("/compare.md")
def md():
    comp, state = _compare()
    conditions = "；".join(f"{k}={v}" for k, v in state.items() if k != "q")
    body = comparison_markdown(comp, conditions)
    return download(body, "text/markdown; charset=utf-8", filename(f"对比{comp.query}", "md"))
