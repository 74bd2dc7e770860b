"""The server side of the issue-16 workflows, through the Flask test client on the seed index:
撤销 after 移出 (restore), 移到第 N 条 without JavaScript, the in-place 加入案例集 answer, facets
with several values, and the favicon (what 只看具体做法 hides: tests/integration/test_search.py)."""

from __future__ import annotations

import pytest

from tests.support import form_token, send

pytestmark = pytest.mark.slow


def _collection(client, seed_pids, notes=("", "", "")) -> dict:
    cid = send(client, "POST", "/api/collections", {"name": "撤销"}, 201)["id"]
    for pid, note in zip(seed_pids[:3], notes, strict=True):
        send(
            client, "POST", f"/api/collections/{cid}/items", {"passage_id": pid, "note": note}, 201
        )
    return send(client, "GET", f"/api/collections/{cid}")


def test_removed_item_comes_back_at_its_place_with_its_note(client, seed_pids):
    col = _collection(client, seed_pids, notes=("", "中间这条", ""))
    cid, middle = col["id"], col["items"][1]
    after = send(client, "DELETE", f"/api/collections/{cid}/items/{middle['id']}")
    assert after["removed"]["note"] == "中间这条" and after["removed"]["position"] == 1
    assert [i["passage_id"] for i in after["items"]] == [seed_pids[0], seed_pids[2]]

    body = {"item": after["removed"], "version": after["version"]}
    back = send(client, "POST", f"/api/collections/{cid}/items/restore", body, 201)
    assert [i["passage_id"] for i in back["items"]] == seed_pids[:3]
    restored = back["items"][1]
    assert restored == back["restored"] and restored["id"] != middle["id"]  # ids never reused
    assert {k: restored[k] for k in ("note", "saved_text", "added", "citation")} == {
        k: middle[k] for k in ("note", "saved_text", "added", "citation")
    }
    # Once back, the same passage cannot be restored twice; a stale version is refused.
    body["version"] = back["version"]
    send(client, "POST", f"/api/collections/{cid}/items/restore", body, 409)
    stale = {"item": after["removed"], "version": after["version"]}
    send(client, "DELETE", f"/api/collections/{cid}/items/{restored['id']}")
    send(client, "POST", f"/api/collections/{cid}/items/restore", stale, 409)


@pytest.mark.parametrize(
    "item",
    [None, "x", {"passage_id": "x"}, {"passage_id": 1, "report_id": "r", "text": "t"},
     {"report_id": "r", "saved_text": "t", "passage_id": "abc", "year": 10**30},
     {"report_id": "r", "saved_text": "t", "passage_id": "abc", "heading_path": [1]}],
)  # fmt: skip
def test_restore_refuses_what_removal_did_not_give(client, seed_pids, item):
    cid = _collection(client, seed_pids)["id"]
    send(client, "POST", f"/api/collections/{cid}/items/restore", {"item": item}, 400)


def test_move_to_a_place_without_javascript(client, seed_pids):
    col = _collection(client, seed_pids)
    cid, last = col["id"], col["items"][2]["id"]
    form = {"csrf": form_token(client), "version": col["version"], "position": "1"}
    r = client.post(f"/collections/{cid}/items/{last}/move", data=form)
    assert r.status_code == 303
    order = [i["passage_id"] for i in send(client, "GET", f"/api/collections/{cid}")["items"]]
    assert order == [seed_pids[2], seed_pids[0], seed_pids[1]]


def test_add_form_answers_json_to_the_page_script(client, seed_pids):
    form = {"csrf": form_token(client), "passage_id": seed_pids[0], "name": "就地（一）"}
    headers = {"Accept": "application/json"}
    r = client.post("/collections/add", data=form, headers=headers)
    assert r.status_code == 201
    body = r.get_json()
    assert body["collection"]["name"] == "就地（一）" and body["collection"]["count"] == 1
    assert body["url"].startswith(f"/collections/{body['collection']['id']}?added=")
    again = client.post("/collections/add", data=form, headers=headers)
    assert again.status_code == 409 and "已在案例集" in again.get_json()["error"]["message"]
    plain = client.post("/collections/add", data={**form, "passage_id": seed_pids[1]})
    assert plain.status_code == 303  # without the script: the redirect as before


def test_a_facet_with_a_selection_keeps_its_other_values(client):
    alone = send(client, "GET", "/api/facets?q=首违不罚")["facets"]["province"]["values"]
    assert len(alone) >= 2
    first, second = alone[0]["value"], alone[1]["value"]
    one = send(client, "GET", f"/api/facets?q=首违不罚&province={first}")
    assert [v["value"] for v in one["facets"]["province"]["values"]] == [v["value"] for v in alone]
    both = send(
        client, "GET", f"/api/search?q=首违不罚&province={first}&province={second}&limit=100"
    )
    assert both["filters"]["province"] == f"{first},{second}"
    assert {h["province"] for h in both["hits"]} == {first, second}


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
