"""Ids are never reused and stale edits are refused (issue 15, item 10); old files still open.

Before schema 2, deleting the item (or collection) with the highest id and adding a new one
gave the new one the old id, so a page still showing the deleted item edited the new one.
Now ids only grow, every write may name the version it was based on, and a stale one is 409.
"""

from __future__ import annotations

import sqlite3

import pytest

from kb.store.collections import CollectionError, CollectionStore, Snapshot
from tests.support import form_token, send

# The schema kb wrote before issue 15 (schema_version 1), as it was, to build an old file.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
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
    UNIQUE (collection_id, position),
    UNIQUE (collection_id, passage_id)
);
CREATE INDEX IF NOT EXISTS items_collection ON items(collection_id, position);
INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');
"""


def snap(i: int) -> Snapshot:
    return Snapshot(passage_id=f"p{i}", report_id="r1", text=f"第{i}段。", org="甲县司法局")


# -- the store -------------------------------------------------------------------------------------


def test_ids_of_deleted_items_and_collections_are_never_given_again(tmp_path):
    store = CollectionStore(tmp_path / "c.sqlite")
    col = store.create("甲")
    a = store.add_item(col.id, snap(1))
    b = store.add_item(col.id, snap(2))
    store.remove_item(col.id, b.id)  # the highest item id
    c = store.add_item(col.id, snap(3))
    assert c.id > b.id > a.id
    store.delete(col.id)  # the highest collection id
    assert store.create("乙").id > col.id
    store.close()
    # …and not after reopening the file either
    store = CollectionStore(tmp_path / "c.sqlite")
    assert store.create("丙").id == col.id + 2


def test_a_stale_version_is_refused_and_changes_nothing(tmp_path):
    store = CollectionStore(tmp_path / "c.sqlite")
    col = store.create("甲")
    assert col.version == 1
    x = store.add_item(col.id, snap(1))
    y = store.add_item(col.id, snap(2))
    seen = store.get(col.id)  # what a page shows: collection version 3, items version 1
    assert seen.version == 3 and [i.version for i in seen.items] == [1, 1]
    assert store.update_note(col.id, x.id, "第一次", version=1).version == 2
    with pytest.raises(CollectionError) as err:
        store.update_note(col.id, x.id, "第二次", version=1)
    assert err.value.status == 409 and err.value.field == "version" and "刷新" in err.value.message
    with pytest.raises(CollectionError):
        store.remove_item(col.id, x.id, version=1)
    # a note does not change the collection's version: a reorder from the same page works
    store.reorder(col.id, [y.id, x.id], version=seen.version)
    for stale in (
        lambda: store.rename(col.id, "乙", version=seen.version),
        lambda: store.move_item(col.id, x.id, -1, version=seen.version),
        lambda: store.reorder(col.id, [x.id, y.id], version=seen.version),
        lambda: store.delete(col.id, version=seen.version),
    ):
        with pytest.raises(CollectionError) as err:
            stale()
        assert err.value.status == 409
    now = store.get(col.id)
    assert now.name == "甲" and [(i.id, i.note) for i in now.items] == [
        (y.id, ""),
        (x.id, "第一次"),
    ]
    store.rename(col.id, "乙", version=now.version)  # the current version is fine
    store.rename(col.id, "丙")  # and so is none at all


# Schema 2 (issue 14) added two columns to schema 1's items table.
SCHEMA_2_COLUMNS = (
    "ALTER TABLE items ADD COLUMN pub_date TEXT;"
    "ALTER TABLE items ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;"
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
)


@pytest.mark.parametrize("version", ["1", "2"])
def test_an_old_file_is_upgraded_in_place(tmp_path, version):
    path = tmp_path / "collections.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1 + (SCHEMA_2_COLUMNS if version == "2" else ""))
    db.execute("INSERT INTO collections VALUES (2, '旧案例集', '2024-01-01T09:00:00', 'x')")
    db.execute("INSERT INTO collections VALUES (7, '空的', '2024-01-02T09:00:00', 'y')")
    columns = "id, collection_id, position, passage_id, report_id, saved_text, note, added"
    db.execute(f"INSERT INTO items ({columns}) VALUES (4, 2, 0, 'p4', 'r', '四', '注', 't')")
    db.execute(f"INSERT INTO items ({columns}) VALUES (9, 2, 1, 'p9', 'r', '九', '', 't')")
    if version == "2":
        db.execute("UPDATE items SET pub_date = '2024-01-05', truncated = 1 WHERE id = 9")
    db.commit()
    db.close()

    store = CollectionStore(path)
    old = store.get(2)
    assert (old.name, old.created, old.owner, old.version) == (
        "旧案例集",
        "2024-01-01T09:00:00",
        "",
        1,
    )
    assert [(i.id, i.position, i.snapshot.text, i.note, i.version) for i in old.items] == [
        (4, 0, "四", "注", 1),
        (9, 1, "九", "", 1),
    ]
    kept = (old.items[1].snapshot.pub_date, old.items[1].snapshot.truncated)
    assert kept == (("2024-01-05", True) if version == "2" else (None, False))
    tokens = {c.share_token for c in store.list_collections()}
    assert len(tokens) == 2 and all(len(t) >= 20 for t in tokens)
    assert store.create("新的").id == 8 and store.add_item(2, snap(1)).id == 10
    store.delete(2)  # foreign keys still cascade
    assert store.integrity() == "ok"
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM items").fetchone() == (0,)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    assert "AUTOINCREMENT" in sql
    db.close()
    CollectionStore(path).close()  # opening an upgraded file again changes nothing


# -- through the API and the forms ---------------------------------------------------------------


@pytest.mark.slow
def test_a_stale_pages_patch_cannot_edit_a_new_item(client, seed_pids):
    cid = send(client, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    url = f"/api/collections/{cid}/items"
    send(client, "POST", url, {"passage_id": seed_pids[0]}, 201)
    last = send(client, "POST", url, {"passage_id": seed_pids[1]}, 201)
    send(client, "DELETE", f"{url}/{last['id']}")
    new = send(client, "POST", url, {"passage_id": seed_pids[2]}, 201)
    assert new["id"] != last["id"]
    err = send(client, "PATCH", f"{url}/{last['id']}", {"note": "旧页面的说明"}, 404)["error"]
    assert f"没有条目 {last['id']}" in err["message"]
    assert [i["note"] for i in send(client, "GET", f"/api/collections/{cid}")["items"]] == ["", ""]
    # the same for a collection
    send(client, "DELETE", f"/api/collections/{cid}")
    assert send(client, "POST", "/api/collections", {"name": "乙"}, 201)["id"] != cid
    send(client, "PATCH", f"/api/collections/{cid}", {"name": "旧页面"}, 404)


@pytest.mark.slow
def test_api_writes_with_a_stale_version_get_409(client, seed_pids):
    col = send(client, "POST", "/api/collections", {"name": "甲"}, 201)
    url = f"/api/collections/{col['id']}"
    item = send(client, "POST", f"{url}/items", {"passage_id": seed_pids[0]}, 201)
    page = send(client, "GET", url)  # two tabs show this
    v_item, v_col = page["items"][0]["version"], page["version"]
    edited = send(client, "PATCH", f"{url}/items/{item['id']}", {"note": "甲", "version": v_item})
    assert edited["version"] == v_item + 1
    err = send(client, "PATCH", f"{url}/items/{item['id']}", {"note": "乙", "version": v_item}, 409)
    assert err["error"]["field"] == "version" and "刷新" in err["error"]["message"]
    send(client, "PATCH", url, {"name": "乙"}, 200, **{"If-Match": f'"{v_col}"'})
    send(client, "PATCH", url, {"name": "丙"}, 409, **{"If-Match": f'"{v_col}"'})
    send(client, "POST", f"{url}/order", {"items": [item["id"]], "version": v_col}, 409)
    r = client.delete(url, json={"version": v_col})
    assert r.status_code == 409
    got = send(client, "GET", url)
    assert got["name"] == "乙" and got["items"][0]["note"] == "甲"
    for bad in ("abc", -1, True, 1.5, "1" * 40):
        err = send(client, "PATCH", url, {"name": "丁", "version": bad}, 400)["error"]
        assert err["field"] == "version", bad


@pytest.mark.slow
def test_a_form_from_a_stale_page_shows_the_conflict(client, seed_pids):
    cid = send(client, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    csrf = form_token(client)
    page = client.get(f"/collections/{cid}").get_data(as_text=True)
    assert f'name="version" value="{item["version"]}"' in page
    url = f"/collections/{cid}/items/{item['id']}/note"
    form = {"csrf": csrf, "note": "先保存的", "version": str(item["version"])}
    assert client.post(url, data=form).status_code == 303
    r = client.post(url, data={**form, "note": "后保存的"})  # the other tab, same version
    assert r.status_code == 409 and "刷新页面" in r.get_data(as_text=True)
    assert "先保存的" in r.get_data(as_text=True)  # the page shows what is saved now
    assert send(client, "GET", f"/api/collections/{cid}")["items"][0]["note"] == "先保存的"


def test_an_old_file_that_cannot_be_written_says_so(tmp_path):
    """An old file in a read-only folder: one clear line, not a traceback (run without root's
    permission override, which would write anyway)."""
    import subprocess
    import sys

    from tests.hostile import permissions_apply, unprivileged

    assert permissions_apply(tmp_path), "could not drop root's permission override (setpriv?)"
    path = tmp_path / "ro" / "collections.sqlite"
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    db.close()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    code = (
        "import sys\n"
        "from kb.store.collections import CollectionStore\n"
        "from kb.store.collections_schema import UpgradeError\n"
        "try:\n    CollectionStore(sys.argv[1])\n"
        "except UpgradeError as e:\n    print(e)\n    sys.exit(3)\n"
    )
    try:
        run = subprocess.run(
            unprivileged([sys.executable, "-c", code, str(path)]),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert run.returncode == 3, run
    assert "需要升级一次，但无法写入" in run.stdout and str(path) in run.stdout
    db = sqlite3.connect(path)  # nothing was changed
    assert db.execute("SELECT value FROM meta").fetchone() == ("1",)
    db.close()
