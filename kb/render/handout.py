"""Case collection handouts: Markdown and Word, each item quoted with its citation and note."""

from __future__ import annotations

import io
from datetime import datetime

from kb.render.citation import org_label, quoted_text
from kb.render.markdown import md_line, md_text, quotation
from kb.render.word import add_cited, official_document
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
    """The same handout as a Word document that prints as it is: A4, 公文 fonts and margins,
    page numbers, each quotation with a citation line whose source link can be clicked."""
    from docx.shared import RGBColor

    doc, _ = official_document(f"案例集：{col.name}")
    doc.add_paragraph(f"案例集：{col.name}", style="案例标题")
    doc.add_paragraph(f"共 {len(col.items)} 条，导出于 {_stamp()}。", style="出处")
    for n, item in enumerate(col.items, start=1):
        doc.add_paragraph(_heading(item, n), style="条目标题")
        if item.status != OK:
            warn = doc.add_paragraph(style="出处").add_run(f"注：{STATUS_NOTES[item.status]}")
            warn.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
        for part in quoted_text(item.snapshot.text, item.snapshot.truncated).split("\n"):
            doc.add_paragraph(part, style="引文")
        add_cited(doc.add_paragraph(style="出处"), _cite_line(item), item.snapshot.source_url)
        if item.note:
            p = doc.add_paragraph(style="说明")
            p.add_run("说明：").bold = True
            p.add_run(item.note)
    if not col.items:
        doc.add_paragraph("（案例集为空）")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
