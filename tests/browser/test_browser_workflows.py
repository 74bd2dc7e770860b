"""The drafter's workflow in Chromium (issue 16): facets with several values, 只看具体做法 saying
what it hides, the keyboard (skip link, j/k) and the favicon, highlighting.

The site serves the seed reports plus 13 short reports of city 司法局 in 13 provinces
(``wide_cfg``), so the province and city facets have more values than a facet shows at once.
Built on a copy of the seed data dir: only the new reports are embedded.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.browser import test_browser
from tests.browser.test_browser import (
    api,
    download,
    follow,
    hits,
    opened,
    screenshot,
)
from tests.support import seeds_plus, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 900}
# (city, province) of the extra reports: with the seeds' 湖南 and 广东 the province facet has
# 14 values and the city facet 18, more than the 12 a facet shows before 更多.
CITIES = (
    ("长沙", "湖南"), ("南京", "江苏"), ("杭州", "浙江"), ("成都", "四川"), ("武汉", "湖北"),
    ("郑州", "河南"), ("济南", "山东"), ("福州", "福建"), ("南昌", "江西"), ("贵阳", "贵州"),
    ("昆明", "云南"), ("西安", "陕西"), ("兰州", "甘肃"),
)  # fmt: skip
CITY_REPORT = """\
{city}市司法局{year}年法治政府建设工作情况报告
市人民政府：
{year}年，我局认真贯彻落实法治政府建设各项部署，现将有关情况报告如下：
一、{year}年度推进法治政府建设的主要举措和成效
（一）推行包容审慎监管
{city}市对首次轻微违法行为依法不予处罚，全年办理首违不罚案件{n}件，编制{city}免罚清单一份。
（二）加强行政执法队伍建设
组织全市执法人员培训{n}期，开展{city}行政执法案卷评查。
二、存在的问题和不足
基层执法力量薄弱，{city}部分乡镇执法人员不足。
三、下一年度工作计划
继续推进{city}行政执法规范化建设。
{city}市司法局
{year}年1月10日
"""
SHOWN = 12  # facet values shown before 更多


@pytest.fixture(scope="module")
def wide_cfg(seed_cfg, tmp_path_factory):
    extra = {
        f"9{i:02d}_{city}.txt": CITY_REPORT.format(city=city, year=2022 + i % 3, n=i + 3)
        for i, (city, _province) in enumerate(CITIES)
    }
    cfg, summary = seeds_plus(seed_cfg, tmp_path_factory.mktemp("wide"), extra)
    assert len(summary.added) == len(CITIES) and not summary.skipped
    return cfg


@pytest.fixture(scope="module")
def site(wide_cfg):
    with served(wide_cfg) as (url, _app):
        yield url


browser = test_browser.browser  # the module's Chromium (a fixture)


@pytest.fixture
def page(browser, site):
    with opened(browser, site, viewport=DESKTOP, accept_downloads=True) as p:
        yield p


def multi_params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def visible_values(facet) -> list[str]:
    return [li.get_attribute("data-value") for li in facet.locator("li[data-value]").all()
            if li.is_visible()]  # fmt: skip


# -- facets --------------------------------------------------------------------------------------


def test_long_facet_folds_behind_more_and_has_a_filter_box(page):
    page.goto("/?" + urlencode({"q": "行政执法"}))
    city = page.locator("section.facet[data-facet=city]")
    every = city.locator("li[data-value]").evaluate_all("ls => ls.map(l => l.dataset.value)")
    assert len(every) > SHOWN
    assert visible_values(city) == every[:SHOWN]
    more = city.locator("details.more > summary")
    assert more.inner_text() == f"更多（{len(every) - SHOWN}）"
    more.click()
    assert visible_values(city) == every

    more.click()  # fold again, then find a folded value by typing
    folded = every[-1]
    box = city.locator("input.facet-filter")
    assert box.is_visible() and str(len(every)) in box.get_attribute("placeholder")
    box.fill(folded[:2])
    assert visible_values(city) == [v for v in every if folded[:2] in v]
    follow(page, city.locator(f"li[data-value='{folded}'] a"))
    assert multi_params(page)["city"] == [folded]
    assert {h["org"][:2] for h in hits(page)} == {folded[:2]}


def test_two_values_of_a_facet_are_or_ed_and_facets_and_ed(page, site, kb_cli, wide_cfg):
    page.goto("/?" + urlencode({"q": "行政执法"}))
    province = page.locator("section.facet[data-facet=province]")
    follow(page, province.locator("li[data-value='湖南省'] a"))
    assert multi_params(page)["province"] == ["湖南省"]
    # The province facet still offers the other provinces: it is counted without its own filter.
    assert province.locator("li[data-value='江苏省']").count() == 1
    assert province.locator("li.on").evaluate_all("ls => ls.map(l => l.dataset.value)") == [
        "湖南省"
    ]
    follow(page, province.locator("li[data-value='江苏省'] a"))
    assert multi_params(page)["province"] == ["湖南省", "江苏省"]  # repeated, in the URL
    follow(page, page.locator("section.facet[data-facet=dept] li[data-value='司法'] a"))
    state = multi_params(page)
    assert state == {"q": ["行政执法"], "province": ["湖南省", "江苏省"], "dept": ["司法"]}
    chips = page.locator(".chips a.chip:not(.clear)").all_inner_texts()
    assert [c.rstrip(" ×") for c in chips] == ["省份：湖南省", "省份：江苏省", "部门类别：司法"]

    twin = api(site, "/api/search?" + urlsplit(page.url).query + "&facets=1&limit=100")
    shown = hits(page)
    assert int(page.locator(".summary .total").inner_text()) == twin["total"] > 0
    assert [h["pid"] for h in shown] == [h["passage_id"] for h in twin["hits"][: len(shown)]]
    assert {h["province"] for h in twin["hits"]} == {"湖南省", "江苏省"}  # OR within a facet
    assert {h["dept_kind"] for h in twin["hits"]} == {"司法"}  # AND across facets
    assert twin["filters"] == {"province": "湖南省,江苏省", "dept": "司法"}

    # The CSV export and `kb search` with repeated flags give the same hits.
    _name, text = download(page, "a.export-csv")
    header, *rows = csv.reader(io.StringIO(text))
    assert [r[header.index("省份")] for r in rows] == [h["province"] for h in twin["hits"][:10]]
    run = kb_cli(wide_cfg.data_path, "search", "行政执法", "--province", "湖南省",
                 "--province", "江苏省", "--dept", "司法", "--json")  # fmt: skip
    assert run.code == 0, run
    cli = [json.loads(line) for line in run.out.splitlines()]
    assert [h["passage_id"] for h in cli] == [h["passage_id"] for h in twin["hits"][:10]]

    # Taking one value out keeps the other.
    follow(page, page.locator(".chips a.chip", has_text="江苏省"))
    assert multi_params(page)["province"] == ["湖南省"] and multi_params(page)["dept"] == ["司法"]
    page.go_back()

    # The trends page takes the same state and counts only those provinces.
    follow(page, page.locator(".summary a.to-trends"))
    assert multi_params(page)["province"] == ["湖南省", "江苏省"]
    assert len(page.locator(".chips a.chip:not(.clear)").all()) == 3
    trends = api(site, "/api/trends?" + urlsplit(page.url).query)
    assert {b["value"] for b in trends["counts"]["province"] if b["reports_total"]} == {
        "湖南省",
        "江苏省",
    }
    screenshot(page, "trends-two-provinces.png", full_page=True)


def test_concrete_only_says_how_many_results_it_hides(page):
    page.goto("/?" + urlencode({"q": "行政执法"}))
    total = int(page.locator(".summary .total").inner_text())
    toggle = page.locator(".concrete a.toggle")
    hidden = int(toggle.locator(".concrete-n strong").inner_text())
    assert "将隐藏" in toggle.inner_text() and 0 < hidden < total
    assert "套话段落" in toggle.get_attribute("title")
    rule = page.locator(".concrete details.concrete-rule")
    rule.locator("summary").click()
    assert "连续 8 个字" in rule.inner_text()

    follow(page, toggle)
    assert multi_params(page)["concrete"] == ["1"]
    assert int(page.locator(".summary .total").inner_text()) == total - hidden
    assert f"隐藏了 {hidden} 条套话段落" in page.locator(".concrete a.toggle").inner_text()


# -- keyboard and favicon -----------------------------------------------------------------------


def test_skip_link_and_j_k_reach_the_hits_from_the_keyboard(page):
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto("/?" + urlencode({"q": "行政执法"}))
    page.locator("body").click(position={"x": 1, "y": 300})  # the page, not the search box
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.textContent") == "跳到检索结果"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is inside the first hit
    cards = page.locator("article.hit")
    pid = page.evaluate("document.activeElement.closest('article.hit').dataset.passage")
    assert pid == cards.nth(0).get_attribute("data-passage")

    focused = "document.activeElement.dataset.passage"
    page.keyboard.press("j")
    assert page.evaluate(focused) == cards.nth(1).get_attribute("data-passage")
    page.keyboard.press("j")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == cards.nth(3).get_attribute("data-passage")
    page.keyboard.press("k")
    assert page.evaluate(focused) == cards.nth(2).get_attribute("data-passage")
    box = cards.nth(2).bounding_box()
    assert box["y"] >= 0 and box["y"] + 40 <= DESKTOP["height"]  # scrolled into view
    expected = cards.nth(2).locator("a.to-report").get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(expected)

    # Typing j in the search box types it.
    page.go_back()
    page.locator("form.search input[name=q]").focus()
    page.keyboard.press("End")
    page.keyboard.press("j")
    assert page.locator("form.search input[name=q]").input_value() == "行政执法j"
    assert page.evaluate("document.activeElement.name") == "q"
    assert not failed, failed  # no 404 in the console, favicon included

    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.goto(icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    response = page.goto("/favicon.ico")
    assert response.ok and response.url.endswith(icon)


# -- highlighting --------------------------------------------------------------------------------


def test_highlight_marks_typed_words_not_their_common_parts(page, site):
    page.goto("/?" + urlencode({"q": "行政执法 制度建设"}))
    marks = set(page.locator("ol.hits p.snippet mark").all_inner_texts())
    # The analyzer cuts both words into 行政 执法 制度 建设; only the typed words are marked.
    assert "行政执法" in marks and marks <= {"行政执法", "制度建设"}, marks
    twin = api(site, "/api/search", q="行政执法 制度建设")
    assert twin["terms"] == ["行政", "执法", "制度", "建设"]
    lexn = page.locator(".summary .lexn").inner_text()
    assert lexn == f"含检索词的段落 {twin['lexical_matches']} 个"

    page.goto("/?" + urlencode({"q": "执法人员培训"}))
    marks = set(page.locator("ol.hits p.snippet mark").all_inner_texts())
    assert "执法人员培训" in marks and "培训" not in marks and "执法" not in marks, marks

    page.goto("/?" + urlencode({"q": "执法"}))  # typed alone, a common word is marked
    assert set(page.locator("ol.hits p.snippet mark").all_inner_texts()) == {"执法"}


# -- the trainer: add in place, notes, order, undo -----------------------------------------------


def send_json(site: str, method: str, path: str, body: dict | None = None) -> dict:
    request = Request(f"{site}{path}", method=method, data=json.dumps(body or {}).encode(),
                      headers={"Content-Type": "application/json"})  # fmt: skip
    with urlopen(request, timeout=60) as r:
        return json.load(r)


def collection_of(site: str, name: str, query: str, n: int, notes: dict[int, str] = {}) -> dict:  # noqa: B006
    """A collection of the first ``n`` lexical hits of ``query``, made through the JSON API."""
    col = send_json(site, "POST", "/api/collections", {"name": name})
    found = api(site, "/api/search", q=query, mode="lexical", limit=n)["hits"]
    for i, hit in enumerate(found):
        body = {"passage_id": hit["passage_id"], "note": notes.get(i, "")}
        send_json(site, "POST", f"/api/collections/{col['id']}/items", body)
    return api(site, f"/api/collections/{col['id']}")


def item_pids(page) -> list[str]:
    return page.locator("ol.items > li.item").evaluate_all("ls => ls.map(l => l.dataset.passage)")


def test_add_to_collection_in_place_marks_the_card_and_keeps_the_place(page, site):
    page.goto("/?" + urlencode({"q": "首违不罚", "mode": "lexical"}))
    cards = page.locator("ol.hits article.hit")
    first, second = cards.nth(4), cards.nth(5)
    first.locator("details.collect > summary").scroll_into_view_if_needed()
    page.evaluate("window.__same_page = true")
    before = (page.url, page.evaluate("window.scrollY"))
    assert before[1] > 0

    first.locator("details.collect > summary").click()
    form = first.locator("form.collect-form")
    form.locator("input[name=name]").fill("首违不罚（就地加入）")
    form.locator("textarea[name=note]").fill("第一段")
    form.locator("button[type=submit]").click()
    mark = first.locator(".collected")
    mark.wait_for()
    assert mark.inner_text() == "已加入《首违不罚（就地加入）》 查看案例集"
    assert page.evaluate("window.__same_page") is True  # no page was loaded
    assert (page.url, page.evaluate("window.scrollY")) == before
    assert not first.locator("details.collect").evaluate("d => d.open")

    # The next card offers the new collection, filled in already (the page had none before).
    second.locator("details.collect > summary").click()
    assert second.locator("input[name=name]").input_value() == "首违不罚（就地加入）"
    second.locator("button[type=submit]").click()
    second.locator(".collected").wait_for()
    assert "《首违不罚（就地加入）》" in second.locator(".collected").inner_text()
    assert (page.url, page.evaluate("window.scrollY")) == before

    cols = api(site, "/api/collections")["collections"]
    col = next(c for c in cols if c["name"] == "首违不罚（就地加入）")
    items = api(site, f"/api/collections/{col['id']}")["items"]
    pids = [first.get_attribute("data-passage"), second.get_attribute("data-passage")]
    assert [i["passage_id"] for i in items] == pids
    assert [i["note"] for i in items] == ["第一段", ""]
    follow(page, first.locator(".collected a"))
    assert item_pids(page) == pids


def test_notes_save_each_on_their_own_and_leaving_unsaved_text_asks(page, site):
    col = collection_of(site, "说明自动保存", "首违不罚", 3)
    page.goto(f"/collections/{col['id']}")
    notes = page.locator("form.note-form")
    states = page.locator("form.note-form .note-state")
    assert states.all_inner_texts() == ["已保存"] * 3

    # The server cannot be reached: the note says it is not saved, and leaving asks first.
    def no_writes(route):
        route.abort() if route.request.method == "PATCH" else route.continue_()

    page.route("**/api/collections/**", no_writes)
    notes.nth(0).locator("textarea").fill("第一条的说明")
    states.nth(0).filter(has_text="未保存：").wait_for()
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_function("true")  # the page is still there: the dialog was dismissed
    assert asked == ["beforeunload"]

    # Back online: edit a second note, save the first with its button; both are kept.
    page.unroute("**/api/collections/**", no_writes)
    notes.nth(2).locator("textarea").fill("第三条的说明")
    notes.nth(0).locator("button[type=submit]").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.note-state')].every(s => s.dataset.state === 'saved')"
    )
    assert states.all_inner_texts() == ["已保存"] * 3
    saved = [i["note"] for i in api(site, f"/api/collections/{col['id']}")["items"]]
    assert saved == ["第一条的说明", "", "第三条的说明"]
    page.reload()
    values = notes.locator("textarea").evaluate_all("ts => ts.map(t => t.value)")
    assert values == saved


def test_reorder_is_one_request_and_remove_can_be_undone(page, site):
    col = collection_of(site, "顺序与撤销", "首违不罚", 4, notes={3: "放在最前"})
    order = [i["passage_id"] for i in col["items"]]
    page.goto(f"/collections/{col['id']}")
    page.evaluate("window.__same_page = true")
    writes: list[str] = []
    page.on("request", lambda r: writes.append(r.method) if r.method != "GET" else None)
    status = page.locator(".list-status .msg")

    last = page.locator("ol.items > li.item").nth(3)
    last.locator(".move-to input[name=position]").fill("1")
    last.locator(".move-to button").click()
    status.filter(has_text="顺序已保存").wait_for()
    moved = [order[3], *order[:3]]
    assert item_pids(page) == moved and writes == ["POST"]
    assert [i["passage_id"] for i in api(site, f"/api/collections/{col['id']}")["items"]] == moved
    nums = page.locator("ol.items .hit-meta .num").all_inner_texts()
    assert nums == ["1", "2", "3", "4"]

    page.locator("ol.items > li.item").nth(0).locator("button.down").click()
    page.wait_for_function("() => document.querySelector('.list-status .msg').textContent"
                           " === '顺序已保存' && window.__same_page")  # fmt: skip
    moved = [order[0], order[3], order[1], order[2]]
    assert item_pids(page) == moved and writes == ["POST", "POST"]

    # 移出 the item with the note, then 撤销: it is back at its place with its note.
    target = page.locator(f"ol.items > li.item[data-passage='{order[3]}']")
    target.locator("button.remove").click()
    status.filter(has_text="已移出第 2 条").wait_for()
    assert item_pids(page) == [order[0], order[1], order[2]]
    assert len(api(site, f"/api/collections/{col['id']}")["items"]) == 3
    page.locator(".list-status button.undo").click()
    status.filter(has_text="已撤销移出").wait_for()
    assert item_pids(page) == moved
    restored = page.locator(f"ol.items > li.item[data-passage='{order[3]}']")
    assert restored.locator("textarea[name=note]").input_value() == "放在最前"
    items = api(site, f"/api/collections/{col['id']}")["items"]
    assert [i["passage_id"] for i in items] == moved and items[1]["note"] == "放在最前"
    assert page.evaluate("window.__same_page") is True
    # The restored item's controls work: its note saves under its new id.
    restored.locator("textarea[name=note]").fill("放在第二")
    restored.locator(".note-state[data-state=saved]").wait_for()
    page.reload()
    assert item_pids(page) == moved
    assert page.locator("ol.items textarea").nth(1).input_value() == "放在第二"


# -- phone width ---------------------------------------------------------------------------------


CHART_FIT_JS = """svgs => svgs.map(svg => {
  const box = svg.getBoundingClientRect(), holder = svg.closest('.chart-box') || svg.parentElement;
  const labels = [...svg.querySelectorAll('text.lab, text.tick')];
  return { dim: svg.dataset.dim, right: box.right, scale: svg.getScreenCTM().a,
           sideways: holder.scrollWidth - holder.clientWidth,
           font: Math.min(...labels.map(t => parseFloat(getComputedStyle(t).fontSize))),
           clipped: labels.filter(t => t.getBoundingClientRect().right > box.right + 1
                                     || t.getBoundingClientRect().left < box.left - 1).length };
})"""


def test_trend_charts_fit_a_phone_with_legible_labels(browser, site):
    phone = {"width": 390, "height": 844}
    with opened(browser, site, viewport=phone, is_mobile=True, has_touch=True) as page:
        page.goto("/trends?" + urlencode({"q": "执法力量薄弱"}))
        charts = page.locator("svg.chart").evaluate_all(CHART_FIT_JS)
        assert {c["dim"] for c in charts} >= {"year", "province", "dept"}
        for chart in charts:
            assert chart["right"] <= phone["width"] - 8, chart  # inside the card, no scrolling
            assert chart["sideways"] <= 0, chart
            assert chart["scale"] >= 0.99 and chart["font"] >= 12, chart  # 12 px, not shrunk
            assert chart["clipped"] == 0, chart
        assert page.evaluate("document.scrollingElement.scrollWidth") <= phone["width"]
        screenshot(page, "trends-phone.png", full_page=True)
        page.goto("/compare?" + urlencode({"q": "首违不罚"}))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= phone["width"]
        screenshot(page, "compare-phone.png", full_page=True)
