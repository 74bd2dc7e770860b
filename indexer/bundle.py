"""Open the current build for searching: manifest, row table, lexical and vector indexes, together.

A bundle is opened once and shared by all requests of a server (the lexical searcher and the
vector index stay open); :meth:`IndexBundle.is_stale` tells the server when a newer build has
been swapped in, so it reloads only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.builds import EMBEDDED_FILE, MANIFEST, current_build, read_manifest
from indexer.lexical import LexicalIndex
from indexer.lexical import backend as lexical_backend
from indexer.rows import RowTable
from indexer.settings import IndexSettings
from indexer.vectors import VectorIndex
from indexer.vectors import backend as vector_backend


class IndexMissing(RuntimeError):
    """No usable build: the message tells the user what to run."""


class EmbedderMismatch(RuntimeError):
    """The configured embedder is not the one the vector index was built with."""


@dataclass
class IndexBundle:
    path: Path
    manifest: dict
    rows: RowTable
    lexical: LexicalIndex
    vectors: VectorIndex
    data_dir: Path
    # Rows that have a vector; None when all do. A build published before embedding finished
    # holds zero vectors for the others, which vector searches must not return.
    embedded: np.ndarray | None = None
    _row_of: dict[str, int] | None = None

    @property
    def vectors_coverage(self) -> float:
        """Share of the passages that have a vector (1.0 once embedding has finished)."""
        if self.embedded is None or not len(self.embedded):
            return 1.0
        return float(self.embedded.mean())

    def with_vectors(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """``allowed`` (a row mask, or None for all) narrowed to rows that have a vector."""
        if self.embedded is None:
            return allowed
        return self.embedded if allowed is None else allowed & self.embedded

    def row_of(self, passage_id: str) -> int | None:
        """Row of a passage id in this build (None when the build doesn't have it)."""
        if self._row_of is None:
            self._row_of = {pid: i for i, pid in enumerate(self.rows.pids)}
        return self._row_of.get(passage_id)

    @property
    def build_id(self) -> str:
        return self.manifest["build_id"]

    @property
    def embedder_id(self) -> str:
        return self.manifest["embedder"]["id"]

    def is_stale(self) -> bool:
        """Whether another build has been made current since this one was opened."""
        current = current_build(self.data_dir)
        return current is not None and current.name != self.build_id

    def check_embedder(self, embedder_id: str) -> None:
        if embedder_id != self.embedder_id:
            raise EmbedderMismatch(
                f"向量索引是用模型 {self.embedder_id} 构建的，当前配置的模型是 {embedder_id}："
                "两者的向量不可比较。请运行 `kb index` 用当前模型重建索引，或改回原来的模型配置。"
            )

    def close(self) -> None:
        self.lexical.close()


def open_bundle(settings: IndexSettings) -> IndexBundle:
    """Open the current build, or explain what is missing."""
    build = current_build(settings.data_dir)
    if build is None or not (build / MANIFEST).is_file():
        raise IndexMissing(
            f"在 {settings.data_dir} 中没有找到索引。请先运行 `kb ingest corpus/` 和 `kb index`。"
        )
    manifest = read_manifest(build)
    rows = RowTable.load(build)
    if (manifest.get("engine") or {}).get("name") == "milvus":
        from indexer.milvus import open_indexes

        lexical, vectors = open_indexes(settings, manifest, rows)
        return IndexBundle(build, manifest, rows, lexical, vectors, Path(settings.data_dir))
    # the backend the build was made with, whatever the configuration says now
    lexical = lexical_backend(manifest["settings"]["lexical_backend"]).open(
        build / "lexical", len(rows)
    )
    vectors = vector_backend(settings.vectors).load(build / "vectors.faiss", settings.vectors)
    embedded_file = build / EMBEDDED_FILE
    embedded = np.load(embedded_file) if embedded_file.is_file() else None
    return IndexBundle(build, manifest, rows, lexical, vectors, Path(settings.data_dir), embedded)
