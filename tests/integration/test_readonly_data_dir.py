"""Issue 15, item 5: a data dir kb may read but not write.

Read-only commands (search, serve, stats, check) work on it and write nothing there; write
commands (ingest, index) say in one Chinese line which path is not writable. Before, every
command printed a ``sqlite3.OperationalError`` traceback.

The suite runs as root, which writes into a chmod-555 folder regardless. So every command here
runs in a child process without root's permission override (tests/hostile.py), after the data
dir has been made read-only with chmod: the child is refused exactly like a user without write
permission would be.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kb.store.collections import CollectionStore
from tests.hostile import permissions_apply, run_kb_unprivileged, unprivileged
from tests.support import CORPUS, copy_kb

pytestmark = pytest.mark.slow  # a copy of the real seed index, and kb started several times


def _chmod_tree(root: Path, dirs: int, files: int) -> None:
    for folder, _subdirs, names in os.walk(root):
        for name in names:
            os.chmod(os.path.join(folder, name), files)
        os.chmod(folder, dirs)


def _listing(root: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture(scope="module")
def readonly_data(seed_cfg, tmp_path_factory):
    """A copy of the seed data dir with one case collection, then made read-only."""
    assert permissions_apply(tmp_path_factory.mktemp("probe")), (
        "could not run a child without root's permission override (setpriv missing?)"
    )
    cfg = copy_kb(seed_cfg, tmp_path_factory.mktemp("ro") / "kbdata")
    collections = CollectionStore(cfg.data_path / "collections.sqlite")
    collections.create("只读测试")
    collections.close()
    _chmod_tree(cfg.data_path, 0o555, 0o444)
    before = _listing(cfg.data_path)
    yield cfg.data_path
    assert _listing(cfg.data_path) == before  # nothing was written, not even -wal/-shm files
    _chmod_tree(cfg.data_path, 0o755, 0o644)


@pytest.fixture
def cwd(tmp_path) -> Path:
    return tmp_path


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr, result


def test_search_works_on_a_readonly_data_dir(readonly_data, cwd):
    r = run_kb_unprivileged(readonly_data, "search", "首违不罚", "--json", cwd=cwd)
    _no_traceback(r)
    assert r.returncode == 0, r
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert hits and "首违不罚" in hits[0]["text"]


def test_stats_and_check_work_on_a_readonly_data_dir(readonly_data, cwd):
    stats = run_kb_unprivileged(readonly_data, "stats", cwd=cwd)
    check = run_kb_unprivileged(readonly_data, "check", cwd=cwd)
    _no_traceback(stats)
    _no_traceback(check)
    assert stats.returncode == 0 and stats.stdout.startswith("报告 5 份"), stats
    assert check.returncode == 0 and "检查通过" in check.stdout, check


@pytest.mark.parametrize("command", [["ingest", str(CORPUS), "-q"], ["index", "-q"]])
def test_write_commands_name_the_path_that_is_not_writable(readonly_data, cwd, command):
    r = run_kb_unprivileged(readonly_data, *command, cwd=cwd)

    _no_traceback(r)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"错误：kb {command[0]} 需要写入 {readonly_data}")
    assert "不可写" in lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_works_on_a_readonly_data_dir_and_refuses_writes_clearly(readonly_data, cwd):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(readonly_data), PYTHONUNBUFFERED="1")
    argv = unprivileged([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)])
    server = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):  # the embedder warms up before the server listens
            try:
                status, body = _request(f"{base}/api/search?q=%E6%89%A7%E6%B3%95")
                break
            except (ConnectionError, urllib.error.URLError):
                assert server.poll() is None, server.communicate()
                time.sleep(0.5)
        else:
            pytest.fail("kb serve did not start")
        assert status == 200 and body["hits"]

        status, body = _request(f"{base}/api/collections")
        assert status == 200 and [c["name"] for c in body["collections"]] == ["只读测试"]

        status, body = _request(f"{base}/api/collections", {"name": "新案例集"})
        assert status == 503
        assert body["error"]["message"].startswith("服务器的数据目录是只读的")
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert "OperationalError" not in err
