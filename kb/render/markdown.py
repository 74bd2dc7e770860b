"""Markdown exports: result lists and comparisons, each passage quoted with its citation.

Everything users type or reports contain goes through :func:`md_text`, so raw HTML or a link
in a report, a query, a collection name or a note stays inert text; the only URLs an export
writes are the http(s) source URLs in the citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kb.render.citation import citation, org_label, quoted_text

if TYPE_CHECKING:
    from kb.tools.compare import Comparison


_INERT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\"})
# A "]" that would close a link's text or label: followed by "(" (inline link, image), "["
# (reference link) or ":" (a "[label]: url" definition, in any container: quote, list item).
_CLOSES_LINK = re.compile(r"\](?=\s*[(\[:])")


def md_text(text: str) -> str:
    """Text made inert in Markdown: raw HTML in a report, a query, a collection name or a note
    must not render as HTML, and ``[x](javascript:…)`` in a report must not become a link.

    ``& < >`` become entities (no HTML, no ``<…>`` autolink). Every other kind of link needs
    a ``]`` followed by ``(``, ``[`` or ``:``; those are backslash-escaped, and a backslash is
    doubled so that one typed before a bracket cannot cancel the escape. With no definition
    possible, a lone ``[EB/OL]`` or ``[2025-03-01]`` (every GB/T 7714 citation has them) is
    just text, so citations read the same in the file as rendered, and Chinese text and
    punctuation read as typed.
    """
    return _CLOSES_LINK.sub(r"\\]", text.translate(_INERT))


def md_line(text: str) -> str:
    """``md_text`` on one line: a line break in a query or a name would end the heading it is
    put in and start Markdown of its own."""
    return " ".join(md_text(text).splitlines())


def quotation(text: str, cite: str, truncated: bool = False) -> list[str]:
    """A passage as a block quote, then its citation line (GB/T 7714, with the source URL).

    A passage cut before its sentence ended ends with … and is marked 节选 (节选自：…)."""
    quoted = quoted_text(text, truncated)
    lines = [f"> {p}" if p else ">" for p in md_text(quoted).split("\n")]
    line = f"—— {'节选自' if truncated else '引自'}：{md_line(cite)}"
    return [*lines, "", line, ""]


def _hit_quotation(hit: Mapping[str, Any]) -> list[str]:
    cite = str(hit.get("citation") or citation(hit))
    return quotation(str(hit.get("text", "")), cite, bool(hit.get("truncated")))


def to_markdown(hits: Iterable[Mapping[str, Any]], heading: str, conditions: str = "") -> str:
    """Markdown: each passage as a block quote followed by its citation line."""
    lines = [f"# {md_line(heading)}", ""]  # the heading carries the query as typed
    if conditions:
        lines += [f"检索条件：{md_line(conditions)}", ""]
    count = 0
    for hit in hits:
        count += 1
        org = md_line(org_label(hit))
        lines += [f"## {hit.get('rank', count)}. {org}", ""]
        lines += _hit_quotation(hit)
    if not count:
        lines += ["（没有结果）", ""]
    return "\n".join(lines)


def comparison_markdown(comp: Comparison, conditions: str = "") -> str:
    """The comparison as Markdown: a section per kind, a quotation and citation per organisation."""
    lines = [f"# 对比：{md_line(comp.query)}", ""]
    if conditions:
        lines += [f"检索条件：{md_line(conditions)}", ""]
    lines += [f"共 {len(comp.hits)} 个单位，每个单位取最相关的一个段落，按章节类型分组。", ""]
    for group in comp.groups:
        lines += [f"## {group.section_kind}", ""]
        for hit in group.hits:
            year = f"（{hit['year']}年度）" if hit.get("year") else ""
            org = md_line(org_label(hit))
            lines += [f"### {org}{year}", ""]
            lines += _hit_quotation(hit)
            if not hit.get("strong"):
                lines += ["（注：该单位最相关的段落与检索词的相关度较低。）", ""]
    if not comp.groups:
        lines += ["（没有结果）", ""]
    return "\n".join(lines)
