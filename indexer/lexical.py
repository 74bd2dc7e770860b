"""Lexical index: Whoosh BM25F over passage text, heading path and report metadata.

Fields: ``text`` (the passage body), ``heading`` (its breadcrumbs, boosted: a passage under
"（三）推行首违不罚" is about 首违不罚 even if its body says 免予处罚) and ``meta`` (organisation,
title, region — lightly weighted, so "沅陵 首违不罚" prefers that bureau). Only the passage id
is stored; display data comes from the corpus store.

Filters are applied as a set of allowed Whoosh document numbers, computed from the per-row
filter arrays, so Whoosh ranks only matching passages. Queries are built here from analysed
terms, never by Whoosh's query parser, so no user input can make it raise.
"""

from __future__ import annotations

import shutil
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.fields import ID, TEXT, Schema
from whoosh.idsets import BitSet
from whoosh.scoring import BM25F

from indexer.analyzer import JiebaTokenizer
from kb.config import LexicalConfig

FIELDS = ("text", "heading", "meta")
META_BOOST = 0.5
# Coordination bonus: passages matching more of the query terms rank higher.
COORD_SCALE = 0.9


@dataclass
class LexicalDoc:
    pid: str
    text: str
    heading: str
    meta: str


@dataclass
class TermQuery:
    """Analysed query: weighted terms and weighted phrases (OR-ed), excluded terms."""

    terms: list[tuple[str, float]]
    phrases: list[tuple[list[str], float]]
    excluded: list[str]

    def is_empty(self) -> bool:
        return not self.terms and not self.phrases


def make_schema(cfg: LexicalConfig) -> Schema:
    analyzer = JiebaTokenizer(cfg.user_dict, cfg.stopwords)
    return Schema(
        pid=ID(stored=True, unique=True),
        text=TEXT(analyzer=analyzer, phrase=True),
        heading=TEXT(analyzer=analyzer, phrase=False, field_boost=cfg.heading_boost),
        meta=TEXT(analyzer=analyzer, phrase=False, field_boost=META_BOOST),
    )


def _add_all(writer, docs: Iterable[LexicalDoc], on_doc=None) -> None:
    for d in docs:
        writer.add_document(pid=d.pid, text=d.text, heading=d.heading, meta=d.meta)
        if on_doc:
            on_doc()


def build_lexical(
    path: Path,
    docs: Iterable[LexicalDoc],
    cfg: LexicalConfig,
    procs: int = 1,
    limitmb: int = 256,
    on_doc=None,
) -> None:
    """Create a fresh index at path from docs."""
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), make_schema(cfg))
    kwargs = {"limitmb": limitmb}
    if procs > 1:
        kwargs.update(procs=procs, multisegment=True)
    writer = ix.writer(**kwargs)
    try:
        _add_all(writer, docs, on_doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def update_lexical(
    previous: Path, path: Path, removed: Iterable[str], added: Iterable[LexicalDoc], on_doc=None
) -> None:
    """Copy the previous build's index to path, then delete and add the changed passages."""
    shutil.copytree(previous, path)
    ix = whoosh_index.open_dir(str(path))
    writer = ix.writer(limitmb=256)
    try:
        for pid in removed:
            writer.delete_by_term("pid", pid)
        _add_all(writer, added, on_doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def docnum_rows(path: Path, row_of: dict[str, int]) -> np.ndarray:
    """Whoosh document number → build row (-1 for deleted documents)."""
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        out = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for docnum, fields in reader.iter_docs():
            out[docnum] = row_of.get(fields["pid"], -1)
    return out


class LexicalIndex:
    """An open Whoosh index with a long-lived searcher (shared across requests)."""

    def __init__(self, path: Path, rows_of_docnum: np.ndarray, n_rows: int):
        self.ix = whoosh_index.open_dir(str(path))
        self.searcher = self.ix.searcher(weighting=BM25F())
        self.rows_of_docnum = rows_of_docnum
        self.docnums_of_row = np.full(n_rows, -1, dtype=np.int64)
        valid = rows_of_docnum >= 0
        self.docnums_of_row[rows_of_docnum[valid]] = np.flatnonzero(valid)

    def close(self) -> None:
        self.searcher.close()

    @property
    def doc_count(self) -> int:
        return self.searcher.doc_count()

    def pids(self) -> list[str]:
        """All stored passage ids (used by `kb check`)."""
        return [fields["pid"] for _, fields in self.searcher.reader().iter_docs()]

    def _whoosh_query(self, q: TermQuery) -> wq.Query:
        parts: list[wq.Query] = []
        for term, weight in q.terms:
            per_field = [
                wq.Term("text", term),
                wq.Term("heading", term),
                wq.Term("meta", term),
            ]
            parts.append(wq.Or(per_field, boost=weight))
        for phrase, weight in q.phrases:
            if len(phrase) > 1:
                parts.append(wq.Phrase("text", phrase, boost=weight))
            else:
                parts.append(wq.Term("text", phrase[0], boost=weight))
        query: wq.Query = wq.Or(parts, scale=COORD_SCALE) if len(parts) > 1 else parts[0]
        if q.excluded:
            query = wq.AndNot(query, wq.Or([wq.Term("text", t) for t in q.excluded]))
        return query

    def _filter(self, allowed: np.ndarray | None) -> BitSet | None:
        if allowed is None:
            return None
        mask = np.zeros(len(self.rows_of_docnum), dtype=bool)
        docnums = self.docnums_of_row[np.flatnonzero(allowed)]
        mask[docnums[docnums >= 0]] = True
        bits = BitSet()
        bits.bits = array("B", np.packbits(mask, bitorder="little").tobytes())
        return bits

    def search(
        self, q: TermQuery, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """(scores, rows, number of matching passages) for the k best matches, best first."""
        if q.is_empty() or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        results = self.searcher.search(
            self._whoosh_query(q), limit=k, filter=self._filter(allowed), terms=False
        )
        docnums = np.array([hit.docnum for hit in results], dtype=np.int64)
        scores = np.array([hit.score for hit in results], dtype=np.float32)
        rows = self.rows_of_docnum[docnums] if len(docnums) else np.zeros(0, np.int64)
        keep = rows >= 0
        return scores[keep], rows[keep], len(results)
