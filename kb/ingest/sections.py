"""Turn headings into sections and classify each top-level section into a kind.

The annual report format is prescribed (主要举措和成效 / 存在问题 / 原因分析 / 第一责任人履职 /
下一步工作安排), but bureaus word their headings freely and some organise the whole report by
topic. Classification therefore reads the heading first and falls back to the body's
vocabulary; subsections inherit their top-level section's kind, except that a "原因" subsection
of a problems section is 原因分析 (and vice versa).
"""

from __future__ import annotations

import re

from kb.core.models import Heading, Section
from kb.ingest.headings import find_headings, heading_text

_PLAN = re.compile(
    r"下一步|下步|下一年度|下年度|明年|今后|工作计划|工作安排|工作打算|主要安排|工作思路|努力方向|工作设想|重点工作|展望"
)
_DUTY = re.compile(r"第一责任人|主要负责人|党政主要负责|负责人履[行职]|述法")
_CAUSE = re.compile(r"原因")
_PROBLEM = re.compile(r"问题|不足|短板|差距|薄弱|困难")
_NOT_PROBLEM = re.compile(r"问题导向|解决[^，。]*问题|化解|整改")
_MEASURES = re.compile(
    r"举措|成效|措施|做法|工作情况|开展情况|推进情况|进展|总结|主要工作|工作成效|基本情况|总体情况"
)

# Body vocabulary used when the heading says nothing about the kind.
_BODY_HINTS: dict[str, re.Pattern[str]] = {
    "存在问题": re.compile(r"有待|不够|不足|薄弱|欠缺|短板|差距|滞后|不到位|不高|不强"),
    "下一步工作安排": re.compile(r"将|计划|持续|进一步|力争|着力|推动"),
    "第一责任人履职": re.compile(r"第一责任人|主要负责人|亲自"),
}


def classify_heading(title: str, report_year: int | None = None) -> str | None:
    """Kind of a section from its heading alone, or None when the heading doesn't say."""
    if _DUTY.search(title):
        return "第一责任人履职"
    if _PLAN.search(title):
        return "下一步工作安排"
    if report_year:
        years = [int(y) for y in re.findall(r"(20\d\d)年", title)]
        if years and max(years) > report_year and re.search(r"安排|计划|打算|思路|重点", title):
            return "下一步工作安排"
    problem = bool(_PROBLEM.search(title)) and not _NOT_PROBLEM.search(title)
    if _CAUSE.search(title) and not problem:
        return "原因分析"
    if problem and not _MEASURES.search(title):
        return "存在问题"
    if _MEASURES.search(title):
        return "主要举措和成效"
    return None


def classify_body(body: str) -> str:
    """Fallback: the kind whose vocabulary is densest in the body (measures by default)."""
    n = max(len(body), 1)
    scores = {kind: len(rx.findall(body)) / n for kind, rx in _BODY_HINTS.items()}
    best = max(scores, key=scores.__getitem__)
    # Thresholds: hits per character well above what a measures section shows.
    threshold = {"存在问题": 0.012, "下一步工作安排": 0.02, "第一责任人履职": 0.006}[best]
    return best if scores[best] >= threshold else "主要举措和成效"


def build_sections(
    text: str, start: int, end: int, report_year: int | None = None
) -> list[Section]:
    """Sections of text[start:end]: a preamble (if any) then one per heading, in order."""
    headings = find_headings(text, start, end)
    sections: list[Section] = []
    first = headings[0].start if headings else end
    if text[start:first].strip():
        sections.append(Section(None, [], "其他", start, first))

    stack: list[Heading] = []
    kinds: list[str] = []  # kind per stack entry
    for i, h in enumerate(headings):
        body_end = headings[i + 1].start if i + 1 < len(headings) else end
        while stack and stack[-1].level >= h.level:
            stack.pop()
            kinds.pop()
        own = classify_heading(h.title, report_year) if h.title else None
        if not stack:
            kind = own or _top_level_fallback(text, h, headings[i + 1 :], body_end, end)
        else:
            kind = _refine(kinds[-1], own)
        stack.append(h)
        kinds.append(kind)
        path = [heading_text(x) for x in stack if x.title]
        sections.append(Section(h, path, kind, h.body_start, body_end))
    return sections


def _refine(parent_kind: str, own: str | None) -> str:
    """Subsections keep their parent's kind; problems/causes may split into each other."""
    if parent_kind in ("存在问题", "原因分析") and own in ("存在问题", "原因分析"):
        return own
    return parent_kind


def _top_level_fallback(
    text: str, h: Heading, following: list[Heading], body_end: int, end: int
) -> str:
    """Classify a top-level section by its body, including all its subsections."""
    stop = next((x.start for x in following if x.level <= h.level), end)
    return classify_body(text[h.body_start : max(stop, body_end)])
