"""Lexical backend ``whoosh``: Whoosh BM25F over passage text, heading path and report metadata.

Fields: ``text`` (the passage body), ``heading`` (its breadcrumbs, boosted: a passage under
"（三）推行首违不罚" is about 首违不罚 even if its body says 免予处罚) and ``meta`` (organisation,
title, region — lightly weighted, so "沅陵 首违不罚" prefers that bureau). Only the passage id
is stored; display data comes from the corpus store.

Filters are applied as a set of allowed Whoosh document numbers, computed from the per-row
filter arrays, so Whoosh ranks only matching passages. Queries are built here from analysed
terms, never by Whoosh's query parser, so no user input can make it raise.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import chain
from math import log
from pathlib import Path
from pickle import loads

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import _INT_SIZE, LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.fields import ID, TEXT, Schema
from whoosh.idsets import BitSet
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from indexer.analyzer import Analyzer, JiebaTokenizer, segment
from indexer.lexical import whoosh_bulk
from indexer.lexical.base import LexicalDoc, LexicalIndex, OnDoc, TermQuery
from indexer.lexical.whoosh_bulk import (
    POSITIONAL_FIELD,
    POSITIONS_DIR,
    SideIndex,
    analyse_batch,
    positions_of,
    write_index,
    write_segment_of,
    write_toc,
)
from indexer.settings import LexicalConfig

FIELDS = ("text", "heading", "meta")
# How much a field's BM25 counts. Measured on the tune half of the development set (make
# eval): headings and report metadata at full weight cost 0.035 nDCG@10 in lexical mode
# (every passage under a heading, every passage of a report, shares its words); a quarter
# keeps their evidence without drowning the passage's own text.
FIELD_WEIGHTS = {"text": 1.0, "heading": 0.25, "meta": 0.25}
META_BOOST = 0.5
# Coordination bonus: passages matching more of the query terms rank higher.
COORD_SCALE = 0.9
# BM25F parameters (Whoosh's defaults, used by both scorers).
K1, B = 1.2, 0.75
# Decoded posting lists kept in memory between queries (common terms recur in every query).
POSTINGS_CACHE_BYTES = 256 << 20
# Of which warm() fills at most this much, most frequent words first: their lists are the
# longest to decode (~250 ms for 法治 政府 建设 at 10^5 passages), and nearly every query has one.
WARM_BYTES = 64 << 20
WARM_TERMS = 2000  # candidates per segment
# Phrase matches kept between queries: the next page, the facets, trends and comparison of
# the same query, and the domain synonyms that many queries share, check the same phrases.
PHRASE_CACHE_BYTES = 64 << 20
# Phrase matching keys (document, position) as document * stride + position.
_POS_STRIDE = 1 << 32
# Postings per block when writing (Whoosh's default is 128).
POSTING_BLOCK = 512
# Whoosh document number -> build row, written next to the index by every build and update.
ROWS_FILE = "docnum_rows.npy"


class IndexTokenizer(JiebaTokenizer):
    """The jieba analyzer, plus what makes indexing cheaper without changing any token:
    short values are memoised: every passage of a report has the same ``meta`` and the
    passages of a section the same ``heading``, so most of them are segmented once.
    """

    def _tokens(self, value: str) -> list[tuple[str, int, int]]:
        if len(value) > MEMO_CHARS:
            return segment(value, self.user_dict, self.extra_stopwords)
        memo = _memo(self.user_dict, self.extra_stopwords)
        tokens = memo.get(value)
        if tokens is None:
            if len(memo) >= MEMO_ENTRIES:
                memo.clear()
            tokens = memo[value] = segment(value, self.user_dict, self.extra_stopwords)
        return tokens


MEMO_CHARS = 200  # values up to this long are memoised (headings, organisation metadata)
MEMO_ENTRIES = 50_000


@cache
def _memo(user_dict: str, extra_stopwords: str) -> dict[str, list[tuple[str, int, int]]]:
    return {}


def make_schema(cfg: LexicalConfig) -> Schema:
    analyzer = IndexTokenizer(cfg.user_dict, cfg.stopwords)
    return Schema(
        pid=ID(stored=True, unique=True),
        text=TEXT(analyzer=analyzer, phrase=True),
        heading=TEXT(analyzer=analyzer, phrase=False, field_boost=cfg.heading_boost),
        meta=TEXT(analyzer=analyzer, phrase=False, field_boost=META_BOOST),
    )


def _add_all(writer, docs: Iterable[LexicalDoc], on_doc: OnDoc = None) -> None:
    for d in docs:
        writer.add_document(pid=d.pid, text=d.text, heading=d.heading, meta=d.meta)
        if on_doc:
            on_doc()


# Analysis workers: jieba is pure Python, so with more than one core the text is segmented
# (and turned into postings) in worker processes while this process writes segments.
_ANALYSIS_BATCH = 256
PARALLEL_MIN_DOCS = 5_000  # below this, starting workers costs more than it saves


def _batches(docs: Iterable[LexicalDoc], cfg: LexicalConfig):
    batch: list[tuple[str, str, str, str]] = []
    for d in docs:
        batch.append((d.pid, d.text, d.heading, d.meta))
        if len(batch) >= _ANALYSIS_BATCH:
            yield batch, cfg.user_dict, cfg.stopwords, cfg.heading_boost
            batch = []
    if batch:
        yield batch, cfg.user_dict, cfg.stopwords, cfg.heading_boost


def build_lexical(
    path: Path,
    docs: Iterable[LexicalDoc],
    cfg: LexicalConfig,
    procs: int = 1,
    on_doc: OnDoc = None,
) -> None:
    """Create a fresh index at path from docs.

    Written by :mod:`indexer.lexical.whoosh_bulk`: the index ``add_document`` would write,
    without its per-posting overhead. With ``procs`` > 1 and enough documents, the passages
    are cut into contiguous runs (at least one per process, at most ``SEGMENT_DOCS`` each)
    and each worker process analyses one run and writes it as a segment, so both the
    segmentation and the writing use every core; document numbers still follow the input
    order. Posting blocks hold up to ``POSTING_BLOCK`` documents (Whoosh's default is 128),
    which halves the per-block overhead of writing and lets the fast scorer read long
    posting lists in few steps.
    """
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), make_schema(cfg))
    docs = list(docs)
    segment("预热", cfg.user_dict, cfg.stopwords)  # forked workers inherit the dictionary
    if procs > 1 and len(docs) >= PARALLEL_MIN_DOCS:
        size = min(whoosh_bulk.SEGMENT_DOCS, -(-len(docs) // procs))
        runs = [
            (
                str(path),
                [(d.pid, d.text, d.heading, d.meta) for d in docs[i : i + size]],
                cfg.user_dict,
                cfg.stopwords,
                cfg.heading_boost,
                POSTING_BLOCK,
            )
            for i in range(0, len(docs), size)
        ]
        segments = []
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(procs, maxtasksperchild=1) as pool:
            for run, seg in zip(runs, pool.imap(write_segment_of, runs), strict=True):
                segments.append(seg)
                for _ in run[1]:
                    if on_doc:
                        on_doc()
        write_toc(ix, segments)
    else:
        analysed = chain.from_iterable(map(analyse_batch, _batches(docs, cfg)))
        write_index(ix, analysed, POSTING_BLOCK, on_doc)


def update_lexical(
    previous: Path,
    path: Path,
    removed: Iterable[str],
    added: Iterable[LexicalDoc],
    on_doc: OnDoc = None,
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


def complete_side_index(path: Path) -> None:
    """Give every segment of the index at path its positional side index.

    Whoosh's writer (an incremental update) writes segments without one, and merges the
    old ones into them; their positions are decoded here once, at build time, so that phrase
    checks never decode them at query time. Side files of segments gone are removed.
    """
    folder = path / POSITIONS_DIR
    folder.mkdir(exist_ok=True)
    ix = whoosh_index.open_dir(str(path))
    segments = {seg.segment_id() for seg in ix._segments()}
    for f in folder.iterdir():
        if f.name.split(".", 1)[0] not in segments:
            f.unlink()
    field = POSITIONAL_FIELD
    fmt = ix.schema[field].format
    with ix.reader() as reader:
        for leaf, _base in reader.leaf_readers():
            segment_id = leaf.segment().segment_id()
            if positions_of(folder, segment_id) is not None:
                continue
            side = SideIndex()
            for fname, tbytes in leaf.all_terms():
                if fname != field:
                    continue
                found = []
                m = leaf._terms.matcher(field, tbytes, fmt, scorer=None)
                for ids, _weights, values in _posting_blocks(m):
                    for doc, value in zip(ids.tolist(), values, strict=True):
                        found.append((doc, None, None, None, fmt.decode_positions(value)))
                side.add(tbytes, found)
            side.save(folder, segment_id)


def docnum_rows(path: Path, row_pids: Sequence[str]) -> np.ndarray:
    """Whoosh document number → build row (-1 for deleted documents)."""
    row_of = {pid: i for i, pid in enumerate(row_pids)}
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        out = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for docnum, fields in reader.iter_docs():
            out[docnum] = row_of.get(fields["pid"], -1)
    return out


class WhooshIndex(LexicalIndex):
    """An open Whoosh index with a long-lived searcher (shared across requests).

    Two scorers give the same ranking function (BM25F over text/heading/meta with term
    weights, phrase matches and the coordination bonus):

    * ``fast`` (default) reads each query term's posting list as whole numpy arrays (cached
      between queries) and scores every matching passage at once, then takes the top k.
      Cost grows with the posting lists' length at numpy speed.
    * ``whoosh`` runs Whoosh's own matcher tree: pure Python per matching passage, plus a
      second full pass to count the matches. At 10^4 passages a long question already takes
      a second or more, and it grows linearly with the corpus — which is why ``fast`` exists.

    They differ in one place only: Whoosh's coordination bonus counts the query's term
    matchers that are still active, and re-counts them as posting lists run out during the
    scan (``matcher.replace``), so its score for a passage depends on where that passage sits
    in the index. ``fast`` counts, once, the term matchers that match anything (what Whoosh
    counts when the scan starts) and applies the formula to every passage alike, except
    when only one term matcher matches anything, where Whoosh zeroes every score. Phrases
    match the same passages in both (consecutive positions, checked with numpy in ``fast``).
    """

    name = "whoosh"

    @classmethod
    def build(
        cls,
        path: Path,
        docs: Sequence[LexicalDoc],
        cfg: LexicalConfig,
        procs: int = 1,
        on_doc: OnDoc = None,
    ) -> None:
        build_lexical(path, docs, cfg, procs=procs, on_doc=on_doc)
        np.save(path / ROWS_FILE, docnum_rows(path, [d.pid for d in docs]))

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
        update_lexical(previous, path, removed, added, on_doc=on_doc)
        complete_side_index(path)
        np.save(path / ROWS_FILE, docnum_rows(path, row_pids))

    @classmethod
    def open(cls, path: Path, n_rows: int) -> WhooshIndex:
        return cls(path, np.load(path / ROWS_FILE), n_rows)

    @property
    def analyzer(self) -> Analyzer:
        tokenizer = self.ix.schema["text"].analyzer
        return Analyzer(tokenizer.user_dict, tokenizer.extra_stopwords)

    def __init__(self, path: Path, rows_of_docnum: np.ndarray, n_rows: int, scorer: str = "fast"):
        if scorer not in ("fast", "whoosh"):
            raise ValueError(f"unknown lexical scorer {scorer!r} (fast | whoosh)")
        self.scorer = scorer
        self.ix = whoosh_index.open_dir(str(path))
        self.searcher = self.ix.searcher(weighting=BM25F(B=B, K1=K1))
        self.rows_of_docnum = rows_of_docnum
        self.docnums_of_row = np.full(n_rows, -1, dtype=np.int64)
        valid = rows_of_docnum >= 0
        self.docnums_of_row[rows_of_docnum[valid]] = np.flatnonzero(valid)
        self._live = valid  # deleted Whoosh documents map to row -1
        # Whoosh's posting files are not safe across threads: each thread reads postings
        # through a reader of its own (_reader); the lock guards only the caches.
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list = []
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._postings_bytes = 0
        self._phrases: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._phrases_bytes = 0
        self._norms: dict[str, np.ndarray] = {}
        # Positional side index per segment (memory-mapped), written by full builds.
        self._side = {
            seg.segment_id(): positions_of(path / POSITIONS_DIR, seg.segment_id())
            for seg in self.ix._segments()
        }

    # -- fast scorer: whole posting lists as numpy arrays -----------------------------------

    def _length_norm(self, field: str) -> np.ndarray:
        """K1 * ((1 - B) + B * length / average length) per document (BM25's denominator)."""
        norm = self._norms.get(field)
        if norm is None:
            table = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)
            table[0] = 1.0
            reader = self._reader()
            parts = []
            for leaf, _base in reader.leaf_readers():
                n = leaf.doc_count_all()
                col = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                raw = np.zeros(n, dtype=np.uint8)
                if col is not None:
                    count = min(col._count, n)
                    raw[:count] = np.frombuffer(col._dbfile.get(col._basepos, count), np.uint8)
                parts.append(table[raw])
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            avg = self.searcher.avg_field_length(field) or 1
            norm = K1 * ((1 - B) + B * lengths / avg)
            self._norms[field] = norm
        return norm

    def _reader(self):
        """This thread's reader of the index: concurrent searches read postings in parallel
        instead of queueing behind one lock (file handles are per reader)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = self.ix.reader()
            with self._lock:
                self._readers.append(reader)
        return reader

    def _leaf_matchers(self, field: str, term: str):
        """(raw posting matcher, document-number base) per index segment holding the term.

        Raw: straight from the segment's terms reader, without the deleted-documents filter
        (deleted documents are masked out after scoring, as their postings count in idf).
        """
        for leaf, base in self._reader().leaf_readers():
            yield from self._leaf_matchers_of(leaf, base, field, term)

    def _leaf_matchers_of(self, leaf, base: int, field: str, term: str):
        fmt = self.searcher.schema[field].format
        tbytes = self.searcher.schema[field].to_bytes(term)
        if (field, tbytes) in leaf:
            yield leaf._terms.matcher(field, tbytes, fmt, scorer=None), base

    def _frequent_terms(self) -> list[str]:
        """The text field's terms, most occurrences first (from the positional side index:
        a numpy pass, where Whoosh's own term iterator is a Python loop over the lexicon)."""
        counts: dict[str, int] = {}
        for side in self._side.values():
            if side is None:
                continue
            n = np.diff(side["offsets"])
            for i in np.argsort(n)[::-1][:WARM_TERMS].tolist():
                term = str(side["terms"][i])
                counts[term] = counts.get(term, 0) + int(n[i])
        return sorted(counts, key=counts.__getitem__, reverse=True)

    def warm(self, stop: Callable[[], bool] = lambda: False) -> int:
        for field in FIELDS:
            self._length_norm(field)
        done = 0
        for term in self._frequent_terms():
            if stop() or self._postings_bytes >= WARM_BYTES:
                break
            for field in FIELDS:
                self._read_postings(field, term)
            done += 1
        return done

    def _read_postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, weights) of a term in a field; empty arrays when absent."""
        key = (field, term)
        with self._lock:
            hit = self._postings.get(key)
            if hit is not None:
                self._postings.move_to_end(key)
                return hit
        ids_parts: list[np.ndarray] = []
        w_parts: list[np.ndarray] = []
        if field == POSITIONAL_FIELD:
            boost = self.searcher.schema[field].format.field_boost
            matchers = []
            for leaf, base in self._reader().leaf_readers():
                side = self._side.get(leaf.segment().segment_id())
                if side is None:
                    matchers.extend(
                        (m, b) for m, b in self._leaf_matchers_of(leaf, base, field, term)
                    )
                    continue
                ids, counts = _side_postings(side, term)
                ids_parts.append(ids + base)
                w_parts.append((counts * boost).astype(np.float32))
        else:
            matchers = list(self._leaf_matchers(field, term))
        for m, base in matchers:
            for ids, weights, _values in _posting_blocks(m):
                ids_parts.append(ids + base)
                w_parts.append(weights)
        if ids_parts:
            out = (np.concatenate(ids_parts), np.concatenate(w_parts))
        else:
            out = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        with self._lock:
            if key in self._postings:  # another thread read it meanwhile
                return self._postings[key]
            self._postings[key] = out
            self._postings_bytes += out[0].nbytes + out[1].nbytes
            while self._postings_bytes > POSTINGS_CACHE_BYTES and len(self._postings) > 1:
                _, (i, w) = self._postings.popitem(last=False)
                self._postings_bytes -= i.nbytes + w.nbytes
            return out

    def _term_scores(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25F scores) of one term in one field."""
        ids, weights = self._read_postings(field, term)
        if not len(ids):
            return ids, np.zeros(0)
        idf = self._idf(field, term, len(ids))
        w = weights.astype(np.float64)
        return ids, idf * (w * (K1 + 1)) / (w + self._length_norm(field)[ids])

    def _idf(self, field: str, term: str, postings: int) -> float:
        """Whoosh's idf: from the posting count (deleted documents included, as Whoosh does)."""
        dc = self.searcher.doc_count_all()
        return log(dc / (postings + 1)) + 1

    def _phrase_docs(self, phrase: list[str], within: np.ndarray | None = None) -> np.ndarray:
        """Documents matching a phrase (within a document mask), from the cache if possible.

        Only whole-index results are cached: a restricted check is cheap and its mask
        changes with every query.
        """
        key = tuple(phrase)
        with self._lock:
            docs = self._phrases.get(key)
            if docs is not None:
                self._phrases.move_to_end(key)
        if docs is not None:
            return docs if within is None else docs[within[docs]]
        docs = self._match_phrase(phrase, within)
        if within is None:
            with self._lock:
                if key not in self._phrases:
                    self._phrases[key] = docs
                    self._phrases_bytes += docs.nbytes
                while self._phrases_bytes > PHRASE_CACHE_BYTES and len(self._phrases) > 1:
                    _, old = self._phrases.popitem(last=False)
                    self._phrases_bytes -= old.nbytes
        return docs

    def _match_phrase(self, phrase: list[str], within: np.ndarray | None) -> np.ndarray:
        """Documents where the words occur in order at consecutive positions.

        The same matches as Whoosh's ``Phrase`` (a span matcher with slop 1, ordered), found
        with numpy: intersect the words' documents (and ``within``, a document mask), decode
        positions only for those, and keep documents where word i sits at p + i for some p.
        Whoosh's span matcher costs about a millisecond per candidate document in Python.
        """
        postings = {w: self._read_postings("text", w)[0] for w in phrase}
        order = sorted(postings, key=lambda w: len(postings[w]))  # rarest word first
        cand = postings[order[0]]
        if within is not None:
            cand = cand[within[cand]]
        for word in order[1:]:
            cand = np.intersect1d(cand, postings[word], assume_unique=True)
            if not len(cand):
                return cand
        keys: np.ndarray | None = None
        for word in order:
            docs, pos = self._positions("text", word, cand)
            word_keys: np.ndarray | None = None
            for j in (j for j, w in enumerate(phrase) if w == word):
                k = np.unique(docs * _POS_STRIDE + (pos - j + len(phrase)))
                word_keys = k if word_keys is None else np.intersect1d(word_keys, k)
            keys = word_keys if keys is None else np.intersect1d(keys, word_keys)
            if not len(keys):
                return np.zeros(0, np.int64)
            cand = np.unique(keys // _POS_STRIDE)  # decode the next word for these only
        return cand

    def _positions(self, field: str, term: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(docnum, position) of every occurrence of a term in the given documents.

        From the segment's positional side index where it has one (numpy slices of
        memory-mapped arrays), else decoded from Whoosh's pickled position lists.
        """
        out_docs: list[np.ndarray] = []
        out_pos: list[np.ndarray] = []
        fmt = self.searcher.schema[field].format
        tbytes = self.searcher.schema[field].to_bytes(term)
        for leaf, base in self._reader().leaf_readers():
            side = (
                self._side.get(leaf.segment().segment_id()) if field == POSITIONAL_FIELD else None
            )
            if side is not None:
                terms = side["terms"]
                i = int(np.searchsorted(terms, term))
                if i < len(terms) and terms[i] == term:
                    lo, hi = int(side["offsets"][i]), int(side["offsets"][i + 1])
                    occ = side["docs"][lo:hi]  # sorted by document: look the wanted ones up
                    start = np.searchsorted(occ, docs - base, side="left")
                    n = np.searchsorted(occ, docs - base, side="right") - start
                    start, n = start[n > 0], n[n > 0]
                    idx = np.repeat(start - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
                    out_docs.append(np.asarray(occ[idx], dtype=np.int64) + base)
                    out_pos.append(np.asarray(side["pos"][lo:hi][idx], dtype=np.int64))
                continue
            if (field, tbytes) not in leaf:
                continue
            m = leaf._terms.matcher(field, tbytes, fmt, scorer=None)
            for ids, _weights, values in _posting_blocks(m, docs - base):
                hit = np.flatnonzero(np.isin(ids + base, docs, assume_unique=True))
                if not len(hit):
                    continue
                # Positions are stored as a pickled list of deltas after a count.
                codes = [loads(values[i][_INT_SIZE:]) for i in hit]
                lens = np.fromiter(map(len, codes), np.int64, len(codes))
                deltas = np.fromiter(chain.from_iterable(codes), np.int64, int(lens.sum()))
                csum = np.cumsum(deltas)
                ends = np.cumsum(lens)
                before = np.concatenate(([0], csum[ends[:-1] - 1])) if len(ends) else ends
                out_docs.append(np.repeat(ids[hit] + base, lens))
                out_pos.append(csum - np.repeat(before, lens))
        if not out_docs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_docs), np.concatenate(out_pos)

    def _fast_search(
        self, q: TermQuery, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        n = len(self.rows_of_docnum)
        scores = np.zeros(n, dtype=np.float64)
        matched = np.zeros(n, dtype=np.int32)  # term matchers matching each document
        termcount = 0
        parts = 0
        within = None if allowed is None else self._docnum_mask(allowed)
        seen_terms: set[tuple[str, str, float]] = set()
        for term, weight in q.terms:
            parts += 1
            for field in FIELDS:
                if (field, term, weight) in seen_terms:
                    continue
                seen_terms.add((field, term, weight))
                ids, s = self._term_scores(field, term)
                if len(ids):
                    termcount += 1
                    scores[ids] += s * (weight * FIELD_WEIGHTS[field])
                    matched[ids] += 1
        seen_phrases: set[tuple[tuple[str, ...], float]] = set()
        for phrase, weight in q.phrases:
            parts += 1
            if len(phrase) == 1:
                if ("text", phrase[0], weight) in seen_terms:
                    continue
                seen_terms.add(("text", phrase[0], weight))
                ids, s = self._term_scores("text", phrase[0])
                if len(ids):
                    termcount += 1
                    scores[ids] += s * weight
                    matched[ids] += 1
                continue
            if (tuple(phrase), weight) in seen_phrases:
                continue
            seen_phrases.add((tuple(phrase), weight))
            words = [self._term_scores("text", w) for w in phrase]
            if any(not len(ids) for ids, _ in words):
                continue  # Whoosh: a phrase with an unknown word matches nothing
            docs = self._phrase_docs(phrase, within)
            if not len(docs):
                # Whoosh drops a phrase that matches nothing anywhere before counting terms
                # for the coordination bonus, which a single-part query doesn't have.
                multi = len(q.terms) + len(q.phrases) > 1
                if within is not None and multi and len(self._phrase_docs(phrase)):
                    termcount += len(phrase)
                continue
            termcount += len(phrase)
            total = np.zeros(len(docs))
            for ids, s in words:
                total += s[np.searchsorted(ids, docs)]
            scores[docs] += total * weight
            matched[docs] += len(phrase)
        hit = matched > 0
        # With a single matching term matcher Whoosh's formula multiplies every score by
        # (1 - 1) = 0 ("首违不罚 火星": no passage says 火星), leaving BM25 no say in the
        # order; there is nothing to coordinate then, so the scores stay as they are.
        if parts > 1 and termcount > 1:
            m = matched[hit]
            scores[hit] = (scores[hit] + (m - 1) / (termcount - COORD_SCALE) ** 2) * (
                (termcount - 1) / termcount
            )
        hit &= self._live
        if within is not None:
            hit &= within
        cand = np.flatnonzero(hit)
        if not len(cand):
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        s = scores[cand]
        if len(cand) > k:
            threshold = np.partition(s, len(s) - k)[len(s) - k]
            keep = s >= threshold
            cand, s = cand[keep], s[keep]
        order = np.lexsort((cand, -s))[:k]  # best score first, ties by document number
        docs = cand[order]
        return s[order].astype(np.float32), self.rows_of_docnum[docs], int(hit.sum())

    def _docs_with_all(self, words: Sequence[str]) -> np.ndarray:
        """Sorted document numbers whose text field holds every word."""
        docs: np.ndarray | None = None
        for w in sorted(set(words), key=lambda w: len(self._read_postings("text", w)[0])):
            ids = self._read_postings("text", w)[0]
            docs = ids if docs is None else np.intersect1d(docs, ids, assume_unique=True)
            if not len(docs):
                break
        return np.zeros(0, np.int64) if docs is None else docs

    def rows_containing(
        self, groups: Sequence[Sequence[str]], require_all: bool = False
    ) -> np.ndarray:
        if not groups:
            return np.zeros(0, np.int64)
        if require_all:
            docs = self._docs_with_all([w for g in groups for w in g])
        elif len(groups) == 1:
            docs = self._docs_with_all(groups[0])
        else:  # a union through a mask: np.unique hashes every id, ~1 ms per 10^4 of them
            seen = np.zeros(len(self.rows_of_docnum), dtype=bool)
            for g in groups:
                seen[self._docs_with_all(g)] = True
            docs = np.flatnonzero(seen)
        rows = self.rows_of_docnum[docs]
        return np.sort(rows[rows >= 0])

    def close(self) -> None:
        with self._lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
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
            per_field = [wq.Term(f, term, boost=FIELD_WEIGHTS[f]) for f in FIELDS]
            parts.append(wq.Or(per_field, boost=weight))
        for phrase, weight in q.phrases:
            if len(phrase) > 1:
                parts.append(wq.Phrase("text", phrase, boost=weight))
            else:
                parts.append(wq.Term("text", phrase[0], boost=weight))
        return wq.Or(parts, scale=COORD_SCALE) if len(parts) > 1 else parts[0]

    def _docnum_mask(self, allowed: np.ndarray) -> np.ndarray:
        """Row mask → Whoosh document-number mask."""
        mask = np.zeros(len(self.rows_of_docnum), dtype=bool)
        docnums = self.docnums_of_row[np.flatnonzero(allowed)]
        mask[docnums[docnums >= 0]] = True
        return mask

    def _filter(self, allowed: np.ndarray | None) -> BitSet | None:
        if allowed is None:
            return None
        mask = self._docnum_mask(allowed)
        bits = BitSet()
        bits.bits = array("B", np.packbits(mask, bitorder="little").tobytes())
        return bits

    def search(
        self, q: TermQuery, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """(scores, rows, number of matching passages) for the k best matches, best first."""
        if q.is_empty() or k <= 0 or (allowed is not None and not allowed.any()):
            # Nothing passes the filters. (Whoosh takes an empty filter set for no filter at
            # all, so the matcher path would otherwise rank every passage.)
            return np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        if self.scorer == "fast":
            return self._fast_search(q, k, allowed)
        results = self.searcher.search(
            self._whoosh_query(q), limit=k, filter=self._filter(allowed), terms=False
        )
        docnums = np.array([hit.docnum for hit in results], dtype=np.int64)
        scores = np.array([hit.score for hit in results], dtype=np.float32)
        rows = self.rows_of_docnum[docnums] if len(docnums) else np.zeros(0, np.int64)
        keep = rows >= 0
        return scores[keep], rows[keep], len(results)


def _posting_blocks(m, wanted: np.ndarray | None = None):
    """(docnums, weights, encoded values) of a segment's posting list, a block at a time.

    With ``wanted`` (sorted segment document numbers), blocks that cannot hold any of them
    are skipped unread: their id range is known from the block headers alone. Short lists
    that Whoosh inlines in the term info come as one block.
    """
    if not isinstance(m, W3LeafMatcher):
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
        yield np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32), values
        return
    low = -1  # documents in this block are > the previous block's last id
    while not m._atend:
        high = m._maxid
        if wanted is None or _any_between(wanted, low, high):
            m._read_data()
            ids, weights, values = m._data
            n = m._blocklength
            if weights is None:
                weights = np.ones(n, np.float32)
            elif isinstance(weights, float):
                weights = np.full(n, weights, np.float32)
            else:
                weights = np.asarray(weights, dtype=np.float32)
            yield np.cumsum(np.asarray(ids, dtype=np.int64)), weights, values  # delta-coded ids
        low = high
        m._next_block()


def _side_postings(side: dict[str, np.ndarray], term: str) -> tuple[np.ndarray, np.ndarray]:
    """(segment docnums, occurrence counts) of a term from a segment's positional side index:
    the text field's postings without unpickling Whoosh's blocks (the weight of a posting is
    its count times the field boost). Raw, like the matchers: deleted documents included."""
    terms = side["terms"]
    i = int(np.searchsorted(terms, term))
    if i == len(terms) or terms[i] != term:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    occ = np.asarray(side["docs"][int(side["offsets"][i]) : int(side["offsets"][i + 1])])
    if not len(occ):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], occ[1:] != occ[:-1])))
    counts = np.diff(np.concatenate((starts, [len(occ)])))
    return occ[starts].astype(np.int64), counts


def _any_between(sorted_ids: np.ndarray, low: int, high: int) -> bool:
    """Whether any id lies in (low, high]."""
    i = int(np.searchsorted(sorted_ids, low, side="right"))
    return i < len(sorted_ids) and sorted_ids[i] <= high
