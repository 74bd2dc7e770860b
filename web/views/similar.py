"""Passages of other reports that say something similar (``/similar/<pid>``, ``/api/similar/<pid>``).

A drafter picks a passage and sees how other bureaus wrote the same point: the source
passage's vector neighbours, its own report excluded, with the usual filters and paging.
"""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, render_template, request

from kb.search.searcher import MAX_OFFSET
from web.context import config, searcher
from web.errors import not_found
from web.limits import capped_hit, capped_hits
from web.params import search_request

bp = Blueprint("similar", __name__)


def _similar(passage_id: str):
    req, state = search_request(request.args, "semantic")
    state.pop("q", None)
    found = searcher().similar(passage_id, req.filters, limit=req.limit, offset=req.offset)
    if found is None:
        raise not_found(f"段落 {passage_id}")
    source, resp = found
    return req, state, source, resp


@bp.get("/similar/<passage_id>")
def page(passage_id: str):
    req, state, source, resp = _similar(passage_id)
    report_source, meta = searcher().report_meta(source.report_id) or ("", None)
    last_page = max(1, min(math.ceil(resp.total / req.limit), MAX_OFFSET // req.limit + 1))
    return render_template(
        "similar.html",
        source=source,
        source_meta=meta.to_dict() if meta else {},
        source_file=report_source,
        hits=[h.to_dict() for h in resp.hits],
        resp=resp,
        req=req,
        state=state,
        page_no=req.offset // req.limit + 1,
        last_page=last_page,
        default_mode=config().search.mode,
    )


@bp.get("/api/similar/<passage_id>")
def api(passage_id: str):
    _req, _state, source, resp = _similar(passage_id)
    body = resp.to_dict()
    body["hits"] = capped_hits(body["hits"])
    for key in ("query", "mode", "terms", "expansions", "query_kind", "lexical_matches"):
        body.pop(key, None)
    report_source, meta = searcher().report_meta(source.report_id) or ("", None)
    brief = {
        "passage_id": source.id,
        "report_id": source.report_id,
        "report": report_source,
        "org": meta.org if meta else None,
        "year": meta.year if meta else None,
        "heading_path": source.heading_path,
        "section_kind": source.section_kind,
        "text": source.text,
    }
    return jsonify({"source": capped_hit(brief), **body})
