"""One SQLite concurrency model for every kb database (corpus store, case collections).

* every thread reads on a connection of its own, kept for the life of the database object:
  in WAL mode readers never block each other or a writer, so concurrent requests of a server
  read side by side instead of queueing behind one lock;
* every write is one ``BEGIN IMMEDIATE`` transaction: SQLite takes the write lock before the
  first statement, so two writers can never interleave a read-modify-write, and a failed
  write leaves nothing half-done;
* reads of several statements run in one transaction, so they see one snapshot.

Waitress serves requests from a fixed pool of threads, so the number of connections is
bounded by the pool.

Read-only use: commands that only read (search, serve, stats, check) open a database with
``readonly=True``, and any database whose file or folder this process may not write is opened
read-only too. Nothing is written on open then (no WAL switch, no schema script), and a write
raises :class:`NotWritable` naming the path instead of a ``sqlite3.OperationalError``
traceback. SQLite's ``mode=ro`` still needs to create the ``-shm`` file of a WAL database
next to it; in a folder nobody may write, the file is opened ``immutable`` instead (which is
what it is for this process), unless a ``-wal`` file with unmerged writes lies beside it.
A database that does not exist yet in such a folder reads as empty.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


class NotWritable(Exception):
    """A write this process is not allowed to make; ``str()`` is one Chinese line naming the path."""

    def __init__(self, path: Path | str, what: str = ""):
        self.path = Path(path)
        super().__init__(
            f"{what or '无法写入'}：{self.path} 不可写（没有写权限，或位于只读的文件系统上）"
        )


class NotReadable(Exception):
    """A database that cannot be opened read-only as it stands; the message says why."""


def unwritable_path(path: Path | str) -> Path | None:
    """The file or folder that stops this process creating or changing ``path``, or None.

    An existing file must be writable, and so must its folder (SQLite writes ``-wal``,
    ``-shm`` and journal files beside it); for a missing file, the nearest existing folder.
    ``os.access`` answers for this process (root without CAP_DAC_OVERRIDE included) and also
    says no on a read-only file system or for an immutable file.
    """
    path = Path(path)
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return folder
    if path.exists() and not os.access(path, os.W_OK):
        return path
    return None


class Database:
    def __init__(self, path: Path | str, schema: str, schema_version: str, readonly: bool = False):
        self.path = Path(path)
        self._schema = schema
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.readonly = readonly or unwritable_path(self.path) is not None
        if self.readonly:
            self._uri = self._readonly_uri()
            self.connection()
            return
        self._uri = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self.connection()
        db.execute("PRAGMA journal_mode = WAL")
        # executescript commits whatever is open first, so the script brings its own
        # transaction: two processes creating the file at once both succeed.
        db.executescript(
            f"BEGIN IMMEDIATE;{schema}INSERT OR IGNORE INTO meta "
            f"VALUES ('schema_version', '{schema_version}');COMMIT;"
        )

    def _readonly_uri(self) -> str | None:
        """The URI to read the file with (None: no file yet, read as an empty database)."""
        if not self.path.is_file():
            return None
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            probe = sqlite3.connect(uri, uri=True)
            try:
                probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return uri
            finally:
                probe.close()
        except sqlite3.OperationalError:
            pass  # mode=ro could not set up WAL shared memory (-shm) beside the file
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            raise NotReadable(
                f"无法只读打开 {self.path}：旁边的 {wal.name} 中还有未合并的写入，而所在文件夹不可写；"
                "请让有写权限的用户运行一次 kb stats 以合并，或给该文件夹写权限。"
            )
        return uri + "&immutable=1"

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: transactions are explicit)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.readonly:
                db.execute("PRAGMA query_only = ON")
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    def _connect(self) -> sqlite3.Connection:
        options = {
            "timeout": BUSY_TIMEOUT_MS / 1000,
            "isolation_level": None,
            "check_same_thread": False,
        }
        if not self.readonly:
            return sqlite3.connect(self.path, **options)
        if self._uri is not None:
            return sqlite3.connect(self._uri, uri=True, **options)
        db = sqlite3.connect(":memory:", **options)
        db.executescript(self._schema)  # no file yet: an empty database of the right shape
        return db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for reads that take several statements."""
        db = self.connection()
        if db.in_transaction:  # nested in a read or write of this thread
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding SQLite's write lock from its first statement."""
        if self.readonly:
            raise NotWritable(self.path)
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._all_lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()
