"""`kb ingest` and `kb stats` as a user runs them: exit status, and what is printed.

The CLI runs in-process (`kb.cli.main`) with its data directory in tmp_path via KB_DATA_DIR, and
from an empty working directory so that no ./kb.toml of the checkout can leak in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.cli import main
from kb.core.models import SECTION_KINDS
from tests.readers_factory import REPORT_TEXT
from tests.support import CORPUS

S000 = "000_b2dd20f029b9b4d9.txt"  # 沅陵县应急管理局, 2024
S002 = "002_39f8802a2c038771.txt"  # 荔城区应急管理局, 文号 荔应急〔2024〕9号


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def kb(tmp_path, monkeypatch, capsys):
    """Run `kb ARGS…` in-process; returns exit code, stdout and stderr."""
    data = tmp_path / "kbdata"
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    monkeypatch.delenv("KB_CONFIG", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    run.data = data
    return run


def test_ingest_seeds_prints_the_summary(kb):
    r = kb("ingest", str(CORPUS), "-q")
    assert r.code == 0
    assert "导入完成：新增 5 份" in r.out and "跳过 0 份" in r.out
    assert (kb.data / "corpus.sqlite").is_file()  # KB_DATA_DIR is where the store goes


def test_second_ingest_reports_everything_unchanged(kb):
    kb("ingest", str(CORPUS), "-q")
    r = kb("ingest", str(CORPUS), "-q")
    assert r.code == 0 and "新增 0 份，更新 0 份，未变化 5 份" in r.out


def test_progress_bar_goes_to_stderr_not_stdout(kb):
    r = kb("ingest", str(CORPUS))
    assert r.code == 0 and "导入报告" in r.err and "导入报告" not in r.out


def test_stats_shows_counts_kinds_and_metadata_per_report(kb):
    kb("ingest", str(CORPUS), "-q")
    r = kb("stats")
    assert r.code == 0
    assert r.out.startswith("报告 5 份，段落 ")
    kind_counts = {
        kind: int(line.split("：")[1])
        for line in r.out.splitlines()
        for kind in SECTION_KINDS
        if line.strip().startswith(f"{kind}：")
    }
    assert set(kind_counts) == set(SECTION_KINDS)
    assert all(kind_counts[k] > 0 for k in ("主要举措和成效", "存在问题", "下一步工作安排"))
    assert f"■ {S000}（" in r.out and f"■ {S002}（" in r.out
    assert "区县：沅陵县" in r.out and "文号：荔应急〔2024〕9号" in r.out
    assert "发文机关：岳阳市国防动员办公室" in r.out  # from 004's sidecar


def test_stats_json_parses_and_adds_up(kb):
    kb("ingest", str(CORPUS), "-q")
    r = kb("stats", "--json")
    assert r.code == 0
    stats = json.loads(r.out)
    assert stats["reports"] == 5 and len(stats["per_report"]) == 5
    assert stats["passages"] == sum(stats["section_kinds"].values())
    assert stats["passages"] == sum(rep["passages"] for rep in stats["per_report"])
    by_source = {rep["report"]: rep for rep in stats["per_report"]}
    assert by_source[S000]["county"] == "沅陵县" and by_source[S000]["year"] == 2024
    assert by_source[S002]["doc_number"] == "荔应急〔2024〕9号"


def test_stats_before_any_ingest_says_what_to_do(kb):
    r = kb("stats")
    assert r.code == 1 and "kb ingest" in r.err and "Traceback" not in r.err


def test_ingest_of_a_missing_directory_exits_1_naming_it(kb, tmp_path):
    missing = tmp_path / "没有这个目录"
    r = kb("ingest", str(missing))
    assert r.code == 1
    assert r.err.startswith("错误：") and str(missing) in r.err and "不存在" in r.err
    assert r.out == ""


def test_ingest_of_a_file_instead_of_a_directory_exits_1(kb):
    r = kb("ingest", str(CORPUS / S000))
    assert r.code == 1 and S000 in r.err and "是文件" in r.err and "语料目录" in r.err


@pytest.mark.parametrize("other", ["empty", "different"])
def test_a_folder_sharing_no_report_does_not_silently_empty_the_corpus(kb, tmp_path, other):
    kb("ingest", str(CORPUS), "-q")
    folder = tmp_path / other
    folder.mkdir()
    if other == "different":
        (folder / "new.txt").write_text(REPORT_TEXT, encoding="utf-8")
    r = kb("ingest", str(folder), "-q")
    assert r.code == 1 and "--replace" in r.err and "未作任何更改" in r.err
    assert "报告 5 份" in kb("stats").out  # nothing removed, nothing added
    r = kb("ingest", str(folder), "-q", "--replace")
    assert r.code == 0 and "移除 5 份" in r.out


def test_a_file_removed_from_the_corpus_folder_is_removed_from_the_store(kb, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in CORPUS.glob("00[01]_*"):
        (corpus / p.name).write_bytes(p.read_bytes())
    kb("ingest", str(corpus), "-q")
    (corpus / S000).unlink()
    r = kb("ingest", str(corpus), "-q")
    assert r.code == 0 and f"移除 {S000}" in r.out


def test_batch_with_bad_files_names_each_one_and_its_reason(kb, tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(REPORT_TEXT, encoding="utf-8")
    (root / "空白.txt").write_bytes(b"")
    (root / "scan.pdf").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "good.txt.meta.json").write_text("{not json", encoding="utf-8")

    r = kb("ingest", str(root), "-q")

    assert r.code == 0  # bad files are reported, not fatal
    assert "新增 1 份" in r.out and "跳过 2 份" in r.out
    lines = r.out.splitlines()
    assert any("空白.txt" in ln and "文件为空" in ln for ln in lines)
    assert any("scan.pdf" in ln and "PNG" in ln for ln in lines)
    assert any("good.txt.meta.json" in ln and "不是有效的 JSON" in ln for ln in lines)
    # The broken sidecar stays visible in `kb stats` after the ingest that found it.
    assert "注意：元数据文件 good.txt.meta.json" in kb("stats").out


def test_data_dir_option_wins_over_environment(kb, tmp_path):
    other = tmp_path / "other-data"
    r = kb("--data-dir", str(other), "ingest", str(CORPUS), "-q")
    assert r.code == 0 and (other / "corpus.sqlite").is_file()
    assert not Path(kb.data / "corpus.sqlite").exists()


# --- field coverage and the reports to review (issue 14) ---------------------------------------


def test_ingest_prints_one_line_of_field_coverage(kb):
    r = kb("ingest", str(CORPUS), "-q")
    lines = [ln for ln in r.out.splitlines() if ln.startswith("元数据覆盖")]
    assert len(lines) == 1
    line = lines[0]
    assert "共 5 份" in line and "发文机关 5/5" in line and "年度 5/5" in line
    assert "标题 2/5" in line  # three seeds have no title, and none is made up
    assert "3 份报告有未识别或可信度低的字段" in line and "kb stats" in line


def test_stats_lists_reports_with_unknown_or_uncertain_fields(kb):
    kb("ingest", str(CORPUS), "-q")
    r = kb("stats")
    head, _, rest = r.out.partition("需要核对的报告（3 份")
    assert rest, r.out
    review = rest.split("\n\n")[0]
    assert "001_90f9b6f397d6ec91.txt：未识别 标题" in review
    assert S000 not in review  # every citation field known, with confidence
    assert "发文机关：沅陵县应急管理局（正文，可信度高）" in r.out
    assert "发文机关：岳阳市国防动员办公室（元数据文件，可信度高）" in r.out


def test_stats_json_has_provenance_and_the_review_list(kb):
    kb("ingest", str(CORPUS), "-q")
    stats = json.loads(kb("stats", "--json").out)
    by_source = {rep["report"]: rep for rep in stats["per_report"]}
    assert by_source[S000]["provenance"]["pub_date"] == "header"
    assert by_source[S000]["confidence"]["org"] == "high"
    assert set(stats["needs_review"]) == {
        rep["report"] for rep in stats["per_report"] if rep["unknown"] or rep["low_confidence"]
    }
    assert stats["parser_outdated"] is False


def test_a_store_from_the_previous_parser_keeps_working_and_says_to_reingest(kb, tmp_path):
    """A version-1 store (no passages.truncated) opens, is upgraded in place, still answers,
    and `kb stats` tells the operator to re-run `kb ingest` (which re-parses every report of a
    real old store: the parser version is part of each content hash)."""
    import sqlite3

    from kb.store.corpus import CorpusStore

    kb("ingest", str(CORPUS), "-q")
    path = kb.data / "corpus.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "ALTER TABLE passages DROP COLUMN truncated;"
        "UPDATE meta SET value = '1' WHERE key IN ('schema_version', 'parser_version');"
    )
    db.close()
    store = CorpusStore(path)
    try:
        assert store.get_meta("schema_version") == "2"
        assert store.passage_count() > 0
        some = store.get_passages(list(store.passage_ids())[:3])
        assert all(p.truncated is False for p in some.values())
    finally:
        store.close()
    r = kb("stats")
    assert r.code == 0 and "旧版解析器" in r.out and "kb ingest" in r.out
    assert kb("ingest", str(CORPUS), "-q").code == 0
    assert "旧版解析器" not in kb("stats").out
