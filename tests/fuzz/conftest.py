"""Fuzzing with Hypothesis: the budget, and how many cases ran.

Every fuzz test runs ``budget()`` examples per strategy: ``KB_FUZZ_EXAMPLES`` (``make fuzz``
sets it high), else a default that keeps the ordinary test run (and CI) to about a minute.
The number of cases each test actually ran is counted and printed at the end of the session.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 100
CASES: Counter[str] = Counter()


def budget(share: float = 1.0) -> int:
    """Examples per test: KB_FUZZ_EXAMPLES (or the default) times ``share``, at least 5."""
    total = int(os.environ.get("KB_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
    return max(5, int(total * share))


def fuzz_settings(share: float = 1.0) -> settings:
    # No example database (nothing written into the checkout) and no deadline: a case may
    # hit the slow path of a parser on a loaded machine, which is not a failure.
    return settings(
        max_examples=budget(share),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def count(kind: str) -> None:
    CASES[kind] += 1


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter) -> None:
    if CASES:
        parts = ", ".join(f"{kind} {n}" for kind, n in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz: {sum(CASES.values())} cases ran ({parts})")
