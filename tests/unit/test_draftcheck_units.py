"""对照检查 pieces that need no index: draft parsing, peer labels, clustering, boilerplate
scoring of an unindexed text, reading an upload, the options a drafter states, exports."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from indexer.boilerplate import GramStats, boilerplate_scores
from kb.draftcheck.check import DraftError
from kb.draftcheck.cli import MAX_DRAFT_BYTES, options_from, read_draft
from kb.draftcheck.draft import parse_draft
from kb.draftcheck.gaps import spherical_kmeans
from kb.draftcheck.peers import MORE_SPECIFIC, SAME, facts, one_per_report, relation
from kb.render.draftcheck import to_docx, to_markdown

DRAFT = """关于2024年度法治政府建设工作情况的报告
2024年，我局坚持以习近平法治思想为指导，扎实推进法治政府建设。现将有关情况报告如下：
一、主要举措和成效
（一）加强学习。将习近平法治思想纳入局党委理论学习中心组学习内容，全年开展专题学习6次，邀请党校专家授课2次。
（二）规范执法。严格落实行政执法“三项制度”，全年重大执法决定法制审核45件，开展案卷评查2次。
二、存在的问题
执法人员专业素质有待提高，基层执法力量薄弱，信息化水平不高。
三、下一步工作安排
持续推进执法规范化建设，加强执法人员培训，力争全年培训不少于8次。
"""


def test_a_draft_is_cut_and_classified_like_a_report():
    d = parse_draft(DRAFT)
    kinds = [p.section_kind for p in d.paragraphs]
    assert "主要举措和成效" in kinds and "存在问题" in kinds and "下一步工作安排" in kinds
    assert d.kinds.index("主要举措和成效") < d.kinds.index("下一步工作安排")
    study = next(p for p in d.paragraphs if "理论学习中心组" in p.text)
    assert study.heading_path[0].startswith("一、") and study.section_kind == "主要举措和成效"
    assert d.meta.year == 2024
    assert d.field_sources()["year"] == "推断"


def test_what_the_drafter_states_wins_and_is_marked_as_stated():
    d = parse_draft(DRAFT, {"dept_kind": "司法", "year": 2023, "level": "县"})
    assert (d.meta.dept_kind, d.meta.year, d.meta.level) == ("司法", 2023, "县")
    assert set(d.field_sources().values()) == {"填写"}


def test_a_draft_without_headings_is_one_section_read_from_its_vocabulary():
    text = "执法人员专业素质有待提高，基层执法力量薄弱，信息化水平不高，法治宣传的针对性不足，短板明显。"
    assert {p.section_kind for p in parse_draft(text).paragraphs} == {"存在问题"}
    forced = parse_draft(text, section_kind="下一步工作安排")
    assert {p.section_kind for p in forced.paragraphs} == {"下一步工作安排"}


def test_a_peer_with_facts_where_the_draft_is_generic_is_more_specific():
    generic = "加强执法队伍建设，提升执法人员能力水平。"
    concrete = "组织执法人员参加省市培训8次，新增持证执法人员12名，印发《执法人员管理办法》。"
    assert facts(concrete) == 3 and facts(generic) == 0
    assert relation(generic, 0.3, concrete, 0.3) == MORE_SPECIFIC
    assert relation(generic, 0.7, generic, 0.4) == MORE_SPECIFIC  # far less formulaic
    assert relation(concrete, 0.2, generic, 0.3) == SAME
    assert relation(generic, 0.3, "加强执法队伍建设。", 0.3) == SAME


def test_one_passage_per_report_keeps_order():
    codes = np.array([0, 1, 1, 2, 3])
    fused = [(2, 0.9), (1, 0.8), (0, 0.7), (3, 0.6), (4, 0.5)]
    assert one_per_report(fused, codes, 3) == [(2, 0.9), (0, 0.7), (3, 0.6)]


def test_kmeans_separates_two_directions_and_is_deterministic():
    rng = np.random.default_rng(1)
    a = np.array([1.0, 0, 0]) + 0.05 * rng.standard_normal((10, 3))
    b = np.array([0, 1.0, 0]) + 0.05 * rng.standard_normal((10, 3))
    x = np.vstack([a, b]).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = spherical_kmeans(x, 2)
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1
    assert labels[0] != labels[10]
    assert np.array_equal(labels, spherical_kmeans(x, 2))


def test_an_unindexed_text_is_scored_like_an_indexed_one():
    formula = "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实习近平法治思想"
    corpus = [
        (f"r{i}", f"{formula}，本单位第{i}项具体工作：{'甲乙丙丁戊己庚辛'[i]}类事项办理。")
        for i in range(8)
    ]
    stats = GramStats(corpus)
    assert stats.reports == 8
    assert stats.score(corpus[3][1]) == pytest.approx(float(boilerplate_scores(corpus)[3]))
    assert stats.score(formula) > 0.9
    assert stats.score("首次在山区村居试点无人机巡查火情，发现隐患十一处。") == 0.0


def test_upload_reading_uses_the_ingest_readers_and_limits():
    text, _hints = read_draft("草稿.txt", DRAFT.encode("gb18030"))
    assert "理论学习中心组" in text
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    for line in DRAFT.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    text, _ = read_draft("草稿.docx", buf.getvalue())
    assert "三项制度" in text
    with pytest.raises(DraftError, match=r"\.txt 和 \.docx"):
        read_draft("草稿.pdf", b"%PDF-1.4")
    with pytest.raises(DraftError, match="文件过大"):
        read_draft("草稿.txt", b"a" * (MAX_DRAFT_BYTES + 1))
    with pytest.raises(DraftError, match="文件为空"):
        read_draft("草稿.txt", b"   ")


def test_stated_options_are_checked():
    o = options_from("应急管理", "市", 2024, None)
    assert (o.dept_kind, o.level, o.year) == ("应急管理", "市", 2024)
    assert options_from("", " ", None, None).stated() == {}
    with pytest.raises(DraftError, match="部门类别"):
        options_from("外星事务", None, None, None)
    with pytest.raises(DraftError, match="行政层级"):
        options_from(None, "村", None, None)
    with pytest.raises(DraftError, match="年度"):
        options_from(None, None, 1800, None)


def _body(text: str) -> dict:
    peer = {
        "text": "见[链接](javascript:alert(1))与<b>标签</b>",
        "truncated": False,
        "org": "某市应急管理局",
        "year": 2023,
        "title": "某市应急管理局2023年法治政府建设年度报告",
        "source_url": "https://example.gov.cn/a.html",
        "citation": "某市应急管理局. 某市应急管理局2023年法治政府建设年度报告[EB/OL]. [2025-01-01]. https://example.gov.cn/a.html",
        "relation": MORE_SPECIFIC,
    }
    para = {
        "index": 0,
        "text": text,
        "section_kind": "主要举措和成效",
        "heading_path": ["一、主要举措和成效"],
        "boilerplate": 0.8,
        "boilerplate_warning": True,
        "advice": "建议补充具体做法。",
        "peers": [peer],
        "other_peers": [],
    }
    gap = {"terms": ["法律顾问", "合法性审查"], "reports": 7, "passages": 9, "examples": [peer]}
    return {
        "draft": {
            "chars": len(text),
            "paragraphs": 1,
            "dept_kind": "应急管理",
            "level": None,
            "year": 2024,
        },
        "paragraphs": [para],
        "gaps": [
            {
                "section_kind": "主要举措和成效",
                "dept_kind": "应急管理",
                "pool_reports": 12,
                "items": [gap],
            }
        ],
        "boilerplate_warnings": 1,
    }


def test_exports_quote_draft_and_peers_inertly_and_carry_citations():
    body = _body("草稿里的[x](javascript:alert(1))和<script>")
    md = to_markdown(body)
    assert not re.search(r"(?<!\\)\]\(javascript", md)  # every ]( is escaped: no link
    assert "[x\\](javascript" in md and "<script>" not in md and "<b>" not in md
    assert "[EB/OL]" in md and "https://example.gov.cn/a.html" in md
    assert "【更具体】" in md and "法律顾问、合法性审查：7 份同类报告提到" in md
    assert "套话提示" in md and "未保存" in md
    docx = pytest.importorskip("docx")
    doc = docx.Document(io.BytesIO(to_docx(body)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "法律顾问、合法性审查：7 份同类报告提到" in text and "套话提示" in text
    assert doc.sections[0].page_width.mm == pytest.approx(210, abs=1)
