"""The package layers hold: the import contracts catch a violation, and search starts light."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    """import-linter on a copy of the packages (the copy comes first on the import path)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("kb", "indexer", "web"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("indexer/rows.py", "import kb.core.fields", "indexer imports nothing from kb or web"),
        ("kb/search/query.py", "import web.app", "kb never imports web"),
        ("kb/search/facets.py", "import kb.ingest.parse", "search never imports the ingest"),
    ],
)
def test_a_deliberate_violation_fails_the_contracts(tree, module, line, contract):
    assert _lint(tree).returncode == 0  # the copy as it is keeps every contract
    target = tree / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", "utf-8")
    run = _lint(tree)
    assert run.returncode != 0
    assert contract in run.stdout and "BROKEN" in run.stdout


def test_importing_search_loads_no_document_readers():
    """`kb search` pays for what search needs: no PDF, Word or HTML parser, no gazetteer."""
    code = (
        "import sys, kb.search, kb.search.searcher\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pypdf', 'docx', 'lxml')]\n"
        "heavy += [m for m in sys.modules if m.startswith('kb.ingest')]\n"
        "print(','.join(sorted(heavy)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == ""
