"""Passages: contiguous, sentence-aligned, sized, headings kept out, ids stable."""

from kb.core.textnorm import normalize
from kb.ingest.passages import HARD_MAX_CHARS, MAX_CHARS, MIN_CHARS, split_passages
from kb.ingest.sections import build_sections

ITEM = "是推进执法规范化建设，严格落实行政执法公示、执法全过程记录和重大执法决定法制审核制度，全年审核重大执法决定四十五件"


def _passages(text: str, rid: str = "r1"):
    t = normalize(text)
    return t, split_passages(rid, t, build_sections(t, 0, len(t)))


def _doc() -> str:
    items = "；".join(f"{n}{ITEM}" for n in "一二三四五六七八")
    return (
        "一、主要举措和成效\n（一）严格规范行政执法\n" + items + "。\n"
        "（二）深化普法宣传\n结合安全生产月开展集中宣传活动三场次，发放普法手册四千余份，现场解答群众咨询二百余人次。\n"
        "二、存在问题\n执法力量相对薄弱，全局执法人员在编在岗仅占百分之二十九，存在人少事多矛盾。\n"
    )


def test_passages_are_exact_slices_with_offsets():
    t, ps = _passages(_doc())
    for p in ps:
        assert t[p.start : p.end] == p.text


def test_headings_stay_out_of_bodies_but_in_paths():
    _, ps = _passages(_doc())
    assert all("一、主要举措" not in p.text and "（二）深化普法宣传" not in p.text for p in ps)
    assert ps[0].heading_path == ["一、主要举措和成效", "（一）严格规范行政执法"]
    assert ps[-1].heading_path == ["二、存在问题"]
    assert ps[-1].section_kind == "存在问题"


def test_long_sections_split_at_items_never_mid_sentence():
    t, ps = _passages(_doc())
    first_section = [p for p in ps if p.heading_path[-1] == "（一）严格规范行政执法"]
    assert len(first_section) >= 2
    for p in first_section:
        assert p.text[0] in "一二三四五六七八" and p.text[1] == "是"  # starts at an item
        assert p.text[-1] in "；。"  # ends at a clause end
        assert MIN_CHARS <= len(p.text) <= MAX_CHARS


def test_tiny_tail_is_merged_into_its_neighbour():
    long = "。".join(["严格落实行政执法三项制度，全面规范执法行为，公示执法信息一百二十三条"] * 12)
    t, ps = _passages("一、主要举措\n" + long + "。特此说明。")
    assert not any(p.text == "特此说明。" for p in ps)
    assert all(len(p.text) <= HARD_MAX_CHARS for p in ps)


def test_ids_are_stable_and_unique():
    _, a = _passages(_doc())
    _, b = _passages(_doc())
    assert [p.id for p in a] == [p.id for p in b]
    assert len({p.id for p in a}) == len(a)
    _, other = _passages(_doc(), rid="r2")
    assert {p.id for p in a}.isdisjoint({p.id for p in other})


def test_same_text_keeps_id_when_another_section_changes():
    _, a = _passages(_doc())
    _, b = _passages(_doc().replace("发放普法手册四千余份", "发放普法手册五千余份"))
    assert a[-1].text == b[-1].text and a[-1].id == b[-1].id
