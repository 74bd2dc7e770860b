"""Connecting to Milvus: Milvus Lite for a local file, a server for an http(s) URI.

``milvus-lite==2.5.1`` (the C++ engine; 3.x is a much slower pure-Python rewrite) imports
``pkg_resources`` when it starts, which setuptools 81 removes: the ``milvus`` extra keeps
``setuptools<81`` for that reason (pyproject.toml). Its server also logs every tantivy
commit at INFO on stderr; ``RUST_LOG`` set before it starts keeps the terminal clean.
"""

from __future__ import annotations

import logging
import os
import uuid
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
            # pymilvus shares one connection between clients of the same URI, and closing
            # any of them closes it for all: each kb client gets a connection of its own
            return MilvusClient(uri=uri, token=engine.token, alias=f"kb-{uuid.uuid4().hex}")
    except Exception as e:
        hint = (
            "；Milvus Lite 的数据文件同一时间只能由一个进程打开（另一个 kb 进程正在使用它？）"
            if is_lite(uri)
            else ""
        )
        raise ConfigError(f"无法连接 Milvus（{uri}）：{e}{hint}") from e


def release(engine: EngineConfig, data_dir: Path) -> None:
    """Stop this process's Milvus Lite server for the data dir, so that another process may
    open the file (Lite allows one at a time); no-op for a server URI. Clients of this
    process on that file stop working: call it only when none is left open."""
    uri = resolve_uri(engine, data_dir)
    if not is_lite(uri):
        return
    from milvus_lite.server_manager import server_manager_instance

    if str(Path(uri).absolute().resolve()) in server_manager_instance._servers:
        server_manager_instance.release_server(uri)
