"""PDF reports: the text layer of every page, without page numbers, with wrapped lines rejoined.

pypdf gives one line per *visual* line, but everything downstream treats a line as a paragraph,
so lines that run to the right margin without ending a sentence are joined with the next one
(also across a page break). Page numbers are dropped so they do not end up inside sentences.
Scanned reports have no text layer; they are rejected rather than indexed as empty documents.

Streams are decoded under pypdf's limits, lowered to :mod:`kb.ingest.readers.limits` for every
filter (Flate, LZW, run-length, …), and text stops being collected once it exceeds the text
limit: a small PDF whose stream inflates to gigabytes is refused, not unpacked.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError, LimitReachedError

from kb.ingest.readers import limits
from kb.ingest.readers.base import RawDocument, Reader, ReadError, sniff_binary
from kb.ingest.readers.txt import looks_like_text

_HEADER_SEARCH_BYTES = 1024  # the %PDF- header may follow a little junk

_ENCRYPTED = "PDF 已加密，无法读取（需要打开密码）"
_NEEDS_CRYPTO = "PDF 已加密（AES），解密需要 cryptography 组件，当前未安装，无法读取"
_CORRUPT = "PDF 文件已损坏，无法解析"
_TRUNCATED = "PDF 文件不完整（缺少文件结尾标记，可能下载中断）"
_NO_TEXT = "PDF 没有文本层（可能是扫描件）"
_GARBLED = "PDF 的文字无法正确提取（字体缺少 Unicode 映射，提取结果是乱码）"
_BOMB = (
    f"PDF 中的数据流解压后超过 {limits.human_size(limits.MAX_PDF_STREAM_BYTES)}，"
    "疑似压缩炸弹，已拒绝"
)

# pypdf's limits on what one stream may decode to, every filter set to ours (its defaults are
# 75 MB). The declared /Length is bounded by the file size limit already, and images are never
# decoded for text, so those limits stay as they are.
_STREAM_LIMITS = {
    name: limits.MAX_PDF_STREAM_BYTES
    for name in (
        "array_based_stream_maximum_output_length",
        "jbig2_maximum_output_length",
        "lzw_maximum_output_length",
        "run_length_maximum_output_length",
        "zlib_maximum_output_length",
        "brotli_maximum_output_length",
    )
}

# Fewer letters/digits/ideographs than this per page on average: a scan with a stray watermark.
_MIN_CHARS_PER_PAGE = 10

# Page numbers that cannot be body text wherever they stand: "- 3 -", "— 3 —", "第 3 页 共 9 页".
_PAGE_NUMBER = re.compile(
    r"[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[，,/／]?\s*共\s*\d{1,4}\s*页)?"
)
# Bare numbers ("3", "3/9", "Page 3") are page numbers only at the top or bottom of a page;
# elsewhere they may be table cells.
_EDGE_PAGE_NUMBER = re.compile(r"\d{1,4}(?:\s*[/／]\s*\d{1,4})?|[Pp]age\s*\d{1,4}")

# A line that starts a heading or a numbered item never continues the previous line.
_HEADING_START = re.compile(
    r"第[一二三四五六七八九十百零〇]+[章节条部分]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[、.．](?!\d)|[（(]\d{1,2}[）)]|[①-⑳]"
)
_SENTENCE_END = "。！？；：…!?;:"
_CLOSERS = "”’」』）)》】"

# A line is "full" (it wrapped) when at least this share of the document's typical full width.
_FULL_LINE_SHARE = 0.9
_FULL_WIDTH_PERCENTILE = 0.9
_MIN_WRAP_WIDTH = 40  # display columns; shorter lines (signatures, dates) never wrap


class PdfReader(Reader):
    """Reads the text layer of .pdf files with pypdf."""

    extensions = (".pdf",)

    def read(self, path: Path, data: bytes) -> RawDocument:
        _check_container(path, data)
        pages = [_drop_page_numbers(_clean_lines(text)) for text in _page_texts(path, data)]
        lines = _unwrap([line for page in pages for line in page])
        text = "\n".join(lines)
        _check_text(path, text, len(pages))
        return RawDocument(path=path, text=text, format="pdf")


def _check_container(path: Path, data: bytes) -> None:
    """Reject files that are not PDFs, or were cut off, before pypdf guesses its way through."""
    if data.find(b"%PDF-", 0, _HEADER_SEARCH_BYTES) < 0:
        kind = sniff_binary(data)
        raise ReadError(
            path, f"不是有效的 PDF 文件（内容像是{kind}）" if kind else "不是有效的 PDF 文件"
        )
    if data.rfind(b"%%EOF") < 0:
        raise ReadError(path, _TRUNCATED)


def _check_text(path: Path, text: str, page_count: int) -> None:
    """Reject scans (no text layer) and fonts whose codes do not map to Unicode (garbled text)."""
    minimum = _MIN_CHARS_PER_PAGE * max(page_count, 1)
    if len(text) - text.count("\n") >= minimum and not looks_like_text(text):
        raise ReadError(path, _GARBLED)
    if sum(ch.isalnum() for ch in text) < minimum:
        raise ReadError(path, _NO_TEXT)


def _page_texts(path: Path, data: bytes) -> list[str]:
    """Raw text of each page; owner-password-only PDFs are opened with the empty password."""
    try:
        with pypdf.apply_configuration(**_STREAM_LIMITS):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
                raise ReadError(path, _ENCRYPTED)
            texts, chars = [], 0
            for page in reader.pages:
                texts.append(page.extract_text() or "")
                chars += len(texts[-1])
                limits.check_text_size(path, chars)
            return texts
    except ReadError:
        raise
    except LimitReachedError as exc:
        raise ReadError(path, _BOMB) from exc
    except DependencyError as exc:
        raise ReadError(path, _NEEDS_CRYPTO) from exc
    except Exception as exc:  # pypdf raises many unrelated types on malformed files
        raise ReadError(path, _CORRUPT) from exc


def _clean_lines(page_text: str) -> list[str]:
    return [line.strip() for line in page_text.splitlines() if line.strip()]


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Remove page-number lines: decorated ones anywhere, bare numbers at the page edges."""
    last = len(lines) - 1
    return [
        line
        for i, line in enumerate(lines)
        if not _PAGE_NUMBER.fullmatch(line)
        and not (i in (0, last) and _EDGE_PAGE_NUMBER.fullmatch(line))
    ]


def _unwrap(lines: list[str]) -> list[str]:
    """Join visual lines back into paragraphs (see the module docstring)."""
    if not lines:
        return []
    full = _full_width(lines)
    out = [lines[0]]
    wrapped = _display_width(lines[0]) >= full and not _ends_paragraph(lines[0])
    for line in lines[1:]:
        if wrapped and not _HEADING_START.match(line):
            out[-1] = _join(out[-1], line)
        else:
            out.append(line)
        wrapped = _display_width(line) >= full and not _ends_paragraph(line)
    return out


def _full_width(lines: list[str]) -> float:
    """Width from which a line counts as running to the margin.

    Most lines of a report are full lines, so a high percentile of the widths is the text
    width, robust against the odd over-long line (a wide table row).
    """
    widths = sorted(_display_width(line) for line in lines)
    typical = widths[int(_FULL_WIDTH_PERCENTILE * (len(widths) - 1))]
    return max(_MIN_WRAP_WIDTH, _FULL_LINE_SHARE * typical)


def _display_width(line: str) -> int:
    """Columns a line occupies: ideographs and full-width forms count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _ends_paragraph(line: str) -> bool:
    """True when the line ends a sentence (closing quotes and brackets aside)."""
    stripped = line.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _join(left: str, right: str) -> str:
    """Concatenate a wrapped line; only two Latin words need a space between them."""
    glue = (
        " "
        if left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum()
        else ""
    )
    return left + glue + right
