"""Per-row arrays of a build: passage ids and the fields filters and ranking need.

Both retrievers number passages by *row* (their position in the build). Keeping the filter
fields as small numpy arrays next to the indexes lets a filter become a boolean row mask in
microseconds at any corpus size, and that one mask restricts both retrievers the same way.
Which categorical columns exist is the caller's choice (kb's field registry); the table
stores whatever the records carry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class RowTable:
    pids: list[str]
    year: np.ndarray  # int16, 0 = unknown
    codes: dict[str, np.ndarray]  # field -> int32 code per row (0 = unknown)
    vocab: dict[str, list[str]]  # field -> value of each code (vocab[f][0] == "")
    boilerplate: np.ndarray  # float32 in [0, 1]: share of the passage shared with many reports

    def __len__(self) -> int:
        return len(self.pids)

    @classmethod
    def from_records(
        cls,
        pids: list[str],
        years: list[int | None],
        values: dict[str, list[str | None]],
        boilerplate: np.ndarray,
    ) -> RowTable:
        codes, vocab = {}, {}
        for f in values:
            voc: dict[str, int] = {"": 0}
            codes[f] = np.array(
                [voc.setdefault(v or "", len(voc)) for v in values[f]], dtype=np.int32
            )
            vocab[f] = list(voc)
        year = np.array([y or 0 for y in years], dtype=np.int16)
        return cls(pids, year, codes, vocab, np.asarray(boilerplate, np.float32))

    def save(self, directory: Path) -> None:
        np.savez(
            directory / "rows.npz",
            year=self.year,
            boilerplate=self.boilerplate,
            **{f"code_{f}": c for f, c in self.codes.items()},
        )
        (directory / "rows.json").write_text(
            json.dumps({"pids": self.pids, "vocab": self.vocab}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> RowTable:
        data = json.loads((directory / "rows.json").read_text(encoding="utf-8"))
        with np.load(directory / "rows.npz") as z:
            codes = {f: z[f"code_{f}"] for f in data["vocab"]}
            return cls(data["pids"], z["year"], codes, data["vocab"], z["boilerplate"])

    def values(self, f: str) -> list[str]:
        """The known values of a categorical field (for facets and filter validation)."""
        return [v for v in self.vocab[f] if v]
