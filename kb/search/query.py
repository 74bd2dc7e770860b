"""Query analysis: from whatever the user typed to weighted terms, phrases and a query kind.

Users type short jargon (首违不罚), topic phrases (执法力量薄弱), whole questions
(基层监管人手不够怎么办) and sometimes search-engine syntax. We support "quoted phrases" and
-exclusions, ignore AND/OR, and treat everything else — field syntax, unbalanced quotes, HTML,
punctuation — as plain words, so no input can make a search fail. Terms are produced by the
analyzer the index was built with (it must be passed in: there is no default to fall back on);
domain synonyms add related terms at a lower weight.

Interrogatives and sentence particles (如何, 怎么办, 吗 …) are dropped from the lexical terms:
they say that the user asks, not what about, and matching them only rewards passages that
happen to contain 如何. The embedder still sees the whole question.

Synonyms (indexer/data/synonyms.txt) come in two forms. A plain line is a group of
interchangeable terms (首违不罚 首次轻微违法 免予处罚 …). A line ``a b => c d`` maps everyday
words to the official terms reports use (抽签 => 双随机 随机抽查): a query saying 抽签 also
searches 双随机, but a query for 双随机 does not search 抽签. Expansions are searched one by one
(see :meth:`AnalyzedQuery.expansion_queries`) and added to the embedder's view of the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from indexer.analyzer import DATA, Analyzer, fold
from indexer.lexical import TermQuery

MAX_QUERY_CHARS = 256
SYNONYMS = DATA / "synonyms.txt"
EXPANSION_WEIGHT = 0.5
PHRASE_WEIGHT = 2.0
# Weight of a query word's meaningful sub-words (执法力量薄弱 → 执法力量, 薄弱 …) against the
# word itself: they find text that words the same thing a little differently.
PART_WEIGHT = 0.3

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」')
# -词, -"短语", NOT 词: excluded as written (a quoted exclusion is not also a phrase to find).
_EXCLUDE = re.compile(
    r'(?:^|(?<=\s))(?:NOT\s+|[-－])(?:"([^"]+)"|“([^”]+)”|「([^」]+)」|([^\s"“”「」]+))'
)
_BOOLEAN = re.compile(r"\b(?:AND|OR|NOT)\b")
_QUESTION = re.compile(r"如何|怎么|怎样|什么|哪些|为何|为什么|是否|有没有|吗|呢|[？?]")
# Words that make a question a question; never what it is about.
QUESTION_WORDS = frozenset(
    re.split(
        r"\s+",
        "如何 怎么 怎么样 怎么办 怎样 怎 什么 哪些 哪个 哪家 哪里 为何 为什么 是否 有没有 "
        "能否 可否 能不能 要不要 多少 吗 呢 吧 啊 呀 么",
    )
)
# Terms this short (行政, 执法, 制度) are too common to mark alone unless typed alone.
COMMON_MAX_CHARS = 2
MAX_EXPANSIONS = 12  # a query touching several groups must not turn into a list of synonyms


@dataclass(frozen=True)
class SynonymRule:
    """If a query contains one of ``triggers``, also search ``targets`` (minus what it says)."""

    triggers: tuple[str, ...]
    targets: tuple[str, ...]


def _split_terms(part: str) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"[\s|]+", part) if t)


@cache
def synonym_rules(path: str) -> tuple[SynonymRule, ...]:
    """Rules of the synonyms file: groups (``a b c``) and one-way mappings (``a b => c d``)."""
    rules = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            triggers, targets = _split_terms(left), _split_terms(right)
        else:
            triggers = targets = _split_terms(line)
        if triggers and targets:
            rules.append(SynonymRule(triggers, targets))
    return tuple(rules)


def synonym_groups(path: str = str(SYNONYMS)) -> tuple[tuple[str, ...], ...]:
    """The terms of every rule, triggers and targets together (for listings and tests)."""
    return tuple(tuple(dict.fromkeys(r.triggers + r.targets)) for r in synonym_rules(path))


@dataclass
class AnalyzedQuery:
    raw: str
    text: str  # cleaned text, as the embedder sees it
    terms: list[str] = field(default_factory=list)
    # meaningful sub-words of long terms, searched at PART_WEIGHT (never 法力 for 执法力量薄弱)
    parts: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    phrase_texts: list[str] = field(default_factory=list)  # each quoted phrase as written
    # excluded words and phrases: the words of what was written after the minus, and as written
    excluded: list[list[str]] = field(default_factory=list)
    excluded_texts: list[str] = field(default_factory=list)
    positive_text: str = ""  # the text without its exclusions (what the embedder reads)
    # Synonyms of what the query mentions, searched as exact phrases (a synonym's generic
    # sub-words such as 行政 or 处罚 must not match on their own).
    expansions: list[str] = field(default_factory=list)
    expansion_phrases: list[list[str]] = field(default_factory=list)
    kind: str = "phrase"  # jargon | phrase | question
    # What was typed between spaces (outside quotes and exclusions), folded: the query's own
    # words as the user wrote them (行政执法 in 行政执法 制度建设), whatever the analyzer cut.
    typed: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.text

    def term_query(self, expansion_weight: float = EXPANSION_WEIGHT) -> TermQuery:
        """Everything in one OR-query: own terms and phrases plus expansions.

        For callers that want a single query (benchmarks); the searcher runs
        :meth:`base_query` and :meth:`expansion_queries` separately.
        """
        q = self.base_query()
        q.phrases += [(p, expansion_weight) for p in self.expansion_phrases]
        return q

    def base_query(self) -> TermQuery:
        """The query's own terms (and their meaningful parts) and quoted phrases, no synonyms."""
        terms = [(t, 1.0) for t in self.terms] + [(t, PART_WEIGHT) for t in self.parts]
        phrases = [(p, PHRASE_WEIGHT) for p in self.phrases]
        return TermQuery(terms, phrases)

    def expansion_queries(self) -> list[TermQuery]:
        """One query per synonym (weight 1: the caller weighs them against the query's words).

        Separately, because in one OR-query the coordination bonus of the lexical index
        rewards matching *many* synonyms (no passage says 首违不罚 and 免罚清单 and 包容审慎
        at once).
        """
        return [TermQuery([], [(p, 1.0)]) for p in self.expansion_phrases]

    def semantic_text(self) -> str:
        """What the embedder sees: the cleaned query, then its synonyms in brackets.

        A short jargon query (首违不罚) embeds poorly with a small multilingual model; the
        official wordings that reports use (首次轻微违法, 免予处罚) carry the meaning it knows.
        """
        if not self.expansions:
            return self.positive_text
        return f"{self.positive_text}（{'、'.join(self.expansions)}）"

    def highlight_terms(self) -> list[str]:
        """Words to mark in hits: what was typed as a whole, quoted phrases as written, whole
        synonyms, and the analyzer's terms — but a short common word (行政, 执法, 制度 …, two
        characters or fewer) only where it is itself a whole typed word: 行政执法 制度建设 marks
        行政执法 and 制度建设, not every 行政 and 制度 of the passage (nor the sub-words of a
        term: 执法力量薄弱 marks no stray 执法 or 力量)."""
        terms = [t for t in self.terms if len(t) > COMMON_MAX_CHARS or t in self.typed]
        words = [*self.typed, *("".join(p) for p in self.phrases), *self.expansions, *terms]
        return list(dict.fromkeys(w for w in words if w))

    def required(self) -> list[tuple[list[str], str]]:
        """What a passage must contain to count as "含检索词": every term and every quoted
        phrase as written, as (words, written text); synonyms and sub-words do not count."""
        return [([t], t) for t in self.terms] + list(
            zip(self.phrases, self.phrase_texts, strict=True)
        )

    def exclusions(self) -> list[tuple[list[str], str]]:
        """What a passage must not contain, as (words, written text)."""
        return list(zip(self.excluded, self.excluded_texts, strict=True))


def squash(text: str) -> str:
    """Text as compared "as written": width and case folded, white space removed."""
    return re.sub(r"\s+", "", fold(text))


# Characters that NFKC and lower() leave as they are: CJK ideographs (unified and extension A),
# the CJK punctuation reports use, quotes, dashes and middle dot (tests/unit check every one).
_STABLE = "\u4e00-\u9fff\u3400-\u4dbf\u3001\u3002\u3008-\u3011\u3014-\u301b\u2018-\u201d\u2013\u2014\u00b7"
_STABLE_ONLY = re.compile(f"[{_STABLE}]+")
# ...and those that fold only into ASCII or white space: ASCII, full-width forms, spaces,
# ellipsis, circled numbers.
_TO_ASCII = "\\x00-\\x7f\\uff01-\\uff5e\\u2026\\u2460-\\u2473"
_FOLDS_AWAY = re.compile(f"[{_STABLE}{_TO_ASCII}\\s]*")
_SPACE = re.compile(r"\s+")


def holds_as_written(text: str, phrase: str) -> bool:
    """``phrase`` (squashed) in ``squash(text)``, without folding the text where folding
    cannot change the answer.

    Folding is NFKC, a few hundred passages a query is 10-20 ms, and the 含检索词 count of a
    common phrase checks thousands (6,000 for 优化营商环境 at 10^5 passages: 250 ms). When the
    phrase is made of stable characters only and the text of stable characters, ASCII,
    full-width forms and spaces, folding only turns characters the phrase cannot contain into
    ASCII and removes spaces: removing the spaces gives the same answer.
    """
    if _STABLE_ONLY.fullmatch(phrase) and _FOLDS_AWAY.fullmatch(text):
        return phrase in _SPACE.sub("", text)
    return phrase in squash(text)


def clean(raw: str) -> str:
    text = _CONTROL.sub(" ", raw or "")
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS]


def _expansion_tokens(term: str, analyzer: Analyzer) -> list[str]:
    """How to search a synonym: as one word when the analyzer keeps it whole, else a phrase.

    The analyzer's search mode emits a long word's sub-words before the word itself, and in
    running text jieba may cut a phrase differently than on its own. A dictionary word is
    kept whole wherever it occurs, so searching it as a single term finds every occurrence;
    only terms the dictionary does not know are searched as phrases of their words.
    """
    tokens = analyzer.words(term)
    folded = term.strip().lower()
    return [folded] if folded in tokens else tokens


def classify(text: str, terms: list[str]) -> str:
    """jargon (a term or two), question (asks something), or phrase (a topic).

    A query that asks (如何, 吗, ？) is a question; otherwise one distinct term is jargon
    however often it is repeated, and a long text of several terms reads as a question.
    """
    if _QUESTION.search(text):
        return "question"
    if len(text) <= 6 or len(set(terms)) <= 1:
        return "jargon"
    if len(text) >= 14:
        return "question"
    return "phrase"


def analyze(raw: str, analyzer: Analyzer, synonyms: str = "") -> AnalyzedQuery:
    """What was typed, as terms, parts, phrases, exclusions, synonyms and a kind.

    ``analyzer`` must be the analysis of the index being searched (Searcher.analyze);
    ``synonyms`` a synonyms file (``[search] synonyms``: "domain" for the shipped list,
    empty for no expansion).
    """
    text = clean(raw)
    q = AnalyzedQuery(raw=raw, text=text)
    if not text:
        return q
    for m in _EXCLUDE.finditer(text):
        written = next(g for g in m.groups() if g)
        words = analyzer.words(written)
        if words and written not in q.excluded_texts:
            q.excluded.append(words)
            q.excluded_texts.append(written)
    rest = _EXCLUDE.sub(" ", text)
    q.positive_text = clean(rest)
    for m in PHRASE.finditer(rest):
        written = next(g for g in m.groups() if g)
        words = analyzer.words(written)
        if words:
            q.phrases.append(words)
            q.phrase_texts.append(written)
    rest = _BOOLEAN.sub(" ", PHRASE.sub(" ", rest))
    typed = (fold(w).strip('"“”「」') for w in rest.split())
    q.typed = list(dict.fromkeys(w for w in typed if w and w not in QUESTION_WORDS))
    words = analyzer.words(rest)
    q.kind = classify(text, words + [t for p in q.phrases for t in p])
    q.terms = [t for t in words if t not in QUESTION_WORDS] or words
    parts = (p for t in q.terms if len(t) >= 3 for p in analyzer.parts(t))
    q.parts = [p for p in dict.fromkeys(parts) if p not in q.terms]
    path = str(SYNONYMS) if synonyms == "domain" else synonyms
    for rule in synonym_rules(path) if path else ():
        if not any(trigger in text for trigger in rule.triggers):
            continue
        for member in rule.targets:
            if len(q.expansions) >= MAX_EXPANSIONS:
                break
            tokens = _expansion_tokens(member, analyzer)
            if member not in text and tokens and member not in q.expansions:
                q.expansions.append(member)
                q.expansion_phrases.append(tokens)
    return q
