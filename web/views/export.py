"""The current result list as a download: CSV (``/export.csv``) or Markdown (``/export.md``).

Exports take exactly the page's parameters (query, mode, filters, page, page size), so what is
downloaded is what is on the screen.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from kb.render import export
from web.params import search_request
from web.views.search import config, searcher

bp = Blueprint("export", __name__)


def _hits():
    req, state = search_request(request.args, config().search.mode)
    resp = searcher().search(req)
    return req, state, [h.to_dict() for h in resp.hits]


def _download(body: str, content_type: str, name: str) -> Response:
    """An attachment sent with exactly the given Content-Type. (As ``mimetype`` Werkzeug would
    append its own charset to a ``text/…`` type that already names one: two charsets.)"""
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=kb-export.{name.rsplit('.', 1)[-1]}; filename*=UTF-8''{quote(name)}"
    )
    return response


def _name(query: str, ext: str) -> str:
    safe = "".join(c for c in query if c.isalnum())[:20] or "检索结果"
    return f"kb-{safe}.{ext}"


@bp.get("/export.csv")
def csv():
    req, _state, hits = _hits()
    return _download(export.to_csv(hits), "text/csv; charset=utf-8", _name(req.query, "csv"))


@bp.get("/export.md")
def md():
    req, state, hits = _hits()
    conditions = "；".join(f"{k}={v}" for k, v in state.items() if k != "q")
    body = export.to_markdown(hits, f"检索：{req.query}", conditions)
    return _download(body, "text/markdown; charset=utf-8", _name(req.query, "md"))
