"""The [engine] section: file, environment overrides, and names that are refused."""

from __future__ import annotations

import pytest

from indexer.milvus.client import is_lite, resolve_uri
from kb.core.config import ConfigError, load_config


def test_embedded_is_the_default_and_the_index_settings_carry_the_engine() -> None:
    cfg = load_config(env={})
    assert cfg.engine.name == "embedded"
    assert cfg.index_settings().engine is cfg.engine


def test_environment_overrides_name_uri_and_token(tmp_path) -> None:
    toml = tmp_path / "kb.toml"
    toml.write_text('[engine]\nname = "embedded"\ncollection = "reports"\n', encoding="utf-8")
    cfg = load_config(
        toml,
        env={
            "KB_ENGINE_NAME": "milvus",
            "KB_ENGINE_URI": "http://milvus.example:19530",
            "KB_ENGINE_TOKEN": "root:Milvus",
        },
    )
    assert (cfg.engine.name, cfg.engine.uri, cfg.engine.token, cfg.engine.collection) == (
        "milvus",
        "http://milvus.example:19530",
        "root:Milvus",
        "reports",
    )
    assert not is_lite(resolve_uri(cfg.engine, cfg.data_path))


def test_an_empty_uri_means_milvus_lite_in_the_data_dir(tmp_path) -> None:
    cfg = load_config(env={"KB_ENGINE_NAME": "milvus", "KB_DATA_DIR": str(tmp_path)})
    uri = resolve_uri(cfg.engine, cfg.data_path)
    assert uri == str(tmp_path / "milvus.db") and is_lite(uri)


def test_an_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="engine.*elastic"):
        load_config(env={"KB_ENGINE_NAME": "elastic"})
