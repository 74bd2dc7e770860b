"""Stable ids: a report's id is derived from its path relative to the corpus root.

Its own module so that search (which accepts a file name wherever a report id is expected)
does not import the ingest pipeline.
"""

from __future__ import annotations

import hashlib
import re

_REPORT_ID = re.compile(r"[0-9a-f]{12}")


def report_id(source: str) -> str:
    """Stable id of a report, derived from its path relative to the corpus root."""
    return hashlib.sha1(source.encode()).hexdigest()[:12]


def as_report_id(key: str) -> str:
    """A report id given either the id itself or the report's source file name."""
    return key if _REPORT_ID.fullmatch(key) else report_id(key)
