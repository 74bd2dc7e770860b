"""What the indexer is given: one record per passage, in the order rows are numbered.

The indexer knows nothing of reports, stores or configuration files. Whoever owns the corpus
(kb's store) adapts its passages to these records; the indexer turns them into a lexical
index, vectors and a row table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IndexRecord:
    pid: str  # passage id, unique in a build
    report_id: str  # passages of one report share it (boilerplate counts distinct reports)
    text: str
    heading_path: list[str]
    meta: str  # organisation, title and places, searched as a lightly weighted field
    year: int | None = None
    # Categorical columns for filters and facets (field -> value); every record of a build
    # has the same keys, chosen by the caller.
    columns: dict[str, str | None] = field(default_factory=dict)

    def embed_text(self, max_chars: int) -> str:
        """What the embedder sees: the nearest headings give a short passage its topic."""
        context = " > ".join(self.heading_path[-2:])
        text = f"{context}：{self.text}" if context else self.text
        return text[:max_chars]
