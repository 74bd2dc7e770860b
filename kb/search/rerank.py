"""Optional cross-encoder reranking of the hybrid head (``[search] rerank_model``, off by default).

A cross-encoder (e.g. a bge-reranker) reads query and passage together, so it can tell "免予
处罚 for first minor violations" from "处罚 statistics" where both retrievers only see shared
words or nearby vectors. It is far slower than either retriever, so it only reorders the top
``rerank_depth`` fused candidates, and it needs torch and a model on disk (or a download), so
it is off unless configured. The model is loaded once per process, on first use.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from kb.core.config import ConfigError
from kb.core.models import Passage

MAX_LENGTH = 512  # tokens of query + passage the cross-encoder reads
_models: dict[str, Any] = {}
_lock = threading.Lock()


def load(name: str) -> Any:
    """The CrossEncoder for a model name or local path, loaded once (ConfigError if it fails)."""
    with _lock:
        model = _models.get(name)
        if model is None:
            try:
                from sentence_transformers import CrossEncoder

                model = CrossEncoder(name, max_length=MAX_LENGTH, device="cpu")
            except Exception as e:  # any failure to load is a configuration problem
                raise ConfigError(
                    f"[search] rerank_model：无法加载交叉编码器 {name!r}（{type(e).__name__}: {e}）"
                ) from e
            _models[name] = model
        return model


def passage_input(p: Passage) -> str:
    """What the cross-encoder reads of a passage: its two nearest headings, then the text.

    The same view the embedder gets (indexer.build.embed_text): a short passage's topic is
    often only in its heading.
    """
    context = " > ".join(p.heading_path[-2:])
    return f"{context}：{p.text}" if context else p.text


def rerank_head(
    name: str,
    query: str,
    fused: list[tuple[int, float]],
    passages: dict[int, Passage],
    depth: int,
) -> list[tuple[int, float]]:
    """``fused`` with its first ``depth`` rows (those in ``passages``) reordered by the model.

    Reranked rows get scores 1 + p, p ∈ (0, 1) the model's relevance; fused scores are at most
    1, so the list stays sorted best first and a reranked score is recognisable as one.
    """
    head = [row for row, _ in fused[:depth] if row in passages]
    if not query or not head:
        return fused
    model = load(name)
    pairs = [(query, passage_input(passages[row])) for row in head]
    with _lock:
        raw = np.asarray(model.predict(pairs, show_progress_bar=False), dtype=np.float64)
    raw = raw.reshape(len(head), -1)[:, -1]  # one relevance score per pair
    if raw.min() < 0.0 or raw.max() > 1.0:  # logits: squash like the models' own activation
        raw = 1.0 / (1.0 + np.exp(-raw))
    order = sorted(range(len(head)), key=lambda i: (-raw[i], i))
    reranked = [(head[i], 1.0 + float(raw[i])) for i in order]
    done = set(head)
    return reranked + [(row, score) for row, score in fused if row not in done]
