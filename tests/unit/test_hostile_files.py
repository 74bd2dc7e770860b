"""Issue 15, items 2, 6 and 7: files built to hurt the readers, and valid text they rejected.

Each test builds its hostile file itself (tests/hostile.py): zip bombs, a PDF whose stream
inflates to 200 MB, HTML nested thousands of levels deep, UTF-16 without a BOM, a stray NUL.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from kb.ingest.readers import ReadError, limits, read_document
from tests.hostile import MB, deep_html, docx_bomb, pdf_bomb, understate
from tests.readers_factory import (
    REPORT_BODY_HTML,
    REPORT_TEXT,
    docx_bytes,
    gov_page,
    make_docx,
    make_pdf,
)
from tests.support import ROOT


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(path: Path) -> str:
    with pytest.raises(ReadError) as info:
        read_document(path)
    assert path.name in str(info.value)
    return info.value.reason


# --- 2: zip bombs and stream bombs --------------------------------------------------------------


def test_docx_bomb_of_200_mb_is_refused_from_its_directory(tmp_path):
    bomb = docx_bomb(200 * MB)
    assert len(bomb) < 1 * MB  # the bomb: 0.8 MB on disk, 200 MB of XML

    reason = refused(write(tmp_path, "bomb.docx", bomb))

    assert "word/document.xml" in reason and "解压后有 200 MB" in reason
    assert "上限 32 MB" in reason and "疑似压缩炸弹" in reason


def test_docx_bomb_is_refused_without_unpacking_it(tmp_path):
    """Peak memory of a fresh process reading the bomb: before the limits, a 4 MB bomb took
    5.1 GB just to read. Measured in a child so earlier tests' memory does not count."""
    path = write(tmp_path, "bomb.docx", docx_bomb(400 * MB))
    script = textwrap.dedent(
        f"""
        import json
        from kb.ingest.readers import ReadError, read_document
        try:
            read_document({str(path)!r})
            outcome = "read"
        except ReadError as e:
            outcome = e.reason
        # VmHWM: this process's peak RSS (ru_maxrss would include pytest's, kept across exec)
        status = open("/proc/self/status").read()
        peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
        print(json.dumps({{"outcome": outcome, "peak": peak}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert "疑似压缩炸弹" in result["outcome"]
    assert result["peak"] < 300 * MB  # the interpreter with lxml, docx and pypdf loaded


def test_docx_part_below_the_size_limit_but_compressed_1000_to_1_is_refused(tmp_path):
    reason = refused(write(tmp_path, "ratio.docx", docx_bomb(8 * MB)))
    assert "压缩比为" in reason and f"上限 {limits.MAX_RATIO}:1" in reason


def test_docx_whose_directory_understates_a_part_is_refused_not_inflated(tmp_path):
    """A zip directory claiming 2 KB for a part holding 20 MB: zipfile inflates only the
    declared size, the CRC then fails, and the file is reported as damaged."""
    data = understate(docx_bomb(20 * MB, zip64=False), "word/document.xml", 2048)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size == 2048

    reason = refused(write(tmp_path, "liar.docx", data))

    assert "DOCX 文件已损坏" in reason


def test_docx_with_a_highly_compressible_picture_is_still_read(tmp_path):
    """A bitmap logo compresses hundreds of times too, but media parts are never parsed."""
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(docx_bytes(make_docx())))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/media/logo.bmp", b"BM" + bytes(6 * MB))

    doc = read_document(write(tmp_path, "logo.docx", out.getvalue()))

    assert doc.text.startswith("沅陵县应急管理局")


def test_ordinary_docx_is_still_read(tmp_path):
    doc = read_document(write(tmp_path, "ok.docx", docx_bytes(make_docx())))
    assert doc.text.startswith("沅陵县应急管理局")


def test_pdf_stream_bomb_is_refused(tmp_path):
    bomb = pdf_bomb(200 * MB)
    assert len(bomb) < 1 * MB

    reason = refused(write(tmp_path, "bomb.pdf", bomb))

    assert "PDF 中的数据流解压后超过 32 MB" in reason and "疑似压缩炸弹" in reason


def test_pdf_with_a_compressed_stream_under_the_limit_is_read(tmp_path):
    doc = read_document(write(tmp_path, "ok.pdf", pdf_bomb(3 * MB)))
    assert doc.text.startswith("沅陵县应急管理局") and "首违不罚" in doc.text


def test_text_far_longer_than_any_report_is_refused(tmp_path):
    line = "依法行政，建设法治政府。" * 10 + "\n"
    data = (line * (limits.MAX_TEXT_CHARS // len(line) + 1)).encode()

    reason = refused(write(tmp_path, "huge.txt", data))

    assert "提取出的文字过多" in reason and "上限 500 万字" in reason


def test_html_over_the_markup_limit_is_refused_before_parsing(tmp_path):
    paragraph = "<p>" + "Rule of law. " * 40 + "</p>\n"
    page = gov_page(paragraph * (limits.MAX_HTML_CHARS // len(paragraph) + 1))
    assert len(page) > limits.MAX_HTML_CHARS

    reason = refused(write(tmp_path, "huge.html", page))

    assert "网页过大" in reason and "未解析" in reason


# --- 6: valid text that was rejected ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded_by_its_byte_pattern(tmp_path, encoding):
    data = REPORT_TEXT.encode(encoding)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in data

    doc = read_document(write(tmp_path, "r.txt", data))

    assert doc.text == REPORT_TEXT and doc.warnings == []


def test_utf16_html_without_bom_is_read(tmp_path):
    data = gov_page("".join(f"<p>{line}</p>" for line in REPORT_TEXT.splitlines()))
    doc = read_document(write(tmp_path, "r.html", data.encode("utf-16-le")))
    assert "首违不罚" in doc.text


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_stray_nul_byte_is_dropped_with_a_warning(tmp_path, encoding):
    data = REPORT_TEXT.encode(encoding)
    data = data[:60] + b"\x00" + data[60:]

    doc = read_document(write(tmp_path, "r.txt", data))

    assert doc.text == REPORT_TEXT
    assert doc.warnings == ["文件中有 1 个空字节（NUL），已删除"]


def test_many_nul_bytes_still_mean_a_binary_file(tmp_path):
    data = REPORT_TEXT.encode() + b"\x00\x01" * 200
    assert refused(write(tmp_path, "r.txt", data)).startswith("疑似二进制文件")


# --- 7: deep HTML -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [254, 1000, 2040])
def test_deeply_nested_html_is_parsed(tmp_path, depth):
    doc = read_document(write(tmp_path, "deep.html", deep_html(depth, REPORT_TEXT)))
    assert doc.text.splitlines()[0] == REPORT_TEXT.splitlines()[0]
    assert "首违不罚" in doc.text and doc.text.endswith("再上新台阶。")


def test_html_deeper_than_the_parser_can_go_gives_the_real_reason(tmp_path):
    reason = refused(write(tmp_path, "deeper.html", deep_html(3000, REPORT_TEXT)))
    assert reason == "网页的标签嵌套过深（超过 2048 层），解析器无法读完，已拒绝"
    assert "没有找到正文" not in reason


def test_pdf_text_of_an_ordinary_report_is_unchanged(tmp_path):
    doc = read_document(write(tmp_path, "r.pdf", make_pdf([REPORT_TEXT.splitlines()])))
    assert doc.text == REPORT_TEXT


def test_html_meta_url_that_is_not_http_is_not_taken_as_the_source(tmp_path):
    head = '<meta name="url" content="javascript:alert(1)">'
    doc = read_document(write(tmp_path, "r.html", gov_page(REPORT_BODY_HTML, head=head)))
    assert "source_url" not in doc.hints
