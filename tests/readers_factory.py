"""Builders for reader test fixtures, made on the fly so no binary file lives in the repository.

The PDF builder writes a minimal PDF by hand: a Type0 font with Identity-H encoding whose
ToUnicode CMap maps each code to a Chinese character. The font has no glyphs (nothing would
render), but the text layer is exactly what pypdf extracts — which is all the reader sees.
"""

from __future__ import annotations

import io
import zlib
from datetime import datetime

import docx
import pypdf
from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree

REPORT_TITLE = "沅陵县应急管理局2024年法治政府建设工作情况报告"
REPORT_LINES = [
    REPORT_TITLE,
    "县委、县人民政府：",
    "现将上一年度法治政府建设工作情况、存在问题及下一年度工作计划报告如下：",
    "一、主要举措和成效",
    "（一）推行首违不罚",
    "对首次轻微违法并及时改正的企业依法不予处罚，全年办理首违不罚案件12件，切实优化营商环境。",
    "二、存在问题",
    "执法人员专业能力仍有不足，部分执法文书制作不够规范。",
    "三、下一步工作安排",
    "持续深化行政执法规范化建设，推动法治政府建设再上新台阶。",
]
REPORT_TEXT = "\n".join(REPORT_LINES)


# --- PDF --------------------------------------------------------------------------------------


def make_pdf(
    pages: list[list[str]], font_size: int = 12, line_gap: int = 20, padding: int = 0
) -> bytes:
    """A PDF whose page i shows the lines pages[i], top to bottom, with an extractable text layer.

    With ``padding``, each content stream ends in that many newlines (whitespace between
    operators is legal) and is Flate-compressed: a stream bomb when the padding is large.
    """
    chars = sorted({ch for page in pages for line in page for ch in line})
    code = {ch: i + 1 for i, ch in enumerate(chars)}
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type0 /BaseFont /KbTest /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>",
        4: b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /KbTest /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R "
        b"/DW 1000 /CIDToGIDMap /Identity >>",
        5: b"<< /Type /FontDescriptor /FontName /KbTest /Flags 4 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>",
        6: _stream(_to_unicode_cmap(chars, code)),
    }
    kids = []
    for n, page in enumerate(pages):
        page_obj, content_obj = 7 + 2 * n, 8 + 2 * n
        ops = [
            f"BT /F1 {font_size} Tf 1 0 0 1 72 {800 - i * line_gap} Tm "
            f"<{''.join(f'{code[ch]:04X}' for ch in line)}> Tj ET"
            for i, line in enumerate(page)
        ]
        objects[page_obj] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_obj} 0 R >>"
        ).encode()
        content = "\n".join(ops).encode()
        objects[content_obj] = _flate_stream(content, padding) if padding else _stream(content)
        kids.append(f"{page_obj} 0 R")
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    return _assemble(objects)


def _to_unicode_cmap(chars: list[str], code: dict[str, int]) -> bytes:
    blocks = []
    for start in range(0, len(chars), 100):  # at most 100 entries per bfchar block
        chunk = chars[start : start + 100]
        entries = "\n".join(
            f"<{code[ch]:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch in chunk
        )
        blocks.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()


def _stream(data: bytes) -> bytes:
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _flate_stream(data: bytes, padding: int) -> bytes:
    """``data`` and ``padding`` newlines, Flate-compressed in chunks (never held unpacked)."""
    packer = zlib.compressobj(9)
    packed = [packer.compress(data)]
    chunk = b"\n" * (1 << 20)
    for start in range(0, padding, len(chunk)):
        packed.append(packer.compress(chunk[: padding - start]))
    packed.append(packer.flush())
    body = b"".join(packed)
    header = f"<< /Length {len(body)} /Filter /FlateDecode >>\nstream\n".encode()
    return header + body + b"\nendstream"


def _assemble(objects: dict[int, bytes]) -> bytes:
    """Serialise numbered objects with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[num]:010d} 00000 n \n".encode() for num in range(1, size))
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    """The same PDF encrypted with RC4 (AES would need the cryptography package)."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int = 2) -> bytes:
    """A valid PDF with pages but no text, like a scan without OCR."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- DOCX -------------------------------------------------------------------------------------


def make_docx(
    paragraphs: list[str] = REPORT_LINES,
    table: list[list[str]] | None = None,
    title: str = "",
    created: datetime | None = None,
) -> Document:
    """A Word document with the paragraphs, then the table (if any)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.core_properties.title = title
    if created:
        document.core_properties.created = created
    return document


def docx_bytes(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_revision_runs(paragraph, inserted: str, deleted: str) -> None:
    """Append a tracked insertion and a tracked deletion to a python-docx paragraph."""
    ins = etree.SubElement(paragraph._p, qn("w:ins"), {qn("w:id"): "1", qn("w:author"): "kb"})
    etree.SubElement(etree.SubElement(ins, qn("w:r")), qn("w:t")).text = inserted
    dele = etree.SubElement(paragraph._p, qn("w:del"), {qn("w:id"): "2", qn("w:author"): "kb"})
    etree.SubElement(etree.SubElement(dele, qn("w:r")), qn("w:delText")).text = deleted


# --- HTML -------------------------------------------------------------------------------------


def gov_page(body: str, head: str = "", charset: str = "utf-8") -> str:
    """A county-portal article page: navigation, breadcrumbs, info bar, share box and footer."""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{REPORT_TITLE}_沅陵县人民政府</title>
{head}
<style>.zoom {{ font-size: 16px; }} body::before {{ content: "样式里的文字"; }}</style>
<script>var nav = "脚本里的文字"; document.write("发布时间：1999-01-01");</script>
</head>
<body>
<div class="header"><div class="logo">沅陵县人民政府门户网站</div>
  <form class="search"><input name="q" value="请输入关键词"><button>搜索</button></form></div>
<div class="nav"><ul>
  <li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
  <li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li>
</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<div class="content">
  <h1>{REPORT_TITLE}</h1>
  <div class="info">发布时间：2025-04-17 12:23　来源：沅陵县应急管理局　浏览次数：
    <span id="count">128</span></div>
  <div class="bdsharebuttonbox">分享到：<a class="bds_weixin">微信</a><a class="bds_tsina">微博</a></div>
  <div id="zoom">{body}</div>
  <div class="fontsize">【字号：<a>大</a> <a>中</a> <a>小</a>】【打印本页】【关闭窗口】</div>
  <div class="pagedown"><p>上一篇：<a href="/a.html">沅陵县应急管理局2023年工作总结</a></p>
    <p>下一篇：<a href="/b.html">关于开展安全生产大检查的通知</a></p></div>
</div>
<div class="footer"><p>版权所有：沅陵县人民政府办公室　网站标识码：4312220001</p>
  <p>湘ICP备05000000号　主办：沅陵县人民政府办公室　地址：沅陵县辰州中路</p></div>
</body>
</html>
"""


REPORT_BODY_HTML = f"""
<p style="text-align:center"><strong>{REPORT_TITLE}</strong></p>
<p>县委、县人民政府：</p>
<p>　　现将上一年度法治政府建设工作情况、存在问题及下一年度工作计划报告如下：</p>
<p>　　一、主要举措和成效</p>
<p>　　（一）推行首违不罚</p>
<p>　　对首次轻微违法并及时改正的企业依法不予处罚，全年办理首违不罚案件12件，
切实优化<a href="/yshj.html">营商环境</a>。</p>
<table border="1"><tr><td>序号</td><td>指标</td><td>数值</td></tr>
<tr><td>1</td><td>行政执法案件</td><td>36件</td></tr></table>
<p>　　二、存在问题</p>
<p>　　执法人员专业能力仍有不足，部分执法文书制作不够规范。</p>
"""
