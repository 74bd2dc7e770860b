"""Integrity checks for the relevance development set in tests/eval/.

Stdlib only. The set was written by reading the reports (see tests/eval/README.md);
these tests check its format and that every anchor really occurs in its report.

Report locations, relative to the repository root (``parents[2]`` of this file):
  * ``<repo>/../shared/seeds/*.txt`` and ``<repo>/../shared/dev-corpus/reports/page_NNN.txt``
    (i.e. /work/shared when the repo is /work/main);
  * the seeds may also be taken from the repo's own ``corpus/`` copy.
If the shared directory is absent, the dev-corpus anchor check is skipped (with a message);
the seed check still runs against ``corpus/``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from tests.support import SHARED

REPO = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO / "tests" / "eval"
SEED_DIRS = [SHARED / "seeds", REPO / "corpus"]
DEV_DIR = SHARED / "dev-corpus" / "reports"

ALLOWED_TAGS = {"jargon", "phrase", "question", "paraphrase", "filtered", "case"}
ALLOWED_FILTERS = {"year", "year_from", "year_to", "province", "city", "dept", "level", "section"}
INT_FILTERS = {"year", "year_from", "year_to"}
ALLOWED_LEVELS = {"省", "市", "县", "区", "乡镇"}
ALLOWED_SECTIONS = {
    "主要举措和成效",
    "存在问题",
    "原因分析",
    "第一责任人履职",
    "下一步工作安排",
    "其他",
}
MAX_JUDGMENTS = 8

DEV_NAME = re.compile(r"^page_\d{3}\.txt$")
SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def norm(s: str) -> str:
    """The scoring normalisation: NFKC, then drop ALL whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _load(name: str) -> list[dict]:
    rows = []
    path = EVAL_DIR / name
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:  # pragma: no cover - failure path
            pytest.fail(f"{name}:{i} is not valid JSON: {e}")
    return rows


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return _load("queries.jsonl")


@pytest.fixture(scope="module")
def qrels() -> list[dict]:
    return _load("qrels.jsonl")


def _find_report(doc: str) -> Path | None:
    if SEED_NAME.match(doc):
        for d in SEED_DIRS:
            if (d / doc).is_file():
                return d / doc
        return None
    if DEV_NAME.match(doc) and (DEV_DIR / doc).is_file():
        return DEV_DIR / doc
    return None


_TEXT_CACHE: dict[Path, str] = {}


def _report_text(path: Path) -> str:
    if path not in _TEXT_CACHE:
        _TEXT_CACHE[path] = norm(path.read_text(encoding="utf-8"))
    return _TEXT_CACHE[path]


# ----------------------------------------------------------------- format


def test_queries_format(queries):
    assert queries, "queries.jsonl is empty"
    for q in queries:
        assert set(q) <= {"qid", "query", "tags", "filters"}, q
        assert isinstance(q["qid"], str) and re.fullmatch(r"q\d+", q["qid"]), q
        assert isinstance(q["query"], str) and q["query"].strip(), q
        assert isinstance(q["tags"], list) and q["tags"], q
        assert set(q["tags"]) <= ALLOWED_TAGS, (q["qid"], q["tags"])
        assert len(set(q["tags"])) == len(q["tags"]), q
        if "filters" in q:
            f = q["filters"]
            assert isinstance(f, dict) and f, q
            assert set(f) <= ALLOWED_FILTERS, (q["qid"], f)
            for k, v in f.items():
                if k in INT_FILTERS:
                    assert isinstance(v, int) and not isinstance(v, bool), (q["qid"], k, v)
                else:
                    assert isinstance(v, str) and v, (q["qid"], k, v)
            if "level" in f:
                assert f["level"] in ALLOWED_LEVELS, (q["qid"], f)
            if "section" in f:
                assert f["section"] in ALLOWED_SECTIONS, (q["qid"], f)
            assert "filtered" in q["tags"], f"{q['qid']} has filters but no 'filtered' tag"
        else:
            assert "filtered" not in q["tags"], f"{q['qid']} tagged 'filtered' without filters"


def test_qids_unique(queries):
    c = Counter(q["qid"] for q in queries)
    dups = [k for k, n in c.items() if n > 1]
    assert not dups, f"duplicate qids: {dups}"


def test_qrels_format(queries, qrels):
    qids = {q["qid"] for q in queries}
    seen = set()
    for r in qrels:
        assert set(r) == {"qid", "doc", "anchor", "grade"}, r
        assert r["qid"] in qids, f"qrels qid {r['qid']} not in queries"
        assert r["grade"] in (1, 2) and not isinstance(r["grade"], bool), r
        assert SEED_NAME.match(r["doc"]) or DEV_NAME.match(r["doc"]), r
        a = r["anchor"]
        assert isinstance(a, str) and "\n" not in a and "\r" not in a, r
        assert 4 <= len(norm(a)) <= 100, f"anchor length {len(norm(a))}: {r}"
        key = (r["qid"], r["doc"], norm(a))
        assert key not in seen, f"duplicate judgment {key}"
        seen.add(key)


def test_every_query_judged(queries, qrels):
    per_q = Counter(r["qid"] for r in qrels)
    missing = [q["qid"] for q in queries if per_q[q["qid"]] == 0]
    assert not missing, f"queries without judgments: {missing}"
    too_many = {k: n for k, n in per_q.items() if n > MAX_JUDGMENTS}
    assert not too_many, f"queries with more than {MAX_JUDGMENTS} judgments: {too_many}"


def test_counts(queries, qrels, capsys):
    tags = Counter(t for q in queries for t in q["tags"])
    grades = Counter(r["grade"] for r in qrels)
    on_dev = sum(1 for r in qrels if DEV_NAME.match(r["doc"]))
    qids_dev = {r["qid"] for r in qrels if DEV_NAME.match(r["doc"])}
    qids_seed = {r["qid"] for r in qrels if SEED_NAME.match(r["doc"])}
    seeds_hit = {r["doc"] for r in qrels if SEED_NAME.match(r["doc"])}
    with capsys.disabled():
        print(
            f"\n[eval set] {len(queries)} queries, {len(qrels)} judgments "
            f"(grade 2: {grades[2]}, grade 1: {grades[1]}); "
            f"on dev-corpus: {on_dev}, on seeds: {len(qrels) - on_dev}; "
            f"queries with dev anchors: {len(qids_dev)}, with seed anchors: {len(qids_seed)}"
        )
        print(
            "[eval set] queries per tag: "
            + ", ".join(f"{t}={tags[t]}" for t in sorted(ALLOWED_TAGS))
        )
    assert len(queries) >= 60
    assert tags["paraphrase"] >= 12
    assert tags["filtered"] >= 8
    for t in ALLOWED_TAGS:
        assert tags[t] > 0, f"no query tagged {t}"
    assert len(qids_dev) >= 20, "need at least 20 queries with dev-corpus anchors"
    assert len(seeds_hit) == 5, f"anchors should cover all five seeds, got {sorted(seeds_hit)}"


# ----------------------------------------------------------------- anchors


def _check_anchors(rows: list[dict]) -> list[str]:
    bad = []
    for r in rows:
        path = _find_report(r["doc"])
        if path is None:
            bad.append(f"{r['qid']}: report {r['doc']} not found")
            continue
        if norm(r["anchor"]) not in _report_text(path):
            bad.append(f"{r['qid']}: anchor not in {r['doc']}: {r['anchor']}")
    return bad


def test_seed_anchors_exist_verbatim(qrels):
    rows = [r for r in qrels if SEED_NAME.match(r["doc"])]
    assert rows
    bad = _check_anchors(rows)
    assert not bad, "\n".join(bad)


def test_dev_anchors_exist_verbatim(qrels):
    if not DEV_DIR.is_dir():
        pytest.skip(f"dev-corpus not found at {DEV_DIR}; cannot check dev-corpus anchors")
    rows = [r for r in qrels if DEV_NAME.match(r["doc"])]
    assert rows
    bad = _check_anchors(rows)
    assert not bad, "\n".join(bad)
