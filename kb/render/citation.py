"""Where a passage comes from, as one line ready to paste under a quotation, and safe links.

Every export (CSV, Markdown, Word handouts) and the case collections use these, so a
citation reads the same wherever it is pasted from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def http_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None: a ``javascript:`` or ``data:`` source
    URL from a hostile page must never become a live link in anything we produce."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def citation(hit: Mapping[str, Any]) -> str:
    """One line saying where a passage comes from, ready to paste under a quotation."""
    org = hit.get("org") or hit.get("report") or "（未知机关）"
    year = f"{hit['year']}年度" if hit.get("year") else "年度不详"
    title = f"《{hit['title']}》" if hit.get("title") else ""
    where = hit.get("section_kind") or ""
    path = "／".join(hit.get("heading_path") or [])
    if path:
        where = f"{where}：{path}" if where else path
    parts = [f"{org}，{year}", title, where]
    line = "，".join(p for p in parts if p)
    if hit.get("doc_number"):
        line += f"（{hit['doc_number']}）"
    return line
