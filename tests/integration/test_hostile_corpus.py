"""Issue 15, items 1, 3 and 4: a corpus folder that fights back.

Bad sidecars, folders and files that cannot be read, dangling and looping links, pipes, and
links pointing out of the corpus. Each test builds its folder in tmp_path. Permission tests run
`kb ingest` in a child process that file permissions apply to (tests/hostile.py: root drops
the capabilities that let it read anything), because the suite runs as root and root reads a
chmod-000 folder as if nothing were wrong.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kb.ingest.pipeline import IngestSummary, ingest
from kb.store.corpus import CorpusStore
from tests.hostile import permissions_apply, run_kb_unprivileged
from tests.readers_factory import REPORT_TEXT

OTHER_TEXT = REPORT_TEXT.replace("沅陵县应急管理局", "荔城区司法局")
THIRD_TEXT = REPORT_TEXT.replace("沅陵县应急管理局", "岳阳市国防动员办公室")


def write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def run(root: Path, store: CorpusStore, **kw) -> IngestSummary:
    return ingest(root, store, max_bytes=1024 * 1024, show_progress=False, **kw)


def stored(store: CorpusStore) -> dict[str, dict]:
    return {r["source"]: dict(r) for r in store.report_rows()}


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "corpus"
    write(root, "a.txt", REPORT_TEXT)
    write(root, "m.txt", OTHER_TEXT)
    write(root, "z.txt", THIRD_TEXT)  # sorted after the sidecar's report
    return root


@contextmanager
def unreadable(*paths: Path) -> Iterator[None]:
    """chmod 000 for the duration, the modes restored afterwards."""
    modes = [p.stat().st_mode for p in paths]
    for p in paths:
        p.chmod(0)
    try:
        yield
    finally:
        for p, mode in zip(paths, modes, strict=True):
            p.chmod(mode)


def kb_ingest(corpus: Path, work: Path):
    """`kb ingest CORPUS` into work/kbdata, subject to file permissions."""
    return run_kb_unprivileged(work / "kbdata", "ingest", str(corpus), "-q", cwd=work)


@pytest.fixture(scope="module")
def real_permissions(tmp_path_factory) -> None:
    """Fail (not skip) if the child process could still read a chmod-000 folder."""
    assert permissions_apply(tmp_path_factory.mktemp("probe")), (
        "could not run a child without root's permission override (setpriv missing?)"
    )


# --- 1: a bad sidecar never stops the batch -------------------------------------------------


@pytest.mark.parametrize(
    "sidecar, field, why",
    [
        ('{"year": 99999999999999999999999, "org": "某某县司法局"}', "year", "不在 1949–2100 之间"),
        ('{"year": 1e400, "org": "某某县司法局"}', "year", "不是年份"),
        ('{"year": -5, "org": "某某县司法局"}', "year", "不在 1949–2100 之间"),
        ('{"year": true, "org": "某某县司法局"}', "year", "不是年份"),
        ('{"year": 2024.5, "org": "某某县司法局"}', "year", "不是年份"),
        ('{"org": ["list"], "year": 2023}', "org", "应为文字（字符串），而不是列表"),
        ('{"title": {"a": 1}, "org": "某某县司法局"}', "title", "而不是对象"),
        ('{"doc_number": 12, "org": "某某县司法局"}', "doc_number", "而不是数字"),
        ('{"pub_date": "2024-02-30", "org": "某某县司法局"}', "pub_date", "不是真实的日期"),
        ('{"pub_date": "1800-01-01", "org": "某某县司法局"}', "pub_date", "年份不在"),
        ('{"level": "国家", "org": "某某县司法局"}', "level", "应为 省、市、县、区、乡镇 之一"),
        ('{"source_url": "javascript:alert(1)", "org": "某某县司法局"}', "source_url", "http"),
        ('{"title": "' + "长" * 400 + '", "org": "某某县司法局"}', "title", "过长（400 字"),
        ('{"city": "某市\\n某区", "org": "某某县司法局"}', "city", "换行或控制字符"),
    ],
)
def test_bad_sidecar_field_is_a_warning_and_the_rest_goes_on(corpus, store, sidecar, field, why):
    write(corpus, "m.txt.meta.json", sidecar)

    summary = run(corpus, store)

    assert sorted(summary.added) == ["a.txt", "m.txt", "z.txt"] and not summary.skipped
    warning = next(w for src, w in summary.warnings if src == "m.txt" and "meta.json" in w)
    assert "m.txt.meta.json" in warning and f" {field}=" in warning and why in warning
    reports = stored(store)
    good = json.loads(sidecar)
    good.pop(field)
    for key, value in good.items():  # the sidecar's other field still applies
        assert reports["m.txt"][key] == value
    assert reports["z.txt"]["org"] == "岳阳市国防动员办公室"
    # and the next run is quiet, not a traceback every time
    again = run(corpus, store)
    assert again.unchanged == 3 and not again.skipped


def test_bad_year_falls_back_to_the_year_in_the_text(corpus, store):
    write(corpus, "m.txt.meta.json", '{"year": 1e400}')
    run(corpus, store)
    assert stored(store)["m.txt"]["year"] == 2024


def test_sidecar_with_a_5000_digit_number_or_deep_nesting_is_ignored_as_bad_json(corpus, store):
    write(corpus, "a.txt.meta.json", '{"year": ' + "9" * 5000 + "}")
    write(corpus, "m.txt.meta.json", "[" * 20_000 + "]" * 20_000)

    summary = run(corpus, store)

    assert summary.read == 3
    warnings = dict(summary.warnings)
    assert "a.txt.meta.json 不是有效的 JSON" in warnings["a.txt"]
    assert "m.txt.meta.json 不是有效的 JSON" in warnings["m.txt"]


def test_overflowing_sidecar_through_the_cli_exits_0_without_a_traceback(kb_cli, corpus, tmp_path):
    write(corpus, "m.txt.meta.json", '{"year": 99999999999999999999999}')

    r = kb_cli(tmp_path / "kbdata", "ingest", str(corpus), "-q")

    assert r.code == 0 and "Traceback" not in r.err
    assert "新增 3 份" in r.out and "m.txt.meta.json 中 year=99999999999999999999999" in r.out


def test_good_sidecar_values_are_kept_as_given(corpus, store):
    write(
        corpus,
        "m.txt.meta.json",
        '{"year": "2022", "pub_date": "2023-03-01", "level": "区", "title": "  某报告  ",'
        ' "source_url": "https://example.gov.cn/a.html", "county": null}',
    )
    summary = run(corpus, store)
    assert not [w for src, w in summary.warnings if "meta.json" in w]
    m = stored(store)["m.txt"]
    assert (m["year"], m["pub_date"], m["level"], m["title"]) == (
        2022,
        "2023-03-01",
        "区",
        "某报告",
    )
    assert m["source_url"] == "https://example.gov.cn/a.html"


# --- 3: what exists but cannot be read is never deleted -------------------------------------


def test_unreadable_subfolder_keeps_its_reports(corpus, real_permissions, tmp_path):
    write(corpus, "sub/s.txt", OTHER_TEXT.replace("荔城区", "城厢区"))
    first = kb_ingest(corpus, tmp_path)
    assert first.returncode == 0 and "新增 4 份" in first.stdout, first
    with unreadable(corpus / "sub"):
        r = kb_ingest(corpus, tmp_path)

    assert r.returncode == 0, r
    assert "移除 0 份" in r.stdout and "文件已不在目录中" not in r.stdout
    assert "跳过 sub/：文件夹无法读取（没有读取权限）；其中已导入的 1 份报告保留不变" in r.stdout
    store = CorpusStore(tmp_path / "kbdata" / "corpus.sqlite", readonly=True)
    try:
        assert "sub/s.txt" in stored(store)
    finally:
        store.close()


def test_unreadable_corpus_folder_keeps_every_report(corpus, real_permissions, tmp_path):
    kb_ingest(corpus, tmp_path)
    with unreadable(corpus):
        r = kb_ingest(corpus, tmp_path)

    assert r.returncode == 0, r
    assert "移除 0 份" in r.stdout
    assert "跳过 ./：文件夹无法读取（没有读取权限）；其中已导入的 3 份报告保留不变" in r.stdout


def test_file_that_became_unreadable_keeps_its_report(corpus, real_permissions, tmp_path):
    kb_ingest(corpus, tmp_path)
    write(corpus, "new.txt", REPORT_TEXT.replace("2024", "2023"))
    with unreadable(corpus / "m.txt", corpus / "new.txt"):
        r = kb_ingest(corpus, tmp_path)

    assert r.returncode == 0, r
    assert "跳过 m.txt：没有读取权限；已保留上次导入的版本" in r.stdout
    assert "跳过 new.txt：没有读取权限" in r.stdout and "移除 0 份" in r.stdout


def test_unreadable_sidecar_skips_its_report_and_keeps_the_stored_one(
    corpus, real_permissions, tmp_path
):
    kb_ingest(corpus, tmp_path)
    sidecar = write(corpus, "m.txt.meta.json", '{"org": "另一个机关"}')
    with unreadable(sidecar):
        r = kb_ingest(corpus, tmp_path)

    assert r.returncode == 0, r
    reason = "元数据文件 m.txt.meta.json 无法读取（没有读取权限）；已保留上次导入的版本"
    assert f"跳过 m.txt：{reason}" in r.stdout


def test_dangling_link_and_link_loops_are_named_and_keep_their_reports(corpus, store):
    run(corpus, store)
    (corpus / "m.txt").unlink()
    (corpus / "m.txt").symlink_to(corpus / "gone.txt")  # was a report, now a broken link
    (corpus / "z.txt").unlink()
    (corpus / "z.txt").symlink_to("z.txt")  # a link to itself
    (corpus / "p.txt").symlink_to("q.txt")
    (corpus / "q.txt").symlink_to("p.txt")  # a loop of two

    summary = run(corpus, store)

    skipped = dict(summary.skipped)
    assert skipped["m.txt"] == "m.txt：是失效的链接（指向的文件不存在）；已保留上次导入的版本"
    assert skipped["z.txt"].startswith("z.txt：是循环链接") and "已保留" in skipped["z.txt"]
    assert skipped["p.txt"].startswith("p.txt：是循环链接")
    assert skipped["q.txt"].startswith("q.txt：是循环链接")
    assert summary.removed == [] and set(stored(store)) == {"a.txt", "m.txt", "z.txt"}
    printed = "\n".join(summary.lines())
    assert all(name in printed for name in ("m.txt", "z.txt", "p.txt", "q.txt"))


def test_named_pipe_is_skipped_not_waited_on(corpus, store):
    os.mkfifo(corpus / "pipe.txt")  # reading it would block the batch forever
    summary = run(corpus, store)
    assert dict(summary.skipped)["pipe.txt"] == "pipe.txt：不是普通文件（设备、管道或套接字）"
    assert summary.read == 3


def test_a_file_really_gone_is_still_removed(corpus, store):
    run(corpus, store)
    (corpus / "m.txt").unlink()
    summary = run(corpus, store)
    assert summary.removed == ["m.txt"] and "  移除 m.txt（文件已不在目录中）" in summary.lines()


# --- 4: links out of the corpus --------------------------------------------------------------


@pytest.fixture
def outside(tmp_path) -> Path:
    """A report-like file outside the corpus (standing in for /etc/passwd: it would parse)."""
    return write(tmp_path / "elsewhere", "secret.txt", REPORT_TEXT.replace("沅陵县", "外部县"))


def test_link_leaving_the_corpus_is_not_followed(corpus, store, outside):
    (corpus / "p.txt").symlink_to(outside)
    (corpus / "etc").symlink_to(outside.parent, target_is_directory=True)

    summary = run(corpus, store)

    assert set(stored(store)) == {"a.txt", "m.txt", "z.txt"}
    skipped = dict(summary.skipped)
    assert skipped["p.txt"] == (
        f"p.txt：是指向语料目录之外（{outside}）的链接，未跟随；如确需导入，请加 --follow-links"
    )
    assert "etc/：是指向语料目录之外" in skipped["etc/"]
    assert all("外部县" not in r["org"] for r in stored(store).values())


def test_links_out_are_followed_with_follow_links(corpus, store, outside):
    (corpus / "p.txt").symlink_to(outside)
    (corpus / "etc").symlink_to(outside.parent, target_is_directory=True)

    summary = run(corpus, store, follow_links=True)

    assert set(summary.added) == {"a.txt", "m.txt", "z.txt", "p.txt", "etc/secret.txt"}
    assert stored(store)["p.txt"]["org"] == "外部县应急管理局"


def test_report_stored_through_a_link_out_is_removed_saying_why(corpus, store, outside):
    """A store filled by an older kb (or with --follow-links) loses the outside file."""
    (corpus / "p.txt").symlink_to(outside)
    run(corpus, store, follow_links=True)

    summary = run(corpus, store)

    assert summary.removed == ["p.txt"] and "p.txt" not in stored(store)
    assert any(line.startswith("  移除 p.txt（是指向语料目录之外") for line in summary.lines())


def test_link_within_the_corpus_is_followed(corpus, store):
    write(corpus, "originals/o.txt", REPORT_TEXT.replace("沅陵县", "辰溪县"))
    (corpus / "o.txt").symlink_to(Path("originals") / "o.txt")
    summary = run(corpus, store)
    assert {"o.txt", "originals/o.txt"} <= set(summary.added)


def test_folder_link_loop_ends_with_follow_links(corpus, store):
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)
    summary = run(corpus, store, follow_links=True)
    assert dict(summary.skipped)["loop/"].startswith("loop/：链接指回已读取过的文件夹")
    assert sorted(summary.added) == ["a.txt", "m.txt", "z.txt"]


def test_follow_links_option_of_the_cli(kb_cli, corpus, outside, tmp_path):
    (corpus / "p.txt").symlink_to(outside)
    data = tmp_path / "kbdata"

    plain = kb_cli(data, "ingest", str(corpus), "-q")
    followed = kb_cli(data, "ingest", str(corpus), "-q", "--follow-links")

    assert plain.code == 0 and "p.txt：是指向语料目录之外" in plain.out
    assert followed.code == 0 and "新增 1 份" in followed.out
