"""`ingest` on a corpus directory: what is read, what is skipped and why, and what re-runs change.

Every batch is built in tmp_path from tests/readers_factory.py, so each test owns its files and
its store. The checks are the ones a corpus maintainer relies on: a bad file is named with its
reason and never stops the batch or costs an already-ingested report; an unchanged corpus
stays byte-for-byte the same store (same fingerprint, same passage ids).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.ingest.pipeline import IngestSummary, ingest
from kb.store.corpus import CorpusStore
from tests.readers_factory import (
    REPORT_BODY_HTML,
    REPORT_LINES,
    REPORT_TEXT,
    docx_bytes,
    encrypt_pdf,
    gov_page,
    make_docx,
    make_pdf,
)

MAX_BYTES = 1024 * 1024

# A second, unrelated report, so that "only the changed report" can be told apart.
OTHER_TEXT = "\n".join(
    [
        "莆田市荔城区应急管理局关于2023年度法治政府建设工作报告",
        "区委、区政府：",
        "2023年，荔城区应急管理局深入学习贯彻习近平法治思想，扎实推进依法行政。现将有关情况报告如下：",
        "一、主要举措和成效",
        "严格落实行政执法三项制度，全年公示执法信息一百二十三条，重大执法决定法制审核率百分之百。",
        "二、存在问题",
        "基层执法力量薄弱，执法装备保障不足，部分执法人员专业能力有待提高。",
    ]
)
EXTRA_PARAGRAPH = (
    "三、下一步工作安排\n继续加强执法队伍建设，全年组织执法培训不少于四次，提升执法规范化水平。"
)

GOOD = {"a.txt", "b.docx", "c.pdf", "d.html"}


def write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def good_batch(root: Path) -> None:
    """One readable report in each supported format."""
    write(root, "a.txt", REPORT_TEXT)
    write(root, "b.docx", docx_bytes(make_docx()))
    write(root, "c.pdf", make_pdf([REPORT_LINES]))
    write(root, "d.html", gov_page(REPORT_BODY_HTML))


# name → (bytes, words the skip message must contain)
BAD = {
    "empty.txt": (b"", "文件为空"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "疑似二进制文件"),
    "latin1.txt": ("Résumé of the café".encode("latin-1"), "无法识别文本编码"),
    "locked.pdf": (encrypt_pdf(make_pdf([REPORT_LINES]), "secret"), "PDF 已加密"),
    "broken.pdf": (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nstartxref\n9\n%%EOF\n", "PDF"),
    "huge.txt": ("法" * (MAX_BYTES // 2), "文件过大"),
    "script_only.html": ("<html><body><script>var a = '脚本';</script></body></html>", "正文"),
    "notes.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不支持的文件类型 .doc"),
}


def run(root: Path, store: CorpusStore, max_bytes: int = MAX_BYTES, **kw) -> IngestSummary:
    return ingest(root, store, max_bytes=max_bytes, show_progress=False, **kw)


def passage_ids(store: CorpusStore) -> dict[str, list[str]]:
    """source → ids of its passages in reading order: the store as search sees it."""
    return {
        row["source"]: [p.id for p in store.get_report(row["id"]).passages]
        for row in store.report_rows()
    }


def report(store: CorpusStore, source: str):
    row = next((r for r in store.report_rows() if r["source"] == source), None)
    return store.get_report(row["id"]) if row else None


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    good_batch(root)
    write(root, "other.txt", OTHER_TEXT)
    return root


# --- a mixed batch ----------------------------------------------------------------------------


def test_mixed_batch_reads_the_good_and_names_each_bad_file_with_its_reason(tmp_path, store):
    root = tmp_path / "corpus"
    good_batch(root)
    for name, (data, _) in BAD.items():
        write(root, name, data)
    write(root, ".hidden.txt", REPORT_TEXT)  # editor and OS droppings are not reports

    summary = run(root, store)

    assert sorted(summary.added) == sorted(GOOD)
    assert summary.read == len(GOOD)
    skipped = dict(summary.skipped)
    assert set(skipped) == set(BAD)
    for name, (_, why) in BAD.items():
        assert name in skipped[name] and why in skipped[name], skipped[name]
    assert {r["source"] for r in store.report_rows()} == GOOD
    head = summary.lines()[0]
    assert f"新增 {len(GOOD)} 份" in head and f"跳过 {len(BAD)} 份" in head
    printed = "\n".join(summary.lines())
    assert all(skipped[name] in printed for name in BAD)


def test_every_format_yields_the_same_report(corpus, store):
    run(corpus, store)
    for source in GOOD:
        r = report(store, source)
        assert r.meta.org == "沅陵县应急管理局" and r.meta.year == 2024, source
        kinds = {p.section_kind for p in r.passages}
        assert {"主要举措和成效", "存在问题"} <= kinds, source


def test_html_scripts_and_page_furniture_stay_out_of_the_report(corpus, store):
    run(corpus, store)
    text = report(store, "d.html").text
    assert "首违不罚" in text
    assert "脚本里的文字" not in text and "1999-01-01" not in text and "网站标识码" not in text


def test_subdirectories_are_part_of_the_corpus(tmp_path, store):
    write(tmp_path / "corpus", "2024/湖南/a.txt", REPORT_TEXT)
    assert run(tmp_path / "corpus", store).added == ["2024/湖南/a.txt"]


# --- re-runs ----------------------------------------------------------------------------------


def test_rerun_on_unchanged_corpus_changes_nothing(corpus, store):
    first = run(corpus, store)
    before = (store.fingerprint(), passage_ids(store), store.content_hashes())
    parsed: list[str] = []

    second = run(corpus, store, on_report=parsed.append)

    assert first.read == 5
    assert (second.read, second.unchanged, second.removed, second.skipped) == (0, 5, [], [])
    assert parsed == []
    assert (store.fingerprint(), passage_ids(store), store.content_hashes()) == before
    assert "未变化 5 份" in second.lines()[0]


def test_modifying_one_file_reparses_only_that_report(corpus, store):
    run(corpus, store)
    before = passage_ids(store)
    hashes = store.content_hashes()
    fingerprint = store.fingerprint()
    write(corpus, "other.txt", OTHER_TEXT + "\n" + EXTRA_PARAGRAPH)
    parsed: list[str] = []

    summary = run(corpus, store, on_report=parsed.append)

    assert (summary.updated, summary.added, summary.unchanged) == (["other.txt"], [], 4)
    assert parsed == ["other.txt"]
    after = passage_ids(store)
    assert {s: after[s] for s in GOOD} == {s: before[s] for s in GOOD}
    assert {s: store.content_hashes()[s] for s in GOOD} == {s: hashes[s] for s in GOOD}
    # The edit added passages; the passages whose text did not change kept their ids.
    assert set(before["other.txt"]) < set(after["other.txt"])
    assert "下一步工作安排" in {p.section_kind for p in report(store, "other.txt").passages}
    assert store.fingerprint() != fingerprint


def test_deleting_a_file_removes_its_report(corpus, store):
    run(corpus, store)
    (corpus / "other.txt").unlink()

    summary = run(corpus, store)

    assert summary.removed == ["other.txt"] and summary.unchanged == 4
    assert report(store, "other.txt") is None
    assert set(passage_ids(store)) == GOOD
    assert any("移除 other.txt" in line for line in summary.lines())


def test_passage_ids_are_the_same_in_a_fresh_store(corpus, store, tmp_path):
    run(corpus, store)
    fresh = CorpusStore(tmp_path / "elsewhere" / "corpus.sqlite")
    try:
        run(corpus, fresh)
        assert passage_ids(fresh) == passage_ids(store)
        assert fresh.fingerprint() == store.fingerprint()
    finally:
        fresh.close()


# --- sidecars ---------------------------------------------------------------------------------


def test_sidecar_overrides_fields(corpus, store):
    write(
        corpus,
        "other.txt.meta.json",
        json.dumps(
            {"org": "莆田市荔城区应急管理局", "year": "2022", "source_url": "http://x.cn/1"}
        ),
    )
    summary = run(corpus, store)

    meta = report(store, "other.txt").meta
    assert (meta.org, meta.year, meta.source_url) == (
        "莆田市荔城区应急管理局",
        2022,
        "http://x.cn/1",
    )
    assert meta.provenance["year"] == "sidecar"
    assert meta.county == "荔城区"  # region still derived, from the overridden org
    assert "other.txt.meta.json" not in {r["source"] for r in store.report_rows()}
    assert summary.read == 5 and not summary.warnings


def test_adding_or_editing_a_sidecar_reparses_its_report(corpus, store):
    run(corpus, store)
    write(corpus, "a.txt.meta.json", '{"doc_number": "沅应急〔2025〕3号"}')
    assert run(corpus, store).updated == ["a.txt"]
    write(corpus, "a.txt.meta.json", '{"doc_number": "沅应急〔2025〕4号"}')
    assert run(corpus, store).updated == ["a.txt"]
    assert report(store, "a.txt").meta.doc_number == "沅应急〔2025〕4号"


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"org": "某局",', "不是有效的 JSON"),
        ('["org", "某局"]', "应为 JSON 对象"),
        ('{"year": "去年"}', "year='去年' 不是年份"),
        ('{"orgnaisation": "某局"}', "字段 'orgnaisation' 未知"),
    ],
    ids=["invalid-json", "not-an-object", "bad-year", "unknown-field"],
)
def test_bad_sidecar_is_named_and_the_report_kept(corpus, store, content, message):
    write(corpus, "a.txt.meta.json", content)

    summary = run(corpus, store)

    assert summary.read == 5 and not summary.skipped  # neither the report nor the batch is lost
    warning = next(w for src, w in summary.warnings if src == "a.txt")
    assert "a.txt.meta.json" in warning and message in warning
    assert any("a.txt.meta.json" in line for line in summary.lines())
    r = report(store, "a.txt")
    assert r.meta.org == "沅陵县应急管理局" and r.meta.year == 2024  # read from the text instead
    # Kept with the report, so `kb stats` still shows it after later, quiet runs.
    assert run(corpus, store).warnings == []
    assert any("a.txt.meta.json" in w for w in report(store, "a.txt").warnings)


# --- a file that goes bad after it was ingested -------------------------------------------------


@pytest.mark.parametrize(
    "name, data, why",
    [
        ("a.txt", b"", "文件为空"),
        ("a.txt", b"\x00\x01\x02\x03" * 64, "疑似二进制文件"),
        ("c.pdf", make_pdf([REPORT_LINES])[:-200], "PDF 文件不完整"),
        ("b.docx", b"PK\x03\x04 not really a zip", "DOCX"),
    ],
    ids=["emptied", "binary", "truncated-pdf", "corrupt-docx"],
)
def test_file_gone_bad_keeps_the_ingested_report(corpus, store, name, data, why):
    run(corpus, store)
    before = passage_ids(store)
    write(corpus, name, data)

    summary = run(corpus, store)

    (source, reason), *rest = summary.skipped
    assert not rest and source == name
    assert name in reason and why in reason and "已保留上次导入的版本" in reason
    assert passage_ids(store) == before  # the last good version is still searchable
    assert summary.removed == []
    # Still reported on the next run: the broken file is never mistaken for an unchanged one.
    assert [s for s, _ in run(corpus, store).skipped] == [name]


def test_file_over_a_lowered_size_limit_keeps_its_report(corpus, store):
    run(corpus, store)
    before = passage_ids(store)
    write(corpus, "a.txt", REPORT_TEXT + "\n" + EXTRA_PARAGRAPH)  # changed, and now too big

    summary = run(corpus, store, max_bytes=200)

    reasons = dict(summary.skipped)
    assert "文件过大" in reasons["a.txt"] and "已保留上次导入的版本" in reasons["a.txt"]
    assert passage_ids(store)["a.txt"] == before["a.txt"]


def test_repaired_file_is_ingested_again(corpus, store):
    run(corpus, store)
    write(corpus, "other.txt", b"")
    run(corpus, store)
    write(corpus, "other.txt", OTHER_TEXT + "\n" + EXTRA_PARAGRAPH)

    summary = run(corpus, store)

    assert summary.updated == ["other.txt"] and not summary.skipped
    assert "下一步工作安排" in {p.section_kind for p in report(store, "other.txt").passages}


def test_bad_file_never_ingested_is_simply_skipped(tmp_path, store):
    root = tmp_path / "corpus"
    write(root, "a.txt", REPORT_TEXT)
    write(root, "empty.txt", b"")

    summary = run(root, store)

    assert dict(summary.skipped)["empty.txt"] == "empty.txt：文件为空"  # nothing to keep
    assert summary.added == ["a.txt"]
