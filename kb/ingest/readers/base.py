"""The reader contract: one `Reader` per file format, all returning a `RawDocument`.

Readers only get text (and whatever metadata the container itself carries) out of a file;
normalisation and parsing happen later, so a reader never has to know about report structure.
Every failure becomes a `ReadError` with a Chinese reason, because the message is shown to the
person who maintains the corpus and must tell them which file to fix and how.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path


class ReadError(Exception):
    """A file that cannot be read. str(err) is a Chinese message naming the file and the reason."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}：{reason}")

    def __reduce__(self) -> tuple[type[ReadError], tuple[Path, str]]:
        # Exception pickles its args (the message); rebuild from path and reason instead, so the
        # error survives a trip through a process pool.
        return (type(self), (self.path, self.reason))


@dataclass
class RawDocument:
    """Text extracted from one file, before normalisation."""

    path: Path
    text: str  # paragraphs separated by "\n"
    format: str  # "txt" | "docx" | "pdf" | "html"
    # Metadata the container carries: "title", "pub_date", "org", "source_url", "doc_number",
    # and for DOCX "created" (a file timestamp, deliberately not called pub_date).
    hints: dict[str, str] = field(default_factory=dict)
    # What the reader repaired on the way (a stray NUL byte dropped, ...), in Chinese: the
    # report is kept, and the maintainer is told what was changed.
    warnings: list[str] = field(default_factory=list)


class Reader(ABC):
    """Turns the bytes of one file format into a RawDocument."""

    extensions: tuple[str, ...]

    @abstractmethod
    def read(self, path: Path, data: bytes) -> RawDocument:
        """Extract the text of `data` (the contents of `path`); raise ReadError on failure."""


# Compound File Binary: legacy .doc/.xls, and also any *encrypted* Office document.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Leading bytes of formats that turn up under the wrong extension (a PDF saved as .docx, an
# image saved as .txt). Naming what the file really is makes the error actionable.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF 文件"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"PK\x03\x04", "ZIP 压缩包或 Office 文档"),
    (OLE_MAGIC, "旧版或加密的 Office 文档（OLE 复合文档）"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "GZIP 压缩包"),
)


def sniff_binary(data: bytes) -> str | None:
    """A Chinese name for the binary format `data` starts with, or None if none is recognised."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    return None
