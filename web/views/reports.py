"""A whole report (``/report/<id>``) with its outline and the chosen passage highlighted, and its
JSON twin (``/api/report/<id>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, render_template, request

from kb.core.models import Report
from kb.search import highlight
from web.context import searcher
from web.errors import not_found
from web.limits import capped_report

bp = Blueprint("reports", __name__)
_WORD = re.compile(r"\w")


@dataclass
class Block:
    """One piece of the rendered report: a heading, a passage, or text between passages."""

    kind: str  # "heading" | "passage" | "text"
    text: str
    start: int
    id: str = ""
    level: int = 0
    section_kind: str = ""
    selected: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)
    truncated: bool = False  # a passage cut before its sentence ended (shown with …)


def blocks(report: Report, selected: str | None, words: list[str]) -> list[Block]:
    """The report text cut into headings and passages, in reading order.

    Passages win where a heading and a passage overlap (inline ``一是`` enumerations live
    inside passages); what neither covers (a preamble line, a signature) is shown as plain text
    so the page always shows the whole report.
    """
    text = report.text
    items: list[Block] = [
        Block(
            "passage",
            text[p.start : p.end],
            p.start,
            id=p.id,
            section_kind=p.section_kind,
            selected=p.id == selected,
            spans=highlight.spans(text[p.start : p.end], words) if p.id == selected else [],
            truncated=p.truncated,
        )
        for p in report.passages
    ]
    covered = sorted((p.start, p.end) for p in report.passages)

    def overlaps(s: int, e: int) -> bool:
        return any(a < e and s < b for a, b in covered)

    for i, sec in enumerate(report.sections):
        h = sec.heading
        if h is not None and not overlaps(h.start, h.end):
            items.append(
                Block("heading", text[h.start : h.end], h.start, id=f"h-{i}", level=h.level)
            )
    items.sort(key=lambda b: b.start)
    out: list[Block] = []
    pos = 0
    for b in items:
        if b.start < pos:
            continue
        gap = text[pos : b.start].strip()
        if gap and not _WORD.search(gap) and out:
            out[-1].text += gap  # a heading's closing 。 belongs to the heading
        elif gap:
            out.append(Block("text", gap, pos))
        out.append(b)
        pos = b.start + len(b.text)
    if text[pos:].strip():
        out.append(Block("text", text[pos:].strip(), pos))
    return out


def _load(report_id: str) -> Report:
    report = searcher().report(report_id)
    if report is None:
        raise not_found(f"报告 {report_id}")
    return report


@bp.get("/report/<report_id>")
def page(report_id: str):
    report = _load(report_id)
    selected = request.args.get("p") or None
    if selected and all(p.id != selected for p in report.passages):
        selected = None  # a stale link still shows the report
    q = request.args.get("q", "")
    words = searcher().analyze(q).highlight_terms() if q.strip() else []
    parts = blocks(report, selected, words)
    outline = [b for b in parts if b.kind == "heading" and b.level <= 2]
    return render_template(
        "report.html", report=report, meta=report.meta.to_dict(), blocks=parts, outline=outline, q=q
    )


def report_json(report: Report) -> dict[str, Any]:
    meta = report.meta.to_dict()  # with provenance and confidence of every field
    return {
        "id": report.id,
        "report": report.source,
        **meta,
        "text": report.text,
        "sections": [
            {
                "heading": report.text[s.heading.start : s.heading.end] if s.heading else None,
                "level": s.heading.level if s.heading else 0,
                "path": s.path,
                "section_kind": s.kind,
                "start": s.body_start,
                "end": s.body_end,
            }
            for s in report.sections
        ],
        "passages": [
            {
                "passage_id": p.id,
                "position": p.position,
                "heading_path": p.heading_path,
                "section_kind": p.section_kind,
                "text": p.text,
                "start": p.start,
                "end": p.end,
                "truncated": p.truncated,
            }
            for p in report.passages
        ],
        "warnings": report.warnings,
    }


@bp.get("/api/report/<report_id>")
def api(report_id: str):
    return jsonify(capped_report(report_json(_load(report_id))))
