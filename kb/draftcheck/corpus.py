"""What the check needs to know about the corpus beyond the index, built once per index build.

The boilerplate statistic (in how many reports each 8-character stretch occurs) is kept in
memory so a draft paragraph, which is never indexed, is scored by the same rule as the indexed
passages; the words of peer passages are remembered as they are first needed (naming gap
clusters). Both are rebuilt when a new index build is swapped in.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np

from indexer.boilerplate import GramStats
from indexer.rows import RowTable
from kb.search import Searcher

_LOCK = threading.Lock()
_MODELS: weakref.WeakKeyDictionary[Searcher, PeerCorpus] = weakref.WeakKeyDictionary()


@dataclass
class PeerCorpus:
    build_id: str
    rows: RowTable
    grams: GramStats
    _words: dict[int, frozenset[str]] = field(default_factory=dict)
    # Gap clusters per (section kind, department kind, hidden reports): see kb.draftcheck.gaps.
    clusters: dict[tuple, object] = field(default_factory=dict)

    def mask(self, name: str, value: str | None) -> np.ndarray:
        """Rows whose categorical field equals value ("" or None: unknown)."""
        vocab = self.rows.vocab[name]
        code = vocab.index(value or "") if (value or "") in vocab else -1
        return self.rows.codes[name] == code

    def report_of(self, row: int) -> str:
        return self.rows.vocab["report_id"][self.rows.codes["report_id"][row]]

    def words(self, searcher: Searcher, rows: list[int]) -> dict[int, frozenset[str]]:
        """The analyzer's words of each row's passage (cached for the build's lifetime)."""
        missing = [r for r in rows if r not in self._words]
        if missing:
            analyzer = searcher.bundle.lexical.analyzer
            found = searcher.passages([self.rows.pids[r] for r in missing])
            for r in missing:
                p = found.get(self.rows.pids[r])
                text = p.text if p else ""
                self._words[r] = frozenset(w for w in analyzer.words(text) if len(w) >= 2)
        return {r: self._words[r] for r in rows}


def peer_corpus(searcher: Searcher) -> PeerCorpus:
    """The searcher's current build's PeerCorpus (built on first use, ~1 s per 10^4 passages)."""
    searcher.reload_if_stale()
    bundle = searcher.bundle
    with _LOCK:
        model = _MODELS.get(searcher)
        if model is not None and model.build_id == bundle.build_id:
            return model
        rows = bundle.rows
        found = searcher.passages(rows.pids)
        grams = GramStats(
            (p.report_id, p.text) for pid in rows.pids if (p := found.get(pid)) is not None
        )
        model = PeerCorpus(bundle.build_id, rows, grams)
        _MODELS[searcher] = model
        return model
