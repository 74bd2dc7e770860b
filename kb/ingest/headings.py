"""Find the numbered heading hierarchy of an official document.

Chinese official documents number their levels 一、 → （一） → 1. / 1、 → （1）, but real reports
deviate: levels are skipped, the top level is sometimes typed as ``1、`` by mistake, and headings
are often *inline* — the heading is the first sentence of a paragraph
("（一）强化统筹引领，构建责任闭环。坚持把……"). This module finds heading candidates at line
starts, repairs the numbering, assigns logical levels and splits off the heading title so that
passages can keep headings out of their body.

Input is text already normalised by :mod:`kb.core.textnorm` (one paragraph per line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.models import Heading

CN_DIGITS = "零一二三四五六七八九十"
_CN = "[一二三四五六七八九十]{1,3}"

# style -> regex matching the label at the start of a line. Order matters: "（一）" before "（1）".
_LABELS: list[tuple[str, re.Pattern[str]]] = [
    ("cn", re.compile(rf"^(?P<num>{_CN})\s*(?:[、．]|\.(?!\d))\s*")),
    ("pcn", re.compile(rf"^[（(]\s*(?P<num>{_CN})\s*[）)]\s*[、．.]?\s*")),
    ("par", re.compile(r"^[（(]\s*(?P<num>\d{1,2})\s*[）)]\s*[、．.]?\s*")),
    ("ar", re.compile(r"^(?P<num>\d{1,2})\s*(?:[、．]|\.(?!\d))\s*")),
    ("circ", re.compile(r"^(?P<num>[①-⑳])\s*")),
]

# Canonical depth of each style; the actual level is relative to the styles a document uses.
_CANONICAL = {"cn": 0, "pcn": 1, "ar": 2, "par": 3, "circ": 4}

# A heading title longer than this is really a numbered paragraph with no title.
MAX_TITLE_CHARS = 60
_TITLE_END = re.compile(r"[。：；！？]")

# Enumerations inside a paragraph: 一是…二是…, also 第一，第二，
ENUM_RE = re.compile(rf"(?:(?<=^)|(?<=[。；：！？\n]))\s*(?:{_CN}是|第{_CN}[，、])")


def starts_with_label(line: str) -> bool:
    """True when a line begins with a heading label such as 一、 （一） 1. （1）."""
    return any(rx.match(line) for _, rx in _LABELS)


def cn_to_int(s: str) -> int:
    """Chinese numerals up to 99 (一 → 1, 十二 → 12, 二十三 → 23)."""
    if s.isdigit():
        return int(s)
    if len(s) == 1 and "①" <= s <= "⑳":
        return ord(s) - ord("①") + 1
    if "十" not in s:
        return CN_DIGITS.index(s)
    tens, _, ones = s.partition("十")
    return (CN_DIGITS.index(tens) if tens else 1) * 10 + (CN_DIGITS.index(ones) if ones else 0)


@dataclass
class _Candidate:
    style: str
    number: int
    label: str
    line_start: int
    line_end: int
    rest_start: int  # where the text after the label begins


def _candidates(text: str, start: int, end: int) -> list[_Candidate]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        line_end = pos + len(line)
        for style, rx in _LABELS:
            m = rx.match(line)
            if m and line[m.end() :].strip():
                out.append(
                    _Candidate(
                        style=style,
                        number=cn_to_int(m.group("num")),
                        label=m.group(0).strip(),
                        line_start=pos,
                        line_end=line_end,
                        rest_start=pos + m.end(),
                    )
                )
                break
        pos = line_end + 1
    return out


def _repair_top_level(cands: list[_Candidate]) -> None:
    """Promote an arabic heading that fills a gap in the 一、二、三 sequence.

    A report whose first section is typed "1、主要举措和成效" followed by "二、" … must still get
    "1、" as a top-level section: it is the missing 一、.
    """
    cn_numbers = {c.number for c in cands if c.style == "cn"}
    if not cn_numbers:
        return
    expected = 1
    for i, c in enumerate(cands):
        if c.style == "cn":
            expected = c.number + 1
        elif c.style == "ar" and c.number == expected and expected not in cn_numbers:
            nxt = next((d for d in cands[i + 1 :] if d.style == "cn"), None)
            if nxt is not None and nxt.number == expected + 1:
                c.style = "cn"
                cn_numbers.add(c.number)
                expected += 1


def _style_levels(cands: list[_Candidate]) -> dict[str, int]:
    """Levels by first appearance, with 一、 always on top.

    First appearance handles documents whose top level is 1、 with （一） below it; the canonical
    order breaks ties and keeps 一、 above everything.
    """
    first_seen: dict[str, int] = {}
    for i, c in enumerate(cands):
        first_seen.setdefault(c.style, i)
    order = sorted(first_seen, key=lambda s: (s != "cn", first_seen[s], _CANONICAL[s]))
    return {style: depth + 1 for depth, style in enumerate(order)}


def _split_title(text: str, c: _Candidate) -> tuple[str, int, int]:
    """Return (title, title_end, body_start) for a heading candidate.

    A short line is all title. A long line starts with an inline title ending at the first 。：；
    when that comes early enough; otherwise the label numbers a paragraph without a title.
    """
    rest = text[c.rest_start : c.line_end]
    stripped = rest.rstrip("。：；！？ ")
    if len(rest) <= MAX_TITLE_CHARS and not _TITLE_END.search(stripped):
        return stripped, c.rest_start + len(stripped), c.line_end
    m = _TITLE_END.search(rest)
    if m and m.start() <= MAX_TITLE_CHARS and rest[m.end() :].strip():
        return rest[: m.start()], c.rest_start + m.start(), c.rest_start + m.end()
    return "", c.rest_start, c.rest_start


def find_headings(text: str, start: int = 0, end: int | None = None) -> list[Heading]:
    """All numbered headings in text[start:end], with logical levels and titles."""
    end = len(text) if end is None else end
    cands = _candidates(text, start, end)
    _repair_top_level(cands)
    levels = _style_levels(cands)
    headings = []
    for c in cands:
        title, title_end, body_start = _split_title(text, c)
        headings.append(
            Heading(
                level=levels[c.style],
                style=c.style,
                number=c.number,
                label=c.label,
                title=title,
                start=c.line_start,
                end=title_end if title else c.line_start + len(c.label),
                body_start=body_start,
            )
        )
    return headings


def heading_text(h: Heading) -> str:
    """The breadcrumb form of a heading: its label and title, e.g. "（一）强化组织领导"."""
    sep = " " if h.style == "ar" and h.label.endswith(".") else ""
    return f"{h.label}{sep}{h.title}" if h.title else h.label
