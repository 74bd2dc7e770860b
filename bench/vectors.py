"""Stored vectors for scale runs: real e5 geometry without embedding a million passages.

Embedding 10^6 passages with the bundled e5-small on two CPU cores takes days (a few passages
per second), so the benchmark's vector side uses *stored* vectors: every sentence and title
template of the source material is embedded once with the real embedder (cached under
``bench/work/``), and a generated passage's vector is the normalised mean of the stored
vectors of the sentences it was recombined from, plus a little deterministic noise (a real
passage embedding is close to, not equal to, the mean of its sentences). Sentences whose
template is not found (those naming the new organisation) are skipped; a passage with no
known sentence gets a stored vector chosen by its hash.

The result has the real model's geometry (anisotropy, clusters of boilerplate, near
duplicates), which is what ANN recall and latency depend on, and queries are embedded by the
real model, so the query side is measured for real. The embedder id says "stored" so such an
index is never confused with a real one.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from bench.generate import SourcePool, _Slots, fill
from indexer.embedders.base import Embedder, l2_normalize

NOISE = 0.35  # noise norm relative to the mean vector's norm (cosine to the mean ≈ 0.94)
NOISE_TABLE = 4096

_PIECES = re.compile(r"[^。！？；：:\n>]+")
_LEAD = re.compile(r"^\s*(?:[一二三四五六七八九十]+是|\d+[.、．]\s*)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_PLACE_SLOT = re.compile(r"\{(?:ORG|PROVS?|CITYS?|COUNTYS?)\}")
_YEAR_SLOT = re.compile(r"\{Y(?:[+-]1)?\}")


def sentence_key(piece: str) -> str:
    """What a sentence is looked up by: no enumeration prefix, counts blanked."""
    return _DIGITS.sub("0", _LEAD.sub("", piece.strip(" 。！？；：，")))


def template_key(template: str) -> str | None:
    """The key of a template, or None when it names places (the generator fills those in)."""
    if _PLACE_SLOT.search(template):
        return None
    return sentence_key(_YEAR_SLOT.sub("0", template))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def pool_vectors(
    pool: SourcePool, embedder: Embedder, cache_dir: Path
) -> tuple[list[str], np.ndarray]:
    """(keys, vectors) of the pool's templates, embedded once by the real embedder and cached."""
    name = f"pool-{pool.fingerprint()}-{hashlib.sha1(embedder.id.encode()).hexdigest()[:8]}.npz"
    path = Path(cache_dir) / name
    if path.is_file():
        with np.load(path) as z:
            return list(z["keys"]), z["vectors"]
    example = _Slots.example(2023)
    texts = {}
    for t in pool.all_templates():
        key = template_key(t)
        if key and key not in texts:
            texts[key] = fill(t, example)
    keys = sorted(texts)
    vectors = np.concatenate(
        [
            embedder.embed_passages([texts[k] for k in keys[i : i + 32]])
            for i in range(0, len(keys), 32)
        ]
    ).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=np.array(keys), vectors=vectors)
    return keys, vectors


class StoredVectorEmbedder(Embedder):
    """Passages from stored sentence vectors, queries by the real embedder; see module doc."""

    def __init__(self, base: Embedder, keys: list[str], vectors: np.ndarray, seed: int = 0):
        self.base = base
        self.dim = base.dim
        self._row = {k: i for i, k in enumerate(keys)}
        self._vectors = np.asarray(vectors, np.float32)
        digest = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:8]
        self.id = f"bench-stored:{base.id}:{digest}:{seed}"
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal((NOISE_TABLE, self.dim)).astype(np.float32)
        self._noise = noise / np.linalg.norm(noise, axis=1, keepdims=True)
        self.hits = 0  # sentences found in the pool (realism of the stored vectors)
        self.misses = 0

    @classmethod
    def from_config(cls, cfg):  # pragma: no cover - built by the benchmark, not by config
        raise NotImplementedError("StoredVectorEmbedder is built by bench.run")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        n_pool = len(self._vectors)
        indices: list[int] = []
        indptr = [0]
        hashes = np.empty(len(texts), np.uint64)
        for i, text in enumerate(texts):
            rows = [self._row.get(sentence_key(p)) for p in _PIECES.findall(text)]
            found = [r for r in rows if r is not None]
            self.hits += len(found)
            self.misses += len(rows) - len(found)
            h = _hash(text)
            hashes[i] = h
            indices += found or [h % n_pool]  # nothing known: a stored vector by hash
            indptr.append(len(indices))
        counts = np.diff(indptr).astype(np.float32)
        picks = csr_matrix(
            (np.ones(len(indices), np.float32), indices, indptr), shape=(len(texts), n_pool)
        )
        mean = np.asarray(picks @ self._vectors) / counts[:, None]
        norms = np.linalg.norm(mean, axis=1, keepdims=True)
        noise = self._noise[((hashes >> np.uint64(16)) % np.uint64(NOISE_TABLE)).astype(np.int64)]
        return l2_normalize(mean + NOISE * norms * noise)

    def embed_query(self, text: str) -> np.ndarray:
        return self.base.embed_query(text)


class HashEmbedder(Embedder):
    """A fast deterministic stand-in for the real model (tests of the benchmark itself).

    Character bigrams hashed into ``dim`` signed buckets: texts sharing wording get similar
    vectors, which is all a test of the benchmark's plumbing needs. Never used for results.
    """

    id = "bench-hash:bigram"

    def __init__(self, dim: int = 384):
        self.dim = dim

    @classmethod
    def from_config(cls, cfg):  # pragma: no cover - built by the benchmark, not by config
        return cls()

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for a, b in zip(text, text[1:], strict=False):
            h = _hash(a + b)
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalize(np.stack([self._one(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalize(self._one(text))
