"""Case collection handouts: Markdown and Word, each item quoted with its citation and note."""

from __future__ import annotations

import io
from datetime import datetime

from kb.render.citation import org_label, quoted_text
from kb.render.markdown import md_line, md_text, quotation
from kb.store.collections import OK, STATUS_NOTES, Collection, Item


def _stamp() -> str:
    """Export time as a reader writes it: 2025-03-01 14:05."""
    return datetime.now().strftime("%Y-%m-%d %H:%M")


def _heading(item: Item, number: int) -> str:
    s = item.snapshot
    year = f"（{s.year}年度）" if s.year else ""
    return f"{number}. {org_label({'org': s.org})}{year}"


def _cite_line(item: Item) -> str:
    """The citation line of the Word handout, where text is text (Markdown escapes its own);
    a passage cut before its sentence ended is marked 节选."""
    return f"—— {'节选自' if item.snapshot.truncated else '引自'}：{item.citation()}"


def to_markdown(col: Collection) -> str:
    """A handout in Markdown: each passage quoted, with its citation, note and status.

    The name, the notes and the saved text are typed by users or come from reports, so they go
    through ``md_text`` like every Markdown export: raw HTML in them stays inert text.
    """
    lines = [f"# 案例集：{md_line(col.name)}", ""]
    lines += [f"共 {len(col.items)} 条，导出于 {_stamp()}。", ""]
    for n, item in enumerate(col.items, start=1):
        lines += [f"## {md_line(_heading(item, n))}", ""]
        if item.status != OK:
            lines += [f"（注：{STATUS_NOTES[item.status]}）", ""]
        lines += quotation(item.snapshot.text, item.citation(), item.snapshot.truncated)
        if item.note:
            lines += [f"说明：{md_text(item.note)}", ""]
    if not col.items:
        lines += ["（案例集为空）", ""]
    return "\n".join(lines)


def to_docx(col: Collection) -> bytes:
    """The same handout as a Word document (title, quotations, citation lines, notes)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    # Word picks the East Asian font separately; without it Chinese falls back unpredictably.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    doc.core_properties.title = f"案例集：{col.name}"
    doc.add_heading(f"案例集：{col.name}", level=0)
    doc.add_paragraph(f"共 {len(col.items)} 条，导出于 {_stamp()}。")
    for n, item in enumerate(col.items, start=1):
        doc.add_heading(_heading(item, n), level=2)
        if item.status != OK:
            warn = doc.add_paragraph().add_run(f"注：{STATUS_NOTES[item.status]}")
            warn.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
        for part in quoted_text(item.snapshot.text, item.snapshot.truncated).split("\n"):
            doc.add_paragraph(part, style="Quote")
        cite = doc.add_paragraph().add_run(_cite_line(item))
        cite.font.size = Pt(9.5)
        if item.note:
            p = doc.add_paragraph()
            p.add_run("说明：").bold = True
            p.add_run(item.note)
    if not col.items:
        doc.add_paragraph("（案例集为空）")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
