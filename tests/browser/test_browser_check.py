"""对照检查 in Chromium: paste a draft and see peers, gaps and 套话 marks; upload a .docx;
export Markdown and Word; an oversized upload refused. Screenshots (desktop and phone) go
to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_browser import DESKTOP, PHONE, launched, opened, served

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SOURCE = "000_b2dd20f029b9b4d9.txt"
FORMULA = (
    "（三）加强组织领导\n坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，"
    "深入学习贯彻习近平法治思想，在市委、市政府的坚强领导下，扎实推进法治政府建设各项工作。"
)


@pytest.fixture(scope="module")
def chromium():
    with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(seed_cfg):
    with served(seed_cfg) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def draft(seed_searcher) -> str:
    """Seed 000's 主要举措和成效 section, plus a paragraph of formulas."""
    from kb.draftcheck.evaluate import draft_text, section_of

    rid = next(r for r, source, _m in seed_searcher.reports() if source == SOURCE)
    report = seed_searcher.store.get_report(rid)
    return draft_text(report, section_of(report, "主要举措和成效")[:4], []) + "\n" + FORMULA


def submit(page) -> None:
    with page.expect_navigation():
        page.click("button.check-submit")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_pasted_draft_shows_peers_gaps_and_boilerplate(chromium, site, draft, viewport):
    with opened(chromium, site, viewport=viewport, accept_downloads=True) as page:
        page.goto("/check")
        assert "草稿不会被保存" in page.inner_text(".privacy")
        page.fill("#draft-text", draft)
        page.select_option("select[name=dept]", "应急管理")
        submit(page)
        assert page.url.endswith("/check")  # the draft is not in the URL
        paras = page.locator("section.check-para")
        assert paras.count() >= 5
        name = "desktop" if viewport == DESKTOP else "phone"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".check-summary").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"check-{name}.png"), full_page=False)
        first = paras.first
        assert first.locator(".peer-card").count() >= 1
        assert first.locator(".tag.rel").first.inner_text() in ("相同做法", "更具体")
        assert first.locator("button.copy-cite").count() >= 1
        assert page.locator(".check-para.boilerplate .bp-warning").count() >= 1
        assert "套话提示" in page.locator(".check-para.boilerplate").last.inner_text()
        assert page.locator("#gaps .gap-group").count() >= 1
        if page.locator("#gaps li.gap").count():
            assert "份报告提到" in page.locator("#gaps li.gap").first.inner_text()
        other = page.locator("details.other-peers").first
        if other.count():
            other.locator("summary").first.click()
            assert other.locator(".peer-card").first.is_visible()
        page.locator("#gaps").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"check-gaps-{name}.png"), full_page=False)
        if viewport == DESKTOP:
            with page.expect_download() as md:
                page.click("button.export-md")
            text = Path(md.value.path()).read_text(encoding="utf-8")
            assert text.startswith("# 对照检查结果") and "[EB/OL]" in text
            with page.expect_download() as word:
                page.click("button.export-docx")
            import docx

            doc = docx.Document(word.value.path())
            assert any("同类报告提到而草稿没有写到" in p.text for p in doc.paragraphs)


def test_an_uploaded_docx_is_checked(chromium, site, draft, tmp_path):
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    for line in draft.splitlines():
        doc.add_paragraph(line)
    path = tmp_path / "草稿.docx"
    doc.save(str(path))
    with opened(chromium, site, viewport=DESKTOP) as page:
        page.goto("/check")
        page.set_input_files("input[name=file]", str(path))
        submit(page)
        assert page.locator("section.check-para").count() >= 5
        assert page.locator(".peer-card").count() >= 1


def test_an_oversized_upload_is_refused(chromium, site, tmp_path):
    path = tmp_path / "大草稿.txt"
    path.write_bytes(b"a" * (5 * 1024 * 1024 + 100))
    with opened(chromium, site, viewport=DESKTOP) as page:
        page.goto("/check")
        page.set_input_files("input[name=file]", str(path))
        submit(page)
        assert "上传的草稿过大（上限 5 MB）" in page.inner_text(".alert")
        page.screenshot(path=str(ARTIFACTS / "check-too-large.png"))
