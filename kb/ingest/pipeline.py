"""`kb ingest`: read a corpus directory into the corpus store, incrementally.

Each file is hashed together with its sidecar and the parser version; only new or changed
files are read and parsed, and each report is written in its own transaction. A file that
cannot be read is reported by name with the reason and skipped — the rest of the batch goes
on, and a previously ingested version of that file is kept. Files that disappeared from the
directory are removed from the store; files and folders that are there but could not be read
(no permission, a broken or looping link) are not "disappeared": their reports are kept and
the summary names them (see :mod:`kb.ingest.discover`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.progress import progress
from kb.ingest.discover import Problem, discover
from kb.ingest.parse import PARSER_VERSION, parse_report
from kb.ingest.quality import coverage_line
from kb.ingest.readers import ReadError, os_reason, read_document
from kb.ingest.sidecar import load_sidecar
from kb.store.corpus import CorpusStore

GONE = "文件已不在目录中"
_KEPT = "；已保留上次导入的版本"


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    removal_reasons: dict[str, str] = field(default_factory=dict)  # source → why, if not GONE
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    coverage: str = ""  # one line: citation fields known across the store (kb.ingest.quality)

    @property
    def read(self) -> int:
        return len(self.added) + len(self.updated)

    def lines(self) -> list[str]:
        """Human summary, in Chinese."""
        out = [
            f"导入完成：新增 {len(self.added)} 份，更新 {len(self.updated)} 份，"
            f"未变化 {self.unchanged} 份，移除 {len(self.removed)} 份，跳过 {len(self.skipped)} 份。"
        ]
        out += [f"  跳过 {reason}" for _, reason in self.skipped]
        out += [f"  移除 {src}（{self.removal_reasons.get(src, GONE)}）" for src in self.removed]
        out += [f"  注意 {src}：{msg}" for src, msg in self.warnings]
        if self.coverage:
            out.append(self.coverage)
        return out


def file_hash(path: Path, extra: bytes) -> str:
    """SHA-256 of the file (streamed: a huge file is never loaded whole) and extra bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    h.update(b"\x00" + extra)
    return h.hexdigest()


class WouldReplaceCorpus(Exception):
    """Ingesting a directory that shares no report with the store would empty the store."""


def ingest(
    root: Path,
    store: CorpusStore,
    max_bytes: int,
    show_progress: bool = True,
    on_report: Callable[[str], None] | None = None,
    replace: bool = False,
    follow_links: bool = False,
) -> IngestSummary:
    """Bring the store in line with the files under root.

    Files gone from the directory are removed from the store, which is what keeps it a
    mirror of corpus/. A directory that has none of the stored reports (an empty folder, or
    another folder given by mistake) would remove them all: that needs ``replace``.
    Links leaving ``root`` are followed only with ``follow_links``.
    """
    root = Path(root)
    summary = IngestSummary()
    found = discover(root, follow_links)
    known = store.content_hashes()
    kept = {s for s in known if any(p.keep and p.covers(s) for p in found.problems)}
    sources = {source for source, _ in found.reports}
    if known and not replace and not (sources | kept) & known.keys():
        raise WouldReplaceCorpus(
            f"目录 {root} 中没有语料库已有的 {len(known)} 份报告中的任何一份，导入它会移除全部已有报告。"
            "若确要以该目录替换整个语料库，请加 --replace；若要增加报告，请把文件放进原来的语料目录。"
        )
    for problem in found.problems:
        summary.skipped.append((problem.source, _problem_line(problem, known)))
    for source, path in found.others:
        try:
            read_document(path, max_bytes=0)  # raises the reader's own "unsupported type" message
        except ReadError as e:
            summary.skipped.append((source, f"{source}：{e.reason}"))
    for source, path in progress(found.reports, desc="导入报告", unit="份", enable=show_progress):
        kept_note = _KEPT if source in known else ""
        try:
            overrides, sc_warnings, sc_raw = load_sidecar(path, root, follow_links)
            content_hash = file_hash(path, sc_raw + PARSER_VERSION.encode())
        except ReadError as e:
            summary.skipped.append((source, f"{source}：{e.reason}{kept_note}"))
            continue
        except OSError as e:
            summary.skipped.append((source, f"{source}：{os_reason(e)}{kept_note}"))
            continue
        if known.get(source) == content_hash:
            summary.unchanged += 1
            continue
        try:
            raw = read_document(path, max_bytes=max_bytes)
        except ReadError as e:
            summary.skipped.append((source, f"{source}：{e.reason}{kept_note}"))
            continue
        report = parse_report(raw, source, content_hash, overrides)
        # Stored with the report, so `kb stats` keeps showing a broken sidecar after this run.
        report.warnings = sc_warnings + raw.warnings + report.warnings
        store.upsert_report(report)
        (summary.updated if source in known else summary.added).append(source)
        summary.warnings += [(source, w) for w in report.warnings]
        if on_report:
            on_report(source)
    for source in sorted(set(known) - sources - kept):
        store.delete_report(source)
        summary.removed.append(source)
        reason = next((p.reason for p in found.problems if p.covers(source)), None)
        if reason:
            summary.removal_reasons[source] = reason
    store.set_meta("parser_version", PARSER_VERSION)
    summary.coverage = coverage_line(meta for _id, _src, meta in store.report_metas())
    return summary


def _problem_line(problem: Problem, known: dict[str, str]) -> str:
    """The summary line of something not read, with what happened to its stored reports."""
    line = f"{problem.source}：{problem.reason}"
    stored = [s for s in known if problem.covers(s)]
    if not stored or not problem.keep:
        return line
    if problem.source.endswith("/"):
        return f"{line}；其中已导入的 {len(stored)} 份报告保留不变"
    return line + _KEPT
