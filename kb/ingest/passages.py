"""Cut sections into passages, the unit of search.

A passage is a contiguous slice of the report's normalised text (so offsets are exact and a
hit can be highlighted in the report), never crossing a heading, never cut mid-sentence. Cuts
prefer the places the author chose: paragraph starts and enumeration items (一是…二是…), then
sentence ends. Sizes aim at 100–500 characters: long enough to carry a complete practice with
its numbers, short enough that a hit points at the sentence that matters and fits the
embedder's 512-token window.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from kb.core.models import Passage, Section
from kb.ingest.headings import ENUM_RE

MIN_CHARS = 100  # below this a passage is a fragment: merge it
ITEM_CHARS = 120  # at an enumeration item or paragraph start, close a passage this long
MAX_CHARS = 500  # above this, close at the next sentence end
HARD_MAX_CHARS = 800  # a fragment may grow up to this to avoid being left tiny

_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』）)》]*")


@dataclass
class _Unit:
    start: int
    end: int
    strong: bool  # starts a paragraph or an enumeration item


def _units(text: str, start: int, end: int) -> list[_Unit]:
    """Sentences of text[start:end], each flagged when it opens a paragraph or an item."""
    units: list[_Unit] = []
    pos = start
    for para in text[start:end].split("\n"):
        p_start, p_end = pos, pos + len(para)
        pos = p_end + 1
        if not para.strip():
            continue
        item_starts = {p_start + m.end() - len(m.group(0).lstrip()) for m in ENUM_RE.finditer(para)}
        s = p_start
        for m in _SENTENCE_END.finditer(para):
            e = p_start + m.end()
            units.append(_Unit(s, e, s == p_start or s in item_starts))
            s = e
        if s < p_end:
            units.append(_Unit(s, p_end, s == p_start or s in item_starts))
    return [u for u in units if text[u.start : u.end].strip()]


def _pack(units: list[_Unit]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for u in units:
        if cur is not None:
            cur_len, new_len = cur[1] - cur[0], u.end - cur[0]
            close = (u.strong and cur_len >= ITEM_CHARS) or (
                new_len > MAX_CHARS and (cur_len >= MIN_CHARS or new_len > HARD_MAX_CHARS)
            )
            if close:
                spans.append(cur)
                cur = None
        cur = (u.start, u.end) if cur is None else (cur[0], u.end)
    if cur is not None:
        spans.append(cur)
    # A short tail joins the passage before it.
    if (
        len(spans) >= 2
        and spans[-1][1] - spans[-1][0] < MIN_CHARS
        and spans[-1][1] - spans[-2][0] <= HARD_MAX_CHARS
    ):
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def passage_id(report_id: str, text: str, occurrence: int) -> str:
    """Stable id: the same text in the same report gets the same id across runs."""
    key = f"{report_id}\x00{text}\x00{occurrence}".encode()
    return hashlib.sha1(key).hexdigest()[:16]


def split_passages(report_id: str, text: str, sections: list[Section]) -> list[Passage]:
    """All passages of a report, in reading order."""
    passages: list[Passage] = []
    seen: Counter[str] = Counter()
    for sec in sections:
        for s, e in _pack(_units(text, sec.body_start, sec.body_end)):
            s, e = _trim(text, s, e)
            if s >= e:
                continue
            body = text[s:e]
            seen[body] += 1
            passages.append(
                Passage(
                    id=passage_id(report_id, body, seen[body] - 1),
                    report_id=report_id,
                    position=len(passages),
                    start=s,
                    end=e,
                    text=body,
                    heading_path=list(sec.path),
                    section_kind=sec.kind,
                )
            )
    return passages
