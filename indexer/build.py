"""`kb index`: build or update the lexical and vector indexes from the corpus store.

One build = row table + Whoosh index + FAISS index + manifest, written to a temporary
directory and swapped in atomically (see :mod:`indexer.builds`). Updating is cheap where it
matters: vectors come from the embedding cache, so only new or changed passages are embedded,
and the Whoosh index of the previous build is copied and patched instead of rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
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
from indexer.lexical.whoosh import (
    LexicalDoc,
    build_lexical,
    docnum_rows,
    resolve_procs,
    update_lexical,
)
from indexer.rows import RowTable
from indexer.vectors import backend as vector_backend
from kb.core.config import Config
from kb.core.progress import bar
from kb.store.corpus import CorpusStore, IndexedPassage

INDEX_FORMAT = 1
# build settings that change vectors or ranking data but not the Whoosh index
_NOT_LEXICAL = frozenset({"embedder", "vectors", "boilerplate"})
KEEP_BUILDS = 2  # the current build and the one before it


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

    def lines(self) -> list[str]:
        if self.build_id is None:
            return [f"索引已是最新（{self.passages} 个段落），无需重建。"]
        mode = {"full": "全量构建", "incremental": "增量更新"}[self.lexical]
        return [
            f"索引构建完成：{self.passages} 个段落，关键词索引{mode}，"
            f"新计算向量 {self.embedded} 个、复用缓存 {self.cached} 个，用时 {self.seconds:.1f} 秒。",
            f"当前索引版本：{self.build_id}",
        ]


def embed_text(ip: IndexedPassage, max_chars: int) -> str:
    """What the embedder sees: the nearest headings give a short passage its topic."""
    context = " > ".join(ip.passage.heading_path[-2:])
    text = f"{context}：{ip.passage.text}" if context else ip.passage.text
    return text[:max_chars]


def lexical_doc(ip: IndexedPassage) -> LexicalDoc:
    m = ip.report
    meta = " ".join(filter(None, [m.org, m.title, m.province, m.city, m.county]))
    return LexicalDoc(ip.passage.id, ip.passage.text, " ".join(ip.passage.heading_path), meta)


def _doc_hash(d: LexicalDoc) -> str:
    return hashlib.sha1(f"{d.text}\x00{d.heading}\x00{d.meta}".encode()).hexdigest()[:16]


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


def _embed_all(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, batch: int, show: bool
) -> tuple[np.ndarray, int, int]:
    """Vectors for all texts, embedding only cache misses.

    Returns (vectors, texts embedded now, rows served from the cache).
    """
    keys = [text_key(t) for t in texts]
    found = cache.get_many(embedder.id, list(set(keys)), embedder.dim)
    from_cache = sum(k in found for k in keys)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
    progress = bar(len(missing), "计算向量", "段", enable=show and bool(missing))
    try:
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vecs = embedder.embed_passages([t for _, t in chunk])
            new = {k: v for (k, _), v in zip(chunk, vecs, strict=True)}
            cache.put_many(embedder.id, new)
            found.update(new)
            progress.update(len(chunk))
    finally:
        progress.close()
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = found[k]
    return out, len(missing), from_cache


def build_indexes(
    cfg: Config,
    store: CorpusStore,
    embedder: Embedder,
    show_progress: bool = True,
    force: bool = False,
    lexical_procs: int | None = None,
) -> BuildResult:
    """Bring the indexes in line with the corpus store; see the module docstring.

    ``lexical_procs`` (default: ``lexical.procs`` from the config, 0 = one per core) is the
    number of processes segmenting text in a full lexical build.
    """
    if lexical_procs is None:
        lexical_procs = resolve_procs(cfg.lexical.procs)
    t0 = time.perf_counter()
    data_dir = cfg.data_path
    with build_lock(data_dir):
        fingerprint = store.fingerprint()
        analyzer = dictionary_fingerprint(cfg.lexical.user_dict, cfg.lexical.stopwords)
        prev = current_build(data_dir)
        prev_manifest = read_manifest(prev) if prev and (prev / "manifest.json").is_file() else None
        settings = {
            "embedder": embedder.id,
            "analyzer": analyzer,
            # every vector setting (HNSW parameters included) and the boilerplate scoring
            # rule are part of what was built: changing them must not reuse a stale build
            "vectors": asdict(cfg.vectors),
            "boilerplate": [
                boilerplate.NGRAM,
                boilerplate.MIN_REPORTS,
                boilerplate.SHARED_FRACTION,
            ],
            "embed_max_chars": cfg.embedder.max_chars,
            "heading_boost": cfg.lexical.heading_boost,
            "format": INDEX_FORMAT,
        }
        if (
            not force
            and prev_manifest
            and prev_manifest.get("corpus_fingerprint") == fingerprint
            and prev_manifest.get("settings") == settings
        ):
            return BuildResult(None, prev_manifest["passage_count"])

        _remove_stale(data_dir, keep={prev.name} if prev else set())
        build_id = datetime.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        tmp = builds_dir(data_dir) / f"{build_id}.tmp"
        tmp.mkdir(parents=True)
        try:
            # --force rebuilds the lexical index from the store instead of patching the
            # previous one: it is the repair `kb check` prescribes, and a copy would keep
            # whatever damage the previous index had.
            result = _build_into(
                tmp,
                cfg,
                store,
                embedder,
                None if force else prev,
                None if force else prev_manifest,
                settings,
                show_progress,
                lexical_procs,
            )
            result.build_id = build_id
            result.seconds = time.perf_counter() - t0
            manifest = {
                "build_id": build_id,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "corpus_fingerprint": fingerprint,
                "passage_count": result.passages,
                "report_count": len(store.content_hashes()),
                "embedder": {"id": embedder.id, "dim": embedder.dim},
                "settings": settings,
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
            raise
        set_current(data_dir, build_id)
        _remove_stale(data_dir, keep={build_id})
        return result


def _build_into(
    out: Path,
    cfg: Config,
    store: CorpusStore,
    embedder: Embedder,
    prev: Path | None,
    prev_manifest: dict | None,
    settings: dict,
    show: bool,
    lexical_procs: int,
) -> BuildResult:
    timings: dict[str, float] = {}
    t = time.perf_counter()
    records = list(store.iter_indexed_passages())
    pids = [r.passage.id for r in records]
    docs = [lexical_doc(r) for r in records]
    hashes = {d.pid: _doc_hash(d) for d in docs}
    rows = RowTable.from_records(
        pids,
        [r.report.year for r in records],
        {
            "province": [r.report.province for r in records],
            "city": [r.report.city for r in records],
            "county": [r.report.county for r in records],
            "level": [r.report.level for r in records],
            "dept_kind": [r.report.dept_kind for r in records],
            "section_kind": [r.passage.section_kind for r in records],
            "report_id": [r.passage.report_id for r in records],
        },
        boilerplate_scores((r.passage.report_id, r.passage.text) for r in records),
    )
    rows.save(out)
    timings["rows"] = time.perf_counter() - t

    # Lexical: patch the previous build when its analysis settings match, else rebuild.
    t = time.perf_counter()
    lex_dir = out / "lexical"
    reusable = (
        prev is not None
        and prev_manifest is not None
        and {k: v for k, v in prev_manifest.get("settings", {}).items() if k not in _NOT_LEXICAL}
        == {k: v for k, v in settings.items() if k not in _NOT_LEXICAL}
        and (prev / "lexhash.json").is_file()
    )
    if reusable:
        old = json.loads((prev / "lexhash.json").read_text(encoding="utf-8"))
        changed = {pid for pid, h in hashes.items() if old.get(pid) != h}
        removed = [pid for pid, h in old.items() if hashes.get(pid) != h]
        todo = [d for d in docs if d.pid in changed]
        progress = bar(len(todo), "更新关键词索引", "段", enable=show and bool(todo))
        update_lexical(prev / "lexical", lex_dir, removed, todo, on_doc=lambda: progress.update())
        progress.close()
        mode = "incremental"
    else:
        progress = bar(len(docs), "构建关键词索引", "段", enable=show)
        build_lexical(
            lex_dir, docs, cfg.lexical, procs=lexical_procs, on_doc=lambda: progress.update()
        )
        progress.close()
        mode = "full"
    (out / "lexhash.json").write_text(json.dumps(hashes), encoding="utf-8")
    np.save(out / "docnum_rows.npy", docnum_rows(lex_dir, {pid: i for i, pid in enumerate(pids)}))
    timings["lexical"] = time.perf_counter() - t

    # Vectors: from the cache where possible.
    t = time.perf_counter()
    cache = EmbeddingCache(cfg.data_path / "cache" / "embeddings.sqlite")
    try:
        texts = [embed_text(r, cfg.embedder.max_chars) for r in records]
        vectors, embedded, cached = _embed_all(
            texts, embedder, cache, cfg.embedder.batch_size, show
        )
    finally:
        cache.close()
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    vector_backend(cfg.vectors).build(vectors, cfg.vectors).save(out / "vectors.faiss")
    timings["vectors"] = time.perf_counter() - t
    return BuildResult(
        build_id=None,
        passages=len(records),
        embedded=embedded,
        cached=cached,
        lexical=mode,
        timings=timings,
    )
