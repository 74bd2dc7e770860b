"""The citation of a passage, in one standard form, for everything that quotes one.

A drafter pastes what kb shows into a report that goes up the hierarchy, so a citation follows
GB/T 7714-2015 (信息与文献 参考文献著录规则) for an electronic government document:

    发文机关. 标题[EB/OL]. (发布日期)[引用日期]. URL

for example ``郑州市应急管理局. 郑州市应急管理局关于2023年度法治政府建设工作的报告[EB/OL].
(2024-01-05)[2025-03-01]. https://public.zhengzhou.gov.cn/D0107Y/8209896.jhtml``. A field the
report does not state is left out, never invented: no organisation, title, date or URL is made
up, and only a plain http(s) URL is written. The 引用日期 is when the passage was cited: the day
of the search or export, or the day it was added to a case collection.

Every export (CSV, Markdown, Word handouts), the case collections, the JSON of every hit (its
``citation`` field) and the web page's 复制引用 button use :func:`citation`, so a citation reads
the same wherever it is pasted from. The module imports nothing from kb: the store and search
layers use it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

# What the page shows where the issuing organisation is unknown (never a file name).
UNKNOWN_ORG = "（发文机关未识别）"
# Marks a quotation that does not end where its sentence does.
EXCERPT = "节选"
ELLIPSIS = "…"


def http_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None: a ``javascript:`` or ``data:`` source
    URL from a hostile page must never become a live link in anything we produce."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        return None
    return url


def _iso_day(value: object) -> str | None:
    """YYYY-MM-DD of a date, datetime or ISO string (the day part of '2025-03-01T14:05:00')."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        m = re.match(r"\d{4}-\d{2}-\d{2}", value.strip())
        return m.group(0) if m else None
    return None


def citation(hit: Mapping[str, Any], cited: date | datetime | str | None = None) -> str:
    """GB/T 7714 citation of the report a passage comes from (see the module docstring).

    ``hit`` is any mapping with the report's ``org``, ``title``, ``pub_date`` and
    ``source_url`` (a hit's JSON, a collection item's snapshot); ``cited`` is the day it is
    cited (default: today).
    """
    org = str(hit.get("org") or "").strip()
    title = str(hit.get("title") or "").strip()
    published = _iso_day(hit.get("pub_date"))
    cited_day = _iso_day(cited) or date.today().isoformat()
    url = http_url(hit.get("source_url"))
    head = f"{org}. " if org else ""
    line = f"{head}{title}[EB/OL]. "
    line += f"({published})" if published else ""
    line += f"[{cited_day}]."
    if url:
        line += f" {url}"
    return line


def org_label(hit: Mapping[str, Any]) -> str:
    """The organisation as a page, export or handout names it: never a file name."""
    return str(hit.get("org") or "").strip() or UNKNOWN_ORG


def quoted_text(text: str, truncated: bool) -> str:
    """A passage as it is quoted: ending with … where it was cut before its sentence ended."""
    text = text.rstrip()
    if truncated and not text.endswith(ELLIPSIS):
        return text + ELLIPSIS
    return text


def clipboard_text(hit: Mapping[str, Any], cited: date | datetime | str | None = None) -> str:
    """What 复制引用 copies: the passage (with … if cut), a line break, the citation."""
    passage = quoted_text(str(hit.get("text") or ""), bool(hit.get("truncated")))
    cite = hit.get("citation") if cited is None else None
    return f"{passage}\n{cite or citation(hit, cited)}"
