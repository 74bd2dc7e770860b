"""The collection of one build: its fields and its indexes.

Fields (one entity per passage, ``row`` = its row in the build, as in the embedded engine):

* ``row`` (INT64, primary key) and ``pid`` (the passage id);
* ``tokens``: kb's own analysis of the passage text (jieba with the domain and user
  dictionaries, search-mode sub-words, width folding, stop words) space-joined, under
  Milvus's ``whitespace`` analyzer, feeding the BM25 function. Milvus's built-in ``jieba``
  tokenizer takes extra words only as a list without frequencies and has none of kb's
  sub-word, folding and stop-word rules, so a query analysed by kb (its terms, synonyms,
  exclusions, highlights) would not meet the same tokens in the index. Its own ``jieba`` is
  therefore not used;
* ``heading`` (the heading path) and the metadata columns of kb's field registry (year,
  report, province, city, county, level, kind of department, section kind…) as filterable
  scalars, plus the boilerplate share;
* ``dense``: the passage embedding from kb's embedder (via its embedding cache);
* ``sparse``: the BM25 vector Milvus computes from ``tokens``.

Indexes: ``sparse`` gets ``SPARSE_INVERTED_INDEX`` with metric BM25 (k1 1.2, b 0.75, as
Whoosh's). ``dense`` follows the embedded engine's ``auto`` rule: exact search (``FLAT``) up
to ``[vectors] exact_max`` passages, above that ``HNSW`` (``hnsw_m``, ``hnsw_ef_construction``,
searched with ``hnsw_ef_search``) on a server and ``IVF_FLAT`` (searched with
``ivf_nprobe``) on Milvus Lite, which implements only FLAT and IVF_FLAT.
"""

from __future__ import annotations

from typing import Any

from indexer.settings import VectorConfig

TOKENS_MAX_BYTES = 65_535  # VARCHAR limit; a longer token string is cut at a token boundary
VARCHAR_MAX = 4_096
RESERVED = {"row", "pid", "tokens", "heading", "year", "boilerplate", "dense", "sparse"}
BM25_K1, BM25_B = 1.2, 0.75


def dense_index(n: int, cfg: VectorConfig, lite: bool) -> tuple[str, dict, dict]:
    """(index type, build params, search params) for n passages."""
    if n <= cfg.exact_max or cfg.index_type == "flat":
        return "FLAT", {}, {}
    if lite:
        nlist = max(1, min(65_536, int(4 * n**0.5)))
        return "IVF_FLAT", {"nlist": nlist}, {"nprobe": cfg.ivf_nprobe}
    return (
        "HNSW",
        {"M": cfg.hnsw_m, "efConstruction": cfg.hnsw_ef_construction},
        {"ef": cfg.hnsw_ef_search},
    )


def create(client: Any, name: str, dim: int, columns: list[str], dense: tuple[str, dict]) -> None:
    """Create the collection ``name`` with its indexes (empty; the build inserts, then loads)."""
    from pymilvus import DataType, Function, FunctionType

    clash = RESERVED.intersection(columns)
    if clash:
        raise ValueError(f"metadata columns clash with Milvus fields: {sorted(clash)}")
    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("row", DataType.INT64, is_primary=True)
    s.add_field("pid", DataType.VARCHAR, max_length=256)
    s.add_field(
        "tokens",
        DataType.VARCHAR,
        max_length=TOKENS_MAX_BYTES,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "whitespace"},
    )
    s.add_field("heading", DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("year", DataType.INT64)
    for c in columns:
        s.add_field(c, DataType.VARCHAR, max_length=VARCHAR_MAX)
    s.add_field("boilerplate", DataType.FLOAT)
    s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["tokens"],
            output_field_names=["sparse"],
        )
    )
    ip = client.prepare_index_params()
    ip.add_index("dense", index_type=dense[0], metric_type="IP", params=dense[1])
    ip.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    client.create_collection(name, schema=s, index_params=ip, consistency_level="Strong")


def token_string(tokens: list[str]) -> str:
    """Tokens as stored: space-joined, cut to the VARCHAR limit."""
    out = " ".join(tokens)
    if len(out.encode()) <= TOKENS_MAX_BYTES:
        return out
    cut = out.encode()[: TOKENS_MAX_BYTES - 1].decode(errors="ignore")
    return cut[: cut.rfind(" ") + 1]
