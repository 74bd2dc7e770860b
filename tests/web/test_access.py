"""Who may write (issue 15, item 14): accounts, sign-in, ownership, share links, a proxy's user.

The app runs on the seed index with ``[access] mode`` switched on and its own users and
collections files. Each test plays the people involved with separate clients (browsers):
the owner, a colleague, an anonymous visitor.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re

import pytest

from kb.core.config import AccessConfig, ConfigError, load_config
from kb.store.users import UserStore, verify_password
from tests.support import form_token, send

PASSWORDS = {"alice": "correct horse 电池", "bob": "tr0ub4dor&3-bob"}


def make_app(seed_cfg, seed_searcher, tmp_path, **access):
    from web.app import create_app

    cfg = dataclasses.replace(seed_cfg, access=AccessConfig(**access))
    app = create_app(cfg, seed_searcher)
    app.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
    app.config["KB_USERS"] = str(tmp_path / "users.sqlite")
    return app


@pytest.fixture
def site(seed_cfg, seed_searcher, tmp_path):
    app = make_app(seed_cfg, seed_searcher, tmp_path, mode="accounts")
    users = UserStore(tmp_path / "users.sqlite")
    for name, password in PASSWORDS.items():
        users.add(name, password)
    users.close()
    return app


def signed_in(app, name: str):
    """A browser (test client) in which ``name`` has signed in through the login form."""
    client = app.test_client()
    csrf = form_token(client, "/login")
    r = client.post(
        "/login",
        data={"csrf": csrf, "name": name, "password": PASSWORDS[name], "next": "/collections"},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/collections", r.get_data(True)
    return client


# -- logging in ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_logging_in_and_out(site):
    client = site.test_client()
    assert send(client, "GET", "/api/session") == {
        "access": "accounts",
        "user": None,
        "can_write": False,
        "login": "/login",
    }
    page = client.get("/login?next=/collections/add?passage_id%3Dx").get_data(as_text=True)
    assert (
        'name="password" type="password"' in page
        and 'value="/collections/add?passage_id=x"' in page
    )
    csrf = form_token(client, "/login")
    r = client.post("/login", data={"csrf": csrf, "name": "alice", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码不正确" in r.get_data(as_text=True)
    assert "Set-Cookie" not in r.headers or "kb_session" not in r.headers.get("Set-Cookie", "")
    r = client.post("/login", data={"csrf": csrf, "name": "nobody", "password": "whatever1"})
    assert r.status_code == 401 and "用户名或密码不正确" in r.get_data(as_text=True)

    form = {"csrf": csrf, "name": "ALICE", "password": PASSWORDS["alice"], "next": "//evil.example"}
    r = client.post("/login", data=form)
    assert r.status_code == 303 and r.headers["Location"] == "/collections"  # not //evil.example
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("kb_session="))
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "samesite", "max-age", "path"} <= attrs and "secure" not in attrs
    assert "SameSite=Lax" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    me = send(client, "GET", "/api/session")
    assert me["user"] == "alice" and me["can_write"] is True
    assert "alice" in client.get("/").get_data(as_text=True)  # the header names who is in

    r = client.post("/logout", data={"csrf": form_token(client, "/collections")})
    assert r.status_code == 303
    assert send(client, "GET", "/api/session")["user"] is None
    # the old cookie is worth nothing after logging out
    other = site.test_client()
    other.set_cookie("kb_session", token)
    assert send(other, "GET", "/api/session")["user"] is None


@pytest.mark.slow
def test_the_session_cookie_is_secure_over_https(site, seed_cfg, seed_searcher, tmp_path):
    client = site.test_client()
    csrf = form_token(client, "/login")
    r = client.post(
        "/login",
        data={"csrf": csrf, "name": "bob", "password": PASSWORDS["bob"]},
        base_url="https://localhost",
        headers={"Origin": "https://localhost"},
    )
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("kb_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    # behind a proxy that terminates TLS, kb sees http: secure_cookies says so
    app = make_app(seed_cfg, seed_searcher, tmp_path, mode="accounts", secure_cookies=True)
    client = app.test_client()
    csrf = form_token(client, "/login")
    r = client.post("/login", data={"csrf": csrf, "name": "bob", "password": PASSWORDS["bob"]})
    assert "Secure" in next(c for c in r.headers.getlist("Set-Cookie") if "kb_session" in c)


# -- anonymous visitors ----------------------------------------------------------------------------


@pytest.mark.slow
def test_anonymous_visitors_search_and_read_but_cannot_write(site, seed_pids):
    alice = signed_in(site, "alice")
    cid = send(alice, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    anon = site.test_client()
    assert send(anon, "GET", "/api/search?q=首违不罚&mode=lexical")["hits"]
    page = anon.get("/?q=首违不罚&mode=lexical").get_data(as_text=True)
    assert 'class="collect-form"' not in page and "登录后可加入案例集" in page
    hit = send(anon, "GET", "/api/search?q=首违不罚&mode=lexical")["hits"][0]
    assert anon.get(f"/report/{hit['report_id']}").status_code == 200
    err = send(anon, "POST", "/api/collections", {"name": "访客"}, 403)["error"]
    assert "未登录的访客" in err["message"]
    csrf = form_token(anon, "/login")
    r = anon.post("/collections", data={"csrf": csrf, "name": "访客"})
    assert r.status_code == 403
    r = anon.post(
        "/collections/add",
        data={"csrf": csrf, "passage_id": seed_pids[0], "collection": "new", "name": "访客"},
    )
    assert r.status_code == 403
    r = anon.get(f"/collections/add?passage_id={seed_pids[0]}")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login?next=")
    send(anon, "PATCH", f"/api/collections/{cid}", {"name": "改名"}, 403)
    assert send(anon, "GET", "/api/collections")["collections"] == []
    assert "登录</a>后可以建立" in anon.get("/collections").get_data(as_text=True)
    assert send(alice, "GET", "/api/collections")["collections"][0]["name"] == "甲"


# -- ownership ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_only_the_owner_changes_a_collection(site, seed_pids):
    alice, bob = signed_in(site, "alice"), signed_in(site, "bob")
    col = send(alice, "POST", "/api/collections", {"name": "培训案例"}, 201)
    assert col["owner"] == "alice" and col["can_edit"] is True
    cid = col["id"]
    url = f"/api/collections/{cid}"
    item = send(alice, "POST", f"{url}/items", {"passage_id": seed_pids[0], "note": "甲"}, 201)

    writes = [
        ("PATCH", url, {"name": "被改名"}),
        ("DELETE", url, None),
        ("POST", f"{url}/items", {"passage_id": seed_pids[1]}),
        ("PATCH", f"{url}/items/{item['id']}", {"note": "被改"}),
        ("DELETE", f"{url}/items/{item['id']}", None),
        ("POST", f"{url}/order", {"items": [item["id"]]}),
    ]
    for method, path, body in writes:
        err = send(bob, method, path, body, 403)["error"]
        assert "属于 alice" in err["message"], (method, path)
    csrf = form_token(bob, "/collections")
    forms = [
        (f"/collections/{cid}/rename", {"name": "被改名"}),
        (f"/collections/{cid}/delete", {}),
        (f"/collections/{cid}/share", {}),
        (f"/collections/{cid}/items/{item['id']}/note", {"note": "被改"}),
        (f"/collections/{cid}/items/{item['id']}/move", {"direction": "up"}),
        (f"/collections/{cid}/items/{item['id']}/delete", {}),
        ("/collections/add", {"passage_id": seed_pids[1], "collection": str(cid)}),
    ]
    for path, form in forms:
        r = bob.post(path, data={"csrf": csrf, **form})
        assert r.status_code == 403, path
    # bob cannot read it by its id either, and does not see it in his list
    send(bob, "GET", url, status=403)
    assert bob.get(f"/collections/{cid}.md").status_code == 403
    assert send(bob, "GET", "/api/collections")["collections"] == []
    # …and nothing changed
    got = send(alice, "GET", url)
    assert got["name"] == "培训案例" and [(i["id"], i["note"]) for i in got["items"]] == [
        (item["id"], "甲")
    ]
    # names are the owner's own: bob may use the same one
    assert send(bob, "POST", "/api/collections", {"name": "培训案例"}, 201)["owner"] == "bob"
    # the owner's page has the editing forms, the 加入案例集 control offers only own collections
    page = alice.get(f"/collections/{cid}").get_data(as_text=True)
    assert 'class="note-form"' in page and 'class="share-url"' in page
    hits_page = bob.get("/?q=首违不罚&mode=lexical").get_data(as_text=True)
    assert f'<option value="{cid}">' not in hits_page


@pytest.mark.slow
def test_a_share_link_shows_the_collection_read_only(site, seed_pids):
    alice = signed_in(site, "alice")
    cid = send(alice, "POST", "/api/collections", {"name": "分享给同事"}, 201)["id"]
    send(
        alice,
        "POST",
        f"/api/collections/{cid}/items",
        {"passage_id": seed_pids[0], "note": "要点"},
        201,
    )
    link = send(alice, "GET", f"/api/collections/{cid}")["share_url"]
    assert re.fullmatch(r"http://localhost/shared/[\w-]{20,}", link)
    path = link.removeprefix("http://localhost")
    for reader in (site.test_client(), signed_in(site, "bob")):
        r = reader.get(path)
        page = r.get_data(as_text=True)
        assert r.status_code == 200 and "分享给同事" in page and "要点" in page
        assert "只能阅读和导出" in page
        assert 'class="note-form"' not in page and 'class="rename"' not in page
        assert 'class="share-url"' not in page  # a reader cannot see (or pass on) a new link
        md = reader.get(f"{path}.md")
        assert md.status_code == 200 and "要点" in md.get_data(as_text=True)
        assert reader.get(f"{path}.docx").status_code == 200
        shared = send(reader, "GET", path.replace("/shared/", "/api/shared/"))
        assert shared["can_edit"] is False and "share_url" not in shared
        assert [i["note"] for i in shared["items"]] == ["要点"]
    # the owner takes the link back: the old one stops working, a new one works
    r = alice.post(f"/collections/{cid}/share", data={"csrf": form_token(alice, "/collections")})
    assert r.status_code == 303
    assert site.test_client().get(path).status_code == 404
    new = send(alice, "GET", f"/api/collections/{cid}")["share_url"]
    assert (
        new != link
        and site.test_client().get(new.removeprefix("http://localhost")).status_code == 200
    )


@pytest.mark.slow
def test_collections_from_before_access_control_are_read_only_until_adopted(
    seed_cfg, seed_searcher, tmp_path, kb_cli
):
    from web.app import create_app

    off = create_app(seed_cfg, seed_searcher)
    off.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
    cid = send(off.test_client(), "POST", "/api/collections", {"name": "旧的"}, 201)["id"]
    # the same files, now served with accounts, as a deployment would (data dir = tmp_path)
    site = make_app(seed_cfg, seed_searcher, tmp_path, mode="accounts")
    users = UserStore(tmp_path / "users.sqlite")
    users.add("alice", PASSWORDS["alice"])
    users.close()
    alice = signed_in(site, "alice")
    got = send(alice, "GET", f"/api/collections/{cid}")
    assert got["owner"] is None and got["can_edit"] is False
    err = send(alice, "PATCH", f"/api/collections/{cid}", {"name": "改"}, 403)["error"]
    assert "kb user adopt" in err["message"]
    assert "只读" in alice.get("/collections").get_data(as_text=True)
    run = kb_cli(tmp_path, "user", "adopt", "alice")
    assert run.code == 0 and "已把 1 个无归属的案例集交给 alice" in run.out
    assert send(alice, "PATCH", f"/api/collections/{cid}", {"name": "改"})["owner"] == "alice"


# -- passwords ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_password_is_never_stored_or_logged_in_clear(
    seed_cfg, seed_searcher, tmp_path, kb_cli, monkeypatch, caplog
):
    password = "明文不可见-Plain-7e3f"
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    run = kb_cli(tmp_path, "user", "add", "carol", "--password-stdin")
    assert run.code == 0 and "已添加用户 carol" in run.out
    assert password not in run.out + run.err
    caplog.set_level(logging.DEBUG)
    app = make_app(seed_cfg, seed_searcher, tmp_path, mode="accounts")
    client = app.test_client()
    csrf = form_token(client, "/login")
    bodies = []
    for attempt in ("wrong-" + password, password):
        r = client.post("/login", data={"csrf": csrf, "name": "carol", "password": attempt})
        bodies.append(r.get_data(as_text=True) + str(r.headers))
    assert r.status_code == 303
    client.post("/logout", data={"csrf": csrf})
    app.extensions["kb_users"][str(tmp_path / "users.sqlite")].close()

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("users.sqlite*"))
    for form in (password.encode("utf-8"), password.encode("utf-16-le")):
        assert form not in stored
    assert all(password not in b for b in bodies) and password not in caplog.text
    users = UserStore(tmp_path / "users.sqlite")
    (hashed,) = users.database.connection().execute("SELECT password_hash FROM users").fetchone()
    assert hashed.startswith("scrypt$32768$8$1$") and verify_password(password, hashed)
    assert not verify_password("wrong-" + password, hashed)
    assert (tmp_path / "users.sqlite").stat().st_mode & 0o077 == 0  # readable by its owner only
    users.close()


def test_user_commands(tmp_path, kb_cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    run = kb_cli(tmp_path, "user", "add", "dave", "--password-stdin")
    assert run.code == 1 and "密码至少 8 个字符" in run.err
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-1\n"))
    assert kb_cli(tmp_path, "user", "add", "dave", "--password-stdin").code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-2\n"))
    run = kb_cli(tmp_path, "user", "add", "DAVE", "--password-stdin")
    assert run.code == 1 and "已存在" in run.err
    run = kb_cli(tmp_path, "user", "add", "a b", "--password-stdin")
    assert run.code == 1 and "用户名只能由" in run.err
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-3\n"))
    assert (
        "已更改 dave 的密码" in kb_cli(tmp_path, "user", "passwd", "Dave", "--password-stdin").out
    )
    users = UserStore(tmp_path / "users.sqlite")
    assert users.authenticate("dave", "long-enough-3") == "dave"
    assert users.authenticate("dave", "long-enough-1") is None
    users.close()
    assert "dave" in kb_cli(tmp_path, "user", "list").out
    assert kb_cli(tmp_path, "user", "remove", "dave").code == 0
    run = kb_cli(tmp_path, "user", "remove", "dave")
    assert run.code == 1 and "没有用户 dave" in run.err


# -- a reverse proxy names the user ------------------------------------------------------------------


@pytest.mark.slow
def test_a_trusted_proxy_names_the_user(seed_cfg, seed_searcher, tmp_path):
    app = make_app(
        seed_cfg, seed_searcher, tmp_path, mode="remote_user", remote_user_header="X-Remote-User"
    )
    via_proxy = app.test_client()
    alice = {"X-Remote-User": "alice"}
    col = send(via_proxy, "POST", "/api/collections", {"name": "甲"}, 201, **alice)
    assert col["owner"] == "alice"
    send(
        via_proxy,
        "PATCH",
        f"/api/collections/{col['id']}",
        {"name": "乙"},
        403,
        **{"X-Remote-User": "bob"},
    )
    send(via_proxy, "POST", "/api/collections", {"name": "丙"}, 403)  # no header: anonymous
    # the same header from an address that is not the proxy is ignored
    direct = app.test_client()
    r = direct.post(
        "/api/collections",
        json={"name": "冒充"},
        headers=alice,
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert r.status_code == 403
    assert direct.get("/login").status_code == 404  # the proxy signs people in


def test_the_access_mode_is_checked(tmp_path):
    assert load_config(env={"KB_ACCESS_MODE": "accounts"}).access.mode == "accounts"
    with pytest.raises(ConfigError, match="mode"):
        load_config(env={"KB_ACCESS_MODE": "open"})
    assert load_config(env={}).access.mode == "off"
