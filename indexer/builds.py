"""Where index builds live on disk and how the current one is chosen.

    <data_dir>/index/builds/<build_id>/     one complete build (manifest.json written last)
    <data_dir>/index/builds/<build_id>.tmp/ a build in progress (never read)
    <data_dir>/index/CURRENT                the id of the build searches use

A build is written to its .tmp directory, renamed when complete, and only then does CURRENT
switch to it, by an atomic file replace. Killing a build at any moment therefore leaves the
previous build current and intact; the stale .tmp directory is removed by the next build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST = "manifest.json"
# Rows that have a vector, saved only when some do not (a build published before embedding
# finished); rows without one hold a zero vector that searches must not return.
EMBEDDED_FILE = "embedded.npy"


def index_root(data_dir: Path) -> Path:
    return Path(data_dir) / "index"


def builds_dir(data_dir: Path) -> Path:
    return index_root(data_dir) / "builds"


def current_build(data_dir: Path) -> Path | None:
    """The directory of the current build, or None when nothing has been built."""
    pointer = index_root(data_dir) / "CURRENT"
    try:
        build_id = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = builds_dir(data_dir) / build_id
    return path if build_id else None


def set_current(data_dir: Path, build_id: str) -> None:
    """Point CURRENT at a finished build, atomically."""
    pointer = index_root(data_dir) / "CURRENT"
    tmp = pointer.with_name(f"CURRENT.{os.getpid()}.tmp")
    tmp.write_text(build_id, encoding="utf-8")
    os.replace(tmp, pointer)


def read_manifest(build: Path) -> dict:
    return json.loads((build / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(build: Path, manifest: dict) -> None:
    (build / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
