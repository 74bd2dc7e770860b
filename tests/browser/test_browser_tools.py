"""The analyst, drafter and trainer tools as a user meets them: waitress + Chromium.

Trends (the chart for 执法力量薄弱 has a bar per seed year and its table agrees with the API),
compare (one passage per seed report), case collections (create from a hit, add a second
passage, export Markdown and .docx — the .docx read back with python-docx) and collections
surviving a full re-index. The app is served from a private copy of the seed data dir, so the
collections file lives where it would in production: ``<data_dir>/collections.sqlite``.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import docx
import pytest

from tests.browser.test_browser import launched, opened, served  # skips without Chromium
from tests.integration.test_compare import SEED_ORGS
from tests.support import CORPUS, copy_kb, ingest_and_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 60_000  # first semantic queries load the embedder on a shared 2-core machine
SEED_YEARS = ["2021", "2022", "2023", "2024", "2025"]
THEME = "执法力量薄弱"
EDITED = ("在编在岗仅占人员的29%", "在编在岗仅占人员的31%")  # one passage of seed 000


# -- a server on a private copy of the seed data, and Chromium -----------------------------------


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(seed_cfg, tmp_path_factory):
    with served(copy_kb(seed_cfg, tmp_path_factory.mktemp("tools") / "kb")) as (url, _app):
        yield url


def tab(chromium, base_url: str, **options):
    """A fresh desktop-sized browser context on the site (the browser tests' own helper: it
    fails the test on any uncaught JavaScript error)."""
    return opened(
        chromium,
        base_url,
        viewport={"width": 1366, "height": 900},
        accept_downloads=True,
        **options,
    )


@pytest.fixture
def page(chromium, site):
    with tab(chromium, site) as p:
        yield p


@pytest.fixture
def nojs_page(chromium, site):
    """The forms as they work without JavaScript (with it, 加入案例集 stays on the result list:
    see test_browser_workflows)."""
    with tab(chromium, site, java_script_enabled=False) as p:
        yield p


def get_json(base_url: str, path: str, **query) -> dict:
    with urlopen(f"{base_url}{path}?{urlencode(query)}", timeout=WAIT_MS / 1000) as r:
        return json.load(r)


def click_and_wait(page, target) -> None:
    with page.expect_navigation():
        target.click()


def query_of(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def fetch(page, link) -> tuple[str, Path]:
    """Click a download link: (suggested file name, where Playwright saved it)."""
    with page.expect_download() as waiting:
        link.click()
    return waiting.value.suggested_filename, Path(waiting.value.path())


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-picture
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def search_for(page, query: str, mode: str | None = None) -> None:
    page.goto("/?" + urlencode({"q": query, **({"mode": mode} if mode else {})}))


# -- trends --------------------------------------------------------------------------------------


YEAR_BARS_JS = """svg => [...svg.querySelectorAll('a.bar')].map(a => ({
  year: a.dataset.value, count: +a.dataset.count, href: a.getAttribute('href'),
  title: a.querySelector('title').textContent }))"""
TABLE_JS = """rows => rows.map(r => ({ value: r.dataset.value,
  reports: +r.querySelector('.reports').textContent, passages: +r.querySelector('.passages').textContent,
  total: +r.querySelector('.total').textContent }))"""


def test_trends_chart_has_a_bar_per_seed_year_and_the_table_matches_the_api(page, site):
    search_for(page, THEME)
    click_and_wait(page, page.locator(".summary a.to-trends"))
    assert urlsplit(page.url).path == "/trends" and query_of(page) == {"q": THEME}

    bars = page.locator("svg.chart[data-dim=year]").evaluate(YEAR_BARS_JS)
    assert [b["year"] for b in bars] == SEED_YEARS
    assert all(b["count"] >= 1 for b in bars), bars
    assert all(b["title"].startswith(b["year"]) for b in bars)
    box = page.locator("svg.chart[data-dim=year] a.bar").first.bounding_box()
    assert box["height"] > 20 and box["width"] > 20  # drawn, visible bars

    twin = get_json(site, "/api/trends", q=THEME)
    for dim in ("year", "province", "dept"):
        table = page.locator(f"table.trend-table[data-dim='{dim}'] tbody tr").evaluate_all(TABLE_JS)
        assert table == [
            {
                "value": b["value"],
                "reports": b["reports"],
                "passages": b["passages"],
                "total": b["reports_total"],
            }
            for b in twin["counts"][dim]
        ], dim
    # The bars show the share of reports in scope by default (占比), counts one click away.
    years = twin["counts"]["year"]
    assert [b["count"] for b in bars] == [round(b["share"] * 100, 1) for b in years]
    assert page.locator(".view-switch .view-current").inner_text() == "占比"
    assert "%" in page.locator("svg.chart[data-dim=year] .val").first.text_content()
    click_and_wait(page, page.locator(".view-switch a.view-count"))
    assert query_of(page) == {"q": THEME, "view": "count"}
    counted = page.locator("svg.chart[data-dim=year]").evaluate(YEAR_BARS_JS)
    assert [b["count"] for b in counted] == [b["reports"] for b in years]
    assert all("view=count" in b["href"] for b in counted)  # a bar keeps the view
    page.go_back()
    threshold = page.locator(".rule .threshold").inner_text()
    assert float(threshold) == twin["threshold"]
    assert "计数规则" in page.locator(".rule").inner_text()
    assert int(page.locator(".match-reports").inner_text()) == twin["totals"]["reports"]
    shot(page, "trends.png")

    # A bar lists the passages it counted.
    click_and_wait(page, page.locator("svg.chart[data-dim=year] a.bar[data-value='2024']"))
    assert query_of(page) == {"q": THEME, "year": "2024"} and page.url.endswith("#passages")
    listed = page.locator("#passages article.hit")
    expected = next(b for b in twin["counts"]["year"] if b["value"] == "2024")["passages"]
    assert listed.count() == expected
    assert set(listed.locator(".hit-meta .year").all_inner_texts()) == {"2024 年度"}
    assert page.locator("#passages .why-match .tag").count() >= expected

    # The table is also a download.
    page.goto("/trends?" + urlencode({"q": THEME}))
    name, path = fetch(page, page.locator("a.export-csv"))
    assert name.endswith(".csv")
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("维度,取值,匹配报告数") and len(lines) == 1 + sum(
        len(v) for v in twin["counts"].values()
    )


# -- compare -------------------------------------------------------------------------------------


def test_compare_lists_one_passage_per_seed_report(page, site, seed_searcher):
    search_for(page, THEME)
    click_and_wait(page, page.locator(".summary a.to-compare"))
    assert urlsplit(page.url).path == "/compare" and query_of(page)["q"] == THEME

    cards = page.locator(".compare-card")
    reports = cards.evaluate_all("cs => cs.map(c => c.dataset.report)")
    orgs = cards.locator(".hit-meta .org").all_inner_texts()
    assert len(reports) == len(set(reports)) == 5
    assert set(orgs) == SEED_ORGS and len(orgs) == 5
    twin = get_json(site, "/api/compare", q=THEME)
    assert reports == [h["report_id"] for g in twin["groups"] for h in g["hits"]]
    assert set(reports) == {rid for rid, _source, _meta in seed_searcher.reports()}
    kinds = page.locator(".compare-group").evaluate_all("gs => gs.map(g => g.dataset.section)")
    assert kinds == [g["section_kind"] for g in twin["groups"]]
    shot(page, "compare.png")

    name, path = fetch(page, page.locator("a.export-md"))
    assert name.endswith(".md")
    text = path.read_text(encoding="utf-8")
    cites = [ln for ln in text.splitlines() if ln.startswith(("—— 引自：", "—— 节选自："))]
    assert [c.split("：", 1)[1].split(". ")[0] for c in cites] == orgs


# -- case collections ----------------------------------------------------------------------------


def add_hit(page, card, note: str, new_name: str | None = None) -> None:
    """Open a hit's 加入案例集 control, fill it in and submit."""
    card.locator("details.collect > summary").click()
    form = card.locator("form.collect-form")
    if new_name:
        form.locator("input[name=name]").fill(new_name)
    form.locator("textarea[name=note]").fill(note)
    click_and_wait(page, form.locator("button[type=submit]"))


def test_collection_built_from_hits_exports_markdown_and_docx(nojs_page):
    page = nojs_page
    search_for(page, "首违不罚", mode="lexical")
    hits = page.locator("ol.hits article.hit")
    first_pid, second_pid = (hits.nth(i).get_attribute("data-passage") for i in (0, 1))
    first_text, second_text = (hits.nth(i).locator("p.snippet").inner_text() for i in (0, 1))

    add_hit(page, hits.nth(0), "首违不罚清单的做法", new_name="首违不罚案例")
    assert urlsplit(page.url).path.startswith("/collections/")
    assert "已加入案例集" in page.locator(".notice").inner_text()
    assert page.locator("h1.collection-name").inner_text() == "首违不罚案例"
    assert page.locator("li.item").count() == 1

    click_and_wait(page, page.locator(".notice a.back"))  # back to the same result list
    assert query_of(page) == {"q": "首违不罚", "mode": "lexical"}
    card = page.locator(f"article.hit[data-passage='{second_pid}']")
    assert card.locator("select[name=collection] option").all_text_contents() == [
        "首违不罚案例（1 条）"
    ]
    add_hit(page, card, "柔性执法的后续安排")
    items = page.locator("li.item")
    assert items.evaluate_all("ls => ls.map(l => l.dataset.passage)") == [first_pid, second_pid]
    assert items.locator("blockquote.saved").all_inner_texts() == [first_text, second_text]
    assert items.locator("textarea[name=note]").evaluate_all("ts => ts.map(t => t.value)") == [
        "首违不罚清单的做法",
        "柔性执法的后续安排",
    ]
    cites = items.locator("p.cite").all_inner_texts()
    shot(page, "collection.png")

    name, path = fetch(page, page.locator("a.export-md"))
    assert name.endswith(".md")
    md = path.read_text(encoding="utf-8")
    assert md.startswith("# 案例集：首违不罚案例")
    md_cites = [line for line in md.splitlines() if line.startswith(("—— 引自：", "—— 节选自："))]
    assert md_cites == cites
    assert "说明：首违不罚清单的做法" in md and "说明：柔性执法的后续安排" in md

    name, path = fetch(page, page.locator("a.export-docx"))
    assert name.endswith(".docx")
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    text = "\n".join(paragraphs)
    assert "案例集：首违不罚案例" in paragraphs
    assert first_text in paragraphs and second_text in paragraphs
    assert [p for p in paragraphs if p.startswith(("—— 引自：", "—— 节选自："))] == cites
    assert "说明：首违不罚清单的做法" in text and "说明：柔性执法的后续安排" in text


def test_collections_survive_a_full_reindex(chromium, seed_cfg, tmp_path):
    cfg = copy_kb(seed_cfg, tmp_path / "kb")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    with served(cfg) as (url, app), tab(chromium, url, java_script_enabled=False) as page:
        page.goto("/collections")
        page.locator("form.new-collection input[name=name]").fill("重建索引前")
        click_and_wait(page, page.locator("form.new-collection button"))
        collection = page.url
        for query in ("在编在岗仅占人员", "首违不罚"):
            search_for(page, query, mode="lexical")
            add_hit(page, page.locator("ol.hits article.hit").first, f"来自：{query}")
        before = page.locator("blockquote.saved").all_inner_texts()
        assert len(before) == 2 and "29%" in before[0]

        report = corpus / "000_b2dd20f029b9b4d9.txt"
        report.write_text(report.read_text(encoding="utf-8").replace(*EDITED), encoding="utf-8")
        _summary, build = ingest_and_index(app.config["KB_CFG"], corpus, force=True)
        assert build.build_id

        page.goto(collection)
        items = page.locator("li.item")
        assert items.locator("blockquote.saved").all_inner_texts() == before
        assert items.evaluate_all("ls => ls.map(l => l.dataset.status)") == ["changed", "ok"]
        assert "原文已变化" in items.nth(0).locator(".tag.changed").inner_text()
        assert items.nth(1).locator(".tag.changed").count() == 0
        assert app.config["KB_SEARCHER"].bundle.build_id == build.build_id
        shot(page, "collection-after-reindex.png")
