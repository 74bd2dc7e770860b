"""Hybrid search over the indexes: the one API behind the CLI, the web app and the evaluation."""

from kb.search.filters import FilterError, Filters
from kb.search.searcher import MODES, Hit, RequestError, Searcher, SearchRequest, SearchResponse

__all__ = [
    "MODES",
    "FilterError",
    "Filters",
    "Hit",
    "RequestError",
    "SearchRequest",
    "SearchResponse",
    "Searcher",
]
