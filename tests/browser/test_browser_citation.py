"""复制引用, excerpts and unknown issuers as a drafter meets them: waitress + Chromium (issue 14).

The site serves the seed reports plus two openings written for these tests: one that stops in
the middle of a word (its last passage is an excerpt: … and 节选) and one that never names its
issuer (shown as （发文机关未识别）, never as a file name, and counted as 未识别 by the facets).
The clipboard is read back from the browser, with clipboard permissions granted to the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import pytest

from tests.browser.test_browser import launched, opened, served  # skips without Chromium
from tests.support import seeds_plus

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CUT_NAME = "910_taoyuan_cut.txt"
CUT_URL = "http://www.taoyuan.gov.cn/tyxlyj/2025/0120/report.html"
CUT_REPORT = """\
桃源县林业局2024年法治政府建设工作情况报告
发布时间：2025-01-20
2024年，桃源县林业局坚持以习近平法治思想为指导，深入推进林业领域依法行政，全面提升林业执法规范化水平。现将有关情况报告如下：
一、主要举措和成效
（一）严格林业行政执法
全面落实行政执法公示制度、执法全过程记录制度和重大执法决定法制审核制度，全年办理林业行政案件37件，结案率百分之百。开展森林防火专项执法检查12次，推动林长制与行政执法深度融合，持续推进林业法治建
"""
NAMELESS_NAME = "911_nameless.txt"
NAMELESS_REPORT = """\
关于2023年度法治政府建设情况的报告
2023年，在县委、县政府的坚强领导下，我们坚持以习近平法治思想为指导，扎实推进依法行政。现将有关情况报告如下：
一、主要举措和成效
（一）推进政务公开标准化
围绕政务公开标准化规范化建设，全年主动公开政府信息一千二百余条，办理依申请公开四十件，均在法定期限内答复，群众满意度持续提升。
二、存在问题
一是政务公开专业人员不足；二是部分公开内容更新不够及时，信息发布审核流程有待进一步规范。
"""
# 发文机关. 标题[EB/OL]. (发布日期)[引用日期]. URL — each part optional but the type mark
GBT7714 = re.compile(
    r"^(?:(?P<org>[^.\s]+)\. )?(?P<title>[^\[]*)\[EB/OL\]\. "
    r"(?:\((?P<published>\d{4}-\d{2}-\d{2})\))?\[(?P<cited>\d{4}-\d{2}-\d{2})\]\."
    r"(?: (?P<url>https?://\S+))?$"
)
COPIED = "已复制段落和引用"


@pytest.fixture(scope="module")
def site(seed_cfg, tmp_path_factory):
    extra = {
        CUT_NAME: CUT_REPORT,
        f"{CUT_NAME}.meta.json": json.dumps({"source_url": CUT_URL}),
        NAMELESS_NAME: NAMELESS_REPORT,
    }
    cfg, summary = seeds_plus(seed_cfg, tmp_path_factory.mktemp("citation"), extra)
    assert sorted(summary.added) == [CUT_NAME, NAMELESS_NAME], summary.lines()
    with served(cfg) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:
        yield browser


@pytest.fixture
def page(chromium, site):
    with opened(chromium, site, viewport={"width": 1366, "height": 900}) as p:
        p.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
        yield p


def api(site: str, path: str, **query) -> dict:
    with urlopen(f"{site}{path}?{urlencode(query)}", timeout=60) as r:
        return json.load(r)


def search(page, query: str) -> None:
    page.goto("/?" + urlencode({"q": query, "mode": "lexical"}))


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def copy(page, scope) -> str:
    """Click 复制引用 in ``scope``; wait for its confirmation; what the clipboard then holds."""
    page.evaluate("navigator.clipboard.writeText('')")
    scope.locator("button.copy-cite").click()
    status = scope.locator(".copy-status")
    status.filter(has_text=COPIED).wait_for()
    assert status.inner_text() == COPIED
    return clipboard(page)


def test_copy_citation_on_a_hit_card(page, site):
    search(page, "首违不罚")
    card = page.locator("ol.hits article.hit").first
    pid = card.get_attribute("data-passage")
    hit = next(h for h in api(site, "/api/search", q="首违不罚", mode="lexical")["hits"]
               if h["passage_id"] == pid)  # fmt: skip
    text = copy(page, card)
    assert text == f"{hit['text']}\n{hit['citation']}"
    passage, cite = text.rsplit("\n", 1)
    m = GBT7714.match(cite)
    assert m, cite
    assert (m["org"], m["title"]) == (hit["org"], hit["title"] or "")
    assert m["cited"] == hit["citation"].split("[")[-1][:10]
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "copy-citation-card.png"))


def test_copy_citation_in_the_report_view(page, site):
    search(page, "首违不罚")
    card = page.locator("ol.hits article.hit").first
    pid = card.get_attribute("data-passage")
    with page.expect_navigation():
        card.locator("a.to-report").click()
    chosen = page.locator(".passage.selected")
    assert chosen.get_attribute("id") == f"p-{pid}"
    assert page.locator(".passage button.copy-cite").count() == 1  # on the chosen one only
    text = copy(page, chosen)
    hit = next(h for h in api(site, "/api/search", q="首违不罚", mode="lexical")["hits"]
               if h["passage_id"] == pid)  # fmt: skip
    assert text == f"{hit['text']}\n{hit['citation']}"
    assert GBT7714.match(text.rsplit("\n", 1)[1])
    ARTIFACTS.mkdir(exist_ok=True)
    chosen.screenshot(path=str(ARTIFACTS / "copy-citation-report.png"))


def test_an_excerpt_is_copied_with_an_ellipsis_and_exported_as_such(page, site):
    search(page, "林长制")
    card = page.locator("ol.hits article.hit").first
    assert card.locator(".hit-meta .org").inner_text() == "桃源县林业局"
    assert card.locator("p.snippet").inner_text().endswith("林业法治建…")
    text = copy(page, card)
    passage, cite = text.rsplit("\n", 1)
    assert passage.endswith("持续推进林业法治建…")
    m = GBT7714.match(cite)
    assert m and m["org"] == "桃源县林业局"
    assert m["title"] == "桃源县林业局2024年法治政府建设工作情况报告"
    assert (m["published"], m["url"]) == ("2025-01-20", CUT_URL)
    with page.expect_download() as info:
        page.locator("a.export-md").click()
    md = Path(info.value.path()).read_text(encoding="utf-8")
    assert "林业法治建…" in md and f"—— 节选自：{cite}" in md


def test_an_unknown_issuer_is_never_a_file_name(page, site):
    search(page, "依申请公开")
    card = page.locator("ol.hits article.hit").first
    assert card.locator(".hit-meta .org").inner_text() == "（发文机关未识别）"
    assert NAMELESS_NAME not in card.inner_text()
    cite = copy(page, card).rsplit("\n", 1)[1]
    m = GBT7714.match(cite)
    assert m and m["org"] is None and m["title"] == "关于2023年度法治政府建设情况的报告"

    page.goto("/")  # the start page lists the reports, and counts the unknown
    row = page.locator("table.reports tr", has_text="关于2023年度法治政府建设情况的报告")
    assert "（发文机关未识别）" in row.inner_text() and NAMELESS_NAME not in row.inner_text()
    unknown = page.locator(".facet[data-facet=province] li", has_text="未识别")
    assert unknown.locator(".n").inner_text() == "1"
    with page.expect_navigation():
        unknown.locator("a").click()
    assert parse_qs(urlsplit(page.url).query)["province"] == ["未识别"]
    rows = page.locator("table.reports tbody tr")
    assert rows.count() == 1 and "（发文机关未识别）" in rows.first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "unknown-issuer.png"))
