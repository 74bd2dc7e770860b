"""Passages: contiguous, sentence-aligned, sized, headings kept out, ids stable."""

import pytest

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


# --- whole passages: a minimum, a maximum, and a mark where the text was cut (issue 14) ---------

from kb.core.models import Passage  # noqa: E402
from kb.ingest.passages import MIN_PASSAGE_CHARS  # noqa: E402

_SENTENCE_END = ("。", "！", "？", "；", "：", "…", "”", "）")


def _whole(ps: list[Passage], sections) -> None:
    """No passage over the maximum; none under the minimum unless it is its section's only
    passage and that section is one sentence."""
    for p in ps:
        assert len(p.text) <= HARD_MAX_CHARS, (p.position, len(p.text))
        if len(p.text) < MIN_PASSAGE_CHARS:
            same = [q for q in ps if q.heading_path == p.heading_path]
            assert same == [p], f"fragment {p.text!r} next to {len(same) - 1} others"
            assert p.text.count("。") <= 1


def test_fragments_merge_into_a_neighbour_in_their_section():
    body = (
        "一、主要举措和成效\n（一）完善制度\n组建\n"
        "法治建设领导小组，由主要负责人任组长，定期研究解决法治建设中的重大问题，全年召开专题会议四次。\n"
        "一是健全\n"
        "重大行政决策程序制度，严格落实公众参与、专家论证、风险评估、合法性审查和集体讨论决定程序。\n"
        "（二）依托省\n一体化政务服务平台，推动行政许可事项全程网办，办理时限压缩百分之六十。"
    )
    t, ps = _passages(body)
    assert not [p.text for p in ps if len(p.text) < MIN_PASSAGE_CHARS]
    assert any(p.text.startswith("组建") for p in ps)  # merged, not lost
    for p in ps:
        assert t[p.start : p.end] == p.text


def test_a_one_sentence_section_keeps_its_short_passage():
    t, ps = _passages("一、基本情况\n机构健全。\n二、主要做法\n" + "。".join([ITEM] * 3) + "。")
    assert [p.text for p in ps if p.heading_path == ["一、基本情况"]] == ["机构健全。"]
    _whole(ps, None)


def test_a_passage_cut_by_the_end_of_the_text_is_flagged():
    t, ps = _passages("一、主要举措\n（一）严格执法\n" + ITEM + "。" + ITEM + "，推进林业法治建")
    assert ps[-1].text.endswith("林业法治建") and ps[-1].truncated
    assert not any(p.truncated for p in ps[:-1])


def test_a_scrap_the_page_stopped_in_is_no_passage():
    for scrap in ("根据", "一是优化政务服务。严格"):
        t, ps = _passages("一、主要举措\n" + ITEM + "。\n（二）优化营商环境\n" + scrap)
        assert [p.heading_path for p in ps] == [["一、主要举措"]]
        assert not ps[0].truncated  # the passage before it is whole


def test_a_sentence_longer_than_the_maximum_is_cut_at_clauses_and_flagged():
    long_sentence = "，".join([ITEM] * 20) + "。"
    t, ps = _passages("一、主要举措\n" + long_sentence)
    assert len(ps) > 1
    assert all(len(p.text) <= HARD_MAX_CHARS for p in ps)
    assert all(p.truncated for p in ps[:-1]) and not ps[-1].truncated
    assert all(p.text.endswith("，") for p in ps[:-1])  # at a clause, never mid-word
    assert "".join(p.text for p in ps) == long_sentence


@pytest.mark.slow
@pytest.mark.parametrize("with_full_stops", [True, False], ids=["sentences", "no-full-stop"])
def test_twelve_megabyte_line(tmp_path, with_full_stops):
    """A 12 MB file of one line (built here): every passage within the limits, offsets exact,
    the whole text covered; without a single full stop it is cut at the cap and flagged."""
    from kb.ingest.parse import parse_report
    from kb.ingest.readers import read_document

    unit = "全面推进依法行政，严格规范公正文明执法" + ("。" if with_full_stops else "")
    path = tmp_path / "one-line.txt"
    path.write_text(unit * (12 * 1024 * 1024 // len(unit.encode())), encoding="utf-8")
    assert path.stat().st_size > 11 * 1024 * 1024
    report = parse_report(read_document(path, max_bytes=50 * 1024 * 1024), path.name, "")
    ps = report.passages
    assert len(ps) > 5000
    assert max(len(p.text) for p in ps) <= HARD_MAX_CHARS
    assert min(len(p.text) for p in ps) >= MIN_PASSAGE_CHARS
    for p in ps[:: max(1, len(ps) // 200)]:
        assert report.text[p.start : p.end] == p.text
    assert sum(len(p.text) for p in ps) >= 0.99 * len(report.text)
    assert all(p.truncated for p in ps) != with_full_stops
