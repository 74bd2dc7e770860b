"""A plain BM25 baseline for the relevance evaluation: what an afternoon's work would give.

Paragraph chunks (the report text cut at line breaks; a line over 500 characters is cut at
sentence ends into pieces of about 300 characters), jieba's search-mode tokens with its own
default dictionary, and a standard BM25 library (``bm25s``, Lucene's BM25). None of kb's
analysis or ranking code: no domain dictionary, no synonyms, no fusion, no boilerplate
handling, no duplicate grouping. ``make eval`` reports it next to kb's modes so that a gain
can be judged against what plain BM25 already does.

Filters are applied the way kb applies them (a chunk carries its report's metadata and the
section kind of the text it comes from), so filtered queries are judged fairly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from indexer.rows import RowTable
from kb.core import fields
from kb.core.models import Report
from kb.search.filters import Filters
from kb.store.corpus import CorpusStore
from kb.tools.eval import Retrieved

LONG_LINE = 500  # lines longer than this are cut ...
PIECE = 300  # ... at sentence ends into pieces of about this many characters
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_WORD = re.compile(r"\w")


@dataclass
class Chunk:
    source: str
    text: str
    start: int  # offset in the report's normalised text


def chunks(report: Report) -> list[Chunk]:
    """The report's non-empty lines, long ones cut at sentence ends."""
    out: list[Chunk] = []
    pos = 0
    for line in report.text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        if len(line) <= LONG_LINE:
            out.append(Chunk(report.source, line.strip(), start))
            continue
        piece, piece_start = "", start
        for sentence in _SENTENCE_END.split(line):
            if piece and len(piece) + len(sentence) > PIECE:
                out.append(Chunk(report.source, piece.strip(), piece_start))
                piece_start += len(piece)
                piece = ""
            piece += sentence
        if piece.strip():
            out.append(Chunk(report.source, piece.strip(), piece_start))
    return out


def tokenize(text: str) -> list[str]:
    """jieba search mode with its default dictionary; punctuation and spaces dropped."""
    import jieba

    return [w.lower() for w in jieba.cut_for_search(text) if _WORD.search(w)]


def _section_kind(report: Report, offset: int) -> str | None:
    kind = None
    for s in report.sections:
        start = s.heading.start if s.heading else s.body_start
        if start <= offset:
            kind = s.kind
    return kind


class PlainBM25:
    """BM25 over paragraph chunks of every report in the store."""

    def __init__(self, store: CorpusStore):
        import bm25s

        self.chunks: list[Chunk] = []
        years: list[int | None] = []
        columns: dict[str, list[str | None]] = {f.column: [] for f in fields.columns()}
        for row in store.report_rows():
            report = store.get_report(row["id"], with_passages=False)
            assert report is not None
            for c in chunks(report):
                self.chunks.append(c)
                years.append(report.meta.year)
                for f in fields.columns():
                    if f.column == "report_id":
                        value = report.id
                    elif f.column == "section_kind":
                        value = _section_kind(report, c.start)
                    else:
                        value = getattr(report.meta, f.column)
                    columns[f.column].append(value)
        self.rows = RowTable.from_records(
            [str(i) for i in range(len(self.chunks))],
            years,
            columns,
            np.zeros(len(self.chunks), np.float32),
        )
        self.bm25 = bm25s.BM25()
        self.bm25.index([tokenize(c.text) for c in self.chunks], show_progress=False)

    def search(self, query: str, filters: Filters, k: int) -> list[Retrieved]:
        tokens = [t for t in tokenize(query) if t in self.bm25.vocab_dict]
        if not tokens or not self.chunks:
            return []
        mask = filters.mask(self.rows)
        weights = None if mask is None else mask.astype(np.float32)
        k = min(k, len(self.chunks))
        ids, scores = self.bm25.retrieve([tokens], k=k, show_progress=False, weight_mask=weights)
        return [
            Retrieved(self.chunks[i].source, self.chunks[i].text)
            for i, s in zip(ids[0].tolist(), scores[0].tolist(), strict=True)
            if s > 0
        ]
