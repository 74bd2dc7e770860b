"""Hostile requests: return links that lead elsewhere, another site's Host name, huge bodies.

Each test builds the attack itself (the crafted ``next``/``back``, the rebinding ``Host``
header, the oversized body) and checks what the user or the attacker gets back — and that
nothing was changed.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from urllib.parse import urlsplit

import pytest

from kb.core.config import Config, ServerConfig, load_config
from tests.support import form_token, send, served
from web.hosts import HostRule
from web.redirects import local_path

# What browsers make of these (they drop tabs and line breaks and read \ as /): another site.
FOREIGN = [
    "/\t/evil.example/x",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "//evil.example/x",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/\x00/evil.example",
    "/\u200b/evil.example",  # zero-width space: invisible, some browsers drop it
    "/\u2028/evil.example",
    "/%0a" + "x" * 3000,  # too long to be one of our pages
]


# -- 8. open redirect --------------------------------------------------------------------------


@pytest.mark.parametrize("target", FOREIGN)
def test_a_return_target_that_leaves_the_site_is_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize(
    "target",
    ["/", "/?q=首违不罚&mode=lexical", "/collections", "/report/abc?p=x#p-x", "/trends?q=a%2F%2Fb"],
)
def test_paths_of_this_site_are_kept(target):
    assert local_path(target) == target


@pytest.mark.slow
@pytest.mark.parametrize("target", FOREIGN)
def test_forms_never_send_the_browser_to_another_site(client, seed_pids, target):
    csrf = form_token(client)
    cid = send(client, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    r = client.post(f"/collections/{cid}/rename", data={"csrf": csrf, "name": "乙", "next": target})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/collections/{cid}"  # the safe default: the collection
    form = {"csrf": csrf, "passage_id": seed_pids[0], "collection": str(cid), "next": target}
    r = client.post("/collections/add", data=form)
    assert r.status_code == 303 and "back=" not in r.headers["Location"]
    assert urlsplit(r.headers["Location"]).path == f"/collections/{cid}"
    assert send(client, "GET", f"/api/collections/{cid}")["name"] == "乙"


@pytest.mark.slow
def test_a_foreign_back_link_becomes_the_search_page(client, seed_pids):
    cid = send(client, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    for target in FOREIGN:
        r = client.get(f"/collections/{cid}", query_string={"added": item["id"], "back": target})
        assert r.status_code == 200, repr(target)
        links = re.findall(r'<a class="back" href="([^"]*)">返回继续挑选</a>', r.get_data(True))
        assert links == ["/"], repr(target)
    r = client.get(f"/collections/{cid}", query_string={"added": item["id"], "back": "/?q=首违"})
    assert re.findall(r'<a class="back" href="([^"]*)">', r.get_data(True)) == ["/?q=首违"]
    # the add page keeps only a local return link in its form and its 返回 link
    r = client.get(
        "/collections/add", query_string={"passage_id": seed_pids[1], "next": FOREIGN[0]}
    )
    assert r.status_code == 200 and "evil.example" not in r.get_data(as_text=True)


# -- 9. Host check (DNS rebinding) -------------------------------------------------------------


@pytest.mark.slow
def test_another_sites_host_name_is_refused_before_any_write(client):
    rebinding = {"Host": "evil.example:5821", "Origin": "http://evil.example:5821"}
    r = client.post("/api/collections", json={"name": "重绑定"}, headers=rebinding)
    assert r.status_code == 400
    err = r.get_json()["error"]
    assert "evil.example:5821" in err["message"] and "allowed_hosts" in err["message"]
    r = client.get("/", headers={"Host": "evil.example:5821"})
    assert r.status_code == 400 and "本站不接受" in r.get_data(as_text=True)
    assert send(client, "GET", "/api/collections")["collections"] == []
    for host in ("127.0.0.1:5000", "localhost:8080", "[::1]:5000", "LOCALHOST.", "localhost"):
        same = {"Host": host, "Origin": f"http://{host}"}
        send(client, "POST", "/api/collections", {"name": f"本机{host}"}, 201, **same)


@pytest.mark.parametrize(
    ("server", "host", "allowed"),
    [
        (ServerConfig(), "127.0.0.1:5000", True),
        (ServerConfig(), "localhost:1234", True),  # loopback names: any port
        (ServerConfig(), "[::1]", True),
        (ServerConfig(), "evil.example:5000", False),
        (ServerConfig(), "127.0.0.1.evil.example", False),
        (ServerConfig(), "localhost:abc", True),  # a loopback name; the port is not ours to judge
        (ServerConfig(host="10.0.0.5", port=8080), "10.0.0.5:8080", True),
        (ServerConfig(host="10.0.0.5", port=8080), "10.0.0.5:9090", False),
        (ServerConfig(host="10.0.0.5", port=80), "10.0.0.5", True),
        (ServerConfig(host="0.0.0.0", port=5000), "0.0.0.0:5000", False),
        (ServerConfig(allowed_hosts="kb.example.cn"), "KB.example.cn:443", True),
        (ServerConfig(allowed_hosts="kb.example.cn"), "kb.example.cn.evil:443", False),
        (ServerConfig(allowed_hosts="a.cn:8443, b.cn"), "a.cn:8443", True),
        (ServerConfig(allowed_hosts="a.cn:8443, b.cn"), "a.cn:80", False),
        (ServerConfig(allowed_hosts="a.cn:8443, b.cn"), "b.cn", True),
        (ServerConfig(allowed_hosts="*"), "anything.example", True),
        (ServerConfig(), "", False),
        (ServerConfig(), "[::1", False),
    ],
)
def test_host_allow_list(server, host, allowed):
    assert HostRule.from_config(server).allows(host, 80) is allowed


@pytest.mark.slow
def test_allowed_hosts_come_from_the_config_file_or_the_environment(
    tmp_path, seed_cfg, seed_searcher
):
    from web.app import create_app

    toml = tmp_path / "kb.toml"
    toml.write_text('[server]\nallowed_hosts = "kb.example.cn"\n', encoding="utf-8")
    assert load_config(toml, env={}).server.allowed_hosts == "kb.example.cn"
    env = {"KB_SERVER_ALLOWED_HOSTS": "kb.intranet:8443"}
    server = load_config(toml, env=env).server
    cfg = dataclasses.replace(seed_cfg, server=server)
    app = create_app(cfg, seed_searcher)
    app.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
    client = app.test_client()
    assert client.get("/api/collections", headers={"Host": "kb.intranet:8443"}).status_code == 200
    assert client.get("/api/collections", headers={"Host": "kb.example.cn"}).status_code == 400


# -- 11. huge bodies -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_huge_body_is_refused_with_413_and_changes_nothing(client, seed_pids):
    cid = send(client, "POST", "/api/collections", {"name": "甲"}, 201)["id"]
    item = send(client, "POST", f"/api/collections/{cid}/items", {"passage_id": seed_pids[0]}, 201)
    huge_note = json.dumps({"note": "注" * (1 << 20)})  # 3 MB of UTF-8 in one JSON string
    r = client.patch(
        f"/api/collections/{cid}/items/{item['id']}",
        data=huge_note,
        content_type="application/json",
    )
    assert r.status_code == 413 and "请求内容过大" in r.get_json()["error"]["message"]
    csrf = form_token(client)
    r = client.post(f"/collections/{cid}/rename", data={"csrf": csrf, "name": "名" * (1 << 20)})
    assert r.status_code == 413 and "请求内容过大" in r.get_data(as_text=True)
    got = send(client, "GET", f"/api/collections/{cid}")
    assert got["name"] == "甲" and got["items"][0]["note"] == ""
    # just under the limit is read, and refused for what it says
    r = client.patch(
        f"/api/collections/{cid}/items/{item['id']}",
        data=json.dumps({"note": "x" * 200_000}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "note"


@pytest.mark.slow
def test_the_server_refuses_a_huge_body_before_it_arrives(seed_cfg, tmp_path):
    """300 MB announced, 10 bytes sent: the answer is 413 at once, nothing is waited for."""
    cfg = dataclasses.replace(
        seed_cfg, server=dataclasses.replace(seed_cfg.server, max_body_kb=256)
    )
    with served(cfg) as (url, app):
        app.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
        host, port = urlsplit(url).hostname, urlsplit(url).port
        with socket.create_connection((host, port), timeout=30) as sock:
            sock.sendall(
                b"POST /api/collections HTTP/1.1\r\n"
                + f"Host: {host}:{port}\r\n".encode()
                + b"Content-Type: application/json\r\n"
                + b"Content-Length: 314572800\r\n\r\n"
                + b'{"name": '
            )
            answer = sock.recv(65536).decode("utf-8", "replace")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]
        assert not (tmp_path / "collections.sqlite").exists()


def test_config_default_body_limit():
    assert Config().server.max_body_kb == 256
