"""The case collections database (案例集): collections, their items and what each item saved.

Collections live in their own SQLite file (``<data_dir>/collections.sqlite``), apart from the
corpus store and the index builds: re-ingesting, rebuilding or updating the indexes never
touches it. Each saved item keeps a snapshot of the passage — its text and everything a
citation needs — so a collection stays usable when the corpus changes under it. On reading, the
snapshot is compared with the corpus: a passage whose text changed, or that is gone, is marked
(``changed`` / ``missing``) and still shown with the saved text.

Every write is one ``BEGIN IMMEDIATE`` transaction (:mod:`kb.store.sqlite`): SQLite takes the
write lock before the first read, so two requests adding items at once can never compute the
same next position (the UNIQUE constraints would reject it anyway) and a failed request leaves
nothing half-written.

Ids are never reused, and every change raises a version (:mod:`kb.store.collections_schema`):
a write may name the version it was based on, and is refused (409) when that is no longer the
current one. A collection's version covers its name and its list of items (adding, removing,
moving); an item's version covers its note — so a note saved on one item does not make a
reorder made at the same time fail.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kb.render.citation import citation
from kb.store.collections_schema import (
    OLD_VERSIONS,
    SCHEMA,
    SCHEMA_VERSION,
    UpgradeError,
    schema_version,
    share_token,
    upgrade,
)
from kb.store.sqlite import Database

FILE_NAME = "collections.sqlite"
NAME_MAX = 60
NOTE_MAX = 500
# Row ids SQLite can hold (INTEGER PRIMARY KEY is a signed 64-bit rowid, assigned from 1 up).
ID_MAX = 2**63 - 1


# Item status against the current corpus.
OK, CHANGED, MISSING = "ok", "changed", "missing"
STATUS_LABELS = {OK: "", CHANGED: "原文已变化", MISSING: "原报告已移除"}
STATUS_NOTES = {
    OK: "",
    CHANGED: "原报告已更新，此段落已改动或不复存在；以下为加入案例集时保存的原文。",
    MISSING: "原报告已不在知识库中；以下为加入案例集时保存的原文。",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


class CollectionError(ValueError):
    """A request the collections cannot honour; ``status`` is the HTTP status to answer with
    and the message (Chinese) says what to do."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def default_path(data_dir: Path) -> Path:
    """Next to the corpus store, outside ``index/`` where builds are replaced."""
    return Path(data_dir) / FILE_NAME


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# -- validation --------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def validate_name(raw: object) -> str:
    """A collection name: 1–60 characters, not blank, no control characters.

    Kept as typed (full-width （）【】 stay full-width: they are what a Chinese title uses), with
    runs of spaces, full-width ones included, collapsed to one. Look-alikes are refused by
    ``_unique`` instead, which compares names folded with NFKC.
    """
    if raw is None:
        raise CollectionError(400, "请填写案例集名称", "name")
    if not isinstance(raw, str):
        # A JSON number or list is a client bug; "please fill in" would send its author looking
        # for a missing field.
        raise CollectionError(400, "案例集名称（name）应为文字", "name")
    if _CONTROL.search(raw.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise CollectionError(400, "案例集名称不能包含控制字符", "name")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise CollectionError(400, "请填写案例集名称（不能为空白）", "name")
    if len(name) > NAME_MAX:
        raise CollectionError(
            400, f"案例集名称不能超过 {NAME_MAX} 个字（现为 {len(name)} 个）", "name"
        )
    return name


def validate_passage_id(raw: object) -> str:
    """The passage to save, as sent: required and text. Checked before the corpus is asked, so
    a missing id is not "passage '' not found" and a JSON list or object is not searched for."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise CollectionError(400, "请提供 passage_id（段落编号）", "passage_id")
    if not isinstance(raw, str):
        raise CollectionError(400, "passage_id（段落编号）应为文字", "passage_id")
    return raw.strip()


def validate_note(raw: object) -> str:
    """A note: up to 500 characters; line breaks kept, other control characters refused."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise CollectionError(400, "说明（note）应为文字", "note")
    note = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(note.replace("\t", " ")):
        raise CollectionError(400, "说明不能包含控制字符", "note")
    if len(note) > NOTE_MAX:
        raise CollectionError(400, f"说明不能超过 {NOTE_MAX} 个字（现为 {len(note)} 个）", "note")
    return note


def validate_version(raw: object) -> int | None:
    """The version a write was based on (None: not given, no check). A JSON number or a
    string of digits, as a form sends it; ``"3"`` and ``'"3"'`` (an If-Match value) alike."""
    if raw is None or raw == "" or raw == "*":
        return None
    if isinstance(raw, str):
        text = raw.strip().removeprefix("W/").strip('"')
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
    elif isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    raise CollectionError(400, "version（版本号）应为非负整数", "version")


# -- records -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What is saved of a passage: its text and everything its citation needs."""

    passage_id: str
    report_id: str
    text: str
    org: str | None = None
    year: int | None = None
    title: str | None = None
    section_kind: str | None = None
    heading_path: list[str] = field(default_factory=list)
    source_url: str | None = None
    doc_number: str | None = None
    report: str | None = None  # source file name
    region: str | None = None
    pub_date: str | None = None  # the report's publication date, for the citation
    truncated: bool = False  # the passage was cut before its sentence ended (节选)


@dataclass
class Item:
    id: int
    collection_id: int
    position: int
    snapshot: Snapshot
    note: str
    added: str
    status: str = OK
    version: int = 1

    def citation(self) -> str:
        """GB/T 7714, cited on the day the item was added to the collection."""
        return citation(asdict(self.snapshot), cited=self.added)

    def to_dict(self) -> dict[str, Any]:
        s = self.snapshot
        return {
            "id": self.id,
            "version": self.version,
            "position": self.position,
            **asdict(s),
            "saved_text": s.text,
            "note": self.note,
            "added": self.added,
            "status": self.status,
            "status_note": STATUS_NOTES[self.status],
            "citation": self.citation(),
        }


@dataclass
class Collection:
    id: int
    name: str
    created: str
    updated: str
    count: int = 0
    items: list[Item] = field(default_factory=list)
    owner: str = ""  # "" = nobody's (made with access control off)
    version: int = 1
    share_token: str = ""

    def to_dict(self, with_items: bool = True) -> dict[str, Any]:
        """The collection as the API shows it (never the share token: only its owner may see
        that, and the web layer adds it as a link)."""
        out: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "owner": self.owner or None,
            "created": self.created,
            "updated": self.updated,
            "count": self.count,
        }
        if with_items:
            out["items"] = [i.to_dict() for i in self.items]
            out["changed"] = sum(i.status != OK for i in self.items)
        return out


def _item(r: sqlite3.Row) -> Item:
    snap = Snapshot(
        passage_id=r["passage_id"],
        report_id=r["report_id"],
        text=r["saved_text"],
        org=r["org"],
        year=r["year"],
        title=r["title"],
        section_kind=r["section_kind"],
        heading_path=json.loads(r["heading_path_json"]),
        source_url=r["source_url"],
        doc_number=r["doc_number"],
        report=r["report"],
        region=r["region"],
        pub_date=r["pub_date"],
        truncated=bool(r["truncated"]),
    )
    return Item(
        r["id"],
        r["collection_id"],
        r["position"],
        snap,
        r["note"],
        r["added"],
        version=r["version"],
    )


def _collection(r: sqlite3.Row, count: int, items: list[Item] | None = None) -> Collection:
    return Collection(
        r["id"],
        r["name"],
        r["created"],
        r["updated"],
        count,
        items or [],
        owner=r["owner"],
        version=r["version"],
        share_token=r["share_token"],
    )


def _expect(what: str, current: int, expected: int | None) -> None:
    """Refuse a change made from a stale page: it names a version that is no longer current."""
    if expected is not None and expected != current:
        raise CollectionError(
            409,
            f"{what}已在别处被修改（页面上是第 {expected} 版，现在是第 {current} 版），"
            "为免覆盖别人的修改，本次操作未执行。请刷新页面后再试。",
            "version",
        )


# -- the store ---------------------------------------------------------------------------------


def _storable(row_id: int) -> bool:
    """Whether an id can name a row at all: ids outside 1..2**63-1 are "not found"."""
    return 1 <= row_id <= ID_MAX


class CollectionStore:
    """The collections database; one instance serves every thread (see kb.store.sqlite)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.database = Database(self.path, SCHEMA, SCHEMA_VERSION)
        with self.database.read() as db:
            old = schema_version(db) in OLD_VERSIONS
        if old:  # a file written by an older kb: rebuilt once, before first use
            if self.database.readonly:
                raise UpgradeError(
                    f"案例集文件 {self.path} 来自旧版本，需要升级一次，但无法写入："
                    "请让该文件及其目录可写，再启动 kb serve"
                )
            self.database.close()
            upgrade(self.path)
            self.database = Database(self.path, SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        self.database.close()

    # -- collections ---------------------------------------------------------------------------

    def list_collections(self, owners: Iterable[str] | None = None) -> list[Collection]:
        """Every collection (or those of the given owners; ``""`` is nobody's), most recently
        changed first, with its item count."""
        where, params = "", ()
        if owners is not None:
            params = tuple(owners)
            where = f"WHERE c.owner IN ({','.join('?' * len(params))})" if params else "WHERE 0"
        with self.database.read() as db:
            rows = db.execute(
                "SELECT c.*, (SELECT COUNT(*) FROM items i WHERE i.collection_id = c.id) AS n "
                f"FROM collections c {where} ORDER BY c.updated DESC, c.id DESC",
                params,
            ).fetchall()
        return [_collection(r, r["n"]) for r in rows]

    def _get(self, db: sqlite3.Connection, cid: int) -> sqlite3.Row:
        # An id SQLite cannot even hold (a URL can carry any number) is simply not there;
        # binding it would raise OverflowError, a 500 instead of the 404 it deserves.
        row = (
            db.execute("SELECT * FROM collections WHERE id = ?", (cid,)).fetchone()
            if _storable(cid)
            else None
        )
        if row is None:
            raise CollectionError(404, f"找不到案例集 {cid}")
        return row

    def get(self, cid: int) -> Collection:
        """A collection with its items in order (statuses not yet checked: see check_status)."""
        with self.database.read() as db:
            return self._with_items(db, self._get(db, cid))

    @staticmethod
    def _with_items(db: sqlite3.Connection, row: sqlite3.Row) -> Collection:
        items = [
            _item(r)
            for r in db.execute(
                "SELECT * FROM items WHERE collection_id = ? ORDER BY position", (row["id"],)
            )
        ]
        return _collection(row, len(items), items)

    def shared(self, token: str) -> Collection:
        """The collection a share link names (404 for an unknown or revoked link)."""
        with self.database.read() as db:
            row = db.execute("SELECT * FROM collections WHERE share_token = ?", (token,)).fetchone()
            if row is None:
                raise CollectionError(404, "分享链接无效或已被收回")
            return self._with_items(db, row)

    def create(self, name: object, owner: str = "") -> Collection:
        name = validate_name(name)
        now = _now()
        token = share_token()
        with self.database.write() as db:
            self._unique(db, name, owner)
            cur = db.execute(
                "INSERT INTO collections (name, owner, share_token, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, owner, token, now, now),
            )
            cid = int(cur.lastrowid or 0)
        return Collection(cid, name, now, now, owner=owner, share_token=token)

    def rename(self, cid: int, name: object, version: int | None = None) -> Collection:
        name = validate_name(name)
        with self.database.write() as db:
            row = self._get(db, cid)
            _expect(f"案例集「{row['name']}」", row["version"], version)
            self._unique(db, name, row["owner"], cid)
            db.execute("UPDATE collections SET name = ? WHERE id = ?", (name, cid))
            self._touch(db, cid)
        return self.get(cid)

    @staticmethod
    def _unique(db: sqlite3.Connection, name: str, owner: str, cid: int | None = None) -> None:
        """One owner's names differ by more than width: 案例（一） and 案例(一) are one name."""
        key = _name_key(name)
        rows = db.execute("SELECT id, name FROM collections WHERE owner = ?", (owner,))
        for row in rows:
            if row["id"] != cid and _name_key(row["name"]) == key:
                raise CollectionError(
                    409, f"已有名为「{row['name']}」的案例集，请换一个名称", "name"
                )

    def delete(self, cid: int, version: int | None = None) -> None:
        with self.database.write() as db:
            row = self._get(db, cid)
            _expect(f"案例集「{row['name']}」", row["version"], version)
            db.execute("DELETE FROM collections WHERE id = ?", (cid,))

    def new_share_token(self, cid: int) -> Collection:
        """Revoke the collection's share link and make a new one."""
        with self.database.write() as db:
            self._get(db, cid)
            db.execute("UPDATE collections SET share_token = ? WHERE id = ?", (share_token(), cid))
        return self.get(cid)

    def adopt(self, owner: str) -> tuple[int, list[str]]:
        """Give every collection nobody owns to ``owner`` (when access control is switched on
        after collections were made). Returns how many moved, and the names left behind
        because ``owner`` already has a collection of that name."""
        with self.database.write() as db:
            clash = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM collections WHERE owner = '' AND name IN "
                    "(SELECT name FROM collections WHERE owner = ?)",
                    (owner,),
                )
            ]
            cur = db.execute(
                "UPDATE collections SET owner = ? WHERE owner = '' AND name NOT IN "
                "(SELECT name FROM collections WHERE owner = ?)",
                (owner, owner),
            )
        return cur.rowcount, clash

    # -- items ---------------------------------------------------------------------------------

    def add_item(self, cid: int, snap: Snapshot, note: object = "") -> Item:
        """Append a passage; refused (409) when the collection already holds it."""
        note = validate_note(note)
        now = _now()
        with self.database.write() as db:
            item_id, position = self._insert(db, cid, snap, note, now)
            self._touch(db, cid)
        return Item(item_id, cid, position, snap, note, now)

    def restore_item(
        self, cid: int, snap: Snapshot, note: object, added: str, position: int,
        version: int | None = None,
    ) -> Item:  # fmt: skip
        """Put a removed item back (撤销 after 移出): its saved text, note and date added, at
        its old place (0-based, within bounds). It gets a new id — ids are never reused — and
        ``version`` is the collection's, as the page saw it after the removal."""
        note = validate_note(note)
        with self.database.write() as db:
            col = self._get(db, cid)
            _expect(f"案例集「{col['name']}」", col["version"], version)
            item_id, _end = self._insert(db, cid, snap, note, str(added or _now()))
            order = self._order(db, cid)
            order.remove(item_id)
            order.insert(min(max(position, 0), len(order)), item_id)
            self._renumber(db, cid, order)
            self._touch(db, cid)
            return _item(self._item_row(db, cid, item_id))

    def _insert(
        self, db: sqlite3.Connection, cid: int, snap: Snapshot, note: str, added: str
    ) -> tuple[int, int]:
        """A new item at the end of the collection: (id, position); 409 for a passage the
        collection already holds."""
        name = self._get(db, cid)["name"]
        dup = db.execute(
            "SELECT id FROM items WHERE collection_id = ? AND passage_id = ?",
            (cid, snap.passage_id),
        ).fetchone()
        if dup is not None:
            raise CollectionError(409, f"该段落已在案例集「{name}」中", "passage_id")
        (position,) = db.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM items WHERE collection_id = ?", (cid,)
        ).fetchone()
        cur = db.execute(
            "INSERT INTO items (collection_id, position, passage_id, report_id, saved_text, "
            "note, org, year, title, section_kind, heading_path_json, source_url, doc_number, "
            "report, region, added, pub_date, truncated) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                cid,
                position,
                snap.passage_id,
                snap.report_id,
                snap.text,
                note,
                snap.org,
                snap.year,
                snap.title,
                snap.section_kind,
                json.dumps(snap.heading_path, ensure_ascii=False),
                snap.source_url,
                snap.doc_number,
                snap.report,
                snap.region,
                added,
                snap.pub_date,
                int(snap.truncated),
            ),
        )
        return int(cur.lastrowid or 0), position

    def _item_row(self, db: sqlite3.Connection, cid: int, item_id: int) -> sqlite3.Row:
        self._get(db, cid)
        row = (
            db.execute(
                "SELECT * FROM items WHERE id = ? AND collection_id = ?", (item_id, cid)
            ).fetchone()
            if _storable(item_id)
            else None
        )
        if row is None:
            raise CollectionError(404, f"案例集 {cid} 中没有条目 {item_id}")
        return row

    @staticmethod
    def _touch(db: sqlite3.Connection, cid: int, new_version: bool = True) -> None:
        """Mark the collection changed (and raise its version, unless only a note changed)."""
        bump = ", version = version + 1" if new_version else ""
        db.execute(f"UPDATE collections SET updated = ?{bump} WHERE id = ?", (_now(), cid))

    def update_note(self, cid: int, item_id: int, note: object, version: int | None = None) -> Item:
        """Change an item's note; ``version`` is the item's version the edit was based on."""
        note = validate_note(note)
        with self.database.write() as db:
            row = self._item_row(db, cid, item_id)
            _expect(f"条目 {item_id} 的说明", row["version"], version)
            db.execute(
                "UPDATE items SET note = ?, version = version + 1 WHERE id = ?", (note, item_id)
            )
            self._touch(db, cid, new_version=False)
            return _item(self._item_row(db, cid, item_id))

    def remove_item(self, cid: int, item_id: int, version: int | None = None) -> Item:
        """Take an item out; ``version`` is the item's version (its note as the page saw it).
        Returns the item as it was, which is what 撤销 puts back (restore_item)."""
        with self.database.write() as db:
            row = self._item_row(db, cid, item_id)
            _expect(f"条目 {item_id}", row["version"], version)
            db.execute("DELETE FROM items WHERE id = ?", (item_id,))
            self._renumber(db, cid, self._order(db, cid))
            self._touch(db, cid)
            return _item(row)

    def move_item(self, cid: int, item_id: int, delta: int, version: int | None = None) -> None:
        """Move an item up (negative) or down (positive) by that many places, within bounds;
        ``version`` is the collection's (the order the page showed)."""
        with self.database.write() as db:
            self._item_row(db, cid, item_id)
            col = self._get(db, cid)
            _expect(f"案例集「{col['name']}」", col["version"], version)
            order = self._order(db, cid)
            i = order.index(item_id)
            j = min(max(i + delta, 0), len(order) - 1)
            order.insert(j, order.pop(i))
            self._renumber(db, cid, order)
            self._touch(db, cid)

    def reorder(self, cid: int, item_ids: Iterable[int], version: int | None = None) -> None:
        """Put the items in the given order: exactly the collection's item ids, each once."""
        wanted = list(item_ids)
        with self.database.write() as db:
            col = self._get(db, cid)
            _expect(f"案例集「{col['name']}」", col["version"], version)
            current = self._order(db, cid)
            if sorted(wanted) != sorted(current):
                raise CollectionError(
                    409,
                    "新的顺序必须恰好列出案例集现有的每个条目一次（案例集可能刚被修改，请刷新后重试）",
                    "items",
                )
            self._renumber(db, cid, wanted)
            self._touch(db, cid)

    @staticmethod
    def _order(db: sqlite3.Connection, cid: int) -> list[int]:
        return [
            r[0]
            for r in db.execute(
                "SELECT id FROM items WHERE collection_id = ? ORDER BY position", (cid,)
            )
        ]

    @staticmethod
    def _renumber(db: sqlite3.Connection, cid: int, order: list[int]) -> None:
        """Positions 0..n-1 in the given order (via negatives: UNIQUE holds at every step)."""
        db.execute("UPDATE items SET position = -1 - position WHERE collection_id = ?", (cid,))
        db.executemany(
            "UPDATE items SET position = ? WHERE id = ?", [(i, iid) for i, iid in enumerate(order)]
        )

    def integrity(self) -> str:
        """SQLite's own integrity check ("ok" when the file is sound)."""
        with self.database.read() as db:
            return str(db.execute("PRAGMA integrity_check").fetchone()[0])
