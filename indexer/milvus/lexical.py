"""The lexical role on Milvus: BM25 over kb's tokens (the collection's ``sparse`` field).

Ranking: Milvus scores BM25 on the passage text with the query's tokens, a term weighed by
how often it is repeated in the query text (kb's term weights become repetitions: weight 1 =
two copies, a sub-word's 0.3 = one). Whoosh's BM25F also reads the heading path and the
report metadata, scores phrases as phrases and adds a coordination bonus; none of those
exist in Milvus's BM25, so lexical scores and the lexical order differ between engines
(``make eval`` measures by how much). Everything after the retrievers — synonyms, exact
similarities, fusion, verbatim-first, boilerplate, duplicates — is kb's own, on both.

``rows_containing`` (exclusions, 含检索词 counts, the coverage of the query, trends' word
rule) reads the BM25 inverted index: a search for one word alone scores exactly the passages
whose tokens hold it, as Whoosh's postings give them (Milvus Lite 2.5.1 has no
``TEXT_MATCH``, and ``tokens like "% 词 %"`` scans every passage: 35–100 ms per word at 10^4
passages against 2–6 ms).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.analyzer import Analyzer
from indexer.lexical.base import LexicalDoc, LexicalIndex, OnDoc, TermQuery
from indexer.milvus.expr import filter_expr
from indexer.rows import RowTable
from indexer.settings import LexicalConfig

TOPK_MAX = 16_384  # Milvus's limit on k
QUERY_BATCH = 16_384  # ... and on the entities of one query
CONTAINING_CACHE = 4_096  # words whose rows are kept between queries


def query_rows(
    client: Any, collection: str, expr: str, n_rows: int, field: str = "row"
) -> list[Any]:
    """Every value of ``field`` of the entities matching ``expr``, in slices of the row key
    that each fit one query (Milvus returns at most 16,384 entities per query; its iterator
    is several times slower on Milvus Lite)."""
    out: list[Any] = []
    for lo in range(0, max(n_rows, 1), QUERY_BATCH):
        where = f"row >= {lo} and row < {lo + QUERY_BATCH}"
        found = client.query(
            collection,
            filter=f"({expr}) and {where}" if expr else where,
            output_fields=[field],
            limit=QUERY_BATCH,
        )
        out.extend(e[field] for e in found)
    return out


class MilvusLexical(LexicalIndex):
    name = "milvus"

    def __init__(self, client: Any, collection: str, analyzer: Analyzer, rows: RowTable):
        self.client, self.collection, self._analyzer = client, collection, analyzer
        self.rows, self.n_rows = rows, len(rows)
        # Rows holding a word, per word: the query's words recur in its coverage, its
        # 含检索词 count, its other modes and its next page (Whoosh keeps its postings too).
        self._containing: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # Builds go through indexer.milvus.build (one collection per build, never patched).
    @classmethod
    def build(
        cls, path: Path, docs: Sequence[LexicalDoc], cfg: LexicalConfig, procs=1, on_doc=None
    ) -> None:
        raise NotImplementedError("Milvus collections are built by indexer.milvus.build")

    @classmethod
    def update(
        cls,
        previous: Path,
        path: Path,
        removed: Iterable[str],
        added: Iterable[LexicalDoc],
        row_pids: Sequence[str],
        on_doc: OnDoc = None,
    ) -> None:
        raise NotImplementedError("Milvus collections are built by indexer.milvus.build")

    @classmethod
    def open(cls, path: Path, n_rows: int) -> MilvusLexical:
        raise NotImplementedError("open through indexer.milvus.open_indexes")

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    def query_text(self, q: TermQuery) -> str:
        """The query as Milvus's BM25 reads it: tokens repeated by weight."""
        words: list[str] = []
        for term, weight in q.terms:
            words += [term] * max(1, round(2 * weight))
        for phrase, weight in q.phrases:
            for w in phrase:
                words += [w] * max(1, round(2 * weight))
        return " ".join(words)

    def search(
        self, q: TermQuery, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        if q.is_empty() or k <= 0 or (allowed is not None and not allowed.any()):
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        hits = self.client.search(
            self.collection,
            data=[self.query_text(q)],
            anns_field="sparse",
            limit=min(k, TOPK_MAX),
            filter=filter_expr(self.rows, allowed),
            search_params={"metric_type": "BM25"},
        )[0]
        scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        rows = np.array([h["id"] for h in hits], dtype=np.int64)
        order = np.lexsort((rows, -scores))  # ties by row, as Whoosh breaks them
        return scores[order], rows[order], len(rows)

    def rows_containing(
        self, groups: Sequence[Sequence[str]], require_all: bool = False
    ) -> np.ndarray:
        groups = [list(dict.fromkeys(g)) for g in groups if g]
        if not groups:
            return np.zeros(0, np.int64)
        if require_all:
            groups = [list(dict.fromkeys(w for g in groups for w in g))]
        found = []
        for g in groups:
            rows = self._rows_with(g[0])
            for w in g[1:]:
                if not len(rows):
                    break
                rows = np.intersect1d(rows, self._rows_with(w), assume_unique=True)
            found.append(rows)
        return np.unique(np.concatenate(found))

    def _rows_with(self, word: str) -> np.ndarray:
        """Sorted rows whose tokens hold ``word``: a BM25 search for the word alone scores
        exactly those passages (its inverted index), one slice of the row key at a time so
        that no slice has more matches than a search returns."""
        with self._lock:
            if word in self._containing:
                self._containing.move_to_end(word)
                return self._containing[word]
        out: list[int] = []
        for lo in range(0, self.n_rows, TOPK_MAX):
            hits = self.client.search(
                self.collection,
                data=[word],
                anns_field="sparse",
                limit=TOPK_MAX,
                filter=f"row >= {lo} and row < {lo + TOPK_MAX}",
                search_params={"metric_type": "BM25"},
            )[0]
            out.extend(h["id"] for h in hits)
        rows = np.unique(np.array(out, dtype=np.int64))
        with self._lock:
            self._containing[word] = rows
            while len(self._containing) > CONTAINING_CACHE:
                self._containing.popitem(last=False)
        return rows

    @property
    def doc_count(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def pids(self) -> list[str]:
        return query_rows(self.client, self.collection, "", self.n_rows, "pid")

    def close(self) -> None:
        self.client.close()
