"""Case collections: validation, ordering, concurrency, status against the corpus, exports, the
JSON API and the forms (with their cross-site protection), and surviving a re-index.

The store tests run on a temporary SQLite file. The web tests use the seed index read-only and
keep collections in a temporary file (``KB_COLLECTIONS``); the re-index test works on a copy of
the seed data dir, where the collections file sits at its default place.
"""

from __future__ import annotations

import io
import re
import shutil
import threading
from pathlib import Path

import docx
import pytest

from kb.render.handout import to_docx, to_markdown
from kb.store.collections import (
    CHANGED,
    MISSING,
    NAME_MAX,
    NOTE_MAX,
    OK,
    CollectionError,
    CollectionStore,
    Item,
    Snapshot,
    validate_name,
    validate_note,
)
from kb.tools.collections import check_status
from tests.support import CORPUS, ingest_and_index, send
from tests.support import form_token as token

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def snap(i: int, report: str = "r1", text: str | None = None) -> Snapshot:
    return Snapshot(
        passage_id=f"p{i}",
        report_id=report,
        text=text or f"第{i}段原文。",
        org="甲县应急管理局",
        year=2024,
        title="甲县应急管理局2024年法治政府建设工作报告",
        section_kind="存在问题",
        heading_path=["二、存在问题"],
        report="000_x.txt",
    )


@pytest.fixture
def store(tmp_path) -> CollectionStore:
    return CollectionStore(tmp_path / "collections.sqlite")


def positions(store: CollectionStore, cid: int) -> list[tuple[int, str]]:
    return [(i.position, i.snapshot.passage_id) for i in store.get(cid).items]


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "不能为空白"),
        ("   \u3000 ", "不能为空白"),
        (None, "请填写"),
        (123, "应为文字"),
        (["案例"], "应为文字"),
        ("x" * (NAME_MAX + 1), f"不能超过 {NAME_MAX} 个字"),
        ("案例\x00集", "控制字符"),
    ],
)
def test_bad_names_are_refused_with_a_reason(raw, message):
    with pytest.raises(CollectionError) as err:
        validate_name(raw)
    assert err.value.status == 400 and err.value.field == "name"
    assert message in err.value.message


def test_names_keep_what_was_typed_but_spaces():
    assert validate_name("  执法　 案例  ") == "执法 案例"
    assert validate_name("执法力量（案例）【第一辑】") == "执法力量（案例）【第一辑】"
    assert validate_name("ＡＢＣ") == "ＡＢＣ"
    assert len(validate_name("案" * NAME_MAX)) == NAME_MAX


def test_notes_keep_line_breaks_and_have_a_limit():
    assert validate_note(None) == ""
    assert validate_note(" 第一行\r\n第二行 ") == "第一行\n第二行"
    assert len(validate_note("注" * NOTE_MAX)) == NOTE_MAX
    with pytest.raises(CollectionError, match=f"不能超过 {NOTE_MAX} 个字"):
        validate_note("注" * (NOTE_MAX + 1))
    with pytest.raises(CollectionError, match="控制字符"):
        validate_note("a\x07b")


# -- the store ---------------------------------------------------------------------------------


def test_create_rename_delete_and_unique_names(store):
    a = store.create("培训案例")
    b = store.create("执法案例")
    with pytest.raises(CollectionError) as err:
        store.create(" 培训案例 ")
    assert err.value.status == 409 and "已有名为「培训案例」" in err.value.message
    with pytest.raises(CollectionError):
        store.rename(b.id, "培训案例")
    assert store.rename(a.id, "培训案例").name == "培训案例"  # its own name is fine
    c = store.create("执法力量（案例）")
    assert store.get(c.id).name == "执法力量（案例）"
    with pytest.raises(CollectionError) as err:
        store.create("执法力量(案例)")  # a look-alike of a name the owner already has
    assert err.value.status == 409 and "已有名为「执法力量（案例）」" in err.value.message
    store.delete(c.id)
    store.rename(b.id, "执法案例二")
    assert sorted(c.name for c in store.list_collections()) == ["培训案例", "执法案例二"]
    store.add_item(a.id, snap(1))
    store.delete(a.id)
    assert [c.name for c in store.list_collections()] == ["执法案例二"]
    with pytest.raises(CollectionError) as err:
        store.get(a.id)
    assert err.value.status == 404


def test_items_append_move_reorder_and_remove(store):
    cid = store.create("案例").id
    ids = [store.add_item(cid, snap(i), f"说明{i}").id for i in range(4)]
    assert positions(store, cid) == [(0, "p0"), (1, "p1"), (2, "p2"), (3, "p3")]
    store.move_item(cid, ids[2], -1)
    assert [p for _, p in positions(store, cid)] == ["p0", "p2", "p1", "p3"]
    store.move_item(cid, ids[0], -1)  # already first: stays
    store.move_item(cid, ids[3], 5)  # past the end: stays last
    assert [p for _, p in positions(store, cid)] == ["p0", "p2", "p1", "p3"]
    store.reorder(cid, [ids[3], ids[2], ids[1], ids[0]])
    assert [p for _, p in positions(store, cid)] == ["p3", "p2", "p1", "p0"]
    store.remove_item(cid, ids[2])
    assert positions(store, cid) == [(0, "p3"), (1, "p1"), (2, "p0")]
    assert store.update_note(cid, ids[1], "新说明").note == "新说明"


def test_bad_changes_are_refused_and_change_nothing(store):
    cid = store.create("案例").id
    other = store.create("别的").id
    first = store.add_item(cid, snap(1))
    store.add_item(cid, snap(2))
    with pytest.raises(CollectionError) as err:
        store.add_item(cid, snap(1))
    assert err.value.status == 409 and "已在案例集「案例」中" in err.value.message
    with pytest.raises(CollectionError) as err:
        store.reorder(cid, [first.id])
    assert err.value.status == 409
    with pytest.raises(CollectionError) as err:
        store.remove_item(other, first.id)  # an item of another collection
    assert err.value.status == 404
    with pytest.raises(CollectionError):
        store.update_note(cid, first.id, "注" * (NOTE_MAX + 1))
    assert positions(store, cid) == [(0, "p1"), (1, "p2")]
    assert store.get(cid).items[0].note == ""


@pytest.mark.parametrize("big", [2**63, 10**23, 0])
def test_ids_sqlite_cannot_hold_are_not_found(store, big):
    cid = store.create("案例").id
    item = store.add_item(cid, snap(1))
    no_collection, no_item = f"找不到案例集 {big}", f"案例集 {cid} 中没有条目 {big}"
    calls = [
        (lambda: store.get(big), no_collection),
        (lambda: store.rename(big, "新名"), no_collection),
        (lambda: store.delete(big), no_collection),
        (lambda: store.add_item(big, snap(2)), no_collection),
        (lambda: store.update_note(big, item.id, "x"), no_collection),
        (lambda: store.update_note(cid, big, "x"), no_item),
        (lambda: store.remove_item(cid, big), no_item),
        (lambda: store.move_item(cid, big, 1), no_item),
    ]
    for call, message in calls:
        with pytest.raises(CollectionError) as err:
            call()
        assert (err.value.status, err.value.message) == (404, message)
    with pytest.raises(CollectionError) as err:
        store.reorder(cid, [big])
    assert err.value.status == 409
    assert positions(store, cid) == [(0, "p1")]


def test_concurrent_adds_lose_nothing_and_duplicate_no_position(tmp_path):
    path = tmp_path / "collections.sqlite"
    cid = CollectionStore(path).create("并发").id
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        own = CollectionStore(path)  # as separate server threads/processes would
        start.wait()
        try:
            for k in range(10):
                own.add_item(cid, snap(n * 100 + k), f"线程{n}")
                if k % 3 == 0:
                    own.update_note(cid, own.get(cid).items[0].id, f"改于{n}")
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store = CollectionStore(path)
    items = store.get(cid).items
    assert len(items) == 160
    assert [i.position for i in items] == list(range(160))
    assert len({i.snapshot.passage_id for i in items}) == 160
    assert store.integrity() == "ok"


def test_status_against_the_corpus():
    items = [
        Item(1, 1, 0, snap(1, "r1", "原文一"), "", "t"),
        Item(2, 1, 1, snap(2, "r1", "原文二"), "", "t"),
        Item(3, 1, 2, snap(3, "r1", "原文三"), "", "t"),
        Item(4, 1, 3, snap(4, "gone", "原文四"), "", "t"),
    ]
    current = {"p1": "原文一", "p2": "原文二（已修改）"}
    check_status(items, lambda pids: {p: current[p] for p in pids if p in current}, "r1".__eq__)
    assert [i.status for i in items] == [OK, CHANGED, CHANGED, MISSING]


def test_markdown_and_docx_handouts(store):
    cid = store.create("执法力量案例").id
    store.add_item(cid, snap(1, text="执法力量相对薄弱。\n人少事多。"), "说明一")
    store.add_item(cid, snap(2), "")
    col = store.get(cid)
    col.items[1].status = CHANGED
    md = to_markdown(col)
    assert md.startswith("# 案例集：执法力量案例")
    assert "## 1. 甲县应急管理局（2024年度）" in md
    assert "> 执法力量相对薄弱。\n> 人少事多。" in md
    assert (
        md.count("—— 引自：甲县应急管理局. 甲县应急管理局2024年法治政府建设工作报告[EB/OL]. ") == 2
    )
    assert "说明：说明一" in md and "原报告已更新" in md
    document = docx.Document(io.BytesIO(to_docx(col)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "案例集：执法力量案例" in text and "人少事多。" in text and "说明一" in text
    assert text.count("—— 引自：甲县应急管理局. 甲县应急管理局2024年") == 2
    quotes = [p.text for p in document.paragraphs if p.style.name == "引文"]
    assert quotes == ["执法力量相对薄弱。", "人少事多。", "第2段原文。"]


def test_markdown_handout_keeps_name_note_and_text_inert(store):
    cid = store.create("<b>培训</b>案例").id
    hostile = snap(1, text="“首违不罚”。\n<img src=x onerror=alert(1)>")
    hostile.source_url = "javascript:alert(1)"
    store.add_item(cid, hostile, "<script>alert(1)</script>\n见《办法》第三条")
    md = to_markdown(store.get(cid))
    assert md.startswith("# 案例集：&lt;b&gt;培训&lt;/b&gt;案例\n")
    assert "> “首违不罚”。\n> &lt;img src=x onerror=alert(1)&gt;" in md
    assert "说明：&lt;script&gt;alert(1)&lt;/script&gt;\n见《办法》第三条" in md
    assert not re.search(r"<(b|img|script)\b", md) and "javascript:" not in md
    # Word shows text, not HTML: the docx keeps the name and the note as typed.
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(store.get(cid)))).paragraphs)
    assert "案例集：<b>培训</b>案例" in text and "<script>alert(1)</script>" in text


# -- the web app on the seed index ---------------------------------------------------------------


@pytest.mark.slow
def test_api_round_trip(client, seed_pids):
    col = send(client, "POST", "/api/collections", {"name": "首违不罚案例"}, 201)
    cid = col["id"]
    url = f"/api/collections/{cid}"
    a = send(client, "POST", f"{url}/items", {"passage_id": seed_pids[0], "note": "清单制度"}, 201)
    b = send(client, "POST", f"{url}/items", {"passage_id": seed_pids[1]}, 201)
    assert a["org"] and a["year"] and a["saved_text"] and a["citation"].startswith(f"{a['org']}. ")
    listed = send(client, "GET", "/api/collections")["collections"]
    assert [(c["name"], c["count"]) for c in listed] == [("首违不罚案例", 2)]
    got = send(client, "GET", url)
    assert [i["passage_id"] for i in got["items"]] == seed_pids[:2]
    assert {i["status"] for i in got["items"]} == {"ok"}
    send(client, "PATCH", f"{url}/items/{b['id']}", {"note": "柔性执法"})
    got = send(client, "POST", f"{url}/order", {"items": [b["id"], a["id"]]})
    assert [(i["id"], i["note"]) for i in got["items"]] == [
        (b["id"], "柔性执法"),
        (a["id"], "清单制度"),
    ]
    assert send(client, "PATCH", url, {"name": "柔性执法案例"})["name"] == "柔性执法案例"
    got = send(client, "DELETE", f"{url}/items/{a['id']}")
    assert [i["id"] for i in got["items"]] == [b["id"]]
    send(client, "DELETE", url)
    send(client, "GET", url, status=404)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "", {"name": ""}, 400, "name"),
        ("POST", "", {"name": "已有"}, 409, "name"),
        ("POST", "", {"name": "x" * 61}, 400, "name"),
        ("POST", "/{cid}/items", {"passage_id": "nope"}, 404, "passage_id"),
        ("POST", "/{cid}/items", {"passage_id": "{pid}", "note": "注" * 501}, 400, "note"),
        ("POST", "/{cid}/items", {"passage_id": "{pid0}"}, 409, "passage_id"),
        ("POST", "/999/items", {"passage_id": "{pid}"}, 404, None),
        ("PATCH", "/{cid}/items/999", {"note": "x"}, 404, None),
        ("PATCH", "/{cid}/items/{item}", {}, 400, "note"),
        ("POST", "/{cid}/order", {"items": "1,2"}, 400, "items"),
        ("POST", "/{cid}/order", {"items": [12345]}, 409, "items"),
        ("PATCH", "/{cid}", {"name": "\x00"}, 400, "name"),
    ],
)
def test_api_refuses_bad_requests_naming_the_field(
    client, seed_pids, method, path, body, status, field
):
    cid = send(client, "POST", "/api/collections", {"name": "已有"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    values = {"cid": cid, "pid": seed_pids[1], "pid0": seed_pids[0], "item": item["id"]}
    body = {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}
    err = send(client, method, f"/api/collections{path.format(**values)}", body, status)["error"]
    assert err["status"] == status and err["message"]
    assert err.get("field") == field
    assert len(send(client, "GET", f"/api/collections/{cid}")["items"]) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "body", "field", "message"),
    [
        (
            "POST",
            "/{cid}/order",
            {"items": [True, "{item}"]},
            "items",
            "items 应为条目编号（整数）的列表",
        ),
        ("POST", "/{cid}/order", {"items": [1.0]}, "items", "items 应为条目编号（整数）的列表"),
        ("POST", "/{cid}/items", {}, "passage_id", "请提供 passage_id"),
        ("POST", "/{cid}/items", {"passage_id": ""}, "passage_id", "请提供 passage_id"),
        ("POST", "/{cid}/items", {"passage_id": " "}, "passage_id", "请提供 passage_id"),
        (
            "POST",
            "/{cid}/items",
            {"passage_id": ["x"]},
            "passage_id",
            "passage_id（段落编号）应为文字",
        ),
        ("POST", "/{cid}/items", {"passage_id": {"$ne": 1}}, "passage_id", "应为文字"),
        ("POST", "/{cid}/items", {"passage_id": 7}, "passage_id", "应为文字"),
        (
            "POST",
            "/{cid}/items",
            {"passage_id": "{pid}", "note": 5},
            "note",
            "说明（note）应为文字",
        ),
        ("POST", "/{cid}/items", {"passage_id": "{pid}", "note": ["x"]}, "note", "应为文字"),
        ("PATCH", "/{cid}/items/{item}", {"note": {"a": 1}}, "note", "说明（note）应为文字"),
        ("PATCH", "/{cid}/items/{item}", {"note": True}, "note", "应为文字"),
        ("POST", "", {"name": 123}, "name", "案例集名称（name）应为文字"),
        ("POST", "", {"name": ["甲"]}, "name", "应为文字"),
        ("POST", "", {}, "name", "请填写案例集名称"),
        ("PATCH", "/{cid}", {"name": 1.5}, "name", "案例集名称（name）应为文字"),
    ],
)
def test_api_refuses_wrong_types_with_a_message_naming_the_field(
    client, seed_pids, method, path, body, field, message
):
    cid = send(client, "POST", "/api/collections", {"name": "已有"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    values = {"cid": cid, "pid": seed_pids[1], "item": item["id"]}

    def fill(v):
        if v == "{item}":
            return item["id"]  # a real item id (an int), next to the bad element
        if isinstance(v, str):
            return v.format(**values)
        return [fill(x) for x in v] if isinstance(v, list) else v

    body = {k: fill(v) for k, v in body.items()}
    err = send(client, method, f"/api/collections{path.format(**values)}", body, 400)["error"]
    assert err["status"] == 400 and err["field"] == field
    assert message in err["message"] and "$ne" not in err["message"] and "[" not in err["message"]
    got = send(client, "GET", f"/api/collections/{cid}")
    assert got["name"] == "已有"
    assert [(i["id"], i["note"]) for i in got["items"]] == [(item["id"], "")]


@pytest.mark.slow
@pytest.mark.parametrize("big", ["9223372036854775808", "99999999999999999999999"])
def test_ids_too_large_for_sqlite_are_404_everywhere(client, seed_pids, big):
    cid = send(client, "POST", "/api/collections", {"name": "案例"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    api = [
        ("GET", f"/api/collections/{big}", None, f"找不到案例集 {big}"),
        ("PATCH", f"/api/collections/{big}", {"name": "新名"}, f"找不到案例集 {big}"),
        ("DELETE", f"/api/collections/{big}", None, f"找不到案例集 {big}"),
        ("POST", f"/api/collections/{big}/items", {"passage_id": seed_pids[1]}, "找不到案例集"),
        ("POST", f"/api/collections/{big}/order", {"items": [item["id"]]}, "找不到案例集"),
        ("PATCH", f"/api/collections/{big}/items/{item['id']}", {"note": "x"}, "找不到案例集"),
        ("PATCH", f"/api/collections/{cid}/items/{big}", {"note": "x"}, f"没有条目 {big}"),
        ("DELETE", f"/api/collections/{cid}/items/{big}", None, f"没有条目 {big}"),
    ]
    for method, url, body, message in api:
        err = send(client, method, url, body, 404)["error"]
        assert err["status"] == 404 and message in err["message"], (method, url)
    for url in (f"/collections/{big}", f"/collections/{big}.md", f"/collections/{big}.docx"):
        r = client.get(url)
        assert r.status_code == 404 and r.mimetype == "text/html", url
        assert f"找不到案例集 {big}" in r.get_data(as_text=True)
    csrf = token(client)
    forms = [
        (f"/collections/{big}/rename", {"name": "新名"}, "找不到案例集"),
        (f"/collections/{big}/delete", {}, "找不到案例集"),
        (f"/collections/{cid}/items/{big}/note", {"note": "x"}, f"没有条目 {big}"),
        (f"/collections/{cid}/items/{big}/move", {"direction": "up"}, f"没有条目 {big}"),
        (f"/collections/{cid}/items/{big}/delete", {}, f"没有条目 {big}"),
    ]
    for url, form, message in forms:
        r = client.post(url, data={"csrf": csrf, **form})
        assert r.status_code == 404 and message in r.get_data(as_text=True), url
    got = send(client, "GET", f"/api/collections/{cid}")
    assert got["name"] == "案例" and [i["id"] for i in got["items"]] == [item["id"]]


@pytest.mark.slow
def test_api_writes_need_json_from_this_site(client):
    r = client.post("/api/collections", data={"name": "表单"})
    assert r.status_code == 415 and "JSON" in r.get_json()["error"]["message"]
    r = client.post(
        "/api/collections", json={"name": "跨站"}, headers={"Origin": "http://evil.example"}
    )
    assert r.status_code == 403
    cid = send(client, "POST", "/api/collections", {"name": "本站"}, 201)["id"]
    r = client.delete(f"/api/collections/{cid}", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert [c["name"] for c in send(client, "GET", "/api/collections")["collections"]] == ["本站"]


@pytest.mark.slow
def test_concurrent_api_adds(app, seed_searcher):
    cid = send(app.test_client(), "POST", "/api/collections", {"name": "并发"}, 201)["id"]
    pids = seed_searcher.bundle.rows.pids[:24]
    statuses: list[int] = []

    def worker(chunk: list[str]) -> None:
        c = app.test_client()
        for pid in chunk:
            r = c.post(f"/api/collections/{cid}/items", json={"passage_id": pid})
            statuses.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(pids[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 24
    items = send(app.test_client(), "GET", f"/api/collections/{cid}")["items"]
    assert [i["position"] for i in items] == list(range(24))
    assert sorted(i["passage_id"] for i in items) == sorted(pids)


# -- forms ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_forms_need_the_token_and_this_site(client):
    r = client.post("/collections", data={"name": "无令牌"})
    assert r.status_code == 403 and "刷新" in r.get_data(as_text=True)
    csrf = token(client)
    r = client.post(
        "/collections",
        data={"name": "外站", "csrf": csrf},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    r = client.post("/collections", data={"name": "伪造", "csrf": "x" * 43})
    assert r.status_code == 403
    r = client.post(
        "/collections", data={"name": "本站", "csrf": csrf}, headers={"Origin": "http://localhost"}
    )
    assert r.status_code == 303
    assert [c["name"] for c in send(client, "GET", "/api/collections")["collections"]] == ["本站"]


@pytest.mark.slow
def test_collect_control_on_hits_adds_and_the_page_manages(client, seed_pids):
    html = client.get("/?q=首违不罚&mode=lexical").get_data(as_text=True)
    assert html.count('class="collect-form"') == 3
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    form = {
        "csrf": csrf,
        "passage_id": seed_pids[0],
        "collection": "new",
        "name": "培训<b>",
        "note": "<script>alert(1)</script>",
        "next": "/?q=首违不罚",
    }
    r = client.post("/collections/add", data=form)
    assert r.status_code == 303
    page_url = r.headers["Location"]
    assert "added=" in page_url and "back=" in page_url
    page = client.get(page_url).get_data(as_text=True)
    assert "已加入案例集" in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "培训&lt;b&gt;" in page and 'href="/?q=' in page
    cid = int(re.search(r"/collections/(\d+)", page_url).group(1))
    # The second passage goes to the now existing collection, chosen in the select.
    html = client.get("/?q=首违不罚&mode=lexical").get_data(as_text=True)
    assert f'<option value="{cid}">培训&lt;b&gt;（1 条）</option>' in html
    form = {"csrf": csrf, "passage_id": seed_pids[1], "collection": str(cid), "note": ""}
    assert client.post("/collections/add", data=form).status_code == 303
    items = send(client, "GET", f"/api/collections/{cid}")["items"]
    assert [i["passage_id"] for i in items] == seed_pids[:2]
    # move the second up, edit its note, remove the first
    second = items[1]["id"]
    client.post(f"/collections/{cid}/items/{second}/move", data={"csrf": csrf, "direction": "up"})
    client.post(f"/collections/{cid}/items/{second}/note", data={"csrf": csrf, "note": "好例子"})
    items = send(client, "GET", f"/api/collections/{cid}")["items"]
    assert [(i["id"], i["note"]) for i in items][0] == (second, "好例子")
    client.post(f"/collections/{cid}/items/{items[1]['id']}/delete", data={"csrf": csrf})
    assert [i["id"] for i in send(client, "GET", f"/api/collections/{cid}")["items"]] == [second]
    # a bad rename shows the page again with the reason; the name is unchanged
    r = client.post(f"/collections/{cid}/rename", data={"csrf": csrf, "name": " "})
    assert r.status_code == 400 and "不能为空白" in r.get_data(as_text=True)
    client.post(f"/collections/{cid}/delete", data={"csrf": csrf})
    assert send(client, "GET", "/api/collections")["collections"] == []


@pytest.mark.slow
def test_add_form_refuses_foreign_return_links(client, seed_pids):
    csrf = token(client)
    form = {
        "csrf": csrf,
        "passage_id": seed_pids[0],
        "collection": "new",
        "name": "甲",
        "next": "//evil.example/x",
    }
    r = client.post("/collections/add", data=form)
    assert r.status_code == 303 and "back=" not in r.headers["Location"]
    r = client.post("/collections/add", data={**form, "passage_id": seed_pids[1], "name": ""})
    assert r.status_code == 400 and "请填写案例集名称" in r.get_data(as_text=True)
    assert client.get("/collections/add?passage_id=nope").status_code == 404


@pytest.mark.slow
def test_exports(client, seed_pids):
    cid = send(client, "POST", "/api/collections", {"name": "讲义"}, 201)["id"]
    for pid in seed_pids[:2]:
        send(
            client,
            "POST",
            f"/api/collections/{cid}/items",
            {"passage_id": pid, "note": "要点"},
            201,
        )
    items = send(client, "GET", f"/api/collections/{cid}")["items"]
    r = client.get(f"/collections/{cid}.md")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/markdown; charset=utf-8"
    md = r.get_data(as_text=True)
    cites = [ln for ln in md.splitlines() if ln.startswith(("—— 引自：", "—— 节选自："))]
    assert cites == [
        f"—— {'节选自' if i['truncated'] else '引自'}：{i['citation'].replace('&', '&amp;')}"
        for i in items
    ]
    r = client.get(f"/collections/{cid}.docx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Content-Type"] == DOCX_MIME  # binary: no charset at all
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert "案例集：讲义" in text and all(i["citation"] in text for i in items)
    assert client.get("/collections/999.docx").status_code == 404


@pytest.mark.slow
def test_markdown_export_keeps_the_name_and_notes_inert(client, seed_pids):
    name, note = "<b>讲义</b>", "<script>alert(1)</script>：“柔性执法”"
    cid = send(client, "POST", "/api/collections", {"name": name}, 201)["id"]
    send(
        client,
        "POST",
        f"/api/collections/{cid}/items",
        {"passage_id": seed_pids[0], "note": note},
        201,
    )
    md = client.get(f"/collections/{cid}.md").get_data(as_text=True)
    assert md.startswith("# 案例集：&lt;b&gt;讲义&lt;/b&gt;\n")
    assert "说明：&lt;script&gt;alert(1)&lt;/script&gt;：“柔性执法”" in md
    assert "<script>" not in md and "<b>" not in md


# -- surviving a re-index ------------------------------------------------------------------------


CHANGED_FROM, CHANGED_TO = "在编在岗仅占人员的29%", "在编在岗仅占人员的31%"


def reindex(cfg, corpus: Path) -> None:
    """What `kb ingest` + a forced `kb index` do: the corpus store and a new build."""
    ingest_and_index(cfg, corpus, force=True)


@pytest.mark.slow
def test_collections_survive_a_full_reindex(seed_cfg, tmp_path):
    from kb.core.config import Config
    from web.app import create_app

    cfg = Config(data_dir=str(tmp_path / "kb"))
    shutil.copytree(seed_cfg.data_path, cfg.data_path)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    app = create_app(cfg)
    client = app.test_client()
    weak = send(client, "GET", "/api/search?q=在编在岗仅占人员&mode=lexical&limit=1")["hits"][0]
    other = send(client, "GET", "/api/search?q=首违不罚&mode=lexical&limit=3")["hits"][-1]
    assert CHANGED_FROM.replace("%", "") in weak["text"].replace("%", "")
    cid = send(client, "POST", "/api/collections", {"name": "重建前"}, 201)["id"]
    for hit in (weak, other):
        send(
            client,
            "POST",
            f"/api/collections/{cid}/items",
            {"passage_id": hit["passage_id"], "note": "保留"},
            201,
        )
    before = send(client, "GET", f"/api/collections/{cid}")
    old_build = app.config["KB_SEARCHER"].bundle.build_id

    report = corpus / "000_b2dd20f029b9b4d9.txt"
    text = report.read_text(encoding="utf-8")
    assert CHANGED_FROM in text
    report.write_text(text.replace(CHANGED_FROM, CHANGED_TO), encoding="utf-8")
    reindex(cfg, corpus)

    after = send(client, "GET", f"/api/collections/{cid}")
    assert app.config["KB_SEARCHER"].bundle.build_id != old_build  # the app now reads the new build
    assert (cfg.data_path / "collections.sqlite").is_file()
    assert [i["passage_id"] for i in after["items"]] == [i["passage_id"] for i in before["items"]]
    assert [i["saved_text"] for i in after["items"]] == [i["saved_text"] for i in before["items"]]
    assert [i["status"] for i in after["items"]] == ["changed", "ok"]
    assert after["changed"] == 1 and all(i["note"] == "保留" for i in after["items"])
    page = client.get(f"/collections/{cid}").get_data(as_text=True)
    assert "原文已变化" in page and "29%" in page
    assert CollectionStore(cfg.data_path / "collections.sqlite").integrity() == "ok"
    app.config["KB_SEARCHER"].close()


@pytest.mark.slow
def test_list_page_renames_and_deletes(client):
    cid = send(client, "POST", "/api/collections", {"name": "旧名"}, 201)["id"]
    page = client.get("/collections").get_data(as_text=True)
    assert "旧名" in page and f'action="/collections/{cid}/rename"' in page
    csrf = token(client)
    form = {"csrf": csrf, "name": "新名", "next": "/collections"}
    r = client.post(f"/collections/{cid}/rename", data=form)
    assert r.status_code == 303 and r.headers["Location"].endswith("/collections")
    assert [c["name"] for c in send(client, "GET", "/api/collections")["collections"]] == ["新名"]
    r = client.post(f"/collections/{cid}/delete", data={"csrf": csrf})
    assert r.status_code == 303 and send(client, "GET", "/api/collections")["collections"] == []
    assert client.post(f"/collections/{cid}/delete", data={"csrf": csrf}).status_code == 404
