"""Cut sections into passages, the unit of search.

A passage is a contiguous slice of the report's normalised text (so offsets are exact and a
hit can be highlighted in the report), never crossing a heading, never cut mid-sentence. Cuts
prefer the places the author chose: paragraph starts and enumeration items (一是…二是…), then
sentence ends. Sizes aim at 100–500 characters: long enough to carry a complete practice with
its numbers, short enough that a hit points at the sentence that matters and fits the
embedder's 512-token window.

Two hard limits hold for every passage, because a drafter quotes passages whole:

* **minimum** (``MIN_PASSAGE_CHARS``): a shorter fragment (组建, 依托省, 一是健全) merges into its
  neighbour in the same section; only a section whose whole body is one short sentence keeps a
  short passage. Fragments rank high for unrelated queries and say nothing when quoted.
* **maximum** (``HARD_MAX_CHARS``): a sentence longer than that (a 12 MB file of one line with
  no full stop) is cut at clause marks (，、：), and where there are none, at the cap.

A passage that does not end where its sentence ends — cut by the cap, or by the end of the
available text (a page copied only in part, stopping at 林业法治建) — is flagged ``truncated``:
displays add … and exports and handouts mark it 节选. A fragment under the minimum at the very
end of such a text, alone in its section, is not made a passage at all: the report view still
shows it, but there is nothing in it to find or to quote.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from kb.core.models import Passage, Section
from kb.ingest.headings import ENUM_RE

MIN_CHARS = 100  # a passage this long may close at the next paragraph or item
ITEM_CHARS = 120  # at an enumeration item or paragraph start, close a passage this long
MAX_CHARS = 500  # above this, close at the next sentence end
HARD_MAX_CHARS = 800  # the maximum: no passage is longer
MIN_PASSAGE_CHARS = 30  # the minimum: shorter passages merge into a neighbour

_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』）)》]*")
# Where a passage may end and still be whole (a colon ends an introduction: 报告如下：).
_ENDS_WHOLE = re.compile(r"[。！？；!?;…：:][”’」』）)》】]*$")
# Where an over-long sentence may be cut, best first: a clause end, then a list comma.
_CLAUSE_ENDS = (re.compile(r"[，：,:]+[”’」』）)》]*"), re.compile(r"[、]+"))
# Characters a page copied in part may end with: a broken multi-byte character.
_TRAILING_JUNK = "\ufffd"


@dataclass
class _Unit:
    start: int
    end: int
    strong: bool  # starts a paragraph or an enumeration item
    cut: bool = False  # ends mid-sentence: the sentence went on past the cap

    @property
    def size(self) -> int:
        return self.end - self.start


def _split_long(text: str, unit: _Unit) -> list[_Unit]:
    """A sentence longer than the maximum, in pieces of at most MAX_CHARS at clause marks (or
    at the cap where a clause is longer still); every piece but the last is cut."""
    pieces: list[_Unit] = []
    start = unit.start
    while unit.end - start > HARD_MAX_CHARS:
        limit = start + MAX_CHARS
        end = start
        for clause_end in _CLAUSE_ENDS:
            for m in clause_end.finditer(text, start + MIN_PASSAGE_CHARS, limit):
                end = m.end()
            if end > start:
                break
        if end <= start:
            end = limit
        pieces.append(_Unit(start, end, unit.strong and not pieces, cut=True))
        start = end
    pieces.append(_Unit(start, unit.end, unit.strong and not pieces, cut=unit.cut))
    return pieces


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
    out: list[_Unit] = []
    for u in units:
        if not text[u.start : u.end].strip():
            continue
        out += _split_long(text, u) if u.size > HARD_MAX_CHARS else [u]
    return out


def _size(group: list[_Unit]) -> int:
    return group[-1].end - group[0].start


def _pack(units: list[_Unit]) -> list[list[_Unit]]:
    """Units into passages: close at an item or paragraph once long enough, or before MAX_CHARS
    is passed (HARD_MAX_CHARS at the latest)."""
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    for u in units:
        if cur:
            cur_len, new_len = _size(cur), u.end - cur[0].start
            close = (u.strong and cur_len >= ITEM_CHARS) or (
                new_len > MAX_CHARS and (cur_len >= MIN_CHARS or new_len > HARD_MAX_CHARS)
            )
            if close:
                groups.append(cur)
                cur = []
        cur.append(u)
    if cur:
        groups.append(cur)
    return _merge_fragments(groups)


def _merge_fragments(groups: list[list[_Unit]]) -> list[list[_Unit]]:
    """Every passage under the minimum joins a neighbour (the one before, else the one after);
    when that would pass the maximum, the two are split again at the unit boundary that leaves
    both sides as even as possible."""
    i = 0
    while i < len(groups):
        group = groups[i]
        if _size(group) >= MIN_PASSAGE_CHARS or len(groups) == 1:
            i += 1
            continue
        if i > 0 and _size(groups[i - 1] + group) <= HARD_MAX_CHARS:
            groups[i - 1 : i + 1] = [groups[i - 1] + group]
            continue
        if i + 1 < len(groups) and _size(group + groups[i + 1]) <= HARD_MAX_CHARS:
            groups[i : i + 2] = [group + groups[i + 1]]
            continue
        j = i - 1 if i > 0 else i + 1
        lo, hi = min(i, j), max(i, j)
        merged = groups[lo] + groups[hi]
        split = _best_split(merged)
        if split:
            groups[lo : hi + 1] = [merged[:split], merged[split:]]
        i += 1
    return groups


def _best_split(units: list[_Unit]) -> int | None:
    """The boundary that leaves both sides within [minimum, maximum] and most even."""
    best, best_key = None, -1
    for k in range(1, len(units)):
        left, right = units[k - 1].end - units[0].start, units[-1].end - units[k].start
        shortest = min(left, right)
        if (
            shortest >= MIN_PASSAGE_CHARS
            and max(left, right) <= HARD_MAX_CHARS
            and shortest > best_key
        ):
            best, best_key = k, shortest
    return best


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING_JUNK):
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
    text_end = len(text.rstrip().rstrip(_TRAILING_JUNK))
    for sec in sections:
        groups = _pack(_units(text, sec.body_start, sec.body_end))
        for group in groups:
            s, e = _trim(text, group[0].start, group[-1].end)
            if s >= e:
                continue
            body = text[s:e]
            cut_by_text_end = e >= text_end and not _ENDS_WHOLE.search(body)
            if cut_by_text_end and len(body) < MIN_PASSAGE_CHARS and len(groups) == 1:
                continue  # a scrap the page stopped in: nothing to find or quote
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
                    truncated=group[-1].cut or cut_by_text_end,
                )
            )
    return passages
