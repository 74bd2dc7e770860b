"""Links that keep the page state: pages, facet toggles, exports, JSON twins.

Every link is built from the canonical state (``web.params.search_request``) plus changes, so
following any link keeps the rest of the search as it was. Changing the query, the mode or a
filter starts again at page 1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flask import url_for

from kb.core import fields

# A filter field holding several values (OR-ed) keeps them comma-separated in the page state
# and as repeated parameters in every URL (?province=湖南&province=广东): filter values never
# hold a comma, which kb.search.filters splits on.
SEP = ","


def multi_valued(name: str) -> bool:
    """Whether a parameter is a filter field that can hold several values (all but the year)."""
    f = fields.by_name(name)
    return f is not None and f.match != "year"


def values(state: Mapping[str, str], name: str) -> list[str]:
    """The values of one parameter of the state (several for a multi-valued filter)."""
    raw = state.get(name) or ""
    return [v for v in raw.split(SEP) if v] if multi_valued(name) else ([raw] if raw else [])


def pairs(state: Mapping[str, str], skip: Collection[str] = ()) -> list[tuple[str, str]]:
    """(name, value) per parameter value: the hidden inputs of a form that keeps the state."""
    return [(k, v) for k in state if k not in skip for v in values(state, k)]


def _as_url_params(params: Mapping[str, str]) -> dict[str, str | list[str]]:
    """Multi-valued filters as lists, which url_for writes as repeated parameters."""
    return {k: values(params, k) if multi_valued(k) else v for k, v in params.items()}


def changed(state: Mapping[str, str], **changes: object) -> dict[str, str]:
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


def with_changes(state: Mapping[str, str], **changes: object) -> dict[str, str | list[str]]:
    """URL parameters (for url_for) of the state with some parameters set or removed."""
    return _as_url_params(changed(state, **changes))


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


def toggled(state: Mapping[str, str], name: str, value: str) -> str:
    """The parameter's new value once ``value`` is added to or taken out of its selection:
    several values of one field are OR-ed (the year, a range, holds one)."""
    if not multi_valued(name):
        return "" if state.get(name) == value else value
    chosen = values(state, name)
    chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    return SEP.join(chosen)


def facet(state: Mapping[str, str], name: str, value: str) -> str:
    """Add a facet value to the selection, or take it out when it is already selected."""
    return search(state, **{name: toggled(state, name, value)})


def selected(state: Mapping[str, str], name: str, value: str) -> bool:
    return value in values(state, name)


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
    return url_for("similar.page", passage_id=passage_id, **_as_url_params(state or {}))
