"""Full Whoosh builds written straight into segments, bypassing ``add_document``.

Whoosh's writer spends most of a build in pure Python per posting: analysing each field into
Token objects, pickling positions, spilling every posting into a sorting pool and merging it
back, then looking each document's field length up again in the column file it has just
written. A full build needs none of that: the analysis runs in worker processes (where it
always ran), and the postings of up to :data:`SEGMENT_DOCS` documents are collected in
memory, sorted once and handed to the codec's own field and per-document writers — the same
calls, in the same order, that Whoosh makes when it flushes a segment.

The index is the one ``add_document`` would write: same terms, postings, weights, encoded
positions, field lengths and stored ids (tests/integration/test_lexical_bulk.py compares
them), in one segment per :data:`SEGMENT_DOCS` documents. Document numbers follow the input
order across segments, so rankings and their ties are the same as with one segment.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import Schema
from whoosh.formats import Frequency, Positions
from whoosh.index import TOC, FileIndex
from whoosh.system import pack_uint

from indexer.lexical.base import OnDoc
from indexer.settings import LexicalConfig

# Documents per segment: bounds the memory of the in-memory postings (about 1 GB of Python
# objects per 50,000 passages) while keeping few segments for the searcher to visit.
SEGMENT_DOCS = 50_000
_FIELD_ORDER = ("heading", "meta", "pid", "text")

# Positional side index (see positions_of): per segment, the text field's term positions as
# numpy arrays in the index's "positions" folder (Whoosh's file clean-up never looks there).
POSITIONS_DIR = "positions"
POSITIONAL_FIELD = "text"

# (field name, [(term bytes, weight, encoded value, positions or None)], field length)
FieldPostings = tuple[str, list[tuple[bytes, float, bytes, list[int] | None]], int]
AnalysedDoc = tuple[str, list[FieldPostings]]  # (passage id, its fields' postings)


@cache
def _schema(user_dict: str, stopwords: str, heading_boost: float) -> Schema:
    from indexer.lexical.whoosh import make_schema

    return make_schema(
        LexicalConfig(user_dict=user_dict, stopwords=stopwords, heading_boost=heading_boost)
    )


def analyse_doc(schema: Schema, pid: str, values: dict[str, str]) -> AnalysedDoc:
    """What ``add_document`` would add for one document: each field's postings and length.

    The text fields' postings are made from the analyzer's token list directly, as Whoosh's
    ``Positions`` and ``Frequency`` formats make them from Token objects (weight: the count
    times the field boost; value: the encoded positions or the count), without the Token
    objects; other fields go through Whoosh's own ``field.index``.
    """
    out: list[FieldPostings] = []
    for name in _FIELD_ORDER:
        field = schema[name]
        fmt = field.format
        if name == "pid" or type(fmt) not in (Positions, Frequency):
            value = pid if name == "pid" else values[name]
            items, length = [], 0
            for tbytes, freq, weight, vbytes in field.index(value):
                items.append((tbytes, weight, vbytes, None))
                length += freq if field.scorable else 0
            out.append((name, items, length))
            continue
        tokens = field.analyzer._tokens(values[name])
        where: dict[str, list[int]] = {}
        for i, (word, _start, _end) in enumerate(tokens):
            found = where.get(word)
            if found is None:
                where[word] = [i]
            else:
                found.append(i)
        fb = fmt.field_boost
        if type(fmt) is Positions:
            items = [(w.encode(), len(p) * fb, fmt.encode(p), p) for w, p in where.items()]
        else:
            items = [(w.encode(), len(p) * fb, pack_uint(len(p)), None) for w, p in where.items()]
        out.append((name, items, len(tokens) if field.scorable else 0))
    return pid, out


def analyse_batch(
    args: tuple[list[tuple[str, str, str, str]], str, str, float],
) -> list[AnalysedDoc]:
    """A worker's share: (pid, text, heading, meta) rows analysed with the build's schema."""
    batch, user_dict, stopwords, heading_boost = args
    schema = _schema(user_dict, stopwords, heading_boost)
    return [
        analyse_doc(schema, pid, {"text": text, "heading": heading, "meta": meta})
        for pid, text, heading, meta in batch
    ]


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a segment's postings are millions of live
    tuples (no cycles among them) that it would otherwise traverse again and again — on
    10^4 passages that was 40 % of the build's CPU time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_index(
    ix: FileIndex, analysed: Iterable[AnalysedDoc], block: int, on_doc: OnDoc = None
) -> None:
    """Write analysed documents, in order, as the segments of the (empty) index ``ix``."""
    with no_cyclic_gc():
        _write_all(ix, analysed, block, on_doc)


def _write_all(ix: FileIndex, analysed: Iterable[AnalysedDoc], block: int, on_doc: OnDoc) -> None:
    segments = []
    chunk: list[AnalysedDoc] = []
    for doc in analysed:
        chunk.append(doc)
        if on_doc:
            on_doc()
        if len(chunk) >= SEGMENT_DOCS:
            segments.append(_write_segment(ix, chunk, block))
            chunk = []
    if chunk or not segments:
        segments.append(_write_segment(ix, chunk, block))
    write_toc(ix, segments)


def write_segment_of(args: tuple[str, list[tuple[str, str, str, str]], str, str, float, int]):
    """A worker's share of a parallel build: analyse a contiguous run of passages and write
    them as one segment of the index at ``path``; the parent lists the segments in order.
    Without the index's write lock: the segments' files have distinct names, and only the
    parent writes the table of contents."""
    path, rows, user_dict, stopwords, heading_boost, block = args
    from whoosh import index as whoosh_index
    from whoosh.filedb.filestore import FileStorage

    with no_cyclic_gc():
        analysed = analyse_batch((rows, user_dict, stopwords, heading_boost))
    ix = whoosh_index.open_dir(path)
    # Each writer makes (and at the end deletes) a scratch folder named after the index:
    # one of its own per process, so that two workers never share or delete each other's.
    storage = ix.storage
    storage.temp_storage = lambda name=None: FileStorage.temp_storage(
        storage, f"{name or 'scratch'}.{os.getpid()}"
    )
    with no_cyclic_gc():
        return _write_segment(ix, analysed, block, lock=False)


def write_toc(ix: FileIndex, segments: list) -> None:
    """Make the given segments, in order, the index's contents."""
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)


def _write_segment(ix: FileIndex, docs: list[AnalysedDoc], block: int, lock: bool = True):
    writer = ix.writer(codec=W3Codec(blocklimit=block), _lk=lock)
    try:
        schema, pdw, fw = writer.schema, writer.perdocwriter, writer.fieldwriter
        postings: dict[str, dict[bytes, list[tuple[int, float, bytes, int, list | None]]]] = {
            name: {} for name in _FIELD_ORDER
        }
        for docnum, (pid, fields) in enumerate(docs):
            pdw.start_doc(docnum)
            for name, items, length in fields:
                bucket = postings[name]
                for tbytes, weight, vbytes, where in items:
                    found = bucket.get(tbytes)
                    if found is None:
                        bucket[tbytes] = found = []
                    found.append((docnum, weight, vbytes, length, where))
                field = schema[name]
                pdw.add_field(name, field, pid if field.stored else None, length)
            pdw.finish_doc()
        pdw.close()
        side = SideIndex()
        for name in _FIELD_ORDER:
            bucket = postings.pop(name)
            if not bucket:
                continue
            fw.start_field(name, schema[name])
            for tbytes in sorted(bucket):
                fw.start_term(tbytes)
                found = bucket[tbytes]
                for docnum, weight, vbytes, length, _where in found:
                    fw.add(docnum, weight, vbytes, length)
                fw.finish_term()
                if name == POSITIONAL_FIELD:
                    side.add(tbytes, found)
            fw.finish_field()
        fw.close()
        writer.docnum = len(docs)
        segment = writer.get_segment()
        side.save(Path(ix.storage.folder) / POSITIONS_DIR, segment.segment_id())
        return segment
    finally:
        writer._close_segment()
        writer._finish()


class SideIndex:
    """The positions of one segment's text field, gathered while its postings are written."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.postings_per_term: list[int] = []
        self.docs: list[int] = []
        self.lens: list[int] = []
        self.positions: list[list[int]] = []

    def add(self, tbytes: bytes, found: list) -> None:
        self.terms.append(tbytes.decode("utf-8"))
        self.postings_per_term.append(len(found))
        for docnum, _weight, _vbytes, _length, where in found:
            self.docs.append(docnum)
            self.lens.append(len(where))
            self.positions.append(where)

    def save(self, folder: Path, segment_id: str) -> None:
        folder.mkdir(exist_ok=True)
        lens = np.array(self.lens, dtype=np.int64)
        ends = np.concatenate(([0], np.cumsum(lens)))
        first_posting = np.concatenate(([0], np.cumsum(self.postings_per_term)))
        arrays = {
            "terms": np.array(self.terms, dtype=str),
            "offsets": ends[first_posting],
            "docs": np.repeat(np.array(self.docs, dtype=np.int32), lens),
            "pos": np.fromiter(chain.from_iterable(self.positions), np.int32, int(ends[-1])),
        }
        for key, value in arrays.items():
            np.save(folder / f"{segment_id}.{key}.npy", value)


def positions_of(folder: Path, segment_id: str) -> dict[str, np.ndarray] | None:
    """A segment's positional side index, memory-mapped (None when it has none: segments
    written by Whoosh's own writer, e.g. by an incremental update, are read the slow way).

    ``terms`` (sorted), ``offsets`` (term i's entries are offsets[i]:offsets[i + 1]) and, per
    entry, ``docs`` (segment document number) and ``pos`` (token position): one entry per
    occurrence, by term, then document, then position — the order of the postings.
    """
    paths = {k: folder / f"{segment_id}.{k}.npy" for k in ("terms", "offsets", "docs", "pos")}
    if not all(p.is_file() for p in paths.values()):
        return None
    return {k: np.load(p, mmap_mode="r") for k, p in paths.items()}
