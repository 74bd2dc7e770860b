"""The optional cross-encoder stage (kb/search/rerank.py) with a tiny model built here.

No download: a one-layer BERT with a character vocabulary is written to a temp dir and loaded
by sentence-transformers' CrossEncoder like any local model. Its scores mean nothing; the
tests check the plumbing — what the model reads, that its order is applied to the head only,
that scores stay sorted, and that a model that cannot be loaded is a configuration error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kb.core.config import ConfigError
from kb.core.models import Passage
from kb.search import rerank
from kb.search.rerank import passage_input, rerank_head

TEXTS = [
    "推行首违不罚清单，对2家企业免予行政处罚。",
    "组织执法人员参加法律知识培训，全年培训120人次。",
    "开展安全生产月活动，发放宣传资料3000份。",
    "建立行刑衔接机制，移送涉嫌犯罪案件2件。",
    "落实行政执法三项制度，公示执法信息123条。",
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    """A 1-layer, 16-wide BERT cross-encoder over the characters of TEXTS, saved to disk."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    path = tmp_path_factory.mktemp("tiny-reranker")
    chars = sorted({c for t in [*TEXTS, "首违不罚执法培训"] for c in t})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(path / "vocab.txt"), do_lower_case=False)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=rerank.MAX_LENGTH,
        num_labels=1,
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def passage(i: int, text: str, headings: list[str] | None = None) -> Passage:
    return Passage(
        id=f"p{i}",
        report_id="r",
        position=i,
        start=0,
        end=len(text),
        text=text,
        heading_path=headings or [],
        section_kind="其他",
    )


def test_passage_input_reads_the_two_nearest_headings() -> None:
    p = passage(0, "正文。", ["一、总体", "（二）执法", "1. 首违不罚"])
    assert passage_input(p) == "（二）执法 > 1. 首违不罚：正文。"
    assert passage_input(passage(1, "正文。")) == "正文。"


def test_head_is_reordered_by_the_model_and_the_tail_kept(tiny_model: str) -> None:
    passages = {row: passage(row, t) for row, t in enumerate(TEXTS)}
    fused = [(row, 0.9 - 0.1 * row) for row in range(len(TEXTS))] + [(7, 0.2), (8, 0.1)]
    out = rerank_head(tiny_model, "首违不罚", fused, passages, depth=4)
    model = rerank.load(tiny_model)
    assert rerank.load(tiny_model) is model  # loaded once
    raw = model.predict([("首违不罚", TEXTS[row]) for row in range(4)], show_progress_bar=False)
    expected = sorted(range(4), key=lambda row: (-float(raw[row]), row))
    assert [row for row, _ in out[:4]] == expected
    assert out[4:] == fused[4:]  # beyond the depth: untouched, after the head
    scores = [score for _, score in out]
    assert scores == sorted(scores, reverse=True)
    assert all(1.0 < score <= 2.0 for score in scores[:4])


def test_rows_without_a_passage_are_not_reranked(tiny_model: str) -> None:
    passages = {0: passage(0, TEXTS[0]), 2: passage(2, TEXTS[2])}
    fused = [(0, 0.9), (1, 0.8), (2, 0.7)]
    out = rerank_head(tiny_model, "执法", fused, passages, depth=3)
    assert {row for row, _ in out[:2]} == {0, 2} and out[2] == (1, 0.8)


def test_empty_query_or_head_changes_nothing(tiny_model: str) -> None:
    fused = [(0, 0.9), (1, 0.8)]
    assert rerank_head(tiny_model, "", fused, {0: passage(0, "甲")}, 2) == fused
    assert rerank_head(tiny_model, "执法", fused, {}, 2) == fused


def test_a_model_that_cannot_load_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        rerank.load(str(tmp_path / "no-such-model"))
    assert "rerank_model" in str(err.value) and "no-such-model" in str(err.value)


@pytest.mark.slow
def test_searcher_reranks_the_hybrid_head_only(seed_cfg, tiny_model: str) -> None:
    from kb.search import Searcher, SearchRequest

    search = dataclasses.replace(seed_cfg.search, rerank_model=tiny_model, rerank_depth=5)
    searcher = Searcher(dataclasses.replace(seed_cfg, search=search))
    plain = Searcher(seed_cfg)

    def ids(s: Searcher, mode: str) -> list[tuple[str, float]]:
        req = SearchRequest.from_params({"q": "执法培训", "mode": mode, "limit": 10, "dedupe": 0})
        return [(h.passage.id, h.scores["fused"]) for h in s.search(req).hits]

    try:
        for mode in ("lexical", "semantic"):  # the single modes are the plain retrievers
            assert ids(searcher, mode) == ids(plain, mode)
        reranked, before = ids(searcher, "hybrid"), ids(plain, "hybrid")
        scores = [score for _, score in reranked]
        assert scores == sorted(scores, reverse=True)
        assert [score > 1.0 for score in scores] == [True] * 5 + [False] * 5
        assert {pid for pid, _ in reranked[:5]} == {pid for pid, _ in before[:5]}
        assert reranked[5:] == before[5:]
    finally:
        searcher.close()
        plain.close()


@pytest.mark.slow
def test_cli_search_with_a_missing_reranker_fails_cleanly(seed_cfg, monkeypatch, capsys) -> None:
    from kb.cli import main

    monkeypatch.setenv("KB_SEARCH_RERANK_MODEL", "/nonexistent/reranker")
    assert main(["--data-dir", seed_cfg.data_dir, "search", "执法"]) == 1
    err = capsys.readouterr().err
    assert "rerank_model" in err and "Traceback" not in err
