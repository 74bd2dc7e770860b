"""Markdown exports: result lists and comparisons, each passage quoted with its citation.

Everything users type or reports contain goes through :func:`md_text`, so raw HTML in a
report, a query, a collection name or a note stays inert text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kb.render.citation import citation, http_url

if TYPE_CHECKING:
    from kb.tools.compare import Comparison


def md_text(text: str) -> str:
    """Text made inert in Markdown: raw HTML in a report, a query, a collection name or a note
    must not render as HTML. Only & < > change, so Chinese text and punctuation read as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_line(text: str) -> str:
    """``md_text`` on one line: a line break in a query or a name would end the heading it is
    put in and start Markdown of its own."""
    return " ".join(md_text(text).splitlines())


def quotation(text: str, cite: str, source_url: str | None) -> list[str]:
    """A passage as a block quote, then its citation line (and an http(s) link to the source)."""
    lines = [f"> {p}" if p else ">" for p in md_text(text).split("\n")]
    line = f"—— 引自：{md_line(cite)}"
    url = http_url(source_url)
    if url:
        line += f"。原文：<{url}>"
    return [*lines, "", line, ""]


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
        lines += quotation(str(hit.get("text", "")), citation(hit), hit.get("source_url"))
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
            org = md_line(str(hit.get("org") or hit.get("report")))
            lines += [f"### {org}{year}", ""]
            lines += quotation(str(hit.get("text", "")), citation(hit), hit.get("source_url"))
            if not hit.get("strong"):
                lines += ["（注：该单位最相关的段落与检索词的相关度较低。）", ""]
    if not comp.groups:
        lines += ["（没有结果）", ""]
    return "\n".join(lines)
