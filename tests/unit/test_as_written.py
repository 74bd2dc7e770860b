"""The 含检索词 check skips folding a passage where folding cannot change the answer: it must
answer exactly as folding would, for any text and phrase."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.search import query
from kb.search.query import holds_as_written, squash


def _chars(pattern: str) -> list[str]:
    cls = re.compile(f"[{pattern}]")
    return [chr(c) for c in range(0x30000) if cls.fullmatch(chr(c))]


def test_stable_characters_fold_to_themselves():
    for ch in _chars(query._STABLE):
        assert unicodedata.normalize("NFKC", ch).lower() == ch, hex(ord(ch))


def test_the_other_characters_fold_into_ascii_or_space():
    for ch in _chars(query._TO_ASCII) + _chars(r"\s"):
        folded = unicodedata.normalize("NFKC", ch).lower()
        assert folded.isascii() or not folded.strip(), hex(ord(ch))


# Text as reports write it, plus what folding does change: full-width forms, compatibility
# ideographs, circled numbers, ellipsis, spaces of every kind, upper case, combining marks.
_alphabet = st.sampled_from(
    list("优化营商环境执法力量薄弱首违不罚，。、；：“”（）《》…—–①②ＡＢａｂAbc 123１２３　\u00a0\n")
    + ["\uf9f4", "\u2f00", "一", "\u0301", "\u3099", "か", "℃", "㈱", "ﬁ", "E", "e"]
)
_text = st.lists(_alphabet, max_size=60).map("".join)


@settings(max_examples=800, deadline=None)
@given(text=_text, phrase=_text)
def test_same_answer_as_folding_the_text(text, phrase):
    wanted = squash(phrase)
    assert holds_as_written(text, wanted) == (wanted in squash(text))


def test_a_phrase_across_a_line_break_or_full_width_space_is_found():
    assert holds_as_written("持续优化\n营商环境，成效明显", "优化营商环境")
    assert holds_as_written("持续优化　营商环境", "优化营商环境")
    assert not holds_as_written("优化，营商环境", "优化营商环境")
