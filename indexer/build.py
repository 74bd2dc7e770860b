"""Build or update the lexical and vector indexes from a list of passage records.

One build = row table + lexical index + vector index + manifest, written to a temporary
directory and swapped in atomically (see :mod:`indexer.builds`). Updating is cheap where it
matters: vectors come from the embedding cache, so only new or changed passages are embedded,
and the lexical index of the previous build is copied and patched instead of rebuilt.

The caller supplies the records (:class:`~indexer.records.IndexRecord`), a fingerprint of the
corpus they come from, and optionally a progress callback; the indexer reads no store.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer import boilerplate
from indexer.analyzer import dictionary_fingerprint
from indexer.boilerplate import boilerplate_scores
from indexer.builds import (
    builds_dir,
    current_build,
    index_root,
    read_manifest,
    set_current,
    write_manifest,
)
from indexer.cache import EmbeddingCache, text_key
from indexer.embedders import Embedder
from indexer.lexical import LexicalDoc
from indexer.lexical import backend as lexical_backend
from indexer.records import IndexRecord
from indexer.rows import RowTable
from indexer.settings import IndexSettings
from indexer.vectors import backend as vector_backend

# 2: the lexical backend keeps its own document -> row map; row table columns come from the
# records
INDEX_FORMAT = 2
# build settings that change vectors or ranking data but not the lexical index
_NOT_LEXICAL = frozenset({"embedder", "vectors", "boilerplate", "columns"})
KEEP_BUILDS = 2  # the current build and the one before it

# Progress of a long stage: (stage, done, total). Stages: "embed" (computing vectors),
# "lexical" (full lexical build), "lexical_update" (patching the previous lexical index).
Progress = Callable[[str, int, int], None]


class BuildError(RuntimeError):
    """A build that cannot start (e.g. another build is running)."""


@dataclass
class BuildResult:
    build_id: str | None  # None when the indexes were already up to date
    passages: int
    embedded: int = 0  # passages embedded in this run (cache misses)
    cached: int = 0  # passages whose vectors came from the cache
    lexical: str = "unchanged"  # full | incremental | unchanged
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    engine: dict = field(default_factory=dict)  # milvus: where this build's collection is

    def lines(self) -> list[str]:
        if self.build_id is None:
            return [f"索引已是最新（{self.passages} 个段落），无需重建。"]
        mode = {"full": "全量构建", "incremental": "增量更新"}[self.lexical]
        return [
            f"索引构建完成：{self.passages} 个段落，关键词索引{mode}，"
            f"新计算向量 {self.embedded} 个、复用缓存 {self.cached} 个，用时 {self.seconds:.1f} 秒。",
            f"当前索引版本：{self.build_id}",
        ]


class _Counter:
    """Calls ``progress(stage, done, total)`` as work is done (nothing when progress is None)."""

    def __init__(self, progress: Progress | None, stage: str, total: int):
        self.progress, self.stage, self.total, self.done = progress, stage, total, 0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.progress:
            self.progress(self.stage, self.done, self.total)


def lexical_doc(r: IndexRecord) -> LexicalDoc:
    return LexicalDoc(r.pid, r.text, " ".join(r.heading_path), r.meta)


def _doc_hash(d: LexicalDoc) -> str:
    return hashlib.sha1(f"{d.text}\x00{d.heading}\x00{d.meta}".encode()).hexdigest()[:16]


def resolve_procs(procs: int) -> int:
    """Analysis processes for a build: 0 = one per core."""
    return max(1, procs or os.cpu_count() or 1)


@contextmanager
def build_lock(data_dir: Path) -> Iterator[None]:
    """One build at a time; the OS releases the lock if the process dies."""
    root = index_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError("另一个索引构建正在进行中，请等待它结束后再试。") from None
        yield


def _remove_stale(data_dir: Path, keep: set[str]) -> None:
    """Drop interrupted .tmp builds and builds older than the last KEEP_BUILDS."""
    builds = builds_dir(data_dir)
    if not builds.is_dir():
        return
    finished = []
    for p in builds.iterdir():
        if p.name.endswith(".tmp"):
            shutil.rmtree(p, ignore_errors=True)
        elif p.is_dir():
            finished.append(p)
    finished.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for p in finished[KEEP_BUILDS:]:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def embed_all(
    texts: list[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    batch: int,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int, int]:
    """Vectors for all texts, embedding only cache misses.

    Returns (vectors, texts embedded now, rows served from the cache).
    """
    keys = [text_key(t) for t in texts]
    found = cache.get_many(embedder.id, list(set(keys)), embedder.dim)
    from_cache = sum(k in found for k in keys)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
    advance = _Counter(progress if missing else None, "embed", len(missing))
    for i in range(0, len(missing), batch):
        chunk = missing[i : i + batch]
        vecs = embedder.embed_passages([t for _, t in chunk])
        new = {k: v for (k, _), v in zip(chunk, vecs, strict=True)}
        cache.put_many(embedder.id, new)
        found.update(new)
        advance(len(chunk))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = found[k]
    return out, len(missing), from_cache


def row_table(records: Sequence[IndexRecord]) -> RowTable:
    """The per-row filter and ranking arrays of a build (both engines keep them locally)."""
    columns = list(records[0].columns) if records else []
    return RowTable.from_records(
        [r.pid for r in records],
        [r.year for r in records],
        {c: [r.columns.get(c) for r in records] for c in columns},
        boilerplate_scores((r.report_id, r.text) for r in records),
    )


def record_vectors(
    settings: IndexSettings,
    records: Sequence[IndexRecord],
    embedder: Embedder,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int, int]:
    """Vectors of the records, through the embedding cache (see :func:`embed_all`)."""
    cache = EmbeddingCache(Path(settings.data_dir) / "cache" / "embeddings.sqlite")
    try:
        texts = [r.embed_text(settings.embedder.max_chars) for r in records]
        return embed_all(texts, embedder, cache, settings.embedder.batch_size, progress)
    finally:
        cache.close()


def build_indexes(
    settings: IndexSettings,
    records: Sequence[IndexRecord],
    fingerprint: str,
    embedder: Embedder,
    progress: Progress | None = None,
    force: bool = False,
    lexical_procs: int | None = None,
    report_count: int | None = None,
) -> BuildResult:
    """Bring the indexes in line with ``records`` (row i = records[i]); see the module docstring.

    ``fingerprint`` identifies the corpus the records come from: an unchanged fingerprint with
    unchanged settings means nothing to do. ``lexical_procs`` (default: ``lexical.procs``,
    0 = one per core) is the number of processes segmenting text in a full lexical build.
    """
    if lexical_procs is None:
        lexical_procs = resolve_procs(settings.lexical.procs)
    t0 = time.perf_counter()
    data_dir = Path(settings.data_dir)
    with build_lock(data_dir):
        prev = current_build(data_dir)
        prev_manifest = read_manifest(prev) if prev and (prev / "manifest.json").is_file() else None
        build_settings = {
            "embedder": embedder.id,
            "analyzer": dictionary_fingerprint(
                settings.lexical.user_dict, settings.lexical.stopwords
            ),
            "lexical_backend": settings.lexical.backend,
            # every vector setting (HNSW parameters included) and the boilerplate scoring
            # rule are part of what was built: changing them must not reuse a stale build
            "vectors": asdict(settings.vectors),
            "boilerplate": [
                boilerplate.NGRAM,
                boilerplate.MIN_REPORTS,
                boilerplate.SHARED_FRACTION,
            ],
            "columns": sorted(records[0].columns) if records else [],
            "embed_max_chars": settings.embedder.max_chars,
            "heading_boost": settings.lexical.heading_boost,
            "format": INDEX_FORMAT,
        }
        if settings.engine.name != "embedded":  # embedded builds keep their settings as before
            build_settings["engine"] = {"name": settings.engine.name, "uri": settings.engine.uri}
        if (
            not force
            and prev_manifest
            and prev_manifest.get("corpus_fingerprint") == fingerprint
            and prev_manifest.get("settings") == build_settings
        ):
            return BuildResult(None, prev_manifest["passage_count"])

        _remove_stale(data_dir, keep={prev.name} if prev else set())
        build_id = datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        tmp = builds_dir(data_dir) / f"{build_id}.tmp"
        tmp.mkdir(parents=True)
        result: BuildResult | None = None
        try:
            # --force rebuilds the lexical index from the records instead of patching the
            # previous one: it is the repair `kb check` prescribes, and a copy would keep
            # whatever damage the previous index had.
            build = _build_into
            if settings.engine.name == "milvus":
                from indexer.milvus.build import build_collection as build
            result = build(
                tmp,
                settings,
                records,
                embedder,
                None if force else prev,
                None if force else prev_manifest,
                build_settings,
                progress,
                lexical_procs,
            )
            result.build_id = build_id
            result.seconds = time.perf_counter() - t0
            manifest = {
                "build_id": build_id,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "corpus_fingerprint": fingerprint,
                "passage_count": result.passages,
                "report_count": (
                    report_count
                    if report_count is not None
                    else len({r.report_id for r in records})
                ),
                "embedder": {"id": embedder.id, "dim": embedder.dim},
                "settings": build_settings,
                **({"engine": result.engine} if result.engine else {}),
                "stats": {
                    "embedded": result.embedded,
                    "cached": result.cached,
                    "lexical": result.lexical,
                    "seconds": round(result.seconds, 2),
                    "timings": {k: round(v, 2) for k, v in result.timings.items()},
                },
            }
            write_manifest(tmp, manifest)
            final = builds_dir(data_dir) / build_id
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if result is not None and result.engine:  # its collection must not linger
                from indexer.milvus.build import discard

                discard(settings, result.engine)
            raise
        set_current(data_dir, build_id)
        _remove_stale(data_dir, keep={build_id})
        if result.engine:
            from indexer.milvus.build import publish

            publish(settings, result.engine)
        return result


def _build_into(
    out: Path,
    settings: IndexSettings,
    records: Sequence[IndexRecord],
    embedder: Embedder,
    prev: Path | None,
    prev_manifest: dict | None,
    build_settings: dict,
    progress: Progress | None,
    lexical_procs: int,
) -> BuildResult:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    pids = [r.pid for r in records]
    docs = [lexical_doc(r) for r in records]
    hashes = {d.pid: _doc_hash(d) for d in docs}
    row_table(records).save(out)
    timings["rows"] = time.perf_counter() - t

    # Lexical: patch the previous build when its analysis settings match, else rebuild.
    t = time.perf_counter()
    lexical = lexical_backend(settings.lexical.backend)
    lex_dir = out / "lexical"
    reusable = (
        prev is not None
        and prev_manifest is not None
        and {k: v for k, v in prev_manifest.get("settings", {}).items() if k not in _NOT_LEXICAL}
        == {k: v for k, v in build_settings.items() if k not in _NOT_LEXICAL}
        and (prev / "lexhash.json").is_file()
    )
    if reusable:
        old = json.loads((prev / "lexhash.json").read_text(encoding="utf-8"))
        changed = {pid for pid, h in hashes.items() if old.get(pid) != h}
        removed = [pid for pid, h in old.items() if hashes.get(pid) != h]
        todo = [d for d in docs if d.pid in changed]
        advance = _Counter(progress if todo else None, "lexical_update", len(todo))
        lexical.update(prev / "lexical", lex_dir, removed, todo, pids, on_doc=advance)
        mode = "incremental"
    else:
        advance = _Counter(progress, "lexical", len(docs))
        lexical.build(lex_dir, docs, settings.lexical, procs=lexical_procs, on_doc=advance)
        mode = "full"
    (out / "lexhash.json").write_text(json.dumps(hashes), encoding="utf-8")
    timings["lexical"] = time.perf_counter() - t

    # Vectors: from the cache where possible.
    t = time.perf_counter()
    vectors, embedded, cached = record_vectors(settings, records, embedder, progress)
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    vector_backend(settings.vectors).build(vectors, settings.vectors).save(out / "vectors.faiss")
    timings["vectors"] = time.perf_counter() - t
    return BuildResult(
        build_id=None,
        passages=len(records),
        embedded=embedded,
        cached=cached,
        lexical=mode,
        timings=timings,
    )
