"""Request parameters → a SearchRequest and the canonical URL state of the page.

The URL holds the whole state of a search (query, mode, filters, page, page size) so a search
can be bookmarked and shared; ``state`` is that state with defaults left out, the form every
link on the page is built from (see ``web.url_builder``).
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from kb.search import RequestError, SearchRequest
from kb.tools.trends import DEFAULT_THRESHOLD, parse_threshold

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


def format_threshold(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def tool_request(args: MultiDict) -> tuple[SearchRequest, dict[str, str], float]:
    """(SearchRequest, URL state, threshold) of the trends and compare pages: the search
    page's parameters without ``mode`` in the state, plus the relevance ``threshold``."""
    req, state = search_request(args, "hybrid")
    state.pop("mode", None)
    threshold = parse_threshold(args.get("threshold"))
    if threshold != DEFAULT_THRESHOLD:
        state["threshold"] = format_threshold(threshold)
    return req, state, threshold


def require_query(query: str) -> None:
    """The tools' JSON twins and downloads answer a query; without one, a 400 naming q."""
    if not query.strip():
        raise RequestError("q", "请输入检索词")
