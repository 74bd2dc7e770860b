"""Facet counts for the search page and its JSON twins, with several values per field.

Values of one field are OR-ed and fields AND-ed (as in Kibana or 北大法宝). A facet counted
over the result list alone would shrink to the value already chosen, leaving nothing else to
add; so the facet of a field with a selection is counted over the results *without that
field's own filter* (one more search per filtered field), and every other facet over the
results as they are.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kb.core import fields
from kb.search import SearchRequest, SearchResponse
from web.context import searcher

Counts = dict[str, list[dict[str, Any]]]


def _facet_names(req: SearchRequest) -> list[str]:
    shown = {f.name for f in fields.facets()}
    return [name for name in req.filters.fields_set() if name in shown]


def of_results(req: SearchRequest, resp: SearchResponse) -> Counts:
    """Passage counts of a search's results per facet value."""
    s = searcher()
    counts = s.facets(resp.result_rows, "passages", resp.build_id)
    for name in _facet_names(req):
        others = dataclasses.replace(req, filters=req.filters.without(name), limit=1, offset=0)
        wider = s.search(others)
        counts[name] = s.facets(wider.result_rows, "passages", wider.build_id).get(name, [])
    return counts


def of_corpus(req: SearchRequest, counts: Counts) -> Counts:
    """Report counts of the corpus (the empty-query overview), each filtered field's facet
    counted without its own filter."""
    s = searcher()
    for name in _facet_names(req):
        counts[name] = s.overview(req.filters.without(name))["facets"].get(name, [])
    return counts
