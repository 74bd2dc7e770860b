"""A draft parsed with the report parser: metadata, sections, paragraphs.

The draft goes through the same steps as a report at ingest (normalise → layout → metadata →
sections → passages), so its paragraphs are cut and classified exactly like the passages they
are compared with. What the drafter states (department kind, level, year, section kind) wins
over what the text suggests, as a sidecar does for a report. A draft pasted without headings
(one section copied out of a report) is one section whose kind is read from its vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.core.models import SECTION_KINDS, ReportMeta
from kb.core.textnorm import normalize
from kb.ingest.layout import split_layout
from kb.ingest.metadata import extract_metadata
from kb.ingest.passages import split_passages
from kb.ingest.sections import build_sections, classify_body

DRAFT_ID = "draft"  # the report id of the draft's paragraphs: never an id of the corpus
# Fields the drafter may state; anything not stated is inferred from the text when it can be.
STATED_FIELDS = ("dept_kind", "level", "year")


@dataclass
class DraftParagraph:
    index: int  # 0-based, in reading order
    text: str
    section_kind: str
    heading_path: list[str]
    start: int
    end: int


@dataclass
class Draft:
    text: str  # normalised
    meta: ReportMeta
    paragraphs: list[DraftParagraph]
    stated: dict[str, str | int] = field(default_factory=dict)  # what the drafter said

    @property
    def kinds(self) -> list[str]:
        """Section kinds of the draft, in SECTION_KINDS order."""
        present = {p.section_kind for p in self.paragraphs}
        return [k for k in SECTION_KINDS if k in present]

    def field_sources(self) -> dict[str, str]:
        """Per field: 填写 (stated), 推断 (inferred from the text) or 未知."""
        out = {}
        for name in STATED_FIELDS:
            if name in self.stated:
                out[name] = "填写"
            else:
                out[name] = "推断" if getattr(self.meta, name) else "未知"
        return out


def parse_draft(
    raw_text: str,
    stated: dict[str, str | int] | None = None,
    hints: dict[str, str] | None = None,
    section_kind: str | None = None,
) -> Draft:
    """Parse a draft. ``stated``: dept_kind / level / year the drafter gave; ``section_kind``
    forces every paragraph into one kind (a draft of one section, chosen on the form)."""
    stated = {k: v for k, v in (stated or {}).items() if k in STATED_FIELDS and v}
    text = normalize(raw_text)
    layout = split_layout(text)
    meta = extract_metadata(text, layout, hints or {}, dict(stated) or None)
    sections = build_sections(text, layout.front_end, layout.back_start, meta.year)
    if all(s.heading is None for s in sections):
        # No headings: the text is one section, whatever the preamble rule would call it.
        body = text[layout.front_end : layout.back_start]
        for s in sections:
            s.kind = classify_body(body)
    passages = split_passages(DRAFT_ID, text, sections)
    if not passages and text.strip():  # a text with no body the layout recognised
        sections = build_sections(text, 0, len(text), meta.year)
        for s in sections:
            s.kind = s.kind if s.heading else classify_body(text)
        passages = split_passages(DRAFT_ID, text, sections)
    paragraphs = [
        DraftParagraph(
            index=i,
            text=p.text,
            section_kind=section_kind or p.section_kind,
            heading_path=p.heading_path,
            start=p.start,
            end=p.end,
        )
        for i, p in enumerate(passages)
    ]
    return Draft(text=text, meta=meta, paragraphs=paragraphs, stated=stated)
