"""The collections database's tables, and bringing a file written by an older kb up to date.

Schema versions: 1 (the first collections), 2 (issue 14: ``items.pub_date`` and
``items.truncated`` for GB/T 7714 citations and 节选 marks), 3 (issue 15):

* ids are ``AUTOINCREMENT``: SQLite never hands out an id again, not even the highest one
  after it was deleted, so a page still showing a deleted item or collection cannot edit a
  new one that took its number;
* collections and items carry a ``version`` that every change raises, so an edit made from
  a stale page can be refused (409) instead of silently overwriting a newer one;
* a collection has an ``owner`` (``''`` when nobody signed in made it: access control off,
  or made before it was switched on) and a ``share_token`` for its read-only link; names are
  unique per owner.

A version 1 or 2 file is rebuilt in place on first open: SQLite cannot add ``AUTOINCREMENT``
to an existing table, so each table is copied into a new one — ids, positions, notes and
timestamps as they were, columns it did not have yet at their defaults — and swapped in, all
in one transaction, with foreign keys checked before it commits.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

SCHEMA_VERSION = "3"
OLD_VERSIONS = ("1", "2")
BUSY_TIMEOUT_S = 30.0

_COLLECTIONS = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    share_token TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (owner, name)
);"""

_ITEMS = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    passage_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    saved_text TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    org TEXT,
    year INTEGER,
    title TEXT,
    section_kind TEXT,
    heading_path_json TEXT NOT NULL DEFAULT '[]',
    source_url TEXT,
    doc_number TEXT,
    report TEXT,
    region TEXT,
    added TEXT NOT NULL,
    pub_date TEXT,
    truncated INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (collection_id, position),
    UNIQUE (collection_id, passage_id)
);"""

_INDEX = "CREATE INDEX IF NOT EXISTS items_collection ON items(collection_id, position);"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    + _COLLECTIONS.format(name="collections")
    + _ITEMS.format(name="items")
    + _INDEX
)


class UpgradeError(RuntimeError):
    """An old file that cannot be upgraded where it is (read-only); the message says which."""


def share_token() -> str:
    """A share link's secret: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def schema_version(db: sqlite3.Connection) -> str | None:
    """The version a file says it has (None: a new, empty database)."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # no meta table yet
        return None
    return row[0] if row else None


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _copy(db: sqlite3.Connection, old: str, new: str) -> None:
    """Rows of ``old`` into ``new``: the columns both have, as they are."""
    shared = [c for c in _columns(db, old) if c in set(_columns(db, new))]
    names = ", ".join(shared)
    db.execute(f"INSERT INTO {new} ({names}) SELECT {names} FROM {old}")


def _rebuild(db: sqlite3.Connection) -> None:
    """Schema 1 or 2 → 3, inside the caller's transaction."""
    db.execute(_COLLECTIONS.format(name="collections_new"))
    ids = [r[0] for r in db.execute("SELECT id FROM collections")]
    # Every collection needs a unique share token before it gets its real one below.
    db.execute(
        "INSERT INTO collections_new (id, name, owner, share_token, created, updated) "
        "SELECT id, name, '', 'pending-' || id, created, updated FROM collections"
    )
    db.executemany(
        "UPDATE collections_new SET share_token = ? WHERE id = ?",
        [(share_token(), cid) for cid in ids],
    )
    db.execute(_ITEMS.format(name="items_new"))
    _copy(db, "items", "items_new")
    db.execute("DROP TABLE items")
    db.execute("DROP TABLE collections")
    db.execute("ALTER TABLE collections_new RENAME TO collections")
    db.execute("ALTER TABLE items_new RENAME TO items")
    db.execute(_INDEX)
    if db.execute("PRAGMA foreign_key_check").fetchall():
        raise sqlite3.IntegrityError("collections: items without a collection after upgrade")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))


def upgrade(path: Path) -> None:
    """Bring an existing file of an older schema up to :data:`SCHEMA_VERSION`.

    Runs on a connection of its own with foreign keys off — dropping the old ``collections``
    table with them on would delete every item through ``ON DELETE CASCADE``. Two processes
    opening an old file at once are serialised by ``BEGIN IMMEDIATE``; the second finds the
    work done.
    """
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = OFF")  # only takes effect outside a transaction
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) in OLD_VERSIONS:
                _rebuild(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.close()
