"""CSV export of a result list: one row per hit, opened correctly by Excel and WPS.

Takes hit dictionaries (the JSON form of a hit, ``Hit.to_dict()``), so the web page, the API
and any script export exactly what they show.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from kb.core import fields
from kb.render.citation import EXCERPT, citation, org_label, quoted_text


def columns() -> list[tuple[str, str]]:
    """(hit key, header) of every column: who wrote it, the registry's exported search
    fields, then the report title, the passage and where it comes from."""
    return [
        ("rank", "序号"),
        ("org", "发文机关"),
        *((f.column, f.label) for f in fields.exported()),
        ("title", "报告标题"),
        ("heading_path", "标题路径"),
        ("text", "段落原文"),
        ("excerpt", EXCERPT),
        ("citation", "引用（GB/T 7714）"),
        ("report", "来源文件"),
        ("source_url", "原文链接"),
        ("passage_id", "段落编号"),
    ]


# A cell starting with one of these is a formula to Excel/WPS; a leading ' keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
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
    cols = columns()
    writer.writerow([label for _key, label in cols])
    for hit in hits:
        truncated = bool(hit.get("truncated"))
        row = {
            **hit,
            "org": org_label(hit),
            "text": quoted_text(str(hit.get("text") or ""), truncated),
            "excerpt": "是" if truncated else "",
            "citation": hit.get("citation") or citation(hit),
        }
        writer.writerow([cell(row.get(key)) for key, _label in cols])
    return "\ufeff" + buf.getvalue()
