"""Hypothesis over the query side: any query string, in any mode, is answered, never raised.

``Searcher.search`` runs on the real seed index with the real embedder; `kb search` runs
in-process as a user types it (the query after ``--``, so one starting with "-" is a query).
Queries are arbitrary Unicode (control characters, lone combining marks, huge strings, NULs)
mixed with the syntax the analyser gives meaning to: quotes, exclusions, parentheses, the
Whoosh operator words, wildcards.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.cli import main
from kb.search import SearchRequest
from tests.fuzz.conftest import count, fuzz_settings

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

_syntax = st.sampled_from(
    ['"', "-", "+", "(", ")", "*", "?", "~", ":", "^", "AND", "OR", "NOT", "\\", "[", "]", "{",
     "}", "/", "“", "”", "－", "　", "\x00", "\n", "\t", "首违不罚", "执法", "行政复议", "的"]
)  # fmt: skip
_words = st.text(max_size=30) | _syntax
queries = st.one_of(
    st.text(max_size=200),
    st.lists(_words, max_size=12).map(" ".join),
    st.lists(_words, max_size=12).map("".join),
    st.text(min_size=1000, max_size=5000),
)


@fuzz_settings()
@given(query=queries, mode=st.sampled_from(["hybrid", "lexical", "semantic"]))
def test_searcher_answers_any_query(seed_searcher, query, mode):
    count("search")
    resp = seed_searcher.search(SearchRequest(query=query, mode=mode, limit=5))
    assert resp.total >= len(resp.hits)
    assert all(h.passage.text for h in resp.hits)
    resp.to_dict()  # what the API serialises


@fuzz_settings(share=0.5)
@given(query=queries.filter(lambda q: "\x00" not in q))  # argv cannot carry a NUL
def test_kb_search_answers_any_query(seed_cfg, kb_cli_session, query):
    count("kb search")
    code, out, err = kb_cli_session(seed_cfg.data_dir, "search", "--limit", "3", "--", query)
    assert code == 0, err
    assert "Traceback" not in err
    assert out.strip()  # hits, or the sentence saying there are none


@pytest.fixture(scope="module")
def kb_cli_session():
    """`kb ARGS…` in-process, reusable across Hypothesis examples (no function-scoped fixture)."""
    import contextlib
    import io
    import os
    import signal

    def run(data_dir: str, *args: str) -> tuple[int, str, str]:
        saved = {k: v for k, v in os.environ.items() if k.startswith("KB_")}
        for name in saved:
            del os.environ[name]
        os.environ["KB_DATA_DIR"] = str(data_dir)
        sigterm = signal.getsignal(signal.SIGTERM)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(args))
        finally:
            signal.signal(signal.SIGTERM, sigterm)
            del os.environ["KB_DATA_DIR"]
            os.environ.update(saved)
        return code, out.getvalue(), err.getvalue()

    return run
