"""Vector index factory: one module per backend, chosen by ``vectors.backend``."""

from __future__ import annotations

import importlib

from indexer.settings import ConfigError, VectorConfig
from indexer.vectors.base import VectorIndex

_BACKENDS = {"faiss": ("indexer.vectors.faiss", "FaissIndex")}


def backend(cfg: VectorConfig) -> type[VectorIndex]:
    try:
        module_name, cls_name = _BACKENDS[cfg.backend]
    except KeyError:
        raise ConfigError(
            f"未知的向量索引后端 {cfg.backend!r}（可选：{', '.join(sorted(_BACKENDS))}）"
        ) from None
    return getattr(importlib.import_module(module_name), cls_name)


__all__ = ["VectorIndex", "backend"]
