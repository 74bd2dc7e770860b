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
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


class Database:
    def __init__(self, path: Path | str, schema: str, schema_version: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        db = self.connection()
        db.execute("PRAGMA journal_mode = WAL")
        # executescript commits whatever is open first, so the script brings its own
        # transaction: two processes creating the file at once both succeed.
        db.executescript(
            f"BEGIN IMMEDIATE;{schema}INSERT OR IGNORE INTO meta "
            f"VALUES ('schema_version', '{schema_version}');COMMIT;"
        )

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit: transactions are explicit)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
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
