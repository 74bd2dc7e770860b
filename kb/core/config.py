"""Configuration: built-in defaults, one optional TOML file, then environment overrides.

The defaults work with no file at all. A file (``--config PATH``, ``$KB_CONFIG`` or ``./kb.toml``)
overrides any of them; every setting can also be overridden by an environment variable named
``KB_<SECTION>_<KEY>`` (``KB_DATA_DIR`` for top-level keys), e.g. ``KB_EMBEDDER_BACKEND=sbert``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from indexer.settings import (
    ENGINES,
    ConfigError,
    EmbedderConfig,
    EngineConfig,
    IndexSettings,
    LexicalConfig,
    VectorConfig,
)

__all__ = [
    "ACCESS_MODES",
    "AccessConfig",
    "Config",
    "ConfigError",
    "EmbedderConfig",
    "EngineConfig",
    "LexicalConfig",
    "SearchConfig",
    "VectorConfig",
    "load_config",
]


@dataclass
class IngestConfig:
    max_file_mb: float = 50.0


@dataclass
class SearchConfig:
    mode: str = "hybrid"  # hybrid | lexical | semantic
    fusion: str = "convex"  # convex (normalised scores, see kb.search.fusion) | rrf
    rrf_k: int = 60
    lexical_weight: float = 1.0  # tilt towards one side (both fusion methods)
    semantic_weight: float = 1.0
    # convex fusion: the lexical side's share of the score grows from share_low to share_high
    # with how much of the query the best lexical hits hold (kb.search.fusion.lexical_share)
    share_low: float = 0.5
    share_high: float = 0.9
    # hybrid: expand queries with a synonyms file; "domain" = the list shipped in
    # indexer/data/synonyms.txt (official terms for the same practice), "" = none
    synonyms: str = "domain"
    synonym_weight: float = 0.5  # hybrid: BM25 of a synonym vs the query's own words
    boilerplate_penalty: float = 0.3  # hybrid: score × (1 − penalty × boilerplate share)
    verbatim_first: bool = True  # passages holding the query as written come first
    # A query finds nothing when no lexical hit holds this share of it (IDF-weighted) and no
    # passage is this similar (cosine, default embedder): calibrated on the tune half.
    no_result_coverage: float = 0.5
    no_result_similarity: float = 0.859
    candidates: int = 100  # hits taken from each retriever before fusion
    dedupe_similarity: float = 0.8  # character-shingle Jaccard above which hits are grouped
    rerank_model: str = ""  # sentence-transformers CrossEncoder name/path; empty = off
    rerank_depth: int = 30  # hybrid: how many fused candidates the cross-encoder reorders


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    threads: int = 8
    # Host names the server answers to besides 127.0.0.1/localhost/::1 and host:port above,
    # comma-separated ("kb.example.cn" any port, "10.0.0.5:8080" that port, "*" no check).
    allowed_hosts: str = ""
    max_body_kb: int = 256  # request bodies above this are refused (413) before being read


ACCESS_MODES = ("off", "accounts", "remote_user")


@dataclass
class AccessConfig:
    """Who may write (case collections). ``off``: everyone, the local single-user default;
    ``accounts``: users added with `kb user add`, signing in on /login; ``remote_user``: the
    user named by a reverse proxy's header, trusted only from ``trusted_proxies``."""

    mode: str = "off"  # off | accounts | remote_user
    remote_user_header: str = "X-Remote-User"
    trusted_proxies: str = "127.0.0.1,::1"  # remote_user: addresses whose header is believed
    session_days: int = 14  # accounts: how long a sign-in lasts
    secure_cookies: bool = False  # session cookie Secure even when kb itself sees plain http


@dataclass
class Config:
    data_dir: str = "kbdata"
    ingest: IngestConfig = field(default_factory=IngestConfig)
    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)
    vectors: VectorConfig = field(default_factory=VectorConfig)
    lexical: LexicalConfig = field(default_factory=LexicalConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def store_path(self) -> Path:
        return self.data_path / "corpus.sqlite"

    @property
    def users_path(self) -> Path:
        return self.data_path / "users.sqlite"

    def index_settings(self) -> IndexSettings:
        """What the indexer needs to know (it never sees the rest of the configuration)."""
        return IndexSettings(self.data_path, self.lexical, self.vectors, self.embedder, self.engine)


def _coerce(value: Any, typ: type, where: str) -> Any:
    try:
        if typ is bool:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        return typ(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}：值 {value!r} 不是有效的 {typ.__name__}") from e


def _apply(obj: Any, data: dict, where: str) -> None:
    hints = get_type_hints(type(obj))
    names = {f.name for f in fields(obj)}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"{where}：未知的配置项 {key!r}")
        current = getattr(obj, key)
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}：[{key}] 应为一个表（section）")
            _apply(current, value, f"{where} [{key}]")
        else:
            setattr(obj, key, _coerce(value, hints[key], f"{where} {key}"))


def _apply_env(cfg: Config, env: dict[str, str]) -> None:
    hints = get_type_hints(Config)
    for f in fields(cfg):
        sub = getattr(cfg, f.name)
        if is_dataclass(sub):
            sub_hints = get_type_hints(type(sub))
            for g in fields(sub):
                name = f"KB_{f.name.upper()}_{g.name.upper()}"
                if name in env:
                    setattr(sub, g.name, _coerce(env[name], sub_hints[g.name], name))
        else:
            name = f"KB_{f.name.upper()}"
            if name in env:
                setattr(cfg, f.name, _coerce(env[name], hints[f.name], name))


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Defaults ← TOML file (explicit path, $KB_CONFIG, or ./kb.toml if present) ← environment."""
    env = dict(os.environ) if env is None else env
    cfg = Config()
    path = path or env.get("KB_CONFIG") or ("kb.toml" if Path("kb.toml").is_file() else None)
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"{p}：配置文件不存在") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p}：配置文件格式错误（{e}）") from e
        _apply(cfg, data, str(p))
    _apply_env(cfg, env)
    if cfg.access.mode not in ACCESS_MODES:
        raise ConfigError(
            f"[access] mode：值 {cfg.access.mode!r} 无效（可选：{'、'.join(ACCESS_MODES)}）"
        )
    if cfg.engine.name not in ENGINES:
        raise ConfigError(
            f"[engine] name：值 {cfg.engine.name!r} 无效（可选：{'、'.join(ENGINES)}）"
        )
    return cfg
