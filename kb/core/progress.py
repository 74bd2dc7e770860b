"""Progress bars for long work (ingest, embedding, indexing): counts, rate and ETA on stderr."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(
    items: Iterable[T], desc: str, unit: str, total: int | None = None, enable: bool = True
) -> Iterator[T]:
    """Iterate with a progress bar ("导入报告: 12/120 [00:03, 4.1份/s]") unless disabled."""
    if not enable:
        yield from items
        return
    yield from tqdm(items, desc=desc, unit=unit, total=total, dynamic_ncols=True, leave=True)


def bar(total: int, desc: str, unit: str, enable: bool = True) -> tqdm:
    """A manually advanced bar, for work done in batches (call .update(n), then .close())."""
    return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, disable=not enable)


class StageBars:
    """Progress bars for a callback reporting ``(stage, done, total)``, one bar per stage.

    The indexer reports progress through such a callback and knows nothing of terminals;
    this turns its stages into labelled bars (``labels``: stage → (description, unit)).
    """

    def __init__(self, labels: dict[str, tuple[str, str]], enable: bool = True):
        self.labels, self.enable = labels, enable
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enable:
            return
        b = self.bars.get(stage)
        if b is None:
            desc, unit = self.labels.get(stage, (stage, "个"))
            b = self.bars[stage] = bar(total, desc, unit)
        b.update(done - b.n)
        if done >= total:
            b.close()

    def note(self, message: str) -> None:
        """A line between the bars (written above them, so they keep their place)."""
        if self.enable:
            tqdm.write(message)

    def close(self) -> None:
        for b in self.bars.values():
            b.close()
