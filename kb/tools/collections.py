"""Case collections against the corpus: is what an item saved still what the corpus says?"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kb.store.collections import CHANGED, MISSING, OK, Item


def check_status(
    items: Iterable[Item],
    current_texts: Callable[[list[str]], Mapping[str, str]],
    report_exists: Callable[[str], bool],
) -> None:
    """Mark each item ok / changed / missing by comparing its saved text with the corpus.

    A passage id is derived from its text, so an edited passage usually comes back under a new
    id: the old id is gone while its report is still there — that is "changed" as well.
    """
    items = list(items)
    texts = current_texts([i.snapshot.passage_id for i in items])
    for item in items:
        now = texts.get(item.snapshot.passage_id)
        if now is not None:
            item.status = OK if now == item.snapshot.text else CHANGED
        else:
            item.status = CHANGED if report_exists(item.snapshot.report_id) else MISSING
