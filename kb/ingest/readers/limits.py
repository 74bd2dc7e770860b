"""How much a single report file may expand to, whatever its size on disk.

The file size limit (``[ingest] max_file_mb``) only bounds the bytes on disk. A .docx is a zip
and a PDF holds compressed streams, so a small file can unpack to gigabytes (a 0.8 MB .docx
with 200 MB of XML, a PDF whose one stream inflates to 1 GB), and even plain text or HTML can
yield far more text than any report has. These limits are checked *before* the expensive step
(parsing XML, building an HTML tree, splitting passages), so a hostile file costs a refusal
message instead of gigabytes of memory.

The numbers leave a wide margin over real reports: a few hundred KB of XML and tens of
thousands of characters of text each.
"""

from __future__ import annotations

from pathlib import Path

from kb.ingest.readers.base import ReadError

MB = 1024 * 1024

# Zip packages (.docx): an XML part python-docx or lxml parses, every part together, and the
# compression ratio of an XML part above RATIO_MIN_BYTES (XML text compresses 5–30×; a bomb's
# padding compresses 1000×). Media parts (a BMP logo compresses 300× too) are never parsed, so
# only the package total bounds them.
MAX_XML_PART_BYTES = 32 * MB
MAX_PACKAGE_BYTES = 100 * MB
MAX_PACKAGE_MEMBERS = 5000
MAX_RATIO = 200
RATIO_MIN_BYTES = 1 * MB

# One decoded PDF stream (content stream, font, ToUnicode map), whatever its filter.
MAX_PDF_STREAM_BYTES = 32 * MB

# HTML markup handed to the parser (after decoding), in characters.
MAX_HTML_CHARS = 32 * MB

# Text extracted from any file, in characters: far above a report, far below what makes
# ingest and indexing run out of memory (the 200 MB docx gave 60 million characters).
MAX_TEXT_CHARS = 5_000_000


def human_size(size: int) -> str:
    """Size as "117.7 MB" or "50 MB"; below 0.1 MB in KB, so small limits don't read "0 MB"."""
    if size >= MB / 10:
        return f"{size / MB:.1f}".removesuffix(".0") + " MB"
    return f"{size / 1024:.1f}".removesuffix(".0") + " KB"


def human_chars(count: int) -> str:
    """Character counts as Chinese readers say them: "500 万字"."""
    if count >= 10_000:
        return f"{count / 10_000:.1f}".removesuffix(".0") + " 万字"
    return f"{count} 字"


def check_text_size(path: Path, chars: int) -> None:
    """Refuse text far longer than any report, before it is cut into passages and indexed."""
    if chars > MAX_TEXT_CHARS:
        raise ReadError(
            path,
            f"提取出的文字过多（{human_chars(chars)}，上限 {human_chars(MAX_TEXT_CHARS)}），"
            "不像是一份报告，已拒绝",
        )
