"""Markdown exports make no live link out of report text (issue 15, item 12).

A report whose text carries Markdown links to ``javascript:`` and ``data:`` (inline, image,
reference definitions — one aimed at the ``[EB/OL]`` of every GB/T 7714 citation —
autolink, a backslash before the bracket) and whose sidecar names a source URL with link
syntax in it is ingested next to the seeds; every Markdown export (/export.md, /compare.md,
/collections/<id>.md) is then read by a CommonMark parser with its own link filter switched
off, and the only links allowed are http(s) ones.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

from kb.render.citation import citation
from kb.render.markdown import md_text, quotation
from tests.support import CORPUS, ingest_and_index, send

HOSTILE_LINKS = [
    "[点此查看](javascript:alert(1))",
    "![图片](javascript:alert(2))",
    "[下载](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "\\[转义](javascript:alert(3))",
    "[[嵌套]](javascript:alert(4))",
    "<javascript:alert(5)>",
    "[引用][evil]",
]
DEFINITION = "[evil]: javascript:alert(6)"
CITATION_TRAP = "[EB/OL]: javascript:alert(10)"  # every citation has an [EB/OL]
SOURCE_URL = "http://example.gov.cn/report>[源](javascript:alert(7))"
WORD = "链接安全"  # found only in the hostile report

HOSTILE_REPORT = f"""\
青溪县网络安全局2023年法治政府建设工作情况报告
县人民政府:
2023年,我局围绕{WORD}和政务数据安全,扎实推进法治政府建设。现将有关情况报告如下:
一、2023年度推进法治政府建设的主要举措和成效
(一)开展{WORD}检测
一是排查网站上的可疑链接,如{HOSTILE_LINKS[0]}、{HOSTILE_LINKS[1]}、{HOSTILE_LINKS[2]}等写法,均已清除并复测通过。
二是检查转义写法{HOSTILE_LINKS[3]}和嵌套写法{HOSTILE_LINKS[4]},以及{HOSTILE_LINKS[5]}这样的自动链接,落实{WORD}责任制。
{DEFINITION}
{CITATION_TRAP}
三是清理引用式链接{HOSTILE_LINKS[6]},全年开展{WORD}培训3次。
二、存在的问题和不足
一是{WORD}专业人才不足;二是部分单位整改不够及时。
三、下一年度工作计划
一是持续开展{WORD}检测,二是加强数据安全法治宣传教育。
青溪县网络安全局
2024年1月15日
"""


def links(markdown: str) -> list[str]:
    """Every link and image target a CommonMark reader would make live (no URL filtering:
    markdown-it would drop javascript: itself, which would hide an export's fault)."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    found: list[str] = []

    def walk(tokens):
        for t in tokens:
            if t.type == "link_open":
                found.append(t.attrGet("href"))
            elif t.type == "image":
                found.append(t.attrGet("src"))
            if t.children:
                walk(t.children)

    walk(md.parse(markdown))
    return found


def rendered_text(markdown: str) -> str:
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    return md.render(markdown)


# -- md_text and quotation, alone ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        *HOSTILE_LINKS,
        DEFINITION,
        f"{DEFINITION}\n\n[引用][evil]",
        f"- {CITATION_TRAP}\n\n[EB/OL]",  # a definition inside a list item
        f"1. {DEFINITION}\n\n[引用][evil]",
        "[a\\](javascript:alert(13))",  # a backslash typed before the bracket
    ],
)
def test_link_syntax_in_text_stays_text(text):
    assert links(f"> {md_text(text)}\n") == []
    assert links(f"{md_text(text)}\n") == []


def test_text_reads_as_typed():
    text = "《条例》第[3]条 & <b>加粗</b> \\ 首违不罚 [EB/OL]. (2024-01-05)[2025-03-01]."
    assert md_text(text).startswith("《条例》第[3]条 &amp; &lt;b&gt;")  # brackets as written
    html = rendered_text(md_text(text))
    assert (
        "《条例》第[3]条 &amp; &lt;b&gt;加粗&lt;/b&gt; \\ 首违不罚 [EB/OL]. (2024-01-05)[2025-03-01]."
        in html
    )


def test_a_definition_in_the_text_cannot_make_the_citation_a_link():
    hit = {"org": "甲县", "title": "报告", "pub_date": "2024-01-05", "source_url": SOURCE_URL}
    md = "\n".join(quotation(f"正文\n{CITATION_TRAP}\n[2025-03-01]: javascript:x", citation(hit)))
    assert "[EB/OL]" in md and "[EB/OL]" in rendered_text(md) and links(md) == []


# -- every export of the app ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_cfg(seed_cfg, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("md-corpus")
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    report = corpus / "901_links.txt"
    report.write_text(HOSTILE_REPORT, encoding="utf-8")
    (corpus / "901_links.txt.meta.json").write_text(
        json.dumps({"source_url": SOURCE_URL}), encoding="utf-8"
    )
    cfg = dataclasses.replace(seed_cfg, data_dir=str(tmp_path_factory.mktemp("md") / "kb"))
    shutil.copytree(seed_cfg.data_path, cfg.data_path)
    summary, _ = ingest_and_index(cfg, corpus)
    assert summary.added == [report.name], summary.lines()
    return cfg


@pytest.fixture(scope="module")
def hostile_client(hostile_cfg, tmp_path_factory):
    from web.app import create_app

    app = create_app(hostile_cfg)
    app.config["KB_COLLECTIONS"] = str(tmp_path_factory.mktemp("md-col") / "c.sqlite")
    yield app.test_client()
    app.config["KB_SEARCHER"].close()


@pytest.mark.slow
def test_no_markdown_export_makes_a_live_link_from_report_text(hostile_client):
    client = hostile_client
    hits = send(client, "GET", f"/api/search?q={WORD}&mode=lexical&limit=20")["hits"]
    hostile = [h for h in hits if h["report"] == "901_links.txt"]
    texts = "\n".join(h["text"] for h in hostile)
    # (the parser turns "!" after Chinese text into "！"; every link is still there)
    assert all(f"javascript:alert({n})" in texts for n in range(1, 7)) and DEFINITION in texts
    assert "[引用][evil]" in texts and "(data:text/html;base64," in texts
    cid = send(client, "POST", "/api/collections", {"name": "[讲义](javascript:alert(8))"}, 201)
    for h in hostile:
        body = {"passage_id": h["passage_id"], "note": "[说明](javascript:alert(9))"}
        send(client, "POST", f"/api/collections/{cid['id']}/items", body, 201)

    exports = {
        "/export.md": client.get(f"/export.md?q={WORD}&mode=lexical&limit=20"),
        "/compare.md": client.get(f"/compare.md?q={WORD}"),
        "/collections/<id>.md": client.get(f"/collections/{cid['id']}.md"),
    }
    for name, r in exports.items():
        assert r.status_code == 200, name
        md = r.get_data(as_text=True)
        assert "](javascript:alert(" in md, name  # the report's words are quoted, as text
        made = links(md)
        # the citations write source URLs as text: whatever a reader links, it is http(s)
        assert all(urlsplit(u).scheme in ("http", "https") for u in made), (name, made)
        assert "[EB/OL]" in rendered_text(md), name
