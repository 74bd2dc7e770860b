"""The lexical role: BM25 over passages, restricted to allowed rows.

A backend stores what :class:`LexicalDoc` gives it (passage text, heading path, report
metadata) and answers :class:`TermQuery` objects, analysed by the caller with the backend's own
:attr:`LexicalIndex.analyzer` — the analyzer the index was built with, so that query and index
tokens can never disagree. Results are *rows*: positions in the build, the numbering shared
with the vector index and the per-row filter arrays. A new backend is one module here and
one line in ``indexer.lexical._BACKENDS``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.analyzer import Analyzer
from indexer.settings import LexicalConfig

OnDoc = Callable[[], None] | None  # called once per document written (progress)


@dataclass
class LexicalDoc:
    """What the lexical index stores of one passage (fields of a BM25F score)."""

    pid: str
    text: str
    heading: str
    meta: str


@dataclass
class TermQuery:
    """Analysed query: weighted terms and weighted phrases, OR-ed. Exclusions are not part of
    it: the caller removes excluded passages from the allowed rows (kb.search.Searcher)."""

    terms: list[tuple[str, float]]
    phrases: list[tuple[list[str], float]]

    def is_empty(self) -> bool:
        return not self.terms and not self.phrases


class LexicalIndex(ABC):
    name: str  # backend name, as in [lexical] backend

    @classmethod
    @abstractmethod
    def build(
        cls,
        path: Path,
        docs: Sequence[LexicalDoc],
        cfg: LexicalConfig,
        procs: int = 1,
        on_doc: OnDoc = None,
    ) -> None:
        """Create a fresh index at path; ``docs[i]`` is row i."""

    @classmethod
    @abstractmethod
    def update(
        cls,
        previous: Path,
        path: Path,
        removed: Iterable[str],
        added: Iterable[LexicalDoc],
        row_pids: Sequence[str],
        on_doc: OnDoc = None,
    ) -> None:
        """Write at path the previous index minus ``removed`` plus ``added`` passage ids;
        ``row_pids[i]`` is the passage id of row i in the new build."""

    @classmethod
    @abstractmethod
    def open(cls, path: Path, n_rows: int) -> LexicalIndex: ...

    @property
    @abstractmethod
    def analyzer(self) -> Analyzer:
        """The analyzer this index was built with (queries must be analysed with it)."""

    @abstractmethod
    def search(
        self, q: TermQuery, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """(scores, rows, number of matching passages) for the k best matches, best first;
        ``allowed`` is a boolean row mask or None."""

    @abstractmethod
    def rows_containing(
        self, groups: Sequence[Sequence[str]], require_all: bool = False
    ) -> np.ndarray:
        """Sorted rows whose text holds every word of any group (or, with ``require_all``, of
        every group), wherever the words occur. Candidates for exclusions and for counting
        the passages that hold every query word; whether a phrase occurs *as written* is
        checked by the caller against the passage text."""

    @property
    @abstractmethod
    def doc_count(self) -> int: ...

    @abstractmethod
    def pids(self) -> list[str]:
        """Every stored passage id (for `kb check`)."""

    def warm(self, stop: Callable[[], bool] = lambda: False) -> int:
        """Read what the first queries would read anyway, before they come (a server calls it
        in the background after opening a build); returns how many terms were read.
        ``stop`` is asked between terms. Backends with nothing to warm keep this default."""
        return 0

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release open files."""
