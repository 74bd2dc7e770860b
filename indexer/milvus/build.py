"""A build on Milvus: a new collection per build, published by swapping the alias.

The build writes what the embedded engine writes locally except the index files (the
manifest, the row table kb's filters and facets read), and fills a new collection
``<collection>_<build id>``: kb's tokens and the cached embeddings of every passage, its
indexes built and the collection loaded. Only then does kb's current-build pointer move to
it and the alias ``<collection>`` swap to it (on a Milvus server; Milvus Lite 2.5.1 does not
implement aliases, and kb opens the collection its current build names, so the pointer alone
makes the swap atomic there). A failed or interrupted build drops its collection and never
touches the alias: searches go on against the serving collection. Collections of builds kb no
longer keeps are dropped after the swap.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexer.analyzer import segment
from indexer.builds import builds_dir, read_manifest
from indexer.embedders import Embedder
from indexer.milvus import client as milvus_client
from indexer.milvus import schema
from indexer.records import IndexRecord
from indexer.settings import IndexSettings

INSERT_BATCH = 1_000  # entities per insert (far below Milvus's 64 MB per request)
PARALLEL_MIN = 2_000  # fewer passages are segmented in this process


def collection_name(prefix: str, build_id: str) -> str:
    """Collection names take letters, digits and "_" only."""
    return f"{prefix}_{build_id.replace('-', '_')}"


def _tokens(args: tuple[str, str, str]) -> str:
    text, user_dict, stopwords = args
    return schema.token_string([w for w, _, _ in segment(text, user_dict, stopwords)])


def token_strings(records: Sequence[IndexRecord], settings: IndexSettings, procs: int) -> list[str]:
    """kb's analysis of every passage (the same tokens its Whoosh index would hold)."""
    lex = settings.lexical
    work = [(r.text, lex.user_dict, lex.stopwords) for r in records]
    if procs > 1 and len(work) >= PARALLEL_MIN:
        segment("预热", lex.user_dict, lex.stopwords)  # forked workers inherit the dictionary
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            return pool.map(_tokens, work, chunksize=256)
    return [_tokens(w) for w in work]


def build_collection(
    out: Path,
    settings: IndexSettings,
    records: Sequence[IndexRecord],
    embedder: Embedder,
    prev: Path | None,
    prev_manifest: dict | None,
    build_settings: dict,
    progress: Any,
    lexical_procs: int,
) -> Any:
    """Write the row table into ``out`` and this build's collection into Milvus (the same
    signature as :func:`indexer.build._build_into`; nothing of a previous build is reused but
    the embedding cache)."""
    from indexer.build import BuildResult, record_vectors, row_table

    timings: dict[str, float] = {}
    t = time.perf_counter()
    rows = row_table(records)
    rows.save(out)
    timings["rows"] = time.perf_counter() - t
    t = time.perf_counter()
    vectors, embedded, cached = record_vectors(settings, records, embedder, progress)
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    tokens = token_strings(records, settings, lexical_procs)
    timings["analyze"] = time.perf_counter() - t

    engine = settings.engine
    uri = milvus_client.resolve_uri(engine, settings.data_dir)
    lite = milvus_client.is_lite(uri)
    name = collection_name(engine.collection, out.name.removesuffix(".tmp"))
    dense_type, dense_params, search_params = schema.dense_index(
        len(records), settings.vectors, lite
    )
    columns = list(rows.codes)
    info = {
        "name": "milvus",
        "collection": name,
        "alias": engine.collection,
        "uri": uri if lite else "",  # a server's address may carry credentials: not stored
        "lite": lite,
        "dense_index": dense_type,
        "search_params": search_params,
        "columns": columns,
        "user_dict": settings.lexical.user_dict,
        "stopwords": settings.lexical.stopwords,
    }
    client = milvus_client.connect(engine, settings.data_dir)
    try:
        t = time.perf_counter()
        schema.create(client, name, embedder.dim, columns, (dense_type, dense_params))
        for i in range(0, len(records), INSERT_BATCH):
            client.insert(
                name,
                [
                    {
                        "row": j,
                        "pid": r.pid,
                        "tokens": tokens[j],
                        "heading": " > ".join(r.heading_path)[: schema.VARCHAR_MAX // 4],
                        "year": r.year or 0,
                        **{c: (r.columns.get(c) or "")[: schema.VARCHAR_MAX // 4] for c in columns},
                        "boilerplate": float(rows.boilerplate[j]),
                        "dense": vectors[j].tolist(),
                    }
                    for j, r in enumerate(records[i : i + INSERT_BATCH], start=i)
                ],
            )
            if progress:
                progress("milvus", min(i + INSERT_BATCH, len(records)), len(records))
        client.flush(name)
        timings["insert"] = time.perf_counter() - t
        t = time.perf_counter()
        client.load_collection(name)
        timings["load"] = time.perf_counter() - t
    except BaseException:
        _drop(client, name)
        client.close()
        raise
    client.close()
    return BuildResult(
        build_id=None,
        passages=len(records),
        embedded=embedded,
        cached=cached,
        lexical="full",
        timings=timings,
        engine=info,
    )


def _drop(client: Any, name: str) -> None:
    with contextlib.suppress(Exception):  # best effort: the next build drops what is left
        client.drop_collection(name)


def discard(settings: IndexSettings, info: dict) -> None:
    """Drop the collection of a build that did not become current."""
    client = milvus_client.connect(settings.engine, settings.data_dir)
    try:
        _drop(client, info["collection"])
    finally:
        client.close()


def kept_collections(data_dir: Path) -> set[str]:
    """Collections named by the builds kb keeps (the current one and the one before)."""
    out = set()
    for p in builds_dir(data_dir).glob("*/manifest.json"):
        engine = read_manifest(p.parent).get("engine") or {}
        if engine.get("collection"):
            out.add(engine["collection"])
    return out


def publish(settings: IndexSettings, info: dict) -> None:
    """Point the alias at the new collection (servers only) and drop collections of builds
    no longer kept. Called once the new build is kb's current build."""
    client = milvus_client.connect(settings.engine, settings.data_dir)
    try:
        alias, name = info["alias"], info["collection"]
        if not info["lite"]:
            if alias in client.list_aliases(name).get("aliases", []):
                pass
            elif _alias_exists(client, alias):
                client.alter_alias(name, alias)
            else:
                client.create_alias(name, alias)
        keep = kept_collections(settings.data_dir) | {name}
        for other in client.list_collections():
            if other.startswith(f"{alias}_") and other not in keep:
                _drop(client, other)
    finally:
        client.close()


def _alias_exists(client: Any, alias: str) -> bool:
    try:
        client.describe_alias(alias)
        return True
    except Exception:
        return False
