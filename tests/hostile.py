"""Builders of hostile input for the tests of issue 15: zip bombs, PDF stream bombs, deep HTML,
UTF-16 without a BOM, and a way to run `kb` without root's power to ignore file permissions.

Everything is made on the fly (nothing binary lives in the repository). The bombs are written
in chunks, so building a 200 MB bomb never holds 200 MB in memory.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.readers_factory import REPORT_LINES, docx_bytes, make_docx, make_pdf

MB = 1024 * 1024


def docx_bomb(unpacked_bytes: int, chunk: bytes = b" " * MB, zip64: bool = True) -> bytes:
    """A real .docx whose word/document.xml is padded inside the XML to ``unpacked_bytes``.

    The padding is whitespace between the body's elements: well-formed XML that python-docx
    would happily parse (and did, before the limits: 200 MB of XML, 60 M characters).
    """
    base = zipfile.ZipFile(io.BytesIO(docx_bytes(make_docx())))
    xml = base.read("word/document.xml")
    head, tail = xml.split(b"<w:body>", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in base.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info, base.read(info))
                continue
            with bomb.open("word/document.xml", "w", force_zip64=zip64) as member:
                member.write(head + b"<w:body>")
                left = unpacked_bytes - len(xml)
                while left > 0:
                    member.write(chunk[:left])
                    left -= len(chunk)
                member.write(tail)
    return out.getvalue()


def understate(package: bytes, member: str, size: int) -> bytes:
    """The zip with ``member``'s uncompressed size set to ``size`` in its local header and in
    the central directory (a lying directory; the data is unchanged). Not for zip64 entries."""
    data = bytearray(package)
    name = member.encode()
    for signature, name_length_at, header_length, size_at in (
        (b"PK\x03\x04", 26, 30, 22),  # local file header
        (b"PK\x01\x02", 28, 46, 24),  # central directory entry
    ):
        at = 0
        while (at := data.find(signature, at)) >= 0:
            length = int.from_bytes(data[at + name_length_at : at + name_length_at + 2], "little")
            if data[at + header_length : at + header_length + length] == name:
                data[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
            at += len(signature)
    return bytes(data)


def pdf_bomb(unpacked_bytes: int) -> bytes:
    """A PDF with a real text layer whose content stream inflates to ``unpacked_bytes``."""
    return make_pdf([REPORT_LINES], padding=unpacked_bytes)


def deep_html(depth: int, body: str) -> str:
    """A page whose report body sits ``depth`` nested <div>s deep (as some CMS exports do)."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>报告</title></head><body>"
        + "<div>" * depth
        + "".join(f"<p>{line}</p>" for line in body.splitlines())
        + "</div>" * depth
        + "</body></html>"
    )


# --- running kb as a user file permissions apply to ---------------------------------------------

# Root ignores file modes through these capabilities; without them root is an ordinary owner
# (mode 000 means no access even for the file's owner).
_DAC_CAPS = "-dac_override,-dac_read_search,-fowner,-linux_immutable"


def unprivileged(argv: list[str]) -> list[str]:
    """``argv`` wrapped so that it runs subject to file permissions.

    The tests run as root, and root reads a chmod-000 folder and writes a chmod-555 one: a
    permission test run as root proves nothing. ``setpriv`` drops the capabilities that let
    root ignore permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) from the
    bounding set of the child, which then runs as uid 0 but is refused like any owner
    without the permission bit. As a normal user no wrapping is needed.
    """
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("setpriv (util-linux) is needed to drop root's file-permission override")
    return [setpriv, f"--bounding-set={_DAC_CAPS}", f"--inh-caps={_DAC_CAPS}", "--", *argv]


def run_kb_unprivileged(
    data_dir: Path, *args: str, cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run `kb ARGS…` in a subprocess subject to file permissions, on ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["KB_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run(
        unprivileged([sys.executable, "-m", "kb.cli", *args]),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def permissions_apply(probe_dir: Path) -> bool:
    """Whether a process made by :func:`unprivileged` is really refused a chmod-000 folder."""
    probe = probe_dir / "perm-probe"
    probe.mkdir()
    (probe / "f").write_text("x")
    probe.chmod(0)
    try:
        result = subprocess.run(
            unprivileged(["cat", str(probe / "f")]), capture_output=True, text=True
        )
        return result.returncode != 0
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)
