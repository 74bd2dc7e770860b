"""FAISS backend: exact inner product (flat), the same scan over compressed vectors (fp16,
sq8) or an HNSW graph, chosen by ``vectors.index_type``.

``auto`` uses exact search up to ``vectors.exact_max`` passages — fast enough at that size and
exact — and ``vectors.large_index_type`` above it. The default there is ``fp16``: the exact
scan over half-precision vectors, half the memory and about half the time of ``flat`` with
recall@10 ≥ 0.99. HNSW is faster still, but on report text — clusters of near-duplicate
boilerplate passages with nearly equal scores — its recall against exact search collapses as
the corpus grows (0.66 at 10^6 passages even with efSearch 2048; bench/results/README.md).
Filtered searches pass a bitmap selector so FAISS ranks only the allowed rows.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from indexer.settings import ConfigError, VectorConfig
from indexer.vectors.base import VectorIndex

KINDS = ("flat", "fp16", "sq8", "hnsw")
_QUANTIZERS = {"fp16": "QT_fp16", "sq8": "QT_8bit"}


def resolve_kind(cfg: VectorConfig, n: int) -> str:
    kind = cfg.index_type
    if kind == "auto":
        kind = "flat" if n <= cfg.exact_max else cfg.large_index_type
    if kind not in KINDS:
        raise ConfigError(f"未知的向量索引类型 {kind!r}（可选：auto、{'、'.join(KINDS)}）")
    return kind


def _kind_of(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(index, faiss.IndexScalarQuantizer):
        return "sq8" if index.sq.qtype == faiss.ScalarQuantizer.QT_8bit else "fp16"
    return "flat"


class FaissIndex(VectorIndex):
    def __init__(self, index: faiss.Index, cfg: VectorConfig):
        self.index = index
        self.cfg = cfg
        self.kind = _kind_of(index)
        n, d = index.ntotal, index.d
        self._xb: np.ndarray | None = None
        if self.kind in ("flat", "hnsw"):
            storage = faiss.downcast_index(index.storage) if self.kind == "hnsw" else index
            # A zero-copy view of the stored vectors (exact subset scoring, similar passages).
            self._xb = (
                faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
                if n
                else np.zeros((0, d), np.float32)
            )

    @classmethod
    def build(cls, vectors: np.ndarray, cfg: VectorConfig) -> FaissIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        kind = resolve_kind(cfg, n)
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, cfg.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = max(cfg.hnsw_ef_construction, cfg.hnsw_m)
        elif kind in _QUANTIZERS:
            qtype = getattr(faiss.ScalarQuantizer, _QUANTIZERS[kind])
            index = faiss.IndexScalarQuantizer(d, qtype, faiss.METRIC_INNER_PRODUCT)
            if n:
                index.train(vectors)  # sq8: per-dimension ranges; fp16 needs none
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
        if self._xb is not None:
            return self._xb[rows]
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows):
            return np.zeros((0, self.dim), np.float32)
        return self.index.reconstruct_batch(rows)  # decoded from fp16 / 8-bit codes

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
