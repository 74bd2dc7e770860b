"""Chinese analysis for the lexical index: jieba segmentation with a domain dictionary.

jieba's general dictionary splits the vocabulary of these reports into pieces (首违不罚 →
首违/不罚, 双随机一公开 → 双/随机/一/公开), which wrecks both precision and BM25 statistics.
We ship a domain dictionary so such terms stay whole, run jieba in "search" mode (long words
also emit their dictionary sub-words, so 执法+专家 matches a query for 执法 too), drop
punctuation and stop words, and fold width/case. The same :func:`segment` runs at index and at
query time, which is what makes the two agree.

The analyzer is pickled into the Whoosh schema, so it holds only plain settings; the jieba
tokenizer itself lives in a module-level cache keyed by those settings.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

with warnings.catch_warnings():
    # jieba imports pkg_resources, which warns on every start with the setuptools<81 that the
    # milvus extra keeps (pyproject.toml); the warning is about jieba, not for kb's users
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
    import jieba
import rjieba
from whoosh.analysis import Token, Tokenizer

DATA = Path(__file__).parent / "data"
DOMAIN_DICT = DATA / "domain_dict.txt"
STOPWORDS = DATA / "stopwords.txt"
# 2: width folding before segmentation, long sub-words; 3: "_" is not a word character;
# 4: segmented by jieba-rs (rjieba) with jieba's dictionary and weights
ANALYZER_VERSION = "4"

# A token is a word if it has a letter, digit or ideograph: "._." or "__" in a pasted
# query (or in text) is punctuation, not something to search for.
_WORDLIKE = re.compile(r"[^\W_]", re.UNICODE)

jieba.setLogLevel(60)  # jieba logs dictionary loading at INFO on every start

# Full-width forms → their one-character NFKC form (Ａ→A, １→1, ＋→+, ideographic space → " ").
# Folded *before* segmentation: jieba treats full-width letters and digits as separate symbols
# (１２３４５热线 → 1/2/3/4/5/热线), so folding only the resulting words is not enough. Only
# one-to-one mappings are used, so token offsets still point into the original text.
_WIDTH = {
    cp: folded
    for cp in (0x3000, *range(0xFF01, 0xFFEF))
    if len(folded := unicodedata.normalize("NFKC", chr(cp))) == 1
}


def _read_terms(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Dictionary lines: "word [freq] [tag]"; blank lines and # comments ignored."""
    out: list[tuple[str, int | None, str | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        out.append((parts[0], freq, tag))
    return out


def _read_words(path: Path) -> set[str]:
    return {w for w, _, _ in _read_terms(path)}


@cache
def _tokenizers(user_dict: str) -> tuple[jieba.Tokenizer, rjieba.Jieba]:
    """jieba (its dictionary answers which sub-words are words) and jieba-rs, which segments:
    the same algorithm and built-in dictionary, 10–20 times faster. Both get the domain and
    user dictionaries with the same frequencies."""
    tk = jieba.Tokenizer()
    tk.initialize()
    rs = rjieba.Jieba()
    for path in filter(None, [str(DOMAIN_DICT), user_dict]):
        for word, freq, tag in _read_terms(Path(path)):
            # A high frequency keeps the term whole even where jieba's own words overlap it.
            freq = freq or max(tk.suggest_freq(word, tune=False), 50_000)
            tk.add_word(word, freq, tag)
            rs.add_word(word, freq, tag)
    return tk, rs


def _tokenizer(user_dict: str) -> jieba.Tokenizer:
    return _tokenizers(user_dict)[0]


_JOINERS = re.compile(r"[^-_]+|[-_]")


def cut(text: str, user_dict: str = "", mode: str = "default") -> list[tuple[str, int, int]]:
    """(word, start, end) of jieba's ``tokenize`` in ``mode``, computed by jieba-rs.

    jieba-rs keeps a run with hyphens or underscores whole (2021-2025, a_b) where jieba cuts
    at each of them; cutting it the same way makes the two agree on 99.6 % of the development corpus's
    paragraphs in search mode and 99.8 % in default mode (tests/unit/test_segmentation.py).
    """
    out: list[tuple[str, int, int]] = []
    for word, start, end in _tokenizers(user_dict)[1].tokenize(text, mode=mode):
        if len(word) > 1 and ("-" in word or "_" in word):
            out.extend((m.group(), start + m.start(), start + m.end())
                       for m in _JOINERS.finditer(word))  # fmt: skip
        else:
            out.append((word, start, end))
    return out


@cache
def _terms(user_dict: str) -> frozenset[str]:
    words = _read_words(DOMAIN_DICT) | (_read_words(Path(user_dict)) if user_dict else set())
    return frozenset(fold(w) for w in words)


@cache
def stopwords(extra: str = "") -> frozenset[str]:
    words = _read_words(STOPWORDS)
    if extra:
        words |= _read_words(Path(extra))
    return frozenset(words)


def fold(word: str) -> str:
    """Token normal form: NFKC (full-width → half-width) and lower case."""
    return unicodedata.normalize("NFKC", word).lower()


def _search_words(tk: jieba.Tokenizer, text: str, user_dict: str) -> Iterator[tuple[str, int, int]]:
    """jieba search mode, plus dictionary sub-words of four or more characters.

    jieba's search mode emits only the 2- and 3-character dictionary words inside a long word,
    so text saying 行政执法三项制度 or 法治建设第一责任人 would never match a query for the
    domain terms 三项制度 or 第一责任人. Longer sub-words are emitted here, before the word
    itself, as jieba does for the short ones.
    """
    for word, start, end in cut(text, user_dict, "search"):
        for n in range(4, len(word)):
            for i in range(len(word) - n + 1):
                if tk.FREQ.get(word[i : i + n]):
                    yield word[i : i + n], start + i, start + i + n
        yield word, start, end


def segment(
    text: str, user_dict: str = "", extra_stopwords: str = "", search: bool = True
) -> list[tuple[str, int, int]]:
    """(token, start, end) for every indexable word of text, in order.

    ``search`` (index mode): jieba's search mode, every long word preceded by its dictionary
    sub-words. Without it (query mode): jieba's precise segmentation, each word once.
    """
    tk = _tokenizer(user_dict)
    text = text.translate(_WIDTH)
    words = _search_words(tk, text, user_dict) if search else cut(text, user_dict)
    out = []
    for word, start, end in words:
        w = _index_form(word, extra_stopwords)
        if w:
            out.append((w, start, end))
    return out


@lru_cache(maxsize=1 << 18)
def _index_form(word: str, extra_stopwords: str) -> str:
    """The folded form a word is indexed under, or "" for punctuation and stop words
    (memoised: the same few thousand words make up most of any text)."""
    if not _WORDLIKE.search(word):
        return ""
    w = fold(word.strip())
    return "" if w in stopwords(extra_stopwords) else w


def _tiling_parts(tk: jieba.Tokenizer, word: str) -> list[str]:
    """Dictionary words of two or more characters that take part in some way of cutting the
    whole word into dictionary words with at most one single character left over:
    执法力量薄弱 → 执法, 力量, 薄弱, 执法力量, 力量薄弱 (not 法力, which leaves 执 and 量 on their
    own); 小企业 → 企业; 安全生产月 → 安全生产, 安全, 生产."""
    n = len(word)
    pieces = [
        (i, j, 0 if j - i > 1 else 1)
        for i in range(n)
        for j in range(i + 1, n + 1)
        if (i, j) != (0, n) and (j - i == 1 or tk.FREQ.get(word[i:j]))
    ]
    # fewest single characters needed to cut word[:i] (from_start) and word[j:] (to_end)
    big = n + 1
    from_start = [0] + [big] * n
    for i, j, c in sorted(pieces, key=lambda p: p[1]):
        from_start[j] = min(from_start[j], from_start[i] + c)
    to_end = [big] * n + [0]
    for i, j, c in sorted(pieces, key=lambda p: -p[0]):
        to_end[i] = min(to_end[i], to_end[j] + c)
    return list(
        dict.fromkeys(word[i:j] for i, j, c in pieces if not c and from_start[i] + to_end[j] <= 1)
    )


def dictionary_fingerprint(user_dict: str = "", extra_stopwords: str = "") -> str:
    """Identifies the analysis: an index built with another dictionary must be rebuilt."""
    h = hashlib.sha256(ANALYZER_VERSION.encode())
    for p in filter(None, [str(DOMAIN_DICT), user_dict, str(STOPWORDS), extra_stopwords]):
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Analyzer:
    """The analysis of one index: jieba with the domain dictionary, the configured user
    dictionary and stop words. The index is built with it and queries are analysed with the
    one the index reports, so the two cannot drift apart."""

    user_dict: str = ""
    stopwords: str = ""

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(token, start, end) for every indexable word of text, in order."""
        return segment(text, self.user_dict, self.stopwords)

    def words(self, text: str) -> list[str]:
        """The words of a query: jieba's precise segmentation (each word once, in order).

        The index holds every long word *and* its dictionary sub-words (search mode), so a
        query word matches wherever it occurs, also inside a longer word; the query itself
        must not add sub-words: 执法力量薄弱 would look for 法力, and 安全生产 would count
        three times (安全, 生产, 安全生产).
        """
        found = segment(text, self.user_dict, self.stopwords, search=False)
        return list(dict.fromkeys(w for w, _, _ in found))

    def parts(self, word: str) -> list[str]:
        """The meaningful sub-words of a query word (see :func:`_tiling_parts`), which find
        text that says it in other words order (执法力量较为薄弱 for 执法力量薄弱)."""
        return [fold(p) for p in _tiling_parts(_tokenizer(self.user_dict), word)]

    def is_term(self, word: str) -> bool:
        """Whether a word is a term of the domain or user dictionary: a named practice
        (首违不罚, 双随机一公开), not just any word jieba knows."""
        return fold(word) in _terms(self.user_dict)

    def fingerprint(self) -> str:
        return dictionary_fingerprint(self.user_dict, self.stopwords)


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`segment` (stop words and folding included)."""

    def __init__(self, user_dict: str = "", extra_stopwords: str = ""):
        self.user_dict = user_dict
        self.extra_stopwords = extra_stopwords

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JiebaTokenizer)
            and other.user_dict == self.user_dict
            and other.extra_stopwords == self.extra_stopwords
        )

    __hash__ = None  # type: ignore[assignment]

    def _tokens(self, value: str) -> list[tuple[str, int, int]]:
        """The tokens of one field value (subclasses may take them from elsewhere)."""
        return segment(value, self.user_dict, self.extra_stopwords)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: object,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, (word, start, end) in enumerate(self._tokens(value)):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t
