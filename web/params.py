"""Request parameters → a SearchRequest and the canonical URL state of the page.

The URL holds the whole state of a search (query, mode, filters, page, page size) so a search
can be bookmarked and shared; ``state`` is that state with defaults left out, the form every
link on the page is built from (see ``web.url_builder``).
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from kb.search import SearchRequest

DEFAULT_LIMIT = 10


def flat(args: MultiDict) -> dict[str, str]:
    """Repeated parameters (?province=湖南&province=广东) become one comma-separated value."""
    return {k: ",".join(v for v in args.getlist(k) if v) for k in args}


def search_request(args: MultiDict, default_mode: str) -> tuple[SearchRequest, dict[str, str]]:
    """Parse the page/API parameters; raises RequestError/FilterError naming the parameter."""
    req = SearchRequest.from_params(flat(args), default_mode=default_mode)
    state: dict[str, str] = {}
    if req.query.strip():
        state["q"] = req.query.strip()
    if req.mode != default_mode:
        state["mode"] = req.mode
    state.update(req.filters.to_params())
    if req.limit != DEFAULT_LIMIT:
        state["limit"] = str(req.limit)
    if req.offset:
        state["page"] = str(req.offset // req.limit + 1)
    return req, state
