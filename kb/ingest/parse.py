"""Parse one document into a Report: normalise → layout → metadata → sections → passages."""

from __future__ import annotations

from kb.core.ids import report_id
from kb.core.models import Report
from kb.core.textnorm import normalize
from kb.ingest.layout import split_layout
from kb.ingest.metadata import extract_metadata
from kb.ingest.passages import split_passages
from kb.ingest.readers import RawDocument
from kb.ingest.sections import build_sections

# Bump when parsing changes so that `kb ingest` re-parses unchanged files.
# 2: organisation/title/place from portal layouts and the source URL, field provenance and
#    confidence, whole passages (minimum and maximum length, truncated flag) — issue 14.
PARSER_VERSION = "2"

_REQUIRED = {"title": "标题", "org": "发文机关", "year": "年度"}


def parse_report(
    raw: RawDocument, source: str, content_hash: str, overrides: dict | None = None
) -> Report:
    """Build the structured report for one document."""
    text = normalize(raw.text)
    layout = split_layout(text)
    meta = extract_metadata(text, layout, raw.hints, overrides)
    rid = report_id(source)
    sections = build_sections(text, layout.front_end, layout.back_start, meta.year)
    passages = split_passages(rid, text, sections)
    warnings = []
    if not passages:
        warnings.append("没有解析出任何正文段落")
    warnings += [f"未能识别{label}" for name, label in _REQUIRED.items() if not getattr(meta, name)]
    return Report(
        id=rid,
        source=source,
        format=raw.format,
        content_hash=content_hash,
        text=text,
        meta=meta,
        sections=sections,
        passages=passages,
        warnings=warnings,
    )
