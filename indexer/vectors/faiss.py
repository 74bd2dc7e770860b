"""FAISS backend: exact inner product (flat) or HNSW graph, chosen by ``vectors.index_type``.

``auto`` uses exact search up to ``vectors.exact_max`` passages — fast enough at that size and
exact — and HNSW above it. Filtered searches pass a bitmap selector so FAISS ranks only the
allowed rows.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from indexer.vectors.base import VectorIndex
from kb.config import ConfigError, VectorConfig


def resolve_kind(cfg: VectorConfig, n: int) -> str:
    kind = cfg.index_type
    if kind == "auto":
        kind = "flat" if n <= cfg.exact_max else "hnsw"
    if kind not in ("flat", "hnsw"):
        raise ConfigError(f"未知的向量索引类型 {cfg.index_type!r}（可选：auto、flat、hnsw）")
    return kind


class FaissIndex(VectorIndex):
    def __init__(self, index: faiss.Index, cfg: VectorConfig):
        self.index = index
        self.cfg = cfg
        self.kind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        storage = faiss.downcast_index(index.storage) if self.kind == "hnsw" else index
        # A zero-copy view of the stored vectors (exact subset scoring, similar passages).
        n, d = index.ntotal, index.d
        self._xb = (
            faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
            if n
            else np.zeros((0, d), np.float32)
        )

    @classmethod
    def build(cls, vectors: np.ndarray, cfg: VectorConfig) -> FaissIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        if resolve_kind(cfg, n) == "hnsw":
            index = faiss.IndexHNSWFlat(d, cfg.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = max(40, 2 * cfg.hnsw_m)
        else:
            index = faiss.IndexFlatIP(d)
        if n:
            index.add(vectors)
        return cls(index, cfg)

    @classmethod
    def load(cls, path: Path, cfg: VectorConfig) -> FaissIndex:
        return cls(faiss.read_index(str(path)), cfg)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._xb[rows]

    def _search(self, query: np.ndarray, k: int, allowed: np.ndarray | None):
        params = None
        if allowed is not None:
            bitmap = np.packbits(allowed.astype(bool), bitorder="little")
            sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
            params = (
                faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.cfg.hnsw_ef_search, k))
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=sel)
            )
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.cfg.hnsw_ef_search, k))
        scores, rows = self.index.search(query.reshape(1, -1), k, params=params)
        return scores[0], rows[0].astype(np.int64)
