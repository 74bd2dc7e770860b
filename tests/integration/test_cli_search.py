"""`kb search`, `kb stats` and `kb check` as a user runs them, on a copy of the seed indexes.

In-process through ``kb.cli.main`` (see the ``kb_cli`` fixture): exit status, stdout and
stderr are what is checked, the way a script or a person at a terminal would see them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.store.corpus import CorpusStore
from tests.support import CORPUS, copy_kb

pytestmark = pytest.mark.slow  # needs the seed indexes (session fixture, built once)

S000 = "000_b2dd20f029b9b4d9.txt"  # 沅陵县应急管理局
S004 = "004_f74c4a4a6aa3601c.txt"  # 岳阳市国防动员办公室
JSON_KEYS = {
    "rank",
    "text",
    "report",
    "title",
    "year",
    "heading_path",
    "section_kind",
    "start",
    "end",
    "scores",
}


@pytest.fixture(scope="module")
def data(seed_cfg, tmp_path_factory) -> Path:
    """A copy of the seed data dir (the CLI opens its own store and indexes on it)."""
    return copy_kb(seed_cfg, tmp_path_factory.mktemp("cli") / "kbdata").data_path


@pytest.fixture(scope="module")
def report_texts(data: Path) -> dict[str, str]:
    """source file → normalised report text, to check the printed offsets against."""
    store = CorpusStore(data / "corpus.sqlite")
    try:
        return {r["source"]: store.get_report(r["id"]).text for r in store.report_rows()}
    finally:
        store.close()


def json_hits(out: str) -> list[dict]:
    lines = out.splitlines()
    assert lines, "no output"
    return [json.loads(line) for line in lines]


def test_search_json_prints_one_object_per_hit(kb_cli, data, report_texts) -> None:
    run = kb_cli(data, "search", "首违不罚", "--json")
    assert run.code == 0, run
    hits = json_hits(run.out)
    assert len(hits) == 10  # a full default page (hybrid ranks every passage)
    assert [h["rank"] for h in hits] == list(range(1, 11))
    for h in hits:
        assert set(h) >= JSON_KEYS
        assert report_texts[h["report"]][h["start"] : h["end"]] == h["text"]
        assert isinstance(h["heading_path"], list) and isinstance(h["year"], int)
        assert "fused" in h["scores"]
    top = hits[:3]
    assert all("首违不罚" in h["text"] for h in top)
    assert {h["report"] for h in top} == {S000, S004}
    assert {h["title"] for h in top} == {
        "沅陵县应急管理局2024年法治政府建设工作情况报告",
        None,  # 004 has no title line, and none is made up
    }
    for h in top:
        assert h["citation"].startswith(f"{h['org']}. ") and "[EB/OL]. " in h["citation"]
    assert sorted(h["scores"]["lexical"]["rank"] for h in top) == [1, 2, 3]


def test_search_json_lexical_lists_exactly_the_matches(kb_cli, data) -> None:
    run = kb_cli(data, "search", "首违不罚", "--mode", "lexical", "--json")
    assert run.code == 0, run
    hits = json_hits(run.out)
    assert len(hits) == 3 and all("首违不罚" in h["text"] for h in hits)
    assert all(h["scores"].keys() == {"fused", "lexical"} for h in hits)


def test_search_json_with_filters_and_paging(kb_cli, data) -> None:
    args = ["search", "执法", "--year", "2021-2022", "--province", "湖南", "--limit", "4", "--json"]
    run = kb_cli(data, *args)
    assert run.code == 0, run
    first = json_hits(run.out)
    assert len(first) == 4
    assert all(h["year"] == 2022 and h["report"] == S004 for h in first)
    second = json_hits(kb_cli(data, *args, "--offset", "4").out)
    assert [h["rank"] for h in second] == [5, 6, 7, 8]
    assert not {h["text"] for h in first} & {h["text"] for h in second}


def test_search_human_output_lists_the_seed_passages(kb_cli, data) -> None:
    run = kb_cli(data, "search", "首违不罚", "--mode", "lexical")
    assert run.code == 0, run
    out = run.out
    assert "共 3 条结果" in out
    for expected in ("[1]", "[2]", "[3]", "沅陵县应急管理局", "岳阳市国防动员办公室", S000, S004):
        assert expected in out
    assert out.count("【首违不罚】") >= 3  # the term is marked in every passage
    assert " > " in out  # heading breadcrumbs
    assert "[4]" not in out


def test_search_without_hits_says_so(kb_cli, data) -> None:
    run = kb_cli(data, "search", "首违不罚", "--mode", "lexical", "--year", "2025")
    assert run.code == 0, run
    assert "未找到" in run.out


def test_paging_past_the_end_says_how_many_there_are(kb_cli, data) -> None:
    total = kb_cli(data, "search", "首违不罚").out.splitlines()[0]
    run = kb_cli(data, "search", "首违不罚", "--offset", "500")
    assert run.code == 0, run
    assert "第 501 条之后没有结果了" in run.out and "没有找到" not in run.out
    assert total.split("共 ")[1].split(" 条")[0] in run.out  # the same total as page 1


def test_human_output_has_no_empty_fields(kb_cli, data) -> None:
    run = kb_cli(data, "search", "执法", "--limit", "50")
    assert run.code == 0 and " ·  · " not in run.out


def test_usage_errors_are_in_chinese(capsys) -> None:
    from kb.cli import main

    for argv, expected in [
        (["search"], "缺少参数：query"),
        (["search", "-执法"], "放在 -- 之后"),
        (["search", "首违不罚", "--bogus"], "无法识别的参数：--bogus"),
        (["nosuch"], "无效的取值 'nosuch'"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        err = capsys.readouterr().err
        assert err.startswith("错误：") and expected in err, err
        assert "-h 查看用法" in err and "error:" not in err


def test_piping_into_head_exits_quietly(data) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "KB_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "kb.cli", "search", "执法", "--limit", "100", "--json"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as p:
        assert p.stdout.readline().startswith(b"{")
        p.stdout.close()  # what `head -1` does
        err = p.stderr.read().decode()
        assert p.wait() == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize(
    ("args", "param"),
    [
        (["--year", "abc"], "year"),
        (["--year", "2025-2021"], "year"),
        (["--level", "国家"], "level"),
        (["--section", "附件"], "section"),
        (["--mode", "bogus"], "mode"),
        (["--limit", "abc"], "limit"),
        (["--offset", "一"], "offset"),
    ],
)
def test_search_bad_parameter_exits_1_naming_it(kb_cli, data, args, param) -> None:
    run = kb_cli(data, "search", "首违不罚", *args)
    assert run.code == 1, run
    assert run.out == ""
    assert run.err.startswith("错误：")
    assert f"参数 {param}" in run.err
    assert "Traceback" not in run.err and "invalid" not in run.err


def test_search_without_an_index_says_to_run_kb_index(kb_cli, tmp_path) -> None:
    data = tmp_path / "fresh"
    assert kb_cli(data, "ingest", str(CORPUS), "-q").code == 0
    run = kb_cli(data, "search", "首违不罚")
    assert run.code == 1, run
    assert "kb index" in run.err and "Traceback" not in run.err


def test_search_on_an_empty_data_dir_says_to_run_kb_index(kb_cli, tmp_path) -> None:
    run = kb_cli(tmp_path / "nothing", "search", "首违不罚", "--json")
    assert run.code == 1, run
    assert "kb index" in run.err and run.out == ""


def test_stats_on_a_good_index(kb_cli, data, report_texts) -> None:
    run = kb_cli(data, "stats")
    assert run.code == 0, run
    assert "报告 5 份" in run.out and "索引版本" in run.out
    for source in report_texts:
        assert source in run.out
    run = kb_cli(data, "stats", "--json")
    assert run.code == 0, run
    stats = json.loads(run.out)
    assert stats["reports"] == 5
    assert stats["index"]["passage_count"] == stats["passages"]
    assert sum(r["passages"] for r in stats["per_report"]) == stats["passages"]


def test_check_passes_on_a_good_index(kb_cli, data) -> None:
    run = kb_cli(data, "check")
    assert run.code == 0, run
    assert "检查通过" in run.out and "✗" not in run.out


def test_an_index_behind_the_corpus_is_announced_everywhere(kb_cli, seed_cfg, tmp_path) -> None:
    """Re-ingest without `kb index`: searching works, and the CLI, API and page say so."""
    import shutil

    from kb.search import Searcher
    from web.app import create_app

    cfg = copy_kb(seed_cfg, tmp_path / "kbdata")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in CORPUS.iterdir():
        if not p.name.startswith(S004):
            shutil.copy(p, corpus / p.name)
    assert kb_cli(cfg.data_path, "ingest", str(corpus), "-q").code == 0
    run = kb_cli(cfg.data_path, "search", "执法")
    assert run.code == 0 and "结果" in run.out
    assert "注意：语料库在索引构建之后有变动" in run.err and "kb index" in run.err
    searcher = Searcher(cfg)
    try:
        client = create_app(cfg, searcher).test_client()
        assert client.get("/api/search?q=执法").get_json()["index_behind_corpus"] is True
        assert "请运行 `kb index`" in client.get("/?q=执法").get_data(as_text=True)
    finally:
        searcher.close()
    assert kb_cli(cfg.data_path, "index", "-q").code == 0
    assert "注意" not in kb_cli(cfg.data_path, "search", "执法").err
