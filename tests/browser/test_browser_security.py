"""Issue 15 in a real browser: return links that try to leave the site, and who may write.

Chromium, not the test client, decides where a link goes: it drops the tab in
``/\\t/evil.example`` and would then leave for evil.example. These tests click the links and
look at where the browser went. The access tests sign in through the login form, build a
collection from a hit and open its share link in a second, anonymous browser.
"""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from kb.core.config import AccessConfig
from kb.store.users import UserStore
from tests.browser.test_browser import launched, opened  # skips without Chromium
from tests.support import copy_kb, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FOREIGN_BACK = ["/\t/evil.example/x", "/\\evil.example", "//evil.example", "/\n/evil.example"]
LINKS_JS = "els => els.map(a => a.href)"


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:
        yield browser


def tab(chromium, base_url: str):
    return opened(chromium, base_url, viewport={"width": 1366, "height": 900})


def api(base_url: str, method: str, path: str, body: dict | None = None) -> dict:
    request = Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=60) as r:
        return json.load(r)


def click_and_wait(page, target) -> None:
    with page.expect_navigation():
        target.click()


# -- 8. open redirect --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(seed_cfg, tmp_path_factory):
    with served(copy_kb(seed_cfg, tmp_path_factory.mktemp("sec") / "kb")) as (url, _app):
        yield url


def test_the_return_link_never_leaves_the_site(chromium, site):
    hit = api(site, "GET", "/api/search?" + urlencode({"q": "首违不罚", "mode": "lexical"}))
    pid = hit["hits"][0]["passage_id"]
    cid = api(site, "POST", "/api/collections", {"name": "返回链接"})["id"]
    item = api(site, "POST", f"/api/collections/{cid}/items", {"passage_id": pid})
    origin = urlsplit(site).netloc
    with tab(chromium, site) as page:
        for back in FOREIGN_BACK:
            page.goto(f"/collections/{cid}?added={item['id']}&back={quote(back, safe='')}")
            link = page.locator(".notice a.back")
            assert link.inner_text() == "返回继续挑选"
            click_and_wait(page, link)
            assert urlsplit(page.url).netloc == origin and urlsplit(page.url).path == "/", (
                back,
                page.url,
            )
        # an attacker's link to the add page: after adding, no link on the page leaves the site
        page.goto(
            "/collections/add?"
            + urlencode({"passage_id": hit["hits"][1]["passage_id"], "next": FOREIGN_BACK[0]})
        )
        click_and_wait(page, page.locator("form.collect-form button[type=submit]"))
        assert urlsplit(page.url).path == f"/collections/{cid}"
        hrefs = page.locator("a[href]").evaluate_all(LINKS_JS)
        assert hrefs and all(urlsplit(h).netloc == origin for h in hrefs), hrefs


# -- 14. who may write ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_site(seed_cfg, tmp_path_factory):
    cfg = copy_kb(seed_cfg, tmp_path_factory.mktemp("acc") / "kb")
    cfg = dataclasses.replace(cfg, access=AccessConfig(mode="accounts"))
    users = UserStore(cfg.users_path)
    users.add("trainer", "培训师的密码-2024")
    users.add("colleague", "同事的密码-2024")
    users.close()
    with served(cfg) as (url, _app):
        yield url


def sign_in(page, name: str, password: str) -> None:
    page.goto("/")
    click_and_wait(page, page.locator("header .account a.login"))
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    click_and_wait(page, page.locator("form.login-form button[type=submit]"))


def test_a_trainer_shares_a_collection_that_colleagues_only_read(chromium, shared_site):
    with tab(chromium, shared_site) as visitor:
        visitor.goto("/?q=首违不罚&mode=lexical")
        assert visitor.locator("details.collect").count() == 0
        assert visitor.locator(".collect-login a").first.inner_text() == "登录后可加入案例集"

    with tab(chromium, shared_site) as trainer:
        sign_in(trainer, "trainer", "培训师的密码-2024")
        assert trainer.locator("header .account .user").inner_text() == "trainer"
        cookies = {c["name"]: c for c in trainer.context.cookies()}
        assert cookies["kb_session"]["httpOnly"] and cookies["kb_session"]["sameSite"] == "Lax"
        trainer.goto("/?q=首违不罚&mode=lexical")
        card = trainer.locator("ol.hits article.hit").first
        card.locator("details.collect > summary").click()
        card.locator("input[name=name]").fill("首违不罚培训")
        card.locator("textarea[name=note]").fill("培训要点")
        card.locator("form.collect-form button[type=submit]").click()  # added in place
        assert card.locator(".collected").inner_text().startswith("已加入《首违不罚培训》")
        click_and_wait(trainer, card.locator(".collected a"))
        collection_url = trainer.url.split("?")[0]
        share = trainer.locator("input.share-url").input_value()
        assert urlsplit(share).path.startswith("/shared/")

    with tab(chromium, shared_site) as colleague:
        sign_in(colleague, "colleague", "同事的密码-2024")
        colleague.goto(collection_url)
        assert "请向创建者索取分享链接" in colleague.locator(".error-page").inner_text()
        colleague.goto(share)
        assert colleague.locator("h1.collection-name").inner_text() == "首违不罚培训"
        assert "只能阅读和导出" in colleague.locator(".notice.readonly").inner_text()
        assert colleague.locator("form").evaluate_all("fs => fs.map(f => f.className)") == [
            "logout"
        ]
        assert colleague.locator(".note-text").inner_text() == "说明：培训要点"
        # a write forged from the colleague's browser is refused too
        status = colleague.evaluate(
            """cid => fetch('/api/collections/' + cid, {method: 'DELETE'}).then(r => r.status)""",
            int(urlsplit(collection_url).path.rsplit("/", 1)[1]),
        )
        assert status == 403
