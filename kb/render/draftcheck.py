"""对照检查 exports: Markdown and a Word document that prints like the case handouts.

Per draft paragraph: the paragraph, any boilerplate warning, then its peers (same department
kind first, then the others) each quoted with its label and GB/T 7714 citation; then the gaps
per section kind with their counts and example passages. The draft's text comes from the user
and peers' text from reports: in Markdown both go through ``md_text`` like every export.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from kb.render.citation import citation, org_label, quoted_text
from kb.render.markdown import md_line, md_text, quotation
from kb.render.word import add_cited, official_document

TITLE = "对照检查结果"
PRIVACY = "草稿只在本次检查中处理，未保存、未加入语料库。"


def _stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M")


def _summary(body: dict[str, Any]) -> str:
    d = body["draft"]
    parts = [f"草稿 {d['chars']} 字，{d['paragraphs']} 段"]
    if d.get("dept_kind"):
        parts.append(f"部门类别：{d['dept_kind']}")
    if d.get("level"):
        parts.append(f"层级：{d['level']}")
    if d.get("year"):
        parts.append(f"年度：{d['year']}")
    parts.append(f"套话提示 {body['boilerplate_warnings']} 段")
    return "；".join(parts) + f"。导出于 {_stamp()}。"


def _peer_head(hit: dict[str, Any], n: int) -> str:
    year = f"（{hit['year']}年度）" if hit.get("year") else ""
    return f"{n}. 【{hit.get('relation', '')}】{org_label(hit)}{year}"


def _peer_lists(para: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    if para["peers"]:
        yield "同类单位的写法", para["peers"]
    if para["other_peers"]:
        yield "其他单位的写法", para["other_peers"]


def _paragraph_title(para: dict[str, Any]) -> str:
    where = " > ".join(para["heading_path"]) or "（无标题）"
    return f"第 {para['index'] + 1} 段 · {para['section_kind']} · {where}"


def _gap_head(item: dict[str, Any], n: int) -> str:
    return f"{n}. {'、'.join(item['terms']) or '（未命名）'}：{item['reports']} 份同类报告提到"


def to_markdown(body: dict[str, Any]) -> str:
    """The check result (``CheckResult.to_dict()``) as Markdown."""
    lines = [f"# {TITLE}", "", md_line(_summary(body)), "", PRIVACY, ""]
    for para in body["paragraphs"]:
        lines += [f"## {md_line(_paragraph_title(para))}", ""]
        lines += [f"> {p}" if p else ">" for p in md_text(para["text"]).split("\n")]
        lines.append("")
        if para["boilerplate_warning"]:
            share = round(para["boilerplate"] * 100)
            lines += [f"**套话提示**（约 {share}% 为通用表述）：{para['advice']}", ""]
        for label, hits in _peer_lists(para):
            lines += [f"### {label}", ""]
            for n, hit in enumerate(hits, start=1):
                lines += [f"{md_line(_peer_head(hit, n))}", ""]
                lines += quotation(
                    hit["text"], hit.get("citation") or citation(hit), hit["truncated"]
                )
        if not para["peers"] and not para["other_peers"]:
            lines += ["（没有找到同一章节类型的相近段落）", ""]
    lines += ["## 同类报告提到而草稿没有写到的内容", ""]
    for group in body["gaps"]:
        scope = group["dept_kind"] or "全部单位"
        lines += [
            f"### {group['section_kind']}（{md_line(scope)}，{group['pool_reports']} 份报告）",
            "",
        ]
        for n, item in enumerate(group["items"], start=1):
            lines += [md_line(_gap_head(item, n)), ""]
            for ex in item["examples"]:
                lines += quotation(ex["text"], ex.get("citation") or citation(ex), ex["truncated"])
        if not group["items"]:
            lines += ["（没有发现缺项）", ""]
    if not body["gaps"]:
        lines += ["（草稿没有可统计缺项的章节）", ""]
    return "\n".join(lines)


def to_docx(body: dict[str, Any]) -> bytes:
    """The same result as a Word document laid out like a 公文 (kb.render.word)."""
    from docx.shared import RGBColor

    doc, _ = official_document(TITLE)
    doc.add_paragraph(TITLE, style="案例标题")
    doc.add_paragraph(_summary(body) + PRIVACY, style="出处")

    def quote(hit: dict[str, Any], head: str) -> None:
        doc.add_paragraph(head, style="说明")
        for part in quoted_text(hit["text"], hit["truncated"]).split("\n"):
            doc.add_paragraph(part, style="引文")
        line = (
            f"—— {'节选自' if hit['truncated'] else '引自'}：{hit.get('citation') or citation(hit)}"
        )
        add_cited(doc.add_paragraph(style="出处"), line, hit.get("source_url"))

    for para in body["paragraphs"]:
        doc.add_paragraph(_paragraph_title(para), style="条目标题")
        for part in para["text"].split("\n"):
            doc.add_paragraph(part, style="引文")
        if para["boilerplate_warning"]:
            run = doc.add_paragraph(style="出处").add_run(f"套话提示：{para['advice']}")
            run.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)
        for label, hits in _peer_lists(para):
            doc.add_paragraph(label, style="出处").runs[0].bold = True
            for n, hit in enumerate(hits, start=1):
                quote(hit, _peer_head(hit, n))
    doc.add_paragraph("同类报告提到而草稿没有写到的内容", style="条目标题")
    for group in body["gaps"]:
        scope = group["dept_kind"] or "全部单位"
        doc.add_paragraph(
            f"{group['section_kind']}（{scope}，{group['pool_reports']} 份报告）", style="出处"
        ).runs[0].bold = True
        for n, item in enumerate(group["items"], start=1):
            doc.add_paragraph(_gap_head(item, n), style="说明")
            for ex in item["examples"]:
                quote(ex, f"例：{org_label(ex)}")
        if not group["items"]:
            doc.add_paragraph("（没有发现缺项）")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
