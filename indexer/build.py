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
    EMBEDDED_FILE,
    MANIFEST,
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
VECTORS_FILE = "vectors.faiss"
# While embedding, a newer build (the same lexical index, more vectors) is published at most
# this often: each publication rebuilds and writes the vector index and makes servers reload.
PUBLISH_EVERY_S = 60.0

# Progress of a long stage: (stage, done, total). Stages: "embed" (computing vectors),
# "lexical" (full lexical build), "lexical_update" (patching the previous lexical index).
Progress = Callable[[str, int, int], None]
# Called with (build id, passages with a vector, passages) whenever a build is made current.
OnPublish = Callable[[str, int, int], None]


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
    missing: int = 0  # passages still without a vector (--lexical-only)
    published: list[str] = field(default_factory=list)  # builds made current, in order

    def lines(self) -> list[str]:
        if self.build_id is None:
            return [f"索引已是最新（{self.passages} 个段落），无需重建。"]
        mode = {"full": "全量构建", "incremental": "增量更新"}[self.lexical]
        out = [
            f"索引构建完成：{self.passages} 个段落，关键词索引{mode}，"
            f"新计算向量 {self.embedded} 个、复用缓存 {self.cached} 个，用时 {self.seconds:.1f} 秒。",
            f"当前索引版本：{self.build_id}",
        ]
        if "first_searchable" in self.timings and len(self.published) > 1:
            out.append(f"开始构建后 {self.timings['first_searchable']:.1f} 秒即可检索。")
        if self.missing:
            share = coverage_percent(self.passages - self.missing, self.passages)
            out.append(
                f"语义索引覆盖 {share}：{self.missing} 个段落尚无向量，只按关键词参与检索；"
                "运行 `kb index` 继续计算向量。"
            )
        return out


def coverage_percent(embedded: int, total: int) -> str:
    """ "83%": rounded down, so that 100% means every passage has its vector."""
    return f"{embedded * 100 // total if total else 100}%"


def vectors_coverage(manifest: dict) -> float:
    """Share of a build's passages that have a vector (builds before this field: all)."""
    v = manifest.get("vectors")
    if not v or not v.get("total"):
        return 1.0
    return v["embedded"] / v["total"]


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


def _new_build_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a directory of a finished build by hard links: a finished build's files are never
    written again (an update writes a copy), so two builds can share them."""
    shutil.copytree(src, dst, copy_function=os.link)


def cached_vectors(
    keys: list[str], embedder: Embedder, cache: EmbeddingCache
) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, has-vector mask) of the given text keys from the cache; zeros where missing."""
    found = cache.get_many(embedder.id, list(set(keys)), embedder.dim)
    out = np.zeros((len(keys), embedder.dim), dtype=np.float32)
    have = np.zeros(len(keys), dtype=bool)
    for i, k in enumerate(keys):
        v = found.get(k)
        if v is not None:
            out[i], have[i] = v, True
    return out, have


def embed_missing(
    texts: list[str],
    keys: list[str],
    vectors: np.ndarray,
    have: np.ndarray,
    embedder: Embedder,
    cache: EmbeddingCache,
    batch: int,
    progress: Progress | None = None,
) -> Iterator[int]:
    """Embed the rows without a vector in batches, filling ``vectors`` and ``have`` in place.

    Each batch goes to the cache before the next starts, so an interrupted build loses at
    most one batch: the next run finds the rest cached. Identical texts are embedded once.
    Yields after every batch the number of texts embedded so far.
    """
    rows_of: dict[str, list[int]] = {}
    for i in np.flatnonzero(~have).tolist():
        rows_of.setdefault(keys[i], []).append(i)
    todo = sorted(rows_of)
    advance = _Counter(progress if todo else None, "embed", len(todo))
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        vecs = embedder.embed_passages([texts[rows_of[k][0]] for k in chunk])
        cache.put_many(embedder.id, dict(zip(chunk, vecs, strict=True)))
        for k, v in zip(chunk, vecs, strict=True):
            vectors[rows_of[k]] = v
            have[rows_of[k]] = True
        done += len(chunk)
        advance(len(chunk))
        yield done


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
    vectors, have = cached_vectors(keys, embedder, cache)
    from_cache = int(have.sum())
    counts = embed_missing(texts, keys, vectors, have, embedder, cache, batch, progress)
    embedded = max(counts, default=0)
    return vectors, embedded, from_cache


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
    lexical_only: bool = False,
    on_publish: OnPublish | None = None,
    publish_every: float = PUBLISH_EVERY_S,
) -> BuildResult:
    """Bring the indexes in line with ``records`` (row i = records[i]); see the module docstring.

    ``fingerprint`` identifies the corpus the records come from: an unchanged fingerprint with
    unchanged settings (and every passage embedded) means nothing to do. ``lexical_procs``
    (default: ``lexical.procs``, 0 = one per core) is the number of processes segmenting text
    in a full lexical build.

    Searchable early: the lexical index and the vectors already cached are published as soon
    as they are built; the remaining passages are then embedded in batches and a newer build
    with more vectors is published every ``publish_every`` seconds and at the end. Passages
    without a vector are searched by their words alone until then. ``lexical_only`` stops
    after the first publication. When the current build already serves the same corpus with
    more vectors than the early build would have (a forced rebuild), nothing is published
    before every vector is there.
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
        same_corpus = (
            prev_manifest is not None and prev_manifest.get("corpus_fingerprint") == fingerprint
        )
        prev_coverage = vectors_coverage(prev_manifest) if same_corpus else -1.0
        if (
            not force
            and same_corpus
            and prev_manifest.get("settings") == build_settings
            and (lexical_only or prev_coverage >= 1.0)
        ):
            return BuildResult(None, prev_manifest["passage_count"])

        _remove_stale(data_dir, keep={prev.name} if prev else set())
        build_id = _new_build_id()
        tmp = builds_dir(data_dir) / f"{build_id}.tmp"
        tmp.mkdir(parents=True)
        if settings.engine.name == "milvus":
            return _build_on_engine(
                settings, records, fingerprint, embedder, prev, prev_manifest, build_settings,
                progress, force, lexical_procs, report_count, build_id, tmp, t0,
            )  # fmt: skip
        try:
            # --force rebuilds the lexical index from the records instead of patching the
            # previous one: it is the repair `kb check` prescribes, and a copy would keep
            # whatever damage the previous index had.
            result = _build_into(
                tmp,
                settings,
                records,
                None if force else prev,
                None if force else prev_manifest,
                build_settings,
                progress,
                lexical_procs,
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        manifest = _manifest_head(
            build_id, fingerprint, result, report_count, records, embedder, build_settings
        )
        publisher = _Publisher(data_dir, settings, manifest, result, t0, on_publish)
        t = time.perf_counter()
        cache = None
        try:  # an interrupt anywhere from here on must not leave the staged build behind
            texts = [r.embed_text(settings.embedder.max_chars) for r in records]
            keys = [text_key(t) for t in texts]
            cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
            vectors, have = cached_vectors(keys, embedder, cache)
            result.cached = int(have.sum())
            missing = not have.all()
            # Publishing early must not replace a build of this very corpus that has more
            # vectors (a forced rebuild, another embedder): that one stays until we finish.
            early = not missing or lexical_only or have.mean() >= prev_coverage
            if early:
                publisher.publish(tmp, build_id, vectors, have)
            if missing and not lexical_only:
                last = time.perf_counter()
                for result.embedded in embed_missing(
                    texts, keys, vectors, have, embedder, cache,
                    settings.embedder.batch_size, progress,
                ):  # fmt: skip
                    if early and not have.all() and time.perf_counter() - last >= publish_every:
                        publisher.publish_linked(vectors, have)
                        last = time.perf_counter()
                if early:
                    publisher.publish_linked(vectors, have)
                else:
                    publisher.publish(tmp, build_id, vectors, have)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            publisher.discard()
            raise
        finally:
            if cache is not None:
                cache.close()
        result.timings["embed"] = time.perf_counter() - t - publisher.seconds
        result.timings["vectors"] = publisher.seconds
        result.missing = int((~have).sum())
        result.build_id = publisher.published[-1]
        result.published = publisher.published
        result.seconds = time.perf_counter() - t0
        _remove_stale(data_dir, keep={result.build_id})
        return result


def _manifest_head(
    build_id: str,
    fingerprint: str,
    result: BuildResult,
    report_count: int | None,
    records: Sequence[IndexRecord],
    embedder: Embedder,
    build_settings: dict,
) -> dict:
    """The manifest fields every build has, whichever engine wrote it."""
    return {
        "build_id": build_id,
        "corpus_fingerprint": fingerprint,
        "passage_count": result.passages,
        "report_count": (
            report_count if report_count is not None else len({r.report_id for r in records})
        ),
        "embedder": {"id": embedder.id, "dim": embedder.dim},
        "settings": build_settings,
    }


class _Publisher:
    """Makes builds current: the staged one first, then copies of it with more vectors.

    A copy shares every file but the vectors with the build before it (hard links), so
    publishing more vectors costs one vector index, not a lexical index.
    """

    def __init__(
        self,
        data_dir: Path,
        settings: IndexSettings,
        manifest: dict,
        result: BuildResult,
        t0: float,
        on_publish: OnPublish | None,
    ):
        self.data_dir, self.settings, self.manifest = data_dir, settings, manifest
        self.result, self.t0, self.on_publish = result, t0, on_publish
        self.published: list[str] = []
        self.seconds = 0.0  # spent building and writing vector indexes
        self._tmp: Path | None = None

    def publish(self, tmp: Path, build_id: str, vectors: np.ndarray, have: np.ndarray) -> None:
        """Write the vectors and the manifest into a staged build and make it current."""
        t = time.perf_counter()
        self._tmp = tmp
        vector_backend(self.settings.vectors).build(vectors, self.settings.vectors).save(
            tmp / VECTORS_FILE
        )
        if not have.all():
            np.save(tmp / EMBEDDED_FILE, have)
        embedded, total = int(have.sum()), len(have)
        r = self.result
        manifest = {
            **self.manifest,
            "build_id": build_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "vectors": {"embedded": embedded, "total": total},
            "stats": {
                "embedded": r.embedded,
                "cached": r.cached,
                "lexical": r.lexical,
                "seconds": round(time.perf_counter() - self.t0, 2),
                "timings": {k: round(v, 2) for k, v in r.timings.items()},
            },
        }
        write_manifest(tmp, manifest)
        os.replace(tmp, builds_dir(self.data_dir) / build_id)
        self._tmp = None
        set_current(self.data_dir, build_id)
        self.seconds += time.perf_counter() - t
        if not self.published:
            r.timings["first_searchable"] = time.perf_counter() - self.t0
        self.published.append(build_id)
        _remove_stale(self.data_dir, keep={build_id})
        if self.on_publish:
            self.on_publish(build_id, embedded, total)

    def publish_linked(self, vectors: np.ndarray, have: np.ndarray) -> None:
        """Publish a copy of the last published build with the given vectors."""
        src = builds_dir(self.data_dir) / self.published[-1]
        build_id = _new_build_id()
        tmp = builds_dir(self.data_dir) / f"{build_id}.tmp"
        self._tmp = tmp
        tmp.mkdir()
        for p in src.iterdir():
            if p.name in (VECTORS_FILE, EMBEDDED_FILE, MANIFEST):
                continue
            if p.is_dir():
                _link_tree(p, tmp / p.name)
            else:
                os.link(p, tmp / p.name)
        self.publish(tmp, build_id, vectors, have)

    def discard(self) -> None:
        """Remove a build being staged (after an error or an interrupt)."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _build_on_engine(
    settings: IndexSettings,
    records: Sequence[IndexRecord],
    fingerprint: str,
    embedder: Embedder,
    prev: Path | None,
    prev_manifest: dict | None,
    build_settings: dict,
    progress: Progress | None,
    force: bool,
    lexical_procs: int,
    report_count: int | None,
    build_id: str,
    tmp: Path,
    t0: float,
) -> BuildResult:
    """A build on a server engine (milvus): built whole, then published (nothing earlier)."""
    data_dir = Path(settings.data_dir)
    result: BuildResult | None = None
    try:
        # --force rebuilds the lexical index from the records instead of patching the
        # previous one: it is the repair `kb check` prescribes, and a copy would keep
        # whatever damage the previous index had.
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
            **_manifest_head(
                build_id, fingerprint, result, report_count, records, embedder, build_settings
            ),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
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
    prev: Path | None,
    prev_manifest: dict | None,
    build_settings: dict,
    progress: Progress | None,
    lexical_procs: int,
) -> BuildResult:
    """Stage the row table and the lexical index of a build in ``out`` (vectors come after)."""
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
        if not todo and not removed and RowTable.load(prev).pids == pids:
            # Same passages in the same rows (resuming an interrupted embedding): share
            # the previous build's lexical index instead of copying it.
            _link_tree(prev / "lexical", lex_dir)
            mode = "incremental"
        else:
            advance = _Counter(progress if todo else None, "lexical_update", len(todo))
            lexical.update(prev / "lexical", lex_dir, removed, todo, pids, on_doc=advance)
            mode = "incremental"
    else:
        advance = _Counter(progress, "lexical", len(docs))
        lexical.build(lex_dir, docs, settings.lexical, procs=lexical_procs, on_doc=advance)
        mode = "full"
    (out / "lexhash.json").write_text(json.dumps(hashes), encoding="utf-8")
    timings["lexical"] = time.perf_counter() - t
    return BuildResult(build_id=None, passages=len(records), lexical=mode, timings=timings)
