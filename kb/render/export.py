"""Export a result list for drafting: CSV for spreadsheets, Markdown with a citation per passage.

Both take hit dictionaries (the JSON form of a hit, ``Hit.to_dict()``), so the web page, the
API and any script export exactly what they show.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "序号"),
    ("org", "发文机关"),
    ("year", "年度"),
    ("province", "省份"),
    ("city", "城市"),
    ("county", "区县"),
    ("dept_kind", "部门类别"),
    ("title", "报告标题"),
    ("section_kind", "章节类型"),
    ("heading_path", "标题路径"),
    ("text", "段落原文"),
    ("citation", "引用"),
    ("report", "来源文件"),
    ("source_url", "原文链接"),
    ("passage_id", "段落编号"),
)
# A cell starting with one of these is a formula to Excel/WPS; a leading ' keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def http_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None: a ``javascript:`` or ``data:`` source
    URL from a hostile page must never become a live link in anything we produce."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def md_text(text: str) -> str:
    """Text made inert in Markdown: raw HTML in a report, a query, a collection name or a note
    must not render as HTML. Only & < > change, so Chinese text and punctuation read as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_line(text: str) -> str:
    """``md_text`` on one line: a line break in a query or a name would end the heading it is
    put in and start Markdown of its own."""
    return " ".join(md_text(text).splitlines())


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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " > ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(hits: Iterable[Mapping[str, Any]]) -> str:
    """CSV text with a UTF-8 BOM so Excel and WPS open the Chinese correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for hit in hits:
        row = {**hit, "citation": citation(hit)}
        writer.writerow([_cell(row.get(key)) for key, _label in CSV_COLUMNS])
    return "\ufeff" + buf.getvalue()


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
