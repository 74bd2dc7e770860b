"""The Embedder role: turn passages and queries into L2-normalised float32 vectors.

Asymmetric models (e5, bge) embed queries and passages differently, so the interface has one
method for each. ``id`` names the model *and* everything that changes its vectors (variant,
prefixes, instruction): the embedding cache and the index manifest key on it, and searching
an index with a different ``id`` is refused.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from indexer.settings import EmbedderConfig


class Embedder(ABC):
    id: str
    dim: int

    @classmethod
    @abstractmethod
    def from_config(cls, cfg: EmbedderConfig) -> Embedder:
        """Build the backend from the [embedder] section of the configuration."""

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation in float32 (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)
