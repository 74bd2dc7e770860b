"""The ``milvus`` engine: the lexical and vector roles served by one Milvus collection per build.

kb talks to Milvus through ``pymilvus`` (the optional extra ``milvus``): a local file path as
``[engine] uri`` is Milvus Lite, embedded in the process; ``http://host:19530`` is a Milvus
Standalone or cluster that someone else runs — kb never starts a server.

* :mod:`indexer.milvus.client` — connecting (and Milvus Lite's quirks);
* :mod:`indexer.milvus.schema` — the collection's fields and indexes;
* :mod:`indexer.milvus.build` — a build writes a new collection, then swaps the alias;
* :mod:`indexer.milvus.expr` — a row mask as a Milvus boolean expression;
* :mod:`indexer.milvus.lexical` / :mod:`indexer.milvus.vectors` — the two roles, behind the
  same :class:`~indexer.lexical.LexicalIndex` and :class:`~indexer.vectors.VectorIndex`
  interfaces as Whoosh and FAISS, so the Searcher runs the same code on both engines.
"""

from __future__ import annotations

from typing import Any

from indexer.analyzer import Analyzer
from indexer.rows import RowTable
from indexer.settings import IndexSettings


def open_indexes(settings: IndexSettings, manifest: dict, rows: RowTable) -> tuple[Any, Any]:
    """The (lexical, vectors) pair of a Milvus build, sharing one client; the collection is
    the one the build's manifest names (not the alias, which may already point further)."""
    from indexer.milvus.client import connect
    from indexer.milvus.lexical import MilvusLexical
    from indexer.milvus.vectors import MilvusVectors

    engine = manifest["engine"]
    client = connect(settings.engine, settings.data_dir)
    name = engine["collection"]
    if not client.has_collection(name):
        client.close()
        raise FileNotFoundError(f"Milvus 中没有索引集合 {name}")
    client.load_collection(name)
    analyzer = Analyzer(engine.get("user_dict", ""), engine.get("stopwords", ""))
    lexical = MilvusLexical(client, name, analyzer, rows)
    vectors = MilvusVectors(
        client, name, manifest["embedder"]["dim"], rows, engine.get("search_params", {})
    )
    return lexical, vectors
