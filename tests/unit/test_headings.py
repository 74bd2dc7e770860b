"""Heading hierarchy of official documents: every numbering style, inline titles, repairs."""

from kb.core.textnorm import normalize
from kb.ingest.headings import cn_to_int, find_headings, heading_text


def _outline(text: str) -> list[tuple[int, str]]:
    t = normalize(text)
    return [(h.level, heading_text(h)) for h in find_headings(t)]


def test_chinese_numerals():
    assert [cn_to_int(s) for s in ["一", "九", "十", "十二", "二十", "二十三"]] == [
        1,
        9,
        10,
        12,
        20,
        23,
    ]


def test_four_levels_full_width():
    text = "一、主要举措\n（一）强化领导\n1．建立机制\n（1）制定方案\n正文。"
    assert _outline(text) == [
        (1, "一、主要举措"),
        (2, "（一）强化领导"),
        (3, "1. 建立机制"),
        (4, "（1）制定方案"),
    ]


def test_half_width_punctuation():
    text = "一.主要举措\n(一)强化领导\n1.建立机制\n(1)制定方案\n正文。"
    assert [lvl for lvl, _ in _outline(text)] == [1, 2, 3, 4]
    assert _outline(text)[1] == (2, "（一）强化领导")


def test_arabic_with_dun_and_space():
    text = "一、主要举措\n1、 推进普法\n2. 深化改革\n正文。"
    assert _outline(text) == [(1, "一、主要举措"), (2, "1、推进普法"), (2, "2. 深化改革")]


def test_inline_heading_title_split_from_body():
    t = normalize(
        "（一）强化统筹引领，构建法治建设责任闭环。坚持把法治政府建设作为一把手工程，纳入全办核心工作。"
    )
    (h,) = find_headings(t)
    assert h.title == "强化统筹引领，构建法治建设责任闭环"
    assert t[h.body_start :].startswith("坚持把法治政府建设")


def test_inline_heading_with_colon():
    t = normalize(
        "1. 行政执法公示提质扩面:优化全流程公示体系，动态更新事项清单及办事指南，新增公示专栏。"
    )
    (h,) = find_headings(t)
    assert h.title == "行政执法公示提质扩面"
    assert t[h.body_start :].startswith("优化全流程公示体系")


def test_numbered_paragraph_without_title():
    body = "将习近平法治思想和党的二十大报告关于全面依法治国相关内容纳入局党组理论学习中心组学习计划并组织专题学习研讨三次以上形成学习成果。"
    (h,) = find_headings(normalize("1." + body))
    assert h.title == ""
    assert heading_text(h) == "1."


def test_first_level_typed_as_arabic_is_repaired():
    text = "1、主要举措和成效\n（一）健全机制\n正文。\n二、党政主要负责人履职情况\n正文。\n三、存在问题和原因\n正文。"
    assert _outline(text) == [
        (1, "1、主要举措和成效"),
        (2, "（一）健全机制"),
        (1, "二、党政主要负责人履职情况"),
        (1, "三、存在问题和原因"),
    ]


def test_arabic_top_level_document():
    text = "1、工作开展情况\n（一）强化领导\n（二）规范执法\n2、存在问题\n（一）力量薄弱\n3、下一步计划\n正文。"
    levels = _outline(text)
    assert levels[0] == (1, "1、工作开展情况")
    assert levels[1] == (2, "（一）强化领导")
    assert levels[3] == (1, "2、存在问题")


def test_not_headings():
    t = normalize("2024年，我局坚持依法行政。\n1.5万元用于培训。\n一是加强学习；二是规范执法。")
    assert find_headings(t) == []


def test_inline_headings_in_document_without_line_breaks():
    flat = (
        "2025年，开平市应急管理局坚持依法行政，实现了零投诉、零复议、零诉讼。" * 60
        + " 一、加强法治政府建设的组织领导 市应急管理局成立领导小组。"
        + " 二、全面提升法治素养 局领导班子认真组织学习。"
        + " 三、主要负责人履行职责 一是加强组织部署。二是坚持党委研究重大事项。"
    )
    outline = _outline(flat)
    assert outline == [
        (1, "一、加强法治政府建设的组织领导"),
        (1, "二、全面提升法治素养"),
        (1, "三、主要负责人履行职责"),
    ]
