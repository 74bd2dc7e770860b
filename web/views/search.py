"""The search page (``/``) and its JSON twins (``/api/search``, ``/api/facets``)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify, render_template, request

from kb.search import FilterError, RequestError, SearchRequest, concrete
from kb.search.facets import labels
from kb.search.searcher import INDEX_BEHIND, MAX_OFFSET
from web import facets
from web.context import config, searcher
from web.limits import capped_hits
from web.params import search_request

bp = Blueprint("search", __name__)

EXAMPLES = (
    "首违不罚",
    "执法力量薄弱",
    "行刑衔接",
    "基层监管人手不够怎么办",
    "主要负责人履行推进法治建设第一责任人职责",
    "双随机一公开",
    "行政复议 纠错率",
)
OVERVIEW_REPORTS = 50  # reports listed on the empty-query page


def overview(req: SearchRequest) -> dict[str, Any]:
    """What the knowledge base holds (under the filters): report counts and the latest reports."""
    view = searcher().overview(req.filters)
    view["facets"] = facets.of_corpus(req, view["facets"])
    view["latest"] = view["reports"][:OVERVIEW_REPORTS]
    view["reports"] = len(view["reports"])
    return view


@bp.get("/")
def page():
    cfg = config()
    try:
        req, state = search_request(request.args, cfg.search.mode)
    except (RequestError, FilterError) as e:
        state = {"q": request.args.get("q", "")}
        return render_template("search.html", state=state, error=str(e), examples=EXAMPLES), 400
    if not req.query.strip():
        return render_template(
            "search.html",
            state=state,
            req=req,
            overview=overview(req),
            examples=EXAMPLES,
            concrete_rule=concrete.rule(),
        )
    resp = searcher().search(req)
    last_page = max(1, min(math.ceil(resp.total / req.limit), MAX_OFFSET // req.limit + 1))
    return render_template(
        "search.html",
        state=state,
        req=req,
        resp=resp,
        hits=[h.to_dict() for h in resp.hits],
        facets=facets.of_results(req, resp),
        concrete_hidden=resp.boilerplate_results,
        concrete_rule=concrete.rule(),
        page_no=req.offset // req.limit + 1,
        last_page=last_page,
        examples=EXAMPLES,
        index_behind_message=INDEX_BEHIND,
    )


@bp.get("/api/search")
def api():
    req, _state = search_request(request.args, config().search.mode)
    resp = searcher().search(req)
    body = resp.to_dict()
    body["hits"] = capped_hits(body["hits"])
    if request.args.get("facets") in ("1", "true"):
        body["facets"] = facets.of_results(req, resp)
    return jsonify(body)


@bp.get("/api/facets")
def api_facets():
    """Counts per year/province/city/kind/level/section: of reports in the corpus when there is
    no query, of result passages when there is one."""
    req, _state = search_request(request.args, config().search.mode)
    if req.query.strip():
        resp = searcher().search(req)
        unit, total, counts = "passages", resp.total, facets.of_results(req, resp)
    else:
        view = overview(req)
        unit, total, counts = "reports", view["reports"], view["facets"]
    names = labels()
    return jsonify(
        {
            "query": req.query,
            "filters": req.filters.to_params(),
            "unit": unit,
            "total": total,
            "facets": {
                name: {"label": names[name], "values": values} for name, values in counts.items()
            },
        }
    )
