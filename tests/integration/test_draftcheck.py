"""对照检查 on the seed index: peers per paragraph, gaps, boilerplate marks, the draft left
nowhere, and `kb check-draft`.

The draft is a seed report's 主要举措和成效 section with that report hidden, as in the
leave-one-out evaluation, so every peer comes from the four other seed reports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kb.draftcheck import CheckOptions, check_draft
from kb.draftcheck.evaluate import copies_of, draft_text, section_of
from kb.search.query import squash

pytestmark = pytest.mark.slow

SOURCE = "000_b2dd20f029b9b4d9.txt"
FORMULA = (
    "一、主要举措和成效\n（一）加强组织领导\n坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，"
    "深入学习贯彻习近平法治思想，在市委、市政府的坚强领导下，扎实推进法治政府建设各项工作。"
)


@pytest.fixture(scope="module")
def seed_draft(seed_searcher):
    """(report, its 主要举措和成效 passages, hidden report ids)."""
    rid = next(r for r, source, _m in seed_searcher.reports() if source == SOURCE)
    report = seed_searcher.store.get_report(rid)
    return report, section_of(report, "主要举措和成效"), copies_of(seed_searcher, rid)


def _check(searcher, text, hidden, **options):
    return check_draft(searcher, text, CheckOptions(hidden_reports=hidden, **options)).to_dict()


def test_each_paragraph_gets_peers_of_its_kind_from_other_reports(seed_searcher, seed_draft):
    report, passages, hidden = seed_draft
    body = _check(seed_searcher, draft_text(report, passages, []), hidden)
    assert body["draft"]["dept_kind"] == "应急管理" and body["stored"] is False
    assert len(body["paragraphs"]) >= len(passages)
    for para in body["paragraphs"]:
        peers = para["peers"] + para["other_peers"]
        assert peers, para["text"][:30]
        assert len(para["peers"]) <= 5 and len(para["other_peers"]) <= 5
        for hit in peers:
            assert hit["report_id"] not in hidden
            assert hit["section_kind"] == para["section_kind"]
            assert hit["relation"] in ("相同做法", "更具体")
            assert "[EB/OL]" in hit["citation"]
        assert all(h["dept_kind"] == "应急管理" for h in para["peers"])
        assert all(h["dept_kind"] != "应急管理" for h in para["other_peers"])
        reports = [h["report_id"] for h in para["peers"]]
        assert len(reports) == len(set(reports))  # one passage per report
        sims = [h["scores"]["semantic"]["score"] for h in peers]
        assert all(0 < s <= 1 for s in sims)


def test_a_deleted_paragraph_can_only_add_gaps(seed_searcher, seed_draft):
    report, passages, hidden = seed_draft
    full = _check(seed_searcher, draft_text(report, passages, []), hidden)
    cut = _check(seed_searcher, draft_text(report, passages, [0]), hidden)

    def names(body):
        group = next(g for g in body["gaps"] if g["section_kind"] == "主要举措和成效")
        return group, [tuple(i["terms"]) for i in group["items"]]

    group, cut_names = names(cut)
    _group, full_names = names(full)
    assert set(full_names) <= set(cut_names)
    counts = [i["reports"] for i in group["items"]]
    assert counts == sorted(counts, reverse=True) and all(c >= 2 for c in counts)
    letters = squash(draft_text(report, passages, [0]))
    for item in group["items"]:
        assert not all(squash(t) in letters for t in item["terms"][:2])
        assert 1 <= len(item["examples"]) <= 2
        assert len({e["report_id"] for e in item["examples"]}) == len(item["examples"])
        assert not {e["report_id"] for e in item["examples"]} & hidden


def test_a_paragraph_of_formulas_is_marked_and_a_concrete_one_is_not(seed_searcher, seed_draft):
    _report, _passages, hidden = seed_draft
    concrete = (
        "\n（二）创新巡查方式\n今年在山区村居试点无人机巡查火情，全县37个行政村配备巡查员112名，"
        "发现并处置林下违规用火隐患46处，相关做法被写入《县森林防火巡查办法》。"
    )
    body = _check(seed_searcher, FORMULA + concrete, hidden)
    first, second = body["paragraphs"][0], body["paragraphs"][-1]
    assert first["boilerplate_warning"] and "具体" in first["advice"]
    assert not second["boilerplate_warning"] and second["advice"] is None
    assert body["boilerplate_warnings"] >= 1


def test_the_draft_is_not_kept_anywhere(seed_searcher, seed_cfg, seed_draft):
    report, passages, hidden = seed_draft
    data = Path(seed_cfg.data_dir)

    def snapshot():
        return {
            p: (p.stat().st_size, p.stat().st_mtime_ns)
            for p in data.rglob("*")
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))
        }

    before = snapshot()
    fingerprint = seed_searcher.store.fingerprint()
    marker = "试点“草稿保密测试”机制，唯一标记甲乙丙丁戊己。"
    _check(seed_searcher, draft_text(report, passages, []) + "\n" + marker, hidden)
    assert snapshot() == before
    assert seed_searcher.store.fingerprint() == fingerprint
    for path in data.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert "甲乙丙丁戊己".encode() not in path.read_bytes(), path


def test_cli_checks_a_file_and_exports(kb_cli, seed_cfg, tmp_path):
    draft = tmp_path / "草稿.txt"
    draft.write_text(FORMULA, encoding="utf-8")
    md, docx_out = tmp_path / "out.md", tmp_path / "out.docx"
    run = kb_cli(seed_cfg.data_dir, "check-draft", str(draft), "--dept", "应急管理",
                 "--md", str(md), "--docx", str(docx_out))  # fmt: skip
    assert run.code == 0, run.err
    assert "对照检查" in run.out and "套话" in run.out and "同类报告提到而草稿没有写到" in run.out
    assert md.read_text(encoding="utf-8").startswith("# 对照检查结果")
    assert docx_out.read_bytes()[:2] == b"PK"
    run = kb_cli(seed_cfg.data_dir, "check-draft", str(draft), "--json", "--year", "2024")
    body = json.loads(run.out)
    assert body["draft"]["year"] == 2024 and body["draft"]["sources"]["year"] == "填写"
    bad = tmp_path / "草稿.pdf"
    bad.write_bytes(b"%PDF-1.4")
    run = kb_cli(seed_cfg.data_dir, "check-draft", str(bad))
    assert run.code == 1 and ".txt 和 .docx" in run.err
    run = kb_cli(seed_cfg.data_dir, "check-draft", str(draft), "--dept", "外星事务")
    assert run.code == 1 and "部门类别" in run.err
    assert not os.listdir(tmp_path / "kb-cwd")
