"""Word documents laid out like a 公文 (GB/T 9704-2012), so a handout prints as it is.

A4 with the standard margins, the title in 小标宋 (or 黑体), the text in 仿宋 at 三号, black
headings, page numbers "— 1 —" at the foot, and source links that can be clicked. python-docx's
default template is US Letter with blue headings and italic quotes, which is why every style
used here is defined from scratch instead of borrowed from it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-docx is imported lazily: the search path never needs it
    from docx.document import Document as DocumentObject
    from docx.text.paragraph import Paragraph

# Preferred font first; the last entry is the name every Chinese Windows / WPS has, written into
# the file when this machine has none of the better ones (Word resolves it on the reader's PC).
TITLE_FONTS = ("方正小标宋简体", "方正小标宋_GBK", "黑体")
HEADING_FONTS = ("黑体",)
BODY_FONTS = ("仿宋_GB2312", "仿宋")
NOTE_FONTS = ("楷体_GB2312", "楷体")

# GB/T 9704-2012: top 37 mm, left 28 mm, text block 156 × 225 mm on A4 (210 × 297 mm).
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}


@lru_cache(maxsize=1)
def installed_families() -> frozenset[str]:
    """Font families this machine has (fontconfig), empty where fc-list is missing."""
    exe = shutil.which("fc-list")
    if not exe:
        return frozenset()
    try:
        out = subprocess.run(
            [exe, ":", "family"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def pick_font(candidates: tuple[str, ...]) -> str:
    """The first candidate this machine has, else the last (the common Windows name)."""
    have = installed_families()
    return next((name for name in candidates if name in have), candidates[-1])


@dataclass(frozen=True)
class Fonts:
    title: str
    heading: str
    body: str
    note: str

    @classmethod
    def chosen(cls) -> Fonts:
        return cls(
            pick_font(TITLE_FONTS),
            pick_font(HEADING_FONTS),
            pick_font(BODY_FONTS),
            pick_font(NOTE_FONTS),
        )

    def describe(self) -> str:
        """The fonts named in the file (document comments), so a reader can install them."""
        return f"字体：标题 {self.title}，小标题 {self.heading}，正文 {self.body}，说明 {self.note}"


def _style(doc: DocumentObject, name: str, font: str, size: float, *, bold: bool = False):
    """A paragraph style with one font for Latin and East Asian text, black, never italic."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    styles = doc.styles
    style = (
        styles[name]
        if name in [s.name for s in styles]
        else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    )
    style.base_style = None
    style.font.name = font
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    return style


def official_document(title: str, fonts: Fonts | None = None) -> tuple[DocumentObject, Fonts]:
    """An empty A4 document with 公文 margins, styles and page numbers."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    fonts = fonts or Fonts.chosen()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.footer_distance = Mm(20)

    normal = _style(doc, "Normal", fonts.body, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)  # 22 lines on the 225 mm text block
    normal.paragraph_format.space_after = Pt(0)
    heading = _style(doc, "案例标题", fonts.title, 22)
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(14)
    heading.paragraph_format.line_spacing = Pt(36)
    item = _style(doc, "条目标题", fonts.heading, 16)
    item.paragraph_format.space_before = Pt(14)
    item.paragraph_format.keep_with_next = True
    _outline_level(item, 1)  # listed in Word's navigation pane
    quote = _style(doc, "引文", fonts.body, 16)
    quote.paragraph_format.first_line_indent = Pt(32)  # two characters, as in 公文 text
    source = _style(doc, "出处", fonts.body, 12)
    source.paragraph_format.line_spacing = Pt(20)
    source.paragraph_format.space_before = Pt(4)
    _style(doc, "说明", fonts.note, 16)
    _page_numbers(doc, fonts.body)

    doc.core_properties.title = title
    doc.core_properties.comments = fonts.describe()
    return doc, fonts


def _w(name: str) -> str:
    from docx.oxml.ns import qn

    return qn(f"w:{name}")


def _outline_level(style, level: int) -> None:
    from docx.oxml import OxmlElement

    node = OxmlElement("w:outlineLvl")
    node.set(_w("val"), str(level))
    style.element.get_or_add_pPr().append(node)


def _page_numbers(doc: DocumentObject, font: str) -> None:
    """ "— 1 —" centred at the foot of every page, the number a live PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ").font.size = Pt(14)
    field = OxmlElement("w:fldSimple")
    field.set(_w("instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    footer.add_run(" —").font.size = Pt(14)
    for r in footer.runs:
        r.font.name = font


def add_link(paragraph: Paragraph, url: str, text: str | None = None) -> None:
    """A clickable link (blue, underlined) to an http(s) URL; anything else stays plain text."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement

    if not url.startswith(("http://", "https://")):
        paragraph.add_run(text or url)
        return
    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id", rid)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(_w("val"), "1F4E9A")
    underline = OxmlElement("w:u")
    underline.set(_w("val"), "single")
    props.append(color)
    props.append(underline)
    run.append(props)
    node = OxmlElement("w:t")
    node.text = text or url
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(node)
    link.append(run)
    paragraph._p.append(link)


def add_cited(paragraph: Paragraph, line: str, url: str | None) -> None:
    """A citation line whose trailing URL (GB/T 7714 puts it last) is a live link."""
    if url and line.endswith(url):
        paragraph.add_run(line[: -len(url)])
        add_link(paragraph, url)
    else:
        paragraph.add_run(line)
