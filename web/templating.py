"""Rendering helpers for the templates: escaped highlighting, safe links, short labels.

Highlighting works on raw text and offsets and escapes every piece before wrapping matches in
<mark>, so neither a report containing markup nor a query containing it can inject anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from kb.core.models import SECTION_KINDS
from kb.render import citation as citations
from kb.render.citation import http_url as safe_url
from kb.search.facets import labels as facet_labels
from web import url_builder

SECTION_CLASS = {kind: f"k{i}" for i, kind in enumerate(SECTION_KINDS)}
MODE_LABELS = {"hybrid": "混合", "lexical": "关键词", "semantic": "语义"}


def highlight(text: str, spans: Iterable[Sequence[int]] = (), indent: bool = False) -> Markup:
    """Text with <mark> around each (start, end) span; everything else escaped.

    ``indent``: start every line after a line break with an empty indent box, since CSS
    text-indent only indents a paragraph's first line (copying the text copies no spaces).
    """
    out: list[str] = []
    pos = 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out += [str(escape(text[pos:start])), "<mark>", str(escape(text[start:end])), "</mark>"]
        pos = end
    out.append(str(escape(text[pos:])))
    html = "".join(out)
    if indent:
        html = html.replace("\n", '\n<span class="indent"></span>')
    return Markup(html)


def region(meta: Mapping[str, Any]) -> str:
    """省 市 县 without repeating a name (直辖市 have province == city)."""
    names: list[str] = []
    for key in ("province", "city", "county"):
        value = meta.get(key)
        if value and value not in names:
            names.append(value)
    return " ".join(names)


def _fields(obj: Any) -> Mapping[str, Any]:
    """A hit's JSON, a report's metadata or a collection snapshot, as a mapping."""
    if isinstance(obj, Mapping):
        return obj
    return {k: getattr(obj, k, None) for k in ("org", "title", "pub_date", "source_url",
                                                "text", "truncated", "citation")}  # fmt: skip


def org_label(obj: Any) -> str:
    """The organisation to show: （发文机关未识别） when unknown, never a file name."""
    return citations.org_label(_fields(obj))


def quoted_text(text: str, truncated: bool) -> str:
    """A passage as quoted: with … where it was cut before its sentence ended."""
    return citations.quoted_text(text, bool(truncated))


def clipboard_text(obj: Any, **extra: Any) -> str:
    """What 复制引用 copies: the passage (… where cut), a line break, its GB/T 7714 citation
    (the hit's own ``citation`` when it has one, so the page copies exactly the JSON's)."""
    return citations.clipboard_text({**_fields(obj), **extra})


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        urls=url_builder,
        highlight=highlight,
        safe_url=safe_url,  # only http(s) links leave the page
        region=region,
        facet_labels=facet_labels(),
        section_class=SECTION_CLASS,
        mode_labels=MODE_LABELS,
        section_kinds=SECTION_KINDS,
        org_label=org_label,
        quoted_text=quoted_text,
        clipboard_text=clipboard_text,
        unknown_org=citations.UNKNOWN_ORG,
    )
