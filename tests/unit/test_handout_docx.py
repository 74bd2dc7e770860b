"""The Word handout prints as it is: A4 with 公文 margins, 公文 fonts named in the file, black
headings, no italic quotes, page numbers and clickable source links (issue 16).

The file is read back with python-docx; a slow test renders it with LibreOffice (installed by
``make browser-deps``) and looks at the first page's size, text and page number.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE

from kb.render.handout import to_docx
from kb.render.word import BODY_FONTS, TITLE_FONTS, Fonts, pick_font
from kb.store.collections import Collection, Item, Snapshot

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
URL = "https://yjj.example.gov.cn/art/2025/1/5/art_1.html"


def collection(n: int = 6) -> Collection:
    items = []
    for i in range(1, n + 1):
        snap = Snapshot(
            passage_id=f"p{i}",
            report_id="r1",
            text="推行“首违不罚”清单制度，全年对128件轻微违法行为依法不予处罚。\n人少事多的矛盾仍然突出。",
            org="甲县应急管理局",
            year=2024,
            title="甲县应急管理局2024年法治政府建设工作报告",
            source_url=URL if i % 2 else "javascript:alert(1)",
            pub_date="2025-01-05",
            truncated=i == 1,
        )
        items.append(Item(i, 1, i, snap, "可作培训案例。" if i == 1 else "", "2025-03-01"))
    return Collection(id=1, name="执法力量【案例】（第一辑）", created="", updated="", items=items)


@pytest.fixture(scope="module")
def handout() -> docx.document.Document:
    return docx.Document(io.BytesIO(to_docx(collection())))


def test_a4_with_official_margins(handout):
    section = handout.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]


def test_fonts_are_named_and_headings_black_quotes_upright(handout):
    styles = {p.style.name for p in handout.paragraphs}
    assert {"案例标题", "条目标题", "引文", "出处", "说明"} <= styles
    assert "Quote" not in styles and not any(s.startswith("Heading") for s in styles)
    title, quote = handout.styles["案例标题"], handout.styles["引文"]
    assert title.font.name in TITLE_FONTS and quote.font.name in BODY_FONTS
    east_asian = quote.element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia"))
    assert east_asian == quote.font.name
    for name in ("案例标题", "条目标题", "引文", "Normal"):
        style = handout.styles[name]
        assert style.font.italic is False and str(style.font.color.rgb) == "000000"
    assert handout.core_properties.comments == Fonts.chosen().describe()
    assert f"正文 {quote.font.name}" in handout.core_properties.comments


def test_fonts_fall_back_to_the_names_windows_has():
    assert pick_font(("没有这种字体甲", "仿宋")) == "仿宋"


def test_page_numbers_are_a_live_field(handout):
    footer = handout.sections[0].footer.paragraphs[0]
    fields = footer._p.findall(docx.oxml.ns.qn("w:fldSimple"))
    assert [f.get(docx.oxml.ns.qn("w:instr")) for f in fields] == ["PAGE"]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")


def test_source_links_click_and_only_http(handout):
    links = [
        r.target_ref for r in handout.part.rels.values() if r.reltype == RELATIONSHIP_TYPE.HYPERLINK
    ]
    assert links == [URL]  # javascript: stays text, never a link target
    cites = [p for p in handout.paragraphs if p.text.startswith("——")]
    assert cites[0].text.startswith("—— 节选自：") and cites[1].text.startswith("—— 引自：")
    assert cites[0].text.endswith(URL)
    assert len(cites[0]._p.findall(docx.oxml.ns.qn("w:hyperlink"))) == 1
    assert not cites[1]._p.findall(docx.oxml.ns.qn("w:hyperlink"))
    linked = [c for c in cites if c._p.findall(docx.oxml.ns.qn("w:hyperlink"))]
    assert len(linked) == 3  # items 1, 3 and 5 have an http(s) source


def test_name_keeps_full_width_brackets(handout):
    assert handout.paragraphs[0].text == "案例集：执法力量【案例】（第一辑）"
    assert handout.core_properties.title == "案例集：执法力量【案例】（第一辑）"


@pytest.mark.slow
def test_first_page_renders_as_a4_with_its_page_number(tmp_path):
    """LibreOffice prints the handout; the PDF page is A4, holds the title and "— 1 —", and a PNG
    of it lands in test-artifacts/ for a person to look at."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: run `make browser-deps`"
    src = tmp_path / "handout.docx"
    src.write_bytes(to_docx(collection(12)))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = pdfium.PdfDocument(str(tmp_path / "handout.pdf"))
    assert len(pdf) >= 2
    page = pdf[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.get_textpage().get_text_range()
    assert "案例集：执法力量【案例】（第一辑）" in text and "— 1 —" in text
    assert "— 2 —" in pdf[1].get_textpage().get_text_range()
    ARTIFACTS.mkdir(exist_ok=True)
    page.render(scale=1.2).to_pil().save(ARTIFACTS / "handout-page1.png")
