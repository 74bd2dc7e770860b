"""The current result list as a download: CSV (``/export.csv``) or Markdown (``/export.md``).

Exports take exactly the page's parameters (query, mode, filters, page, page size), so what is
downloaded is what is on the screen.
"""

from __future__ import annotations

from flask import Blueprint, request

from kb.render.csv import to_csv
from kb.render.markdown import to_markdown
from web.context import config, searcher
from web.params import search_request
from web.responses import download, filename

bp = Blueprint("export", __name__)


def _hits():
    req, state = search_request(request.args, config().search.mode)
    resp = searcher().search(req)
    return req, state, [h.to_dict() for h in resp.hits]


@bp.get("/export.csv")
def csv():
    req, _state, hits = _hits()
    return download(to_csv(hits), "text/csv; charset=utf-8", filename(req.query, "csv"))


@bp.get("/export.md")
def md():
    req, state, hits = _hits()
    conditions = "；".join(f"{k}={v}" for k, v in state.items() if k != "q")
    body = to_markdown(hits, f"检索：{req.query}", conditions)
    return download(body, "text/markdown; charset=utf-8", filename(req.query, "md"))
