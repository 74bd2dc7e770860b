"""Plain-text reports, plus the decoding (used by HTML) and text check (used by PDF) they share.

Reports saved from Chinese government sites arrive as UTF-8 (with or without a BOM), UTF-16
(Windows Notepad's "Unicode", with or without a BOM) or GBK/GB18030. There is no reliable
declaration in a .txt file, so the bytes decide: a BOM wins; then strict UTF-8, which real GBK
text practically never passes; then strict GB18030 (a superset of GBK and GB2312).

Bytes with NULs in them are first tried as UTF-16 recognised by its byte pattern: every ASCII
character (newline, digit) has a NUL high byte, and the high bytes of Chinese text fall in a
few ranges (0x00 for ASCII, 0x30 for 。、《》, 0x4E–0x9F for the ideographs, 0xFF for ，：（）).
Text without any NUL is never taken for UTF-16 without a BOM: GB18030 byte pairs decode to
plausible ideographs as well. A few stray NULs in otherwise clean text (a copy-paste or
download glitch) are dropped, with a warning; more than that mean a binary file.

GB18030 and UTF-16 accept many byte sequences that are not text, so their result is only kept
if it reads like text. Decoding is otherwise strict: a report that silently loses characters
is worse than an error.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from kb.ingest.readers.base import RawDocument, Reader, ReadError, sniff_binary

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that all mean "some subset of GB18030"; decoding as the superset loses nothing and
# accepts the GBK characters that pages labelled gb2312 routinely contain.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "gb_2312-80", "euc-cn", "ms936"}

# Control bytes other than \t \n \v \f \r and \x1a (the old DOS end-of-file mark).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1A), *range(0x1B, 0x20), 0x7F])
_MAX_CONTROL_SHARE = 0.01
_MIN_CONTROL_COUNT = 3

# A GB18030 decoding is accepted when nearly all characters are ones Chinese text is made of.
_MIN_COMMON_SHARE = 0.9
_MAX_BAD_SHARE = 0.01

# High bytes of the UTF-16 code units Chinese text is made of (see the module docstring), plus
# the general-punctuation, enclosed and shape blocks (“” — ① ■ ★) and surrogates.
_UTF16_HIGH_BYTES = bytes(
    [0x00, *range(0x20, 0x27), *range(0x30, 0xA0), *range(0xD8, 0xE0), 0xFE, 0xFF]
)
_MIN_UTF16_HIGH_SHARE = 0.95

# NUL bytes are dropped (with a warning) while they are this rare; more mean a binary file.
_MAX_STRAY_NULS = 8
_MAX_STRAY_NUL_SHARE = 0.001

_NOT_TEXT = "疑似二进制文件，不是文本"
_UNKNOWN_ENCODING = "无法识别文本编码（不是 UTF-8 或 GB18030）"


class TxtReader(Reader):
    """Reads .txt files in any of the encodings above."""

    extensions = (".txt",)

    def read(self, path: Path, data: bytes) -> RawDocument:
        warnings: list[str] = []
        text = decode_text(path, data, warnings=warnings)
        return RawDocument(path=path, text=_unify_line_ends(text), format="txt", warnings=warnings)


def decode_text(
    path: Path, data: bytes, declared: str | None = None, warnings: list[str] | None = None
) -> str:
    """Decode `data` as text: BOM, then UTF-8, the `declared` charset, UTF-16, GB18030.

    Raises ReadError when the bytes are binary or fit none of the encodings. Repairs (stray
    NUL bytes dropped) are described in `warnings`.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(path, data[len(bom) :], encoding)
    kind = sniff_binary(data)
    if kind:
        raise ReadError(path, f"{_NOT_TEXT}（内容像是{kind}）")
    nuls = data.count(0)
    if nuls:
        # UTF-16 has a NUL in every ASCII character (newlines, digits); check it first, unless
        # dropping a few stray NULs leaves valid UTF-8.
        stray = nuls <= max(_MAX_STRAY_NULS, _MAX_STRAY_NUL_SHARE * len(data))
        cleaned = data.replace(b"\x00", b"")
        if not (stray and _is_utf8(cleaned)):
            text = _utf16_without_bom(data)
            if text is not None:
                return text
        if not stray:
            raise ReadError(path, _NOT_TEXT)
        data = cleaned
        if warnings is not None:
            warnings.append(f"文件中有 {nuls} 个空字节（NUL），已删除")
    _reject_controls(path, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in _fallback_encodings(declared):
        text = _decode_if_text(data, encoding)
        if text is not None:
            return text
    raise ReadError(path, _UNKNOWN_ENCODING)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_if_text(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if looks_like_text(text) else None


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 bytes without a BOM, recognised by their high bytes; else None.

    The byte order whose high bytes fit Chinese text best is tried first.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    orders = []
    for encoding, high in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        fitting = len(high) - len(high.translate(None, _UTF16_HIGH_BYTES))
        if fitting >= _MIN_UTF16_HIGH_SHARE * len(high):
            orders.append((fitting, encoding))
    for _, encoding in sorted(orders, reverse=True):
        text = _decode_if_text(data, encoding)
        if text is not None and "\x00" not in text:
            return text
    return None


def _decode_with_bom(path: Path, data: bytes, encoding: str) -> str:
    """Decode the bytes after a BOM; UTF-16 decodes almost anything, so check the result."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        reason = f"文件以 {encoding.upper()} 字节顺序标记开头，但内容无法按该编码解码"
        raise ReadError(path, reason) from exc
    if encoding.startswith("utf-16") and not looks_like_text(text):
        raise ReadError(path, _NOT_TEXT)
    return text


def looks_like_text(text: str) -> bool:
    """True when `text` is made of the characters Chinese documents use.

    A wrong decoding produces rare letters from other scripts, private-use or unassigned code
    points and control characters; real text is almost entirely CJK, ASCII and punctuation.
    """
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return True
    common = sum(1 for ch in chars if _is_common(ch))
    bad = sum(1 for ch in chars if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"))
    return common >= _MIN_COMMON_SHARE * len(chars) and bad <= _MAX_BAD_SHARE * len(chars)


def _is_common(ch: str) -> bool:
    """ASCII, CJK ideographs, and any punctuation, symbol, number or separator."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return True
    if (
        0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B and later
    ):
        return True
    return unicodedata.category(ch)[0] in "PSNZ"


def _fallback_encodings(declared: str | None) -> list[str]:
    """Encodings to try after UTF-8: the declared one (if Python knows it), then GB18030."""
    name = _codec_name(declared) if declared else None
    return [name, "gb18030"] if name not in (None, "utf-8", "gb18030") else ["gb18030"]


def _codec_name(label: str) -> str | None:
    """Python's codec for a charset label; None for a label it does not know."""
    label = label.strip().lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _reject_controls(path: Path, data: bytes) -> None:
    """Raise ReadError for bytes with more control characters than any text has."""
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls >= _MIN_CONTROL_COUNT and controls > _MAX_CONTROL_SHARE * len(data):
        raise ReadError(path, _NOT_TEXT)


def _unify_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
