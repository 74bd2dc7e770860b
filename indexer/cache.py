"""Embedding cache: (embedder id, hash of the embedded text) → vector, in SQLite.

Embedding is by far the slowest step of indexing on a CPU. Keying on the exact text that was
embedded means re-indexing an unchanged corpus embeds nothing, changing one report embeds only
its changed passages, and switching embedders never mixes vectors of two models.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (embedder TEXT NOT NULL, key TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (embedder, key))"
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def get_many(self, embedder: str, keys: list[str], dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = (
                "SELECT key, vector FROM embeddings WHERE embedder = ? AND key IN "
                f"({','.join('?' * len(chunk))})"
            )
            for key, blob in self.db.execute(q, [embedder, *chunk]):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (dim,):
                    out[key] = vec
        return out

    def put_many(self, embedder: str, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(embedder, k, np.asarray(v, np.float32).tobytes()) for k, v in items.items()],
            )
