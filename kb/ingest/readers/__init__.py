"""Read report files of any supported format into a RawDocument.

`read_document` does the checks every format shares (type, readability, size, emptiness) and
hands the bytes to the reader registered for the file's extension. Adding a format means one
new module with a `Reader` subclass and one entry in `_READERS`.
"""

from __future__ import annotations

from pathlib import Path

from kb.ingest.readers.base import RawDocument, Reader, ReadError
from kb.ingest.readers.docx import DocxReader
from kb.ingest.readers.html import HtmlReader
from kb.ingest.readers.limits import check_text_size, human_size
from kb.ingest.readers.pdf import PdfReader
from kb.ingest.readers.txt import TxtReader

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "RawDocument",
    "ReadError",
    "Reader",
    "os_reason",
    "read_document",
    "read_upload",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_READERS: dict[str, Reader] = {
    ext: reader
    for reader in (TxtReader(), DocxReader(), PdfReader(), HtmlReader())
    for ext in reader.extensions
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_READERS)

# Formats people are likely to drop into the corpus, with what to do about them.
_CONVERT_ADVICE = {
    ".doc": "旧版 Word 格式，请另存为 .docx",
    ".wps": "WPS 文字格式，请另存为 .docx",
    ".rtf": "RTF 格式，请另存为 .docx",
}


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Read one report file; raise ReadError with a Chinese reason if it cannot be used."""
    path = Path(path)
    reader = _reader_for(path)
    size = _file_size(path)
    if size > max_bytes:
        raise ReadError(path, f"文件过大（{human_size(size)}，上限 {human_size(max_bytes)}）")
    return _document(reader, path, _read_bytes(path))


def read_upload(name: str, data: bytes, max_bytes: int) -> RawDocument:
    """Read a file someone uploaded (held in memory, never written to disk) with the same
    readers and limits as a report file; ``name`` only chooses the reader and names it."""
    path = Path(Path(name).name or "upload")
    reader = _reader_for(path)
    if len(data) > max_bytes:
        raise ReadError(path, f"文件过大（{human_size(len(data))}，上限 {human_size(max_bytes)}）")
    return _document(reader, path, data)


def _document(reader: Reader, path: Path, data: bytes) -> RawDocument:
    """The checks every file shares once its bytes are in hand: not empty, text not too long."""
    if not data.strip():
        raise ReadError(path, "文件为空")
    document = _extract(reader, path, data)
    if not document.text.strip():
        raise ReadError(path, "文件为空（没有可读的文字内容）")
    check_text_size(path, len(document.text))
    return document


def _extract(reader: Reader, path: Path, data: bytes) -> RawDocument:
    """Run the reader; an unexpected exception still names the file instead of ending a batch."""
    try:
        return reader.read(path, data)
    except ReadError:
        raise
    except Exception as exc:  # readers wrap what they expect; this is the last line of defence
        raise ReadError(path, f"读取时发生意外错误（{type(exc).__name__}: {exc}）") from exc


def _reader_for(path: Path) -> Reader:
    ext = path.suffix.lower()
    if ext in _READERS:
        return _READERS[ext]
    if not ext:
        raise ReadError(path, "不支持的文件类型（没有扩展名）")
    advice = _CONVERT_ADVICE.get(ext)
    raise ReadError(path, f"不支持的文件类型 {ext}" + (f"（{advice}）" if advice else ""))


def _file_size(path: Path) -> int:
    """Size from the file system, so an oversized file is refused without being loaded."""
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ReadError(path, os_reason(exc)) from exc


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReadError(path, os_reason(exc)) from exc


def os_reason(exc: OSError) -> str:
    """Why the file system refused, in Chinese."""
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    if isinstance(exc, IsADirectoryError):
        return "这是一个目录，不是文件"
    return f"无法读取文件（{exc.strerror or exc}）"
