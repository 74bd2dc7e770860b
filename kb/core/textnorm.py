"""Text normalisation for Chinese official documents.

Reports arrive with a mix of full-width and half-width forms ("，" vs ",", "（一）" vs "(一)",
"２０２４" vs "2024"), Windows line ends, ideographic spaces and, in one seed, no line breaks at
all. Everything downstream (heading parsing, offsets, dedupe, boilerplate statistics, display)
works on one canonical form:

* line ends are "\\n"; lines are trimmed; blank lines are dropped (every line is a paragraph);
* full-width ASCII letters/digits/symbols become half-width (Ａ１％ → A1%);
* half-width punctuation in Chinese context becomes the Chinese form (, : ; ? ! ( ) → ，：；？！（）),
  so two bureaus writing the same sentence produce the same string;
* zero-width characters are removed; runs of spaces collapse; spaces between two Chinese
  characters are dropped (they are typesetting artefacts) — except in documents that have lost
  their line breaks, where such spaces are the only trace of the paragraph breaks and become
  newlines.

Nothing a user would quote is lost: words, digits, quotes and brackets all survive; only their
width and the whitespace around them change. Evaluation compares texts after NFKC with all
whitespace removed, which maps both forms to the same string.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Characters treated as "Chinese context" for punctuation and spacing decisions.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。、；：？！（）《》〈〉“”‘’「」『』【】〔〕…—·"
_CJK_OR_PUNCT = re.compile(f"[{_CJK}{re.escape(_CJK_PUNCT)}]")
_IS_CJK = re.compile(f"[{_CJK}]")

_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}

# A document whose average line is longer than this has lost its line breaks.
_FLAT_LINE_CHARS = 1500


def _fold_width(text: str) -> str:
    """Full-width ASCII variants (U+FF01–FF5E) → ASCII, except the Chinese punctuation we keep."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E and ch not in "，：；？！（）":
            out.append(chr(code - 0xFEE0))
        elif ch in "﹝﹞":
            out.append("〔" if ch == "﹝" else "〕")
        else:
            out.append(ch)
    return "".join(out)


def _is_cjk_context(ch: str) -> bool:
    return bool(ch) and bool(_CJK_OR_PUNCT.match(ch))


def _punct_to_chinese(line: str) -> str:
    """Turn , : ; ? ! and ( ) into their Chinese forms where they sit in Chinese text."""
    chars = list(line)
    n = len(chars)
    for i, ch in enumerate(chars):
        if ch in _HALF_TO_FULL:
            prev = chars[i - 1] if i else ""
            nxt = chars[i + 1] if i + 1 < n else ""
            if ch == "," and prev.isdigit() and nxt.isdigit():
                continue  # 1,000
            if ch == ":" and prev.isdigit() and nxt.isdigit():
                continue  # 12:23
            if _is_cjk_context(prev) or (ch in ",;" and _IS_CJK.match(nxt or " ")):
                chars[i] = _HALF_TO_FULL[ch]
    _parens_to_chinese(chars)
    return "".join(chars)


def _parens_to_chinese(chars: list[str]) -> None:
    """Convert a matched ( ) pair when it encloses or follows Chinese text (in place)."""
    stack: list[int] = []
    for i, ch in enumerate(chars):
        if ch in "(（":
            stack.append(i)
        elif ch in ")）" and stack:
            j = stack.pop()
            inner = "".join(chars[j + 1 : i])
            before = chars[j - 1] if j else ""
            if _IS_CJK.search(inner) or _is_cjk_context(before):
                chars[j], chars[i] = "（", "）"


def _drop_cjk_spaces(line: str) -> str:
    """Remove single spaces that sit between two Chinese characters or punctuation marks."""
    return re.sub(
        f"(?<=[{_CJK}{re.escape(_CJK_PUNCT)}]) (?=[{_CJK}{re.escape(_CJK_PUNCT)}])", "", line
    )


def _unflatten(text: str) -> str:
    """A document without line breaks: spaces between Chinese text were its paragraph breaks."""
    text = re.sub(f"(?<=[{_CJK}{re.escape(_CJK_PUNCT)}]) +(?=[{_CJK}（(\\d])", "\n", text)
    return re.sub(r"(?<=[。；：！？:;]) +(?=\S)", "\n", text)


def is_flat(text: str) -> bool:
    """True when the text has (nearly) no line breaks for its length."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    return bool(lines) and len(text) / len(lines) > _FLAT_LINE_CHARS


def normalize(text: str) -> str:
    """Return the canonical form of a report's text (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    text = unicodedata.normalize("NFC", text)
    text = _fold_width(text)
    text = _SPACES.sub(" ", text)
    if is_flat(text):
        text = _unflatten(text)
    lines = []
    for raw in text.split("\n"):
        line = _drop_cjk_spaces(_punct_to_chinese(raw.strip()))
        if line:
            lines.append(line)
    return "\n".join(lines)


def compact(text: str) -> str:
    """NFKC with all whitespace removed: the comparison form used for anchors and dedupe."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
