"""Connecting to Milvus: Milvus Lite for a local file, a server for an http(s) URI.

``milvus-lite==2.5.1`` (the C++ engine; 3.x is a much slower pure-Python rewrite) imports
``pkg_resources`` when it starts, which setuptools 81 removes: the ``milvus`` extra keeps
``setuptools<81`` for that reason (pyproject.toml). Its server also logs every tantivy
commit at INFO on stderr; ``RUST_LOG`` set before it starts keeps the terminal clean.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from indexer.settings import ConfigError, EngineConfig

SERVER_SCHEMES = ("http://", "https://", "tcp://", "grpc://", "unix:")
LITE_FILE = "milvus.db"


def resolve_uri(engine: EngineConfig, data_dir: Path) -> str:
    """The URI to connect to: ``[engine] uri``, or Milvus Lite's file in the data dir."""
    return engine.uri or str(Path(data_dir) / LITE_FILE)


def is_lite(uri: str) -> bool:
    """A local file path means Milvus Lite (embedded); anything with a scheme is a server."""
    return not uri.startswith(SERVER_SCHEMES)


def connect(engine: EngineConfig, data_dir: Path) -> Any:
    """A ``pymilvus.MilvusClient`` for the configured engine (Milvus Lite starts in-process)."""
    uri = resolve_uri(engine, data_dir)
    os.environ.setdefault("RUST_LOG", "error")
    # pymilvus logs every failed call before raising it, and warns on each iterator over
    # Milvus Lite ("failed to get mvccTs"); kb reports what it raises, in Chinese.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # milvus_lite: "pkg_resources is deprecated"
            from pymilvus import MilvusClient
    except ImportError:
        raise ConfigError(
            '[engine] name = "milvus" 需要可选依赖 pymilvus 与 milvus-lite：'
            "请运行 `pip install -e '.[milvus]'`。"
        ) from None
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return MilvusClient(uri=uri, token=engine.token)
    except Exception as e:
        hint = (
            "；Milvus Lite 的数据文件同一时间只能由一个进程打开（另一个 kb 进程正在使用它？）"
            if is_lite(uri)
            else ""
        )
        raise ConfigError(f"无法连接 Milvus（{uri}）：{e}{hint}") from e
