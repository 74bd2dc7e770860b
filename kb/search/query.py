"""Query analysis: from whatever the user typed to weighted terms, phrases and a query kind.

Users type short jargon (首违不罚), topic phrases (执法力量薄弱), whole questions
(基层监管人手不够怎么办) and sometimes search-engine syntax. We support "quoted phrases" and
-exclusions, ignore AND/OR, and treat everything else — field syntax, unbalanced quotes, HTML,
punctuation — as plain words, so no input can make a search fail. Terms are produced by the
same analyzer as the index; domain synonyms add related terms at a lower weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from indexer.analyzer import DATA, segment
from indexer.lexical import TermQuery

MAX_QUERY_CHARS = 256
SYNONYMS = DATA / "synonyms.txt"
EXPANSION_WEIGHT = 0.5
PHRASE_WEIGHT = 2.0

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
_PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」')
_EXCLUDE = re.compile(r"(?:^|\s)(?:NOT\s+|[-－])([^\s\"“”]+)")
_BOOLEAN = re.compile(r"\b(?:AND|OR|NOT)\b")
_QUESTION = re.compile(r"如何|怎么|怎样|什么|哪些|为何|为什么|是否|有没有|吗|呢|[？?]")


@cache
def synonym_groups(path: str = str(SYNONYMS)) -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append(tuple(t for t in re.split(r"[\s|]+", line) if t))
    return tuple(groups)


@dataclass
class AnalyzedQuery:
    raw: str
    text: str  # cleaned text, as the embedder sees it
    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    # Synonyms of what the query mentions, searched as exact phrases (a synonym's generic
    # sub-words such as 行政 or 处罚 must not match on their own).
    expansions: list[str] = field(default_factory=list)
    expansion_phrases: list[list[str]] = field(default_factory=list)
    kind: str = "phrase"  # jargon | phrase | question

    @property
    def is_empty(self) -> bool:
        return not self.text

    def term_query(self, expansion_weight: float = EXPANSION_WEIGHT) -> TermQuery:
        phrases = [(p, PHRASE_WEIGHT) for p in self.phrases]
        phrases += [(p, expansion_weight) for p in self.expansion_phrases]
        return TermQuery([(t, 1.0) for t in self.terms], phrases, self.excluded)

    def highlight_terms(self) -> list[str]:
        """Words to mark in hits: the query's own terms, phrase words and whole synonyms."""
        words = [*self.terms, *(t for p in self.phrases for t in p), *self.expansions]
        return list(dict.fromkeys(words))


def clean(raw: str) -> str:
    text = _CONTROL.sub(" ", raw or "")
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS]


def _terms(text: str) -> list[str]:
    return list(dict.fromkeys(w for w, _, _ in segment(text)))


def classify(text: str, terms: list[str]) -> str:
    """jargon (a term or two), question (asks something), or phrase (a topic)."""
    if _QUESTION.search(text) or len(text) >= 14:
        return "question"
    if len(text) <= 6 or len(terms) <= 1:
        return "jargon"
    return "phrase"


def analyze(raw: str) -> AnalyzedQuery:
    text = clean(raw)
    q = AnalyzedQuery(raw=raw, text=text)
    if not text:
        return q
    rest = text
    for m in _PHRASE.finditer(text):
        words = _terms(next(g for g in m.groups() if g))
        if words:
            q.phrases.append(words)
    rest = _PHRASE.sub(" ", rest)
    q.excluded = [t for m in _EXCLUDE.finditer(rest) for t in _terms(m.group(1))]
    rest = _BOOLEAN.sub(" ", _EXCLUDE.sub(" ", rest))
    q.terms = [t for t in _terms(rest) if t not in q.excluded]
    q.kind = classify(text, q.terms + [t for p in q.phrases for t in p])
    for group in synonym_groups():
        if any(member in text for member in group):
            for member in group:
                tokens = _terms(member)
                if member not in text and tokens and member not in q.expansions:
                    q.expansions.append(member)
                    q.expansion_phrases.append(tokens)
    return q
