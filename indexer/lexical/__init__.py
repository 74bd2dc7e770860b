"""Lexical index factory: one module per backend, chosen by ``lexical.backend``."""

from __future__ import annotations

import importlib

from indexer.lexical.base import LexicalDoc, LexicalIndex, TermQuery
from indexer.settings import ConfigError

_BACKENDS = {"whoosh": ("indexer.lexical.whoosh", "WhooshIndex")}


def backend(name: str) -> type[LexicalIndex]:
    """The backend class called ``name`` (``[lexical] backend``, or a build's manifest)."""
    try:
        module_name, cls_name = _BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"未知的关键词索引后端 {name!r}（可选：{', '.join(sorted(_BACKENDS))}）"
        ) from None
    return getattr(importlib.import_module(module_name), cls_name)


__all__ = ["LexicalDoc", "LexicalIndex", "TermQuery", "backend"]
