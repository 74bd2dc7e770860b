"""The VectorIndex role: nearest passages to a query vector, restricted to allowed rows.

Rows are positions in the index build (the same row numbering as the lexical side's
row mapping and the per-row filter arrays). Filters are applied *before* ranking: a restricted
search ranks only allowed rows, so a filtered search returns a full page whenever enough rows
pass the filter. When few rows are allowed, scoring them exactly is both faster and exact,
whatever the index type, so the base class does that itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from indexer.settings import VectorConfig

# Below this many allowed rows, score them exactly instead of searching the index.
EXACT_SUBSET_MAX = 20_000


class VectorIndex(ABC):
    kind: str  # "flat", "hnsw", ...

    @classmethod
    @abstractmethod
    def build(cls, vectors: np.ndarray, cfg: VectorConfig) -> VectorIndex:
        """Index (n, dim) L2-normalised float32 vectors; row i is vectors[i]."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path, cfg: VectorConfig) -> VectorIndex: ...

    @abstractmethod
    def save(self, path: Path) -> None: ...

    @property
    @abstractmethod
    def ntotal(self) -> int: ...

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored (possibly approximate) vectors of the given rows."""

    @abstractmethod
    def _search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Index search; ``allowed`` is a boolean row mask or None."""

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k best rows by inner product, best first."""
        if k <= 0 or self.ntotal == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None:
            rows = np.flatnonzero(allowed)
            if len(rows) <= EXACT_SUBSET_MAX:
                return self._exact(query, rows, k)
        scores, rows = self._search(query, min(k, self.ntotal), allowed)
        keep = rows >= 0
        return scores[keep], rows[keep]

    def _exact(self, query: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(rows) == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.vectors(rows) @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), rows[top].astype(np.int64)
