"""Which files of a corpus folder are reports, and what could not be looked at, and why.

`kb ingest` mirrors a folder into the store: what is not found is removed. So "not found" must
never be confused with "could not be looked at". ``Path.rglob`` silently skipped a folder it
could not list, a dangling link and a link loop, and the reports stored from them were then
removed as "no longer in the folder". The walk here lists every such case as a
:class:`Problem`; the ones that may come back (a folder or file without read permission, a
broken or looping link) keep their stored reports.

Links: a link is followed only while its target stays inside the corpus folder (resolved,
then compared), unless ``follow_links``: ``corpus/p.txt -> /etc/passwd`` must not make
/etc/passwd searchable and servable. Links to folders are not followed without
``follow_links`` (as before: following them can read one folder twice, or forever); with it,
a folder is never read twice, which also ends link cycles.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kb.ingest.readers import SUPPORTED_EXTENSIONS, os_reason
from kb.ingest.sidecar import SIDECAR_SUFFIX, is_inside


@dataclass
class Problem:
    """Something in the folder that was not read. A folder's ``source`` ends with "/"."""

    source: str
    reason: str
    keep: bool  # stored reports from here are kept: the file or folder may be readable again

    def covers(self, source: str) -> bool:
        """Whether a stored report's source is this file or lies in this folder."""
        if self.source.endswith("/"):
            return self.source == "./" or source.startswith(self.source)
        return source == self.source


@dataclass
class Found:
    """What a walk of the corpus folder found: (source, path) pairs and problems."""

    reports: list[tuple[str, Path]] = field(default_factory=list)
    others: list[tuple[str, Path]] = field(default_factory=list)  # unsupported types
    problems: list[Problem] = field(default_factory=list)


def discover(root: Path, follow_links: bool = False) -> Found:
    """Report files under ``root`` (sorted by source), other files, and what was not read.

    Hidden files and folders (a leading ".") and sidecars are not reports and are ignored.
    """
    root = Path(root)
    real_root = Path(os.path.realpath(root))
    found = Found()
    try:
        top = os.stat(root)
        visited = {(top.st_dev, top.st_ino)}
    except OSError:
        visited = set()
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(
                Problem(prefix or "./", f"文件夹无法读取（{os_reason(exc)}）", True)
            )
            continue
        for entry in entries:
            if not entry.name.startswith("."):
                sub = _visit(entry, prefix, real_root, follow_links, visited, found)
                if sub is not None:
                    stack.append(sub)
    found.reports.sort()
    found.others.sort()
    return found


def _visit(
    entry: os.DirEntry,
    prefix: str,
    real_root: Path,
    follow_links: bool,
    visited: set[tuple[int, int]],
    found: Found,
) -> tuple[Path, str] | None:
    """Sort one directory entry into found; a folder to walk is returned instead."""
    source, path = prefix + entry.name, Path(entry.path)
    is_link = entry.is_symlink()
    try:
        info = os.stat(path)  # follows links
    except FileNotFoundError:
        if is_link:
            found.problems.append(Problem(source, "是失效的链接（指向的文件不存在）", True))
        return None  # else it vanished since the folder was listed
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            found.problems.append(Problem(source, "是循环链接（链接最终指回自己），无法读取", True))
        else:
            found.problems.append(Problem(source, f"无法读取（{os_reason(exc)}）", True))
        return None
    if is_link and not follow_links:
        target = Path(os.path.realpath(path))
        if not is_inside(target, real_root):
            reason = (
                f"是指向语料目录之外（{target}）的链接，未跟随；如确需导入，请加 --follow-links"
            )
            found.problems.append(Problem(_folder(source, info), reason, False))
            return None
    if stat.S_ISDIR(info.st_mode):
        if is_link and not follow_links:
            reason = "是指向文件夹的链接，未跟随；如确需导入，请加 --follow-links"
            found.problems.append(Problem(source + "/", reason, False))
            return None
        key = (info.st_dev, info.st_ino)
        if key in visited:
            reason = "链接指回已读取过的文件夹（链接循环），未再次读取"
            found.problems.append(Problem(source + "/", reason, True))
            return None
        visited.add(key)
        return path, source + "/"
    if entry.name.endswith(SIDECAR_SUFFIX):
        return None  # read with its report
    if not stat.S_ISREG(info.st_mode):
        reason = "不是普通文件（设备、管道或套接字）"
        found.problems.append(Problem(source, reason, True))
    elif path.suffix.lower() in SUPPORTED_EXTENSIONS:
        found.reports.append((source, path))
    else:
        found.others.append((source, path))
    return None


def _folder(source: str, info: os.stat_result) -> str:
    return source + "/" if stat.S_ISDIR(info.st_mode) else source
