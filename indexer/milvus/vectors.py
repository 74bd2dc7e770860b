"""The vector role on Milvus: inner product over the ``dense`` field, within the row mask.

The mask goes to Milvus as a boolean expression, so Milvus ranks only allowed rows before it
takes the top k (exact with FLAT; with HNSW/IVF as exact as their search parameters allow).
The stored vectors themselves (kb's fusion computes exact similarities of candidates, trends
of every passage in scope) are read back by row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from indexer.milvus.expr import filter_expr
from indexer.rows import RowTable
from indexer.settings import VectorConfig
from indexer.vectors.base import VectorIndex

TOPK_MAX = 16_384
FETCH_BATCH = 4_096


class MilvusVectors(VectorIndex):
    kind = "milvus"

    def __init__(self, client: Any, collection: str, dim: int, rows: RowTable, params: dict):
        self.client, self.collection, self.rows = client, collection, rows
        self._dim, self._n, self.params = dim, len(rows), params

    @classmethod
    def build(cls, vectors: np.ndarray, cfg: VectorConfig) -> VectorIndex:
        raise NotImplementedError("Milvus collections are built by indexer.milvus.build")

    @classmethod
    def load(cls, path: Path, cfg: VectorConfig) -> VectorIndex:
        raise NotImplementedError("open through indexer.milvus.open_indexes")

    def save(self, path: Path) -> None:
        raise NotImplementedError("a Milvus collection is saved by Milvus")

    @property
    def ntotal(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    @property
    def dim(self) -> int:
        return self._dim

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.zeros((len(rows), self._dim), dtype=np.float32)
        wanted = np.unique(rows)
        found: dict[int, list[float]] = {}
        for i in range(0, len(wanted), FETCH_BATCH):
            chunk = wanted[i : i + FETCH_BATCH].tolist()
            contiguous = chunk[-1] - chunk[0] == len(chunk) - 1  # trends reads whole ranges
            for e in self.client.query(
                self.collection,
                filter=f"row >= {chunk[0]} and row <= {chunk[-1]}"
                if contiguous
                else f"row in [{','.join(map(str, chunk))}]",
                output_fields=["row", "dense"],
                limit=len(chunk),
            ):
                found[int(e["row"])] = e["dense"]
        for i, r in enumerate(rows.tolist()):
            if r in found:
                out[i] = found[r]
        return out

    def _search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        hits = self.client.search(
            self.collection,
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="dense",
            limit=min(k, TOPK_MAX),
            filter=filter_expr(self.rows, allowed),
            search_params={"metric_type": "IP", "params": self.params},
        )[0]
        scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        rows = np.array([h["id"] for h in hits], dtype=np.int64)
        order = np.lexsort((rows, -scores))
        return scores[order], rows[order]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Always Milvus's own (filtered) search: no client-side exact scan of the subset."""
        if k <= 0 or self._n == 0 or (allowed is not None and not allowed.any()):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return self._search(np.asarray(query, dtype=np.float32).reshape(-1), k, allowed)
