"""Hypothesis over the web parameters of every endpoint: whatever arrives, never a 500.

Every rule of the app's URL map is fuzzed — a new endpoint is fuzzed without touching this
file, and the test fails if one is left out. Per rule and method, Hypothesis draws the path
parameters (real ids of the seed index and of a collection made for the run, and any text or
number), the query string (every parameter name the pages know, with any text), an
``If-Match`` header and, for writes, a body: JSON (any shape, or bytes that are not JSON) or a
form carrying a valid CSRF token, so the view itself runs. An answer must be below 500, and
an ``/api/`` error must be the JSON error object.

Each rule and method gets a fifth of the fuzz budget (tests/fuzz/conftest.py): 20 examples
in the ordinary run, 400 under `make fuzz`; ``KB_FUZZ_ROUTES=/collections/`` fuzzes only the
rules containing that text.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.core.config import AccessConfig
from kb.store.users import UserStore
from tests.fuzz.conftest import budget, count, fuzz_settings
from tests.support import form_token, send

ROUTE_SHARE = 0.2  # of the fuzz budget, per rule and method (46 of them)

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

# Every query and form parameter any page reads.
PARAMS = [
    "q", "mode", "limit", "page", "offset", "year", "year_from", "year_to", "province", "city",
    "county", "dept", "level", "section", "report", "concrete", "dedupe", "facets", "threshold",
    "p", "next", "back", "added", "passage_id", "collection", "name", "note", "direction",
    "version", "items", "password", "csrf",
]  # fmt: skip
JSON_KEYS = ["name", "note", "passage_id", "items", "version", "collection", "q"]

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # UTF-8 encodable
tricky = st.sampled_from(
    ["", " ", "0", "-1", "1e400", "NaN", "9" * 30, "/\t/evil.example", "//evil", "\x00",
     "/\n/x", "2022-2024", "2024-2022", "首违不罚", '"免罚 清单"', "-", "--", "lexical", "semantic",
     "hybrid", "true", "null", "[]", "{}", "%", "%zz", "\\", "0.895", "1.5", "up", "down", "new"]
)  # fmt: skip
# Places to go: a small grammar of the ways a path can be made to leave the site.
url_like = st.builds(
    lambda a, b, c: a + b + c,
    st.sampled_from(["/", "//", "\\", "/\\", "http://", "javascript:"]),
    st.sampled_from(["\n", "\t", "\r\n", "\x00", "\u2028", " ", "%0a", ""]),
    st.sampled_from(["/evil.example/x", "evil.example", "/collections", "x", ""]),
)
value = st.one_of(tricky, url_like, text, st.integers(-(2**70), 2**70).map(str))
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def world(seed_cfg, seed_searcher, tmp_path_factory):
    """The app on the seed index, a place for collections files, and real ids to aim at."""
    from web.app import create_app

    app = create_app(seed_cfg, seed_searcher)
    client = app.test_client()
    hits = send(client, "GET", "/api/search?q=首违不罚&mode=lexical")["hits"]
    ids = {
        "cid": [1],
        "item_id": [1, 2, 3, 4],  # the two items, and those the fuzzing adds
        "report_id": [h["report_id"] for h in hits] + [h["report"] for h in hits],
        "passage_id": [h["passage_id"] for h in hits],
        "filename": ["kb.css", "kb.js"],
    }
    return app, client, ids, tmp_path_factory.mktemp("fuzz")


def fresh_collections(app, client, ids: dict, path) -> None:
    """A new collections file holding collection 1 with items 1 and 2, so each route starts
    from the same state whatever the routes before it deleted."""
    app.config["KB_COLLECTIONS"] = str(path)
    col = send(client, "POST", "/api/collections", {"name": "模糊测试"}, 201)
    assert col["id"] == 1
    for pid in ids["passage_id"][:2]:
        send(client, "POST", "/api/collections/1/items", {"passage_id": pid}, 201)
    ids["share"] = [app.extensions["kb_collections"][str(path)].get(1).share_token]


def path_value(name: str, converter: str, ids: dict) -> st.SearchStrategy[str]:
    known = st.sampled_from(ids.get(name) or ["x"]).map(str)
    if converter == "IntegerConverter":
        return st.one_of(known, known, st.integers(0, 2**70).map(str))
    return st.one_of(known, known, value.filter(bool).map(lambda v: quote(v, safe="")))


def params(ids: dict) -> st.SearchStrategy[dict[str, str]]:
    """Every parameter name: absent a third of the time, else a value it accepts (a real passage
    id, an empty filter, a version that may be current) or anything at all. Valid values
    get most requests past validation, so the code behind it is fuzzed too."""
    valid = {
        "passage_id": st.sampled_from(ids["passage_id"]),
        "collection": st.sampled_from([*map(str, ids["cid"]), "new"]),
        "version": st.sampled_from(["", "3"]),
        "name": st.text("案例甲乙丙 ", min_size=1, max_size=8),
        "note": st.text("说明注 \n", max_size=20),
        "direction": st.sampled_from(["up", "down"]),
        "mode": st.sampled_from(["hybrid", "lexical", "semantic"]),
        "q": st.sampled_from(["首违不罚", "执法力量薄弱", '"免罚清单"', "-套话 执法"]),
        "year": st.sampled_from(["2023", "2022-2024"]),
        "limit": st.integers(1, 100).map(str),
        "page": st.integers(1, 5).map(str),
        "next": url_like,
        "back": url_like,
    }
    absent = st.none()
    each = {n: st.one_of(absent, valid.get(n, st.just("")), value) for n in PARAMS}
    return st.fixed_dictionaries(each).map(lambda d: {k: v for k, v in d.items() if v is not None})


def request_for(rule, method: str, ids: dict) -> st.SearchStrategy[dict]:
    parts = {
        name: path_value(name, type(conv).__name__, ids) for name, conv in rule._converters.items()
    }
    body = st.none()
    if method != "GET":
        json_body = params(ids).map(lambda d: {k: v for k, v in d.items() if k in JSON_KEYS}) | (
            st.fixed_dictionaries({}, optional={k: json_value for k in JSON_KEYS})
        )
        anything = st.one_of(
            st.none(),
            st.tuples(st.just("json"), json_body | json_value),
            st.tuples(st.just("raw"), st.binary(max_size=60)),
            st.tuples(st.just("form"), params(ids)),
        )
        # each kind of write gets mostly what it reads: JSON for the API, forms for the pages
        usual = ("json", json_body) if rule.rule.startswith("/api/") else ("form", params(ids))
        body = st.one_of(st.tuples(st.just(usual[0]), usual[1]), anything)
    return st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries(parts),
            "query": params(ids).map(lambda d: list(d.items())),
            "if_match": st.one_of(st.none(), st.none(), st.none(), value),
            "body": body,
        }
    )


def url_of(rule, path: dict[str, str]) -> str:
    url = rule.rule
    for name in rule._converters:
        for form in (f"<int:{name}>", f"<path:{name}>", f"<{name}>"):
            url = url.replace(form, path[name])
    return url


def send_fuzzed(client, rule, method: str, case: dict, csrf: str):
    headers = {}
    if case["if_match"] is not None:
        headers["If-Match"] = quote(case["if_match"], safe="\"'*/ ")
    kwargs: dict = {"query_string": case["query"], "headers": headers}
    body = case["body"]
    if body is not None:
        kind, content = body
        if kind == "json":
            kwargs["data"], kwargs["content_type"] = json.dumps(content), "application/json"
        elif kind == "raw":
            kwargs["data"], kwargs["content_type"] = content, "application/json"
        else:
            kwargs["data"] = {**content, "csrf": csrf}
    elif method != "GET" and not rule.rule.startswith("/api/"):
        kwargs["data"] = {"csrf": csrf}
    return client.open(url_of(rule, case["path"]), method=method, **kwargs)


def check(response, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code, response.get_data(True)[:500])
    if url.startswith("/api/") and response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["status"] == response.status_code and isinstance(error["message"], str)


def fuzz_route(client, rule, method: str, ids: dict, csrf: str, ran: Counter):
    """A Hypothesis test of one rule and method (made per route: @given takes no defaults)."""

    @fuzz_settings(ROUTE_SHARE)
    @given(case=request_for(rule, method, ids))
    def run(case):
        check(send_fuzzed(client, rule, method, case, csrf), rule.rule)
        count(f"web {method}")
        ran[(rule.rule, method)] += 1

    return run


def test_every_endpoint_answers_any_parameters_without_a_500(world):
    app, client, ids, tmp = world
    csrf = form_token(client, "/collections")
    routes = [(r, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}]
    assert len(routes) >= 45  # every page, JSON twin, export, form and API write of the app
    focus = os.environ.get("KB_FUZZ_ROUTES")  # e.g. "rename": fuzz only the matching rules
    if focus:
        routes = [(r, m) for r, m in routes if focus in r.rule]
    ran: Counter = Counter()
    for n, (rule, method) in enumerate(routes):
        fresh_collections(app, client, ids, tmp / f"collections-{n}.sqlite")
        fuzz_route(client, rule, method, ids, csrf, ran)()
    assert all(ran[(r.rule, m)] >= min(budget(ROUTE_SHARE), 5) for r, m in routes), ran


def test_sign_in_cookies_headers_and_forms_never_give_a_500(seed_cfg, seed_searcher, tmp_path):
    """Access control on: random session cookies, login forms and proxy user headers."""
    import dataclasses

    from web.app import create_app

    users = UserStore(tmp_path / "users.sqlite")
    users.add("alice", "alice-password")
    users.close()
    apps = {}
    for mode in ("accounts", "remote_user"):
        cfg = dataclasses.replace(seed_cfg, access=AccessConfig(mode=mode))
        app = create_app(cfg, seed_searcher)
        app.config["KB_COLLECTIONS"] = str(tmp_path / "collections.sqlite")
        app.config["KB_USERS"] = str(tmp_path / "users.sqlite")
        apps[mode] = app
    client = apps["accounts"].test_client()
    csrf = form_token(client, "/login")

    @settings(fuzz_settings(), max_examples=budget(0.1))
    @given(cookie=value, name=value, password=value, user=value, path=st.sampled_from(["/", "/collections", "/api/collections", "/api/session"]))  # fmt: skip
    def one(cookie, name, password, user, path):
        c = apps["accounts"].test_client()
        c.set_cookie("kb_session", quote(cookie, safe=""))
        check(c.get(path), path)
        c.set_cookie("kb_csrf", csrf)
        check(c.post("/login", data={"csrf": csrf, "name": name, "password": password}), "/login")
        proxied = apps["remote_user"].test_client()
        headers = {"X-Remote-User": quote(user, safe=" @.-_")}
        check(proxied.post("/api/collections", json={"name": name}, headers=headers), "/api/")
        count("web sign-in")

    one()
