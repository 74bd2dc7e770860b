"""Tests for kb.ingest.readers: every format, every encoding, every kind of bad input.

Fixtures are built in tmp_path by tests/readers_factory.py; nothing binary is checked in.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
from docx.oxml.ns import qn
from lxml import etree
from pypdf.errors import DependencyError

from kb.ingest.readers import SUPPORTED_EXTENSIONS, RawDocument, ReadError, read_document
from kb.ingest.readers.txt import TxtReader
from tests.readers_factory import (
    REPORT_BODY_HTML,
    REPORT_LINES,
    REPORT_TEXT,
    REPORT_TITLE,
    add_revision_runs,
    blank_pdf,
    docx_bytes,
    encrypt_pdf,
    gov_page,
    make_docx,
    make_pdf,
)

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def read_error(path: Path, **kwargs) -> ReadError:
    """The ReadError read_document raises for `path`, checked to name the file."""
    with pytest.raises(ReadError) as info:
        read_document(path, **kwargs)
    assert path.name in str(info.value)
    assert info.value.path == path
    return info.value


# --- common checks ----------------------------------------------------------------------------


def test_supported_extensions_are_lowercase_with_dot():
    assert set(SUPPORTED_EXTENSIONS) == {".txt", ".docx", ".pdf", ".html", ".htm"}


def test_read_error_message_and_pickling(tmp_path):
    err = ReadError(tmp_path / "报告.pdf", "PDF 已加密，无法读取")
    assert str(err) == "报告.pdf：PDF 已加密，无法读取"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.reason, str(copy)) == (err.path, err.reason, str(err))


def test_unsupported_extension(tmp_path):
    err = read_error(write(tmp_path, "report.xyz", REPORT_TEXT))
    assert "不支持的文件类型 .xyz" in err.reason


def test_legacy_word_gets_advice(tmp_path):
    err = read_error(write(tmp_path, "report.doc", b"\xd0\xcf\x11\xe0"))
    assert "不支持的文件类型 .doc" in err.reason and ".docx" in err.reason


def test_no_extension(tmp_path):
    assert "没有扩展名" in read_error(write(tmp_path, "README", REPORT_TEXT)).reason


def test_extension_is_case_insensitive(tmp_path):
    assert read_document(write(tmp_path, "REPORT.TXT", REPORT_TEXT)).text == REPORT_TEXT


@pytest.mark.parametrize("name", ["a.txt", "a.docx", "a.pdf", "a.html", "a.htm"])
def test_empty_file(tmp_path, name):
    assert read_error(write(tmp_path, name, b"")).reason == "文件为空"


@pytest.mark.parametrize("content", [b"  \r\n\t \n", "\u3000\u3000\n".encode("gbk")])
def test_whitespace_only_text(tmp_path, content):
    assert "文件为空" in read_error(write(tmp_path, "blank.txt", content)).reason


def test_whitespace_only_html(tmp_path):
    assert "文件为空" in read_error(write(tmp_path, "blank.html", "\n \n")).reason


def test_oversized_file_names_size_and_limit(tmp_path):
    path = write(tmp_path, "big.txt", "法" * 600_000)  # 1.8 MB of UTF-8
    err = read_error(path, max_bytes=1024 * 1024)
    assert err.reason == "文件过大（1.7 MB，上限 1 MB）"


def test_small_limits_are_shown_in_kb(tmp_path):
    err = read_error(write(tmp_path, "a.txt", REPORT_TEXT), max_bytes=100)
    assert "文件过大" in err.reason and "上限 0.1 KB" in err.reason


def test_file_at_the_limit_is_read(tmp_path):
    path = write(tmp_path, "a.txt", REPORT_TEXT)
    assert read_document(path, max_bytes=path.stat().st_size).text == REPORT_TEXT


def test_missing_file(tmp_path):
    assert read_error(tmp_path / "gone.txt").reason == "文件不存在"


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "folder.txt").mkdir()
    assert "目录" in read_error(tmp_path / "folder.txt").reason


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.txt", REPORT_TEXT)

    def deny(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)  # root ignores chmod, so simulate it
    assert read_error(path).reason == "没有读取权限"


def test_unexpected_reader_failure_is_wrapped(tmp_path, monkeypatch):
    def boom(self, path, data):
        raise ValueError("bug")

    monkeypatch.setattr(TxtReader, "read", boom)
    err = read_error(write(tmp_path, "a.txt", REPORT_TEXT))
    assert "意外错误" in err.reason and isinstance(err.__cause__, ValueError)


# --- txt --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("gbk", b""),
        ("gb18030", b""),
    ],
)
def test_txt_encodings(tmp_path, encoding, prefix):
    doc = read_document(write(tmp_path, "r.txt", prefix + REPORT_TEXT.encode(encoding)))
    assert doc == RawDocument(path=tmp_path / "r.txt", text=REPORT_TEXT, format="txt")


def test_gb18030_only_characters(tmp_path):
    text = "一、关于㐀姓和𠀀字的登记问题\n群众反映生僻字无法录入系统，已协调解决。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert read_document(write(tmp_path, "r.txt", text, "gb18030")).text == text


def test_txt_line_ends_become_newlines(tmp_path):
    path = write(tmp_path, "r.txt", "一、总体情况\r\n全年办结。\r二、问题\n", "gbk")
    assert read_document(path).text == "一、总体情况\n全年办结。\n二、问题\n"


@pytest.mark.parametrize(
    "data, detail",
    [
        (PNG_HEADER, "PNG 图片"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF 文件"),
        ("一、主要举措".encode() + b"\x00" * 64, ""),
        (random.Random(7).randbytes(4096), ""),
    ],
    ids=["png", "pdf", "nul", "random"],
)
def test_binary_txt(tmp_path, data, detail):
    reason = read_error(write(tmp_path, "r.txt", data)).reason
    assert reason.startswith("疑似二进制文件，不是文本") and detail in reason


def test_control_bytes_mean_binary(tmp_path):
    data = b"\x01\x02\x03\x04" + "一、主要举措".encode() * 10
    assert "疑似二进制文件" in read_error(write(tmp_path, "r.txt", data)).reason


def test_undecodable_txt(tmp_path):
    data = "Résumé of the café".encode("latin-1")
    assert read_error(write(tmp_path, "r.txt", data)).reason == (
        "无法识别文本编码（不是 UTF-8 或 GB18030）"
    )


def test_gb18030_garbage_is_not_accepted(tmp_path):
    # Yi syllables are valid GB18030 four-byte codes but nothing a Chinese report consists of.
    data = ("ꀀꀁꀂꀃꀄꀅꀆꀇ" * 20).encode("gb18030")
    assert "无法识别文本编码" in read_error(write(tmp_path, "r.txt", data)).reason


def test_utf16_bom_with_binary_payload(tmp_path):
    data = b"\xff\xfe" + bytes(range(1, 200, 3)) * 4
    assert "疑似二进制文件" in read_error(write(tmp_path, "r.txt", data)).reason


# --- docx -------------------------------------------------------------------------------------


def test_docx_paragraphs_tables_and_properties(tmp_path):
    document = make_docx(
        REPORT_LINES,
        table=[["序号", "指标", "数值"], ["1", "行政执法案件", "36件"]],
        title=" 2024年法治政府建设工作情况报告 ",
        created=datetime(2025, 1, 10, 9, 30),
    )
    document.add_paragraph("沅陵县应急管理局")
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(document)))
    assert doc.format == "docx"
    assert doc.text.split("\n") == [
        *REPORT_LINES,
        "序号 | 指标 | 数值",
        "1 | 行政执法案件 | 36件",
        "沅陵县应急管理局",
    ]
    assert doc.hints == {"title": "2024年法治政府建设工作情况报告", "created": "2025-01-10"}


def test_docx_without_title_has_no_title_hint(tmp_path):
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(make_docx())))
    assert "title" not in doc.hints


def test_docx_merged_cells_appear_once(tmp_path):
    document = make_docx(["表1"], table=[["类别", "", "数量"], ["执法", "检查", "12"]])
    grid = document.tables[0]
    grid.cell(0, 0).merge(grid.cell(0, 1))
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(document)))
    assert doc.text.split("\n")[1:] == ["类别 | 数量", "执法 | 检查 | 12"]


def test_docx_single_cell_box_keeps_paragraphs(tmp_path):
    document = make_docx(["前言"])
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "一、主要举措和成效"
    cell.add_paragraph("全年办理首违不罚案件12件。")
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(document)))
    assert doc.text == "前言\n一、主要举措和成效\n全年办理首违不罚案件12件。"


def test_docx_tracked_changes(tmp_path):
    document = make_docx(["全年办理案件"])
    add_revision_runs(document.paragraphs[0], inserted="12件。", deleted="10件。")
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(document)))
    assert doc.text == "全年办理案件12件。"


def test_docx_content_controls_and_custom_xml(tmp_path):
    document = make_docx(["一、主要举措和成效", "二、存在问题"])
    first, second = document.paragraphs
    for paragraph, wrapper in ((first, ["w:sdt", "w:sdtContent"]), (second, ["w:customXml"])):
        parent = paragraph._p.getparent()
        index = parent.index(paragraph._p)
        outer = inner = etree.Element(qn(wrapper[0]))
        for tag in wrapper[1:]:
            inner = etree.SubElement(inner, qn(tag))
        inner.append(paragraph._p)  # moves the paragraph into the wrapper
        parent.insert(index, outer)
    doc = read_document(write(tmp_path, "r.docx", docx_bytes(document)))
    assert doc.text == "一、主要举措和成效\n二、存在问题"


def test_docx_without_text(tmp_path):
    err = read_error(write(tmp_path, "r.docx", docx_bytes(make_docx([]))))
    assert "文件为空" in err.reason


def test_truncated_docx(tmp_path):
    data = docx_bytes(make_docx())
    err = read_error(write(tmp_path, "r.docx", data[: len(data) // 2]))
    assert err.reason == "DOCX 文件已损坏或不是有效的 Word 文档"


def test_zip_that_is_not_a_docx(tmp_path):
    path = tmp_path / "r.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "DOCX 文件已损坏或不是有效的 Word 文档" in read_error(path).reason


def test_encrypted_or_legacy_office_file(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert "DOCX 文件已加密" in read_error(write(tmp_path, "r.docx", data)).reason


def test_pdf_renamed_to_docx(tmp_path):
    err = read_error(write(tmp_path, "r.docx", make_pdf([["一、主要举措"]])))
    assert "不是有效的 Word 文档" in err.reason and "PDF 文件" in err.reason


# --- pdf --------------------------------------------------------------------------------------


def test_pdf_chinese_text_layer(tmp_path):
    doc = read_document(write(tmp_path, "r.pdf", make_pdf([REPORT_LINES[:5], REPORT_LINES[5:]])))
    assert doc == RawDocument(path=tmp_path / "r.pdf", text=REPORT_TEXT, format="pdf")


def test_pdf_page_numbers_are_dropped(tmp_path):
    pages = [
        ["第1页表头无", "一、主要举措和成效", "全年办理案件：", "12", "- 1 -"],
        ["2", "二、存在问题", "执法文书不够规范。", "第 2 页 共 3 页"],
        ["三、下一步工作安排", "持续深化规范化建设。", "— 3 —"],
    ]
    doc = read_document(write(tmp_path, "r.pdf", make_pdf(pages)))
    assert doc.text.split("\n") == [
        "第1页表头无",
        "一、主要举措和成效",
        "全年办理案件：",
        "12",  # a bare number inside the page is content (e.g. a table cell)
        "二、存在问题",
        "执法文书不够规范。",
        "三、下一步工作安排",
        "持续深化规范化建设。",
    ]


def test_pdf_wrapped_lines_are_rejoined(tmp_path):
    width = 30  # characters per full line
    first = "对首次轻微违法并及时改正的企业依法不予处罚" * 4 + "，切实优化营商环境。"
    second = "持续深化行政执法规范化建设推动法治政府建设再上新台阶努力营造良好环境" * 2 + "。"
    wrapped = [first[i : i + width] for i in range(0, len(first), width)]
    wrapped2 = [second[i : i + width] for i in range(0, len(second), width)]
    pages = [
        ["一、主要举措和成效", *wrapped, "（一）推行首违不罚", wrapped2[0]],
        [*wrapped2[1:], "沅陵县应急管理局", "2025年1月10日"],  # continues across the page
    ]
    doc = read_document(write(tmp_path, "r.pdf", make_pdf(pages)))
    assert doc.text.split("\n") == [
        "一、主要举措和成效",
        first,
        "（一）推行首违不罚",
        second,
        "沅陵县应急管理局",
        "2025年1月10日",
    ]


def test_pdf_wrapped_heading_start_is_not_joined(tmp_path):
    full = "对首次轻微违法并及时改正的企业依法不予处罚并加强教育引导工作"
    pages = [[full, "1.深学细悟习近平法治思想。", full, "（2）健全制度。"]]
    doc = read_document(write(tmp_path, "r.pdf", make_pdf(pages)))
    assert doc.text.split("\n") == pages[0]


def test_pdf_with_owner_password_only_is_read(tmp_path):
    data = encrypt_pdf(make_pdf([REPORT_LINES]), user_password="")
    assert pypdf.PdfReader(write(tmp_path, "check.pdf", data)).is_encrypted
    assert read_document(write(tmp_path, "r.pdf", data)).text == REPORT_TEXT


def test_pdf_with_user_password(tmp_path):
    data = encrypt_pdf(make_pdf([REPORT_LINES]), user_password="secret")
    assert read_error(write(tmp_path, "r.pdf", data)).reason.startswith("PDF 已加密，无法读取")


def test_pdf_aes_without_crypto_library(tmp_path, monkeypatch):
    def needs_crypto(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_crypto)
    data = encrypt_pdf(make_pdf([REPORT_LINES]), user_password="")
    assert "cryptography" in read_error(write(tmp_path, "r.pdf", data)).reason


def test_truncated_pdf(tmp_path):
    data = make_pdf([REPORT_LINES])
    assert "PDF 文件不完整" in read_error(write(tmp_path, "r.pdf", data[:-200])).reason


def test_corrupt_pdf(tmp_path):
    data = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\nstartxref\n99999\n%%EOF\n"
    assert read_error(write(tmp_path, "r.pdf", data)).reason == "PDF 文件已损坏，无法解析"


def test_not_a_pdf(tmp_path):
    err = read_error(write(tmp_path, "r.pdf", PNG_HEADER))
    assert "不是有效的 PDF 文件" in err.reason and "PNG" in err.reason


def test_pdf_without_text_layer(tmp_path):
    err = read_error(write(tmp_path, "scan.pdf", blank_pdf(3)))
    assert err.reason == "PDF 没有文本层（可能是扫描件）"


def test_pdf_font_without_unicode_mapping(tmp_path):
    # Subset fonts without a usable ToUnicode map extract as private-use code points.
    garbled = "".join(chr(0xE000 + i) for i in range(40))
    err = read_error(write(tmp_path, "r.pdf", make_pdf([[garbled, garbled]])))
    assert "乱码" in err.reason


def test_pdf_with_only_a_watermark_per_page(tmp_path):
    data = make_pdf([["扫描全能王"], ["扫描全能王"], ["扫描全能王"]])
    assert "没有文本层" in read_error(write(tmp_path, "scan.pdf", data)).reason


# --- html -------------------------------------------------------------------------------------

META = f"""<meta name="ArticleTitle" content="{REPORT_TITLE}">
<meta name="PubDate" content="2025-04-17 12:23">
<meta name="ContentSource" content="沅陵县应急管理局">
<meta name="Url" content="https://www.yuanling.gov.cn/zwgk/2025/0417/123.html">
"""

NOISE = [
    "脚本里的文字", "样式里的文字", "1999", "沅陵县人民政府门户网站", "请输入关键词", "搜索",
    "首页", "政务服务", "当前位置", "分享到", "微博", "字号", "打印本页", "关闭窗口",
    "上一篇", "下一篇", "安全生产大检查", "版权所有", "ICP", "辰州中路", "浏览次数",
]  # fmt: skip


def test_html_gov_page_keeps_body_and_drops_furniture(tmp_path):
    doc = read_document(write(tmp_path, "r.html", gov_page(REPORT_BODY_HTML, head=META)))
    assert doc.format == "html"
    assert doc.text.split("\n") == [
        REPORT_TITLE,
        "县委、县人民政府：",
        "现将上一年度法治政府建设工作情况、存在问题及下一年度工作计划报告如下：",
        "一、主要举措和成效",
        "（一）推行首违不罚",
        "对首次轻微违法并及时改正的企业依法不予处罚，全年办理首违不罚案件12件， 切实优化营商环境。",
        "序号 | 指标 | 数值",
        "1 | 行政执法案件 | 36件",
        "二、存在问题",
        "执法人员专业能力仍有不足，部分执法文书制作不够规范。",
    ]
    for noise in NOISE:
        assert noise not in doc.text, noise
    assert doc.hints == {
        "title": REPORT_TITLE,
        "pub_date": "2025-04-17",
        "org": "沅陵县应急管理局",
        "source_url": "https://www.yuanling.gov.cn/zwgk/2025/0417/123.html",
    }


def test_html_hints_without_meta(tmp_path):
    head = '<link rel="canonical" href="https://www.example.gov.cn/art/1.html">'
    body = "<p>文号：荔应急〔2024〕9号</p>" + REPORT_BODY_HTML
    doc = read_document(write(tmp_path, "r.html", gov_page(body, head=head)))
    assert doc.hints == {
        "title": REPORT_TITLE,  # <title> without "_沅陵县人民政府", confirmed by the <h1>
        "pub_date": "2025-04-17",  # from "发布时间：2025-04-17 12:23"
        "source_url": "https://www.example.gov.cn/art/1.html",
        "doc_number": "荔应急〔2024〕9号",
    }


def test_html_title_ignores_logo_heading_and_dash_suffix(tmp_path):
    page = f"""<html><head><title>{REPORT_TITLE} - 沅陵县人民政府网</title></head><body>
    <h1 class="logo">沅陵县人民政府</h1>
    <div id="zoom"><p>县委、县人民政府：现将2024年法治政府建设工作情况报告如下。</p></div>
    </body></html>"""
    doc = read_document(write(tmp_path, "r.html", page))
    assert doc.hints == {"title": REPORT_TITLE}
    # Shown nowhere on the page, so it is a hint only and is not put into the text.
    assert doc.text == "县委、县人民政府：现将2024年法治政府建设工作情况报告如下。"


def test_html_title_that_only_names_the_site_is_ignored(tmp_path):
    page = """<html><head><title>沅陵县人民政府门户网站</title></head><body>
    <div id="zoom"><p>县委、县人民政府：现将2024年法治政府建设工作情况报告如下。</p></div>
    </body></html>"""
    assert read_document(write(tmp_path, "r.html", page)).hints == {}


def test_html_hints_from_info_table(tmp_path):
    body = (
        "<table><tr><td>索引号：</td><td>11350304MB</td><td>文号：</td><td>荔应急〔2024〕9号</td></tr>"
        "<tr><td>发布日期：</td><td>2024-02-01</td><td>发布机构：</td><td>荔城区应急管理局</td></tr>"
        "</table>" + REPORT_BODY_HTML
    )
    page = f"<html><body><div class='article'>{body}</div></body></html>"
    hints = read_document(write(tmp_path, "r.html", page)).hints
    assert hints == {"pub_date": "2024-02-01", "doc_number": "荔应急〔2024〕9号"}


def test_html_attachment_link_is_kept(tmp_path):
    body = REPORT_BODY_HTML + '<p>附件：<a href="/f/1.docx">2024年行政执法数据统计表.docx</a></p>'
    doc = read_document(write(tmp_path, "r.html", gov_page(body)))
    assert doc.text.endswith("附件：2024年行政执法数据统计表.docx")


def test_html_title_is_prepended_when_body_lacks_it(tmp_path):
    body = "<p>县委、县人民政府：</p><p>现将2024年法治政府建设工作情况报告如下，请审阅。</p>"
    doc = read_document(write(tmp_path, "r.html", gov_page(body)))
    assert doc.text.split("\n") == [
        REPORT_TITLE,
        "县委、县人民政府：",
        "现将2024年法治政府建设工作情况报告如下，请审阅。",
    ]


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "GB18030"])
def test_html_declared_gb_charsets(tmp_path, charset):
    body = "<p>张喆同志主持召开专题会议，研究部署法治政府建设工作。</p>"  # 喆 is GBK, not GB2312
    path = write(tmp_path, "r.htm", gov_page(body, charset=charset), "gb18030")
    assert "张喆同志主持召开专题会议，研究部署法治政府建设工作。" in read_document(path).text


def test_html_without_declaration_falls_back_to_gb18030(tmp_path):
    page = "<html><body><div><p>一、主要举措和成效。全年办理案件12件。</p></div></body></html>"
    doc = read_document(write(tmp_path, "r.html", page, "gbk"))
    assert doc.text == "一、主要举措和成效。全年办理案件12件。"


def test_html_escaped_markup_is_text_and_scripts_are_gone(tmp_path):
    body = (
        "<p>系统曾遭受&lt;script&gt;alert(1)&lt;/script&gt;注入攻击，已完成整改。</p>"
        "<script>alert('真的脚本')</script>"
        "<p>示例写法&amp;lt;p&amp;gt;只解码一次，A&amp;B 保持原样。</p>"
    )
    doc = read_document(write(tmp_path, "r.html", gov_page(body)))
    assert "系统曾遭受<script>alert(1)</script>注入攻击，已完成整改。" in doc.text
    assert "示例写法&lt;p&gt;只解码一次，A&B 保持原样。" in doc.text
    assert "真的脚本" not in doc.text


def test_html_br_separated_paragraphs(tmp_path):
    body = "一、主要举措和成效<br>全年办理案件12件，同比增长20%。<br/><br/>二、存在问题<br>执法力量不足。"
    doc = read_document(write(tmp_path, "r.html", gov_page(body)))
    assert doc.text.split("\n")[1:] == [
        "一、主要举措和成效",
        "全年办理案件12件，同比增长20%。",
        "二、存在问题",
        "执法力量不足。",
    ]


def test_html_without_known_container_uses_densest_block(tmp_path):
    page = f"""<html><head><title>{REPORT_TITLE}</title></head><body>
    <div class="wrap">
      <div class="left"><ul>{"".join(f'<li><a href="/{i}">栏目链接第{i}项</a></li>' for i in range(30))}</ul></div>
      <div class="right">
        <div class="t1">{REPORT_TITLE}</div>
        <div class="box-a">{"".join(f"<p>{line}</p>" for line in REPORT_LINES[1:])}</div>
        <div class="box-b">沅陵县应急管理局<br>2025年1月10日</div>
      </div>
    </div>
    <div class="dibu">主办：沅陵县人民政府办公室 地址：沅陵县辰州中路 电话：0745-4222222</div>
    </body></html>"""
    doc = read_document(write(tmp_path, "r.html", page))
    assert doc.text.split("\n") == [*REPORT_LINES, "沅陵县应急管理局", "2025年1月10日"]


def test_html_small_named_container_is_not_mistaken_for_the_body(tmp_path):
    page = f"""<html><body>
    <div class="side"><div class="con">联系我们：0745-4222222</div></div>
    <div class="main-area">{"".join(f"<p>{line}</p>" for line in REPORT_LINES)}</div>
    </body></html>"""
    assert read_document(write(tmp_path, "r.html", page)).text == REPORT_TEXT


def test_html_hidden_blocks_are_dropped(tmp_path):
    body = '<p>全年办理案件12件。</p><div style="display: none">隐藏的重复内容，不应出现。</div>'
    doc = read_document(write(tmp_path, "r.html", gov_page(body)))
    assert "隐藏的重复内容" not in doc.text and "全年办理案件12件。" in doc.text


def test_html_layout_table_keeps_paragraphs(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT_LINES)
    page = f"""<html><body><table><tr><td width="20%"><a href="/">首页</a></td>
    <td>{paragraphs}</td></tr></table></body></html>"""
    assert read_document(write(tmp_path, "r.html", page)).text == REPORT_TEXT


def test_xhtml_with_xml_declaration(tmp_path):
    page = (
        '<?xml version="1.0" encoding="gb2312"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><div id="zoom">'
        "<p>一、主要举措和成效。全年办理案件12件。</p></div></body></html>"
    )
    doc = read_document(write(tmp_path, "r.html", page, "gb2312"))
    assert doc.text == "一、主要举措和成效。全年办理案件12件。"


def test_html_without_body_text(tmp_path):
    page = '<html><head><title>加载中</title></head><body><div id="app"></div></body></html>'
    assert "没有找到正文" in read_error(write(tmp_path, "r.html", page)).reason


def test_binary_html(tmp_path):
    assert "疑似二进制文件" in read_error(write(tmp_path, "r.html", PNG_HEADER)).reason
