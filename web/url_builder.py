"""Links that keep the page state: pages, facet toggles, exports, JSON twins.

Every link is built from the canonical state (``web.params.search_request``) plus changes, so
following any link keeps the rest of the search as it was. Changing the query, the mode or a
filter starts again at page 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import url_for


def with_changes(state: Mapping[str, str], **changes: object) -> dict[str, str]:
    """The state with some parameters set (a value) or removed (None or "")."""
    params = dict(state)
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return {k: v for k, v in params.items() if v not in (None, "")}


def search(state: Mapping[str, str], **changes: object) -> str:
    return url_for("search.page", **with_changes(state, **changes))


def api_search(state: Mapping[str, str]) -> str:
    return url_for("search.api", **with_changes(state, page=state.get("page")))


def page(state: Mapping[str, str], number: int, endpoint: str = "search.page", **path: str) -> str:
    """Page ``number`` of a result list (the search page, or e.g. the similar-passages page)."""
    return url_for(endpoint, **path, **with_changes(state, page=number if number > 1 else None))


def pages(current: int, last: int, width: int = 2) -> list[int | None]:
    """Page numbers to show: first, last, and a window around the current one (None = gap)."""
    shown = sorted({1, last, *range(max(1, current - width), min(last, current + width) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def facet(state: Mapping[str, str], name: str, value: str) -> str:
    """Select a facet value, or unselect it when it is the one already selected."""
    return search(state, **{name: None if state.get(name) == value else value})


def export(state: Mapping[str, str], fmt: str) -> str:
    return url_for(f"export.{fmt}", **with_changes(state, page=state.get("page")))


def report(report_id: str, passage_id: str | None = None, q: str | None = None) -> str:
    params: dict[str, str] = {}
    if passage_id:
        params["p"] = passage_id
    if q:
        params["q"] = q
    anchor = f"p-{passage_id}" if passage_id else None
    return url_for("reports.page", report_id=report_id, _anchor=anchor, **params)


def similar(passage_id: str, state: Mapping[str, str] | None = None) -> str:
    return url_for("similar.page", passage_id=passage_id, **dict(state or {}))
