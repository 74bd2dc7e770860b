"""The corpus store: reports, sections and passages in one SQLite file.

SQLite because it is embedded, transactional and readable by any tool: every report is
replaced in a single transaction, so an interrupted ingest leaves each report either fully
old or fully new, never half-written. The indexes are built from this store and record its
fingerprint, which is how `kb check` knows they agree. Connections and locking follow
:mod:`kb.store.sqlite`, so one store serves every thread of a server.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kb.core.models import Heading, Passage, Report, ReportMeta, Section
from kb.store.sqlite import Database

# 2: passages.truncated (issue 14). A version-1 store is upgraded in place when opened (the
# column is added, every passage unflagged) and keeps working; `kb ingest` re-parses its reports
# because the parser version is part of every content hash, and `kb stats` says so meanwhile.
SCHEMA_VERSION = "2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    source TEXT UNIQUE NOT NULL,
    format TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    meta_json TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    title TEXT, org TEXT, province TEXT, city TEXT, county TEXT, level TEXT,
    dept_kind TEXT, year INTEGER, pub_date TEXT, doc_number TEXT, source_url TEXT
);
CREATE TABLE IF NOT EXISTS sections (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    level INTEGER, style TEXT, number INTEGER, label TEXT, title TEXT,
    heading_start INTEGER, heading_end INTEGER,
    path_json TEXT NOT NULL, kind TEXT NOT NULL,
    body_start INTEGER NOT NULL, body_end INTEGER NOT NULL,
    PRIMARY KEY (report_id, ord)
);
CREATE TABLE IF NOT EXISTS passages (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    heading_path_json TEXT NOT NULL,
    section_kind TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS passages_report ON passages(report_id, position);
"""

_META_COLUMNS = ReportMeta.field_names()


@dataclass
class IndexedPassage:
    """A passage joined with the report metadata the indexes need for filters and display."""

    passage: Passage
    report: ReportMeta
    source: str


class CorpusStore:
    """Read/write access to the corpus SQLite file (read-only with ``readonly``: nothing is
    written on open, and a write raises :class:`~kb.store.sqlite.NotWritable`)."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.database = Database(self.path, _SCHEMA, SCHEMA_VERSION, readonly=readonly)
        if not readonly:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring a store written by an older kb to this schema, in one transaction."""
        with self.database.read() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
        if "truncated" in columns:
            return
        with self.database.write() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
            if "truncated" not in columns:  # another process may have just done it
                db.execute("ALTER TABLE passages ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0")
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))

    def get_meta(self, key: str) -> str | None:
        """A value of the store's own meta table (schema_version, parser_version)."""
        with self.database.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self.database.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.database.write() as db:
            yield db

    # -- writing ---------------------------------------------------------------------------

    def upsert_report(self, report: Report) -> None:
        """Replace one report with everything under it, atomically."""
        meta = report.meta
        with self.transaction() as db:
            db.execute("DELETE FROM reports WHERE source = ? OR id = ?", (report.source, report.id))
            db.execute(
                f"INSERT INTO reports (id, source, format, content_hash, text, meta_json, warnings_json, "
                f"{', '.join(_META_COLUMNS)}) VALUES ({', '.join('?' * (7 + len(_META_COLUMNS)))})",
                (
                    report.id,
                    report.source,
                    report.format,
                    report.content_hash,
                    report.text,
                    json.dumps(meta.to_dict(), ensure_ascii=False),
                    json.dumps(report.warnings, ensure_ascii=False),
                    *(getattr(meta, c) for c in _META_COLUMNS),
                ),
            )
            db.executemany(
                "INSERT INTO sections VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [_section_row(report.id, i, s) for i, s in enumerate(report.sections)],
            )
            db.executemany(
                'INSERT INTO passages (id, report_id, position, start, "end", text, '
                "heading_path_json, section_kind, truncated) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        p.id,
                        p.report_id,
                        p.position,
                        p.start,
                        p.end,
                        p.text,
                        json.dumps(p.heading_path, ensure_ascii=False),
                        p.section_kind,
                        int(p.truncated),
                    )
                    for p in report.passages
                ],
            )

    def delete_report(self, source: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM reports WHERE source = ?", (source,))

    # -- reading ---------------------------------------------------------------------------

    def content_hashes(self) -> dict[str, str]:
        """source → content hash of every stored report (drives incremental ingest)."""
        with self.database.read() as db:
            return dict(db.execute("SELECT source, content_hash FROM reports").fetchall())

    def report_rows(self) -> list[sqlite3.Row]:
        """Metadata rows of all reports (no text), ordered by source."""
        cols = ", ".join(["id", "source", "format", "warnings_json", *_META_COLUMNS])
        with self.database.read() as db:
            return db.execute(f"SELECT {cols} FROM reports ORDER BY source").fetchall()

    def report_metas(self) -> list[tuple[str, str, ReportMeta]]:
        """(id, source, metadata with provenance and confidence) of every report, by source."""
        with self.database.read() as db:
            rows = db.execute("SELECT id, source, meta_json FROM reports ORDER BY source")
            return [
                (r["id"], r["source"], ReportMeta.from_dict(json.loads(r["meta_json"])))
                for r in rows
            ]

    def get_report(self, report_id: str, with_passages: bool = True) -> Report | None:
        with self.database.read() as db:
            row = db.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
            if row is None:
                return None
            sections = [
                _row_section(r)
                for r in db.execute(
                    "SELECT * FROM sections WHERE report_id = ? ORDER BY ord", (report_id,)
                )
            ]
            passages = (
                [
                    _row_passage(r)
                    for r in db.execute(
                        "SELECT * FROM passages WHERE report_id = ? ORDER BY position",
                        (report_id,),
                    )
                ]
                if with_passages
                else []
            )
        return Report(
            id=row["id"],
            source=row["source"],
            format=row["format"],
            content_hash=row["content_hash"],
            text=row["text"],
            meta=ReportMeta.from_dict(json.loads(row["meta_json"])),
            sections=sections,
            passages=passages,
            warnings=json.loads(row["warnings_json"]),
        )

    def get_passages(self, ids: list[str]) -> dict[str, Passage]:
        """Passages by id (missing ids are simply absent from the result)."""
        out: dict[str, Passage] = {}
        with self.database.read() as db:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = f"SELECT * FROM passages WHERE id IN ({','.join('?' * len(chunk))})"
                out.update((r["id"], _row_passage(r)) for r in db.execute(q, chunk))
        return out

    def get_texts(self, ids: list[str]) -> dict[str, str]:
        """Passage texts by id: what the search compares "as written". Whole passages are
        several times dearer to read (JSON heading paths, objects), and the 含检索词 count of
        a common phrase at 10^5 passages checks thousands of them per query."""
        out: dict[str, str] = {}
        with self.database.read() as db:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                q = f"SELECT id, text FROM passages WHERE id IN ({','.join('?' * len(chunk))})"
                out.update(db.execute(q, chunk).fetchall())
        return out

    def iter_indexed_passages(self) -> Iterator[IndexedPassage]:
        """Every passage with its report's metadata, in a stable order (report source, position)."""
        with self.database.read() as db:
            metas = {
                r["id"]: (ReportMeta.from_dict(json.loads(r["meta_json"])), r["source"])
                for r in db.execute("SELECT id, source, meta_json FROM reports")
            }
            rows = db.execute(
                "SELECT p.* FROM passages p JOIN reports r ON r.id = p.report_id "
                "ORDER BY r.source, p.position"
            ).fetchall()
        for r in rows:
            meta, source = metas[r["report_id"]]
            yield IndexedPassage(_row_passage(r), meta, source)

    def passage_count(self) -> int:
        with self.database.read() as db:
            return db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def passage_ids(self) -> set[str]:
        with self.database.read() as db:
            return {pid for (pid,) in db.execute("SELECT id FROM passages")}

    def fingerprint(self) -> str:
        """Hash of every report's content hash and every passage id: changes iff the corpus does."""
        h = hashlib.sha256()
        with self.database.read() as db:
            for source, content_hash in sorted(self.content_hashes().items()):
                h.update(f"{source}\x00{content_hash}\n".encode())
            for (pid,) in db.execute("SELECT id FROM passages ORDER BY id"):
                h.update(pid.encode())
        return h.hexdigest()[:16]

    def section_kind_counts(self) -> dict[str, int]:
        with self.database.read() as db:
            q = "SELECT section_kind, COUNT(*) FROM passages GROUP BY section_kind"
            return dict(db.execute(q).fetchall())

    def passage_counts(self) -> dict[str, int]:
        """Passages per report id."""
        with self.database.read() as db:
            q = "SELECT report_id, COUNT(*) FROM passages GROUP BY report_id"
            return dict(db.execute(q).fetchall())


def _section_row(report_id: str, i: int, s: Section) -> tuple:
    h = s.heading
    return (
        report_id,
        i,
        h.level if h else 0,
        h.style if h else None,
        h.number if h else None,
        h.label if h else None,
        h.title if h else None,
        h.start if h else None,
        h.end if h else None,
        json.dumps(s.path, ensure_ascii=False),
        s.kind,
        s.body_start,
        s.body_end,
    )


def _row_section(r: sqlite3.Row) -> Section:
    heading = None
    if r["style"] is not None:
        heading = Heading(
            level=r["level"],
            style=r["style"],
            number=r["number"],
            label=r["label"],
            title=r["title"],
            start=r["heading_start"],
            end=r["heading_end"],
            body_start=r["body_start"],
        )
    return Section(heading, json.loads(r["path_json"]), r["kind"], r["body_start"], r["body_end"])


def _row_passage(r: sqlite3.Row) -> Passage:
    return Passage(
        id=r["id"],
        report_id=r["report_id"],
        position=r["position"],
        start=r["start"],
        end=r["end"],
        text=r["text"],
        heading_path=json.loads(r["heading_path_json"]),
        section_kind=r["section_kind"],
        # a store of an older kb, opened read-only, has no such column yet
        truncated=bool(r["truncated"]) if "truncated" in r.keys() else False,  # noqa: SIM118
    )
