"""Word (.docx) reports: body paragraphs and tables in document order, plus core properties.

python-docx opens the package and reads the core properties; the body is walked at the XML
level because `Paragraph.text` skips runs nested in tracked insertions, smart tags, fields and
inline content controls, and `Document.paragraphs` skips tables and block content controls —
all of which occur in these reports. Automatic list numbering is not rendered (python-docx
cannot), so "一、" typed by hand survives while numbering applied by a list style does not.

A .docx is a zip, and python-docx unpacks every part into memory. Before it does, the zip's
directory is checked against the limits of :mod:`kb.ingest.readers.limits` (size of each XML
part, of all parts, their number, and the compression ratio), so a zip bomb is refused from
its directory alone. The sizes a directory declares cannot be exceeded afterwards: zipfile
stops inflating a member at its declared size, and the CRC check then fails.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.document import Document
from lxml import etree

from kb.ingest.readers import limits
from kb.ingest.readers.base import OLE_MAGIC, RawDocument, Reader, ReadError, sniff_binary

_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_W = f"{{{_NS['w']}}}"
_P, _TBL, _SDT, _SDT_CONTENT, _CUSTOM_XML, _TR, _TC = (
    _W + tag for tag in ("p", "tbl", "sdt", "sdtContent", "customXml", "tr", "tc")
)

# The pieces of visible text in a paragraph, in order. Deleted and moved-away revisions are
# not part of the document's text; text boxes are anchored inside paragraphs but are separate
# stories (and Word stores each one twice, for old and new renderers), so they are left out.
_RUN_PIECES = etree.XPath(
    ".//w:r[not(ancestor::w:del or ancestor::w:moveFrom or ancestor::w:txbxContent)]"
    "/*[self::w:t or self::w:tab or self::w:br or self::w:cr or self::w:noBreakHyphen]",
    namespaces=_NS,
)
_PIECE_TEXT = {_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}

_CELL_SEPARATOR = " | "
_CORRUPT = "DOCX 文件已损坏或不是有效的 Word 文档"
_OLE = "DOCX 文件已加密，或实际是旧版 .doc 格式（OLE 复合文档），无法读取"
_BOMB = "疑似压缩炸弹，已拒绝（未解压）"


class DocxReader(Reader):
    """Reads .docx files with python-docx."""

    extensions = (".docx",)

    def read(self, path: Path, data: bytes) -> RawDocument:
        document = _open(path, data)
        lines = _block_lines(document.element.body)
        return RawDocument(
            path=path, text="\n".join(lines), format="docx", hints=_core_hints(document)
        )


def _open(path: Path, data: bytes) -> Document:
    """Open the package, explaining what the file is when it is not a docx."""
    if data.startswith(OLE_MAGIC):
        raise ReadError(path, _OLE)
    if not data.startswith(b"PK\x03\x04"):
        kind = sniff_binary(data)
        raise ReadError(path, f"{_CORRUPT}（内容像是{kind}）" if kind else _CORRUPT)
    _check_package(path, data)
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML, key and value errors alike
        raise ReadError(path, _CORRUPT) from exc


def _check_package(path: Path, data: bytes) -> None:
    """Refuse a package that would unpack to more than the limits, before unpacking it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError, ValueError, ...
        raise ReadError(path, _CORRUPT) from exc
    if len(members) > limits.MAX_PACKAGE_MEMBERS:
        raise ReadError(
            path, f"DOCX 中有 {len(members)} 个部件（上限 {limits.MAX_PACKAGE_MEMBERS}），{_BOMB}"
        )
    total = 0
    for m in members:
        size = m.file_size
        total += size
        if not m.filename.lower().endswith((".xml", ".rels")):
            continue  # media and embedded objects are never parsed: only the total bounds them
        if size > limits.MAX_XML_PART_BYTES:
            raise ReadError(
                path,
                f"DOCX 部件 {m.filename} 解压后有 {limits.human_size(size)}"
                f"（上限 {limits.human_size(limits.MAX_XML_PART_BYTES)}），{_BOMB}",
            )
        if size > limits.RATIO_MIN_BYTES and size > limits.MAX_RATIO * max(m.compress_size, 1):
            raise ReadError(
                path,
                f"DOCX 部件 {m.filename} 的压缩比为 {size / max(m.compress_size, 1):.0f}:1"
                f"（上限 {limits.MAX_RATIO}:1），{_BOMB}",
            )
    if total > limits.MAX_PACKAGE_BYTES:
        raise ReadError(
            path,
            f"DOCX 解压后共有 {limits.human_size(total)}"
            f"（上限 {limits.human_size(limits.MAX_PACKAGE_BYTES)}），{_BOMB}",
        )


def _block_lines(container: etree._Element) -> list[str]:
    """Lines of the paragraphs and tables directly in `container` (body, cell, content control)."""
    lines: list[str] = []
    for child in container:
        if child.tag == _P:
            lines.append(_paragraph_text(child))
        elif child.tag == _TBL:
            lines += _table_lines(child)
        elif child.tag == _SDT:  # content control: its paragraphs sit in sdtContent
            content = child.find(_SDT_CONTENT)
            if content is not None:
                lines += _block_lines(content)
        elif child.tag == _CUSTOM_XML:  # custom XML markup wraps paragraphs directly
            lines += _block_lines(child)
    return lines


def _paragraph_text(p: etree._Element) -> str:
    return "".join(_PIECE_TEXT.get(piece.tag, piece.text or "") for piece in _RUN_PIECES(p))


def _table_lines(tbl: etree._Element) -> list[str]:
    """One line per row, cells joined by " | ".

    A row with a single filled cell is a box around ordinary text (some reports frame their
    whole body that way), so its paragraphs stay separate lines instead of being glued together.
    Cells are taken as stored: a merged cell appears once, not once per grid column or row.
    """
    lines: list[str] = []
    for tr in tbl.iterchildren(_TR):
        cells = [_block_lines(tc) for tc in tr.iterchildren(_TC)]
        filled = [cell for cell in cells if any(line.strip() for line in cell)]
        if len(filled) == 1:
            lines += filled[0]
        elif filled:
            lines.append(_CELL_SEPARATOR.join(" ".join(" ".join(cell).split()) for cell in filled))
    return lines


def _core_hints(document: Document) -> dict[str, str]:
    """Title and creation date from the core properties, when present.

    The creation date is a file timestamp (often inherited from a template), so it is offered as
    "created", not as the publication date.
    """
    hints: dict[str, str] = {}
    try:
        props = document.core_properties
        title, created = props.title, props.created
    except Exception:  # a malformed docProps/core.xml must not cost us the body text
        return hints
    if title and title.strip():
        hints["title"] = title.strip()
    if created:
        hints["created"] = created.date().isoformat()
    return hints
