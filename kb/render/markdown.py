"""Markdown exports: result lists and comparisons, each passage quoted with its citation.

Everything users type or reports contain goes through :func:`md_text`, so raw HTML in a
report, a query, a collection name or a note stays inert text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kb.render.citation import citation, http_url

def md_text(text: str) -> str:
    """Text made inert in Markdown: raw HTML in a report, a query, a collection name or a note
    must not render as HTML. Only & < > change, so Chinese text and punctuation read as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_line(text: str) -> str:
    """``md_text`` on one line: a line break in a query or a name would end the heading it is
    put in and start Markdown of its own."""
    return " ".join(md_text(text).splitlines())


def to_markdown(hits: Iterable[Mapping[str, Any]], heading: str, conditions: str = "") -> str:
    """Markdown: each passage as a block quote followed by its citation line."""
    lines = [f"# {md_line(heading)}", ""]  # the heading carries the query as typed
    if conditions:
        lines += [f"检索条件：{md_line(conditions)}", ""]
    count = 0
    for hit in hits:
        count += 1
        org = md_text(str(hit.get("org") or hit.get("report")))
        lines += [f"## {hit.get('rank', count)}. {org}", ""]
        text = md_text(str(hit.get("text", "")))
        lines += [f"> {para}" if para else ">" for para in text.split("\n")]
        lines.append("")
        cite = f"—— 引自：{md_text(citation(hit))}"
        url = http_url(hit.get("source_url"))
        if url:
            cite += f"。原文：<{url}>"
        lines += [cite, ""]
    if not count:
        lines += ["（没有结果）", ""]
    return "\n".join(lines)
