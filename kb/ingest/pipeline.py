"""`kb ingest`: read a corpus directory into the corpus store, incrementally.

Each file is hashed together with its sidecar and the parser version; only new or changed
files are read and parsed, and each report is written in its own transaction. A file that
cannot be read is reported by name with the reason and skipped — the rest of the batch goes
on, and a previously ingested version of that file is kept. Files that disappeared from the
directory are removed from the store.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.models import ReportMeta
from kb.core.progress import progress
from kb.ingest.parse import PARSER_VERSION, parse_report
from kb.ingest.quality import coverage_line
from kb.ingest.readers import SUPPORTED_EXTENSIONS, ReadError, read_document
from kb.store.corpus import CorpusStore

SIDECAR_SUFFIX = ".meta.json"


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
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
        out += [f"  移除 {src}（文件已不在目录中）" for src in self.removed]
        out += [f"  注意 {src}：{msg}" for src, msg in self.warnings]
        if self.coverage:
            out.append(self.coverage)
        return out


def sidecar_path(path: Path) -> Path:
    """`report.txt` → `report.txt.meta.json`."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    """(report files, other files) under root, sorted; hidden files and sidecars are ignored."""
    reports, others = [], []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if p.name.endswith(SIDECAR_SUFFIX):
            continue
        (reports if p.suffix.lower() in SUPPORTED_EXTENSIONS else others).append(p)
    return reports, others


def load_sidecar(path: Path) -> tuple[dict, list[str], bytes]:
    """Overrides from a sidecar file, warnings about it, and its raw bytes (for hashing)."""
    sc = sidecar_path(path)
    if not sc.is_file():
        return {}, [], b""
    raw = sc.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return {}, [f"元数据文件 {sc.name} 不是有效的 JSON（{e}），已忽略"], raw
    if not isinstance(data, dict):
        return {}, [f"元数据文件 {sc.name} 应为 JSON 对象，已忽略"], raw
    return validate_overrides(data, sc.name) + (raw,)


def validate_overrides(data: dict, name: str) -> tuple[dict, list[str]]:
    """Keep the known, well-typed fields of a sidecar; explain what was dropped."""
    known = set(ReportMeta.field_names())
    out, warnings = {}, []
    for key, value in data.items():
        if key not in known:
            warnings.append(f"元数据文件 {name} 中的字段 {key!r} 未知，已忽略")
        elif key == "year":
            try:
                out[key] = int(value) if value is not None else None
            except (TypeError, ValueError):
                warnings.append(f"元数据文件 {name} 中 year={value!r} 不是年份，已忽略")
        elif key == "pub_date" and value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            warnings.append(f"元数据文件 {name} 中 pub_date={value!r} 应为 YYYY-MM-DD，已忽略")
        else:
            out[key] = None if value is None else str(value)
    return out, warnings


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
) -> IngestSummary:
    """Bring the store in line with the files under root.

    Files gone from the directory are removed from the store, which is what keeps it a
    mirror of corpus/. A directory that has none of the stored reports (an empty folder, or
    another folder given by mistake) would remove them all: that needs ``replace``.
    """
    root = Path(root)
    summary = IngestSummary()
    files, others = discover(root)
    known = store.content_hashes()
    sources = {p.relative_to(root).as_posix() for p in files}
    if known and not replace and not sources & known.keys():
        raise WouldReplaceCorpus(
            f"目录 {root} 中没有语料库已有的 {len(known)} 份报告中的任何一份，导入它会移除全部已有报告。"
            "若确要以该目录替换整个语料库，请加 --replace；若要增加报告，请把文件放进原来的语料目录。"
        )
    for p in others:
        try:
            read_document(p, max_bytes=0)  # raises the reader's own "unsupported type" message
        except ReadError as e:
            summary.skipped.append((p.relative_to(root).as_posix(), str(e)))
    seen: set[str] = set()
    for path in progress(files, desc="导入报告", unit="份", enable=show_progress):
        source = path.relative_to(root).as_posix()
        seen.add(source)
        overrides, sc_warnings, sc_raw = load_sidecar(path)
        try:
            content_hash = file_hash(path, sc_raw + PARSER_VERSION.encode())
        except OSError as e:
            summary.skipped.append((source, str(ReadError(path, f"无法读取文件（{e.strerror}）"))))
            continue
        if known.get(source) == content_hash:
            summary.unchanged += 1
            continue
        try:
            raw = read_document(path, max_bytes=max_bytes)
        except ReadError as e:
            kept = "；已保留上次导入的版本" if source in known else ""
            summary.skipped.append((source, f"{e}{kept}"))
            continue
        report = parse_report(raw, source, content_hash, overrides)
        # Stored with the report, so `kb stats` keeps showing a broken sidecar after this run.
        report.warnings = sc_warnings + report.warnings
        store.upsert_report(report)
        (summary.updated if source in known else summary.added).append(source)
        summary.warnings += [(source, w) for w in report.warnings]
        if on_report:
            on_report(source)
    for source in sorted(set(known) - seen):
        store.delete_report(source)
        summary.removed.append(source)
    store.set_meta("parser_version", PARSER_VERSION)
    summary.coverage = coverage_line(meta for _id, _src, meta in store.report_metas())
    return summary
