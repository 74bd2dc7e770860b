"""Hypothesis over the readers: any bytes, in any supported format, give a document or a
ReadError with a Chinese reason, never a crash, and never the "unexpected error" fallback
(which exists so a batch survives a reader bug; the fuzzer is there to find those bugs).

Two kinds of input per format: random bytes, and structured garbage (a valid file of the
format, built on the fly, then mutated: bytes flipped, cut short, chunks inserted; or the
format's own structure filled with random content: XML runs, HTML tag soup, PDF text lines).
"""

from __future__ import annotations

import io
import itertools
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.ingest.readers import RawDocument, ReadError, read_document
from tests.fuzz.conftest import count, fuzz_settings
from tests.readers_factory import (
    REPORT_BODY_HTML,
    REPORT_LINES,
    REPORT_TEXT,
    docx_bytes,
    gov_page,
    make_docx,
    make_pdf,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

FORMATS = ("txt", "docx", "pdf", "html")
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-readers")


def check(folder: Path, ext: str, data: bytes) -> None:
    """Read ``data`` as a .ext file: a document, or a ReadError naming the file."""
    count(f"read-{ext}")
    path = folder / f"f{next(_names)}.{ext}"
    path.write_bytes(data)
    try:
        doc = read_document(path)
    except ReadError as e:
        assert e.path == path and path.name in str(e) and e.reason
        assert not e.reason.startswith("读取时发生意外错误"), e.reason
    else:
        assert isinstance(doc, RawDocument) and doc.text.strip()
    finally:
        path.unlink()


# --- mutations of a valid file --------------------------------------------------------------


@st.composite
def mutated(draw, valid: bytes) -> bytes:
    """A valid file with a few random edits: flips, cuts, insertions, duplications."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup", "zero"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 4096))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=256))
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 2048))]
        elif op == "zero":
            data[at : at + 16] = bytes(min(16, len(data) - at))
    return bytes(data)


VALID = {
    "txt": REPORT_TEXT.encode(),
    "docx": docx_bytes(make_docx()),
    "pdf": make_pdf([REPORT_LINES[:5], REPORT_LINES[5:]]),
    "html": gov_page(REPORT_BODY_HTML).encode(),
}

# --- structure with random content -------------------------------------------------------------

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200
) | st.sampled_from(REPORT_LINES)


@st.composite
def txt_structured(draw) -> bytes:
    lines = draw(st.lists(_text, max_size=20))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030"]))
    data = "\n".join(lines).encode(encoding, errors="ignore")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


# Names zipfile can store (it turns "/" and "" into an empty name it then cannot write).
_part_name = st.text(min_size=1, max_size=20).filter(lambda n: zipfile.ZipInfo(n).filename)


@st.composite
def docx_structured(draw) -> bytes:
    """A docx whose document.xml body is random (often malformed) markup, or whose package
    has random extra or missing parts."""
    package = zipfile.ZipFile(io.BytesIO(VALID["docx"]))
    xml = package.read("word/document.xml").decode()
    head, tail = xml.split("<w:body>", 1)
    tags = st.sampled_from(["w:p", "w:r", "w:t", "w:tbl", "w:tr", "w:tc", "w:sdt", "w:ins"])
    pieces = draw(
        st.lists(
            st.one_of(
                tags.map(lambda t: f"<{t}>"),
                tags.map(lambda t: f"</{t}>"),
                _text.map(lambda s: s.replace("<", "&lt;").replace("&", "&amp;")),
                st.text(max_size=30),
            ),
            max_size=60,
        )
    )
    body = "<w:body>" + "".join(pieces)
    drop = draw(st.sampled_from(["", "word/document.xml", "[Content_Types].xml", "_rels/.rels"]))
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")  # duplicate part names are part of the garbage
        for info in package.infolist():
            if info.filename == drop:
                continue
            data = package.read(info)
            if info.filename == "word/document.xml":
                data = (head + body + tail.split("</w:body>", 1)[-1]).encode()
            z.writestr(info.filename, data)
        for name, data in draw(st.lists(st.tuples(_part_name, st.binary(max_size=64)), max_size=3)):
            z.writestr(name, data)
    return out.getvalue()


@st.composite
def pdf_structured(draw) -> bytes:
    pages = draw(st.lists(st.lists(_text.filter(lambda s: s.strip()), max_size=8), max_size=3))
    if not any(pages):
        pages = [["依法行政"]]
    return make_pdf([page or ["一"] for page in pages])


_tag = st.sampled_from(
    ["div", "p", "span", "table", "tr", "td", "a", "br", "script", "style", "nav", "h1", "ul",
     "li", "form", "iframe", "meta", "title", "body", "html", "svg", "template"]
)  # fmt: skip
_attr = st.sampled_from(
    ['', ' class="zoom"', ' id="content"', ' style="display:none"', ' hidden', ' class="nav"',
     ' charset="gbk"', ' href="javascript:x"', ' class="TRS_Editor"']
)  # fmt: skip


@st.composite
def html_structured(draw) -> bytes:
    """Tag soup: random open and close tags, attributes, text, entities, unbalanced."""
    parts = draw(
        st.lists(
            st.one_of(
                st.tuples(_tag, _attr).map(lambda t: f"<{t[0]}{t[1]}>"),
                _tag.map(lambda t: f"</{t}>"),
                _text,
                st.sampled_from(["&lt;", "&amp;", "&#x4e2d;", "&#0;", "&nbsp;", "<!--", "-->"]),
            ),
            max_size=80,
        )
    )
    depth = draw(st.integers(0, 300))
    page = "<div>" * depth + "".join(parts) + "</div>" * draw(st.integers(0, depth))
    encoding = draw(st.sampled_from(["utf-8", "gb18030", "utf-16"]))
    return page.encode(encoding, errors="ignore")


STRUCTURED = {
    "txt": txt_structured(),
    "docx": docx_structured(),
    "pdf": pdf_structured(),
    "html": html_structured(),
}


# --- the tests ----------------------------------------------------------------------------------


KINDS = {
    "random": lambda ext: st.binary(max_size=4096),
    "mutated": lambda ext: mutated(VALID[ext]),
    "structured": lambda ext: STRUCTURED[ext],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ext", FORMATS)
def test_readers_never_crash(folder, ext, kind):
    @fuzz_settings()
    @given(KINDS[kind](ext))
    def run(data: bytes) -> None:
        check(folder, ext, data)

    run()
