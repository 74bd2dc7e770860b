"""sentence-transformers backend: any model by name or local path.

For BAAI bge-*-zh models the retrieval instruction is prepended to queries (passages get none),
as their model cards prescribe; other models can set one with ``embedder.query_instruction``.
Loading never reaches for a model hub when the model is a local path, and with
HF_HUB_OFFLINE=1 a name only resolves from the local cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from indexer.embedders.base import Embedder, l2_normalize
from indexer.settings import ConfigError, EmbedderConfig

BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："


class SentenceTransformersEmbedder(Embedder):
    @classmethod
    def from_config(cls, cfg: EmbedderConfig) -> SentenceTransformersEmbedder:
        return cls(cfg.model, cfg.query_instruction, cfg.batch_size)

    def __init__(self, model: str, query_instruction: str = "", batch_size: int = 32):
        if not model:
            raise ConfigError(
                "sentence-transformers 后端需要指定模型名称或本地路径（embedder.model）"
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model, device="cpu")
        name = model.rstrip("/").split("/")[-1] if "/" in model else model
        # Judge by the model's own name, not the folders above it (/home/zhang/models/...).
        if not query_instruction and "bge" in name.lower() and "zh" in name.lower():
            query_instruction = BGE_ZH_INSTRUCTION
        self.query_instruction = query_instruction
        self.batch_size = batch_size
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        if Path(model).exists():  # two local models in folders of the same name must differ
            digest = hashlib.sha1(str(Path(model).resolve()).encode()).hexdigest()[:8]
            name = f"{name}@{digest}"
        self.id = f"sbert:{name}:{self.dim}" + (
            f":q={query_instruction}" if query_instruction else ""
        )

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return l2_normalize(vecs)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_instruction + text])[0]
