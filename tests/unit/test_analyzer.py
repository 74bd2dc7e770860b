"""The jieba analyzer: domain terms stay whole, stop words go, index and query agree.

BM25 is only as good as its tokens: if 首违不罚 were split into 首违/不罚, a query for it would
match every passage about 不罚 and the term statistics would be meaningless. These tests run
the real analyzer (jieba + the shipped dictionaries), nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analyzer import DOMAIN_DICT, Analyzer, JiebaTokenizer, _read_terms, segment, stopwords
from indexer.lexical.whoosh import make_schema
from kb.core.config import LexicalConfig
from kb.search.query import analyze

DEFAULT_ANALYZER = Analyzer()  # the analysis of an index built with the default settings

# The terms named in the issue: each one is a practice drafters search for by name.
KEY_TERMS = [
    "首违不罚",
    "轻微违法",
    "行刑衔接",
    "双随机一公开",
    "三项制度",
    "执法+专家",
    "综合查一次",
    "法治体检",
    "述法",
    "一岗双责",
    "放管服",
    "互联网+监管",
]


def tokens(text: str, **kw: str) -> list[str]:
    return [w for w, _, _ in segment(text, **kw)]


def whole(text: str, term: str, **kw: str) -> bool:
    """Does segment(text) emit term as one token spanning exactly its occurrence?"""
    start = text.index(term)
    return (term.lower(), start, start + len(term)) in segment(text, **kw)


def domain_terms() -> list[str]:
    return [w for w, _, _ in _read_terms(DOMAIN_DICT)]


@pytest.mark.parametrize("term", KEY_TERMS)
def test_key_term_is_one_token_in_running_text(term: str) -> None:
    # In a sentence, where jieba's own words compete with the domain term at both edges.
    text = f"我局全面推行{term}工作机制"
    assert whole(text, term), segment(text)


def test_key_terms_are_in_the_domain_dictionary() -> None:
    # Guards the parametrised test above against a term that only happens to segment well.
    assert set(KEY_TERMS) <= set(domain_terms())


def test_every_domain_dictionary_term_is_one_token() -> None:
    terms = domain_terms()
    assert len(terms) > 200  # the file was really read
    split = [t for t in terms if not whole(t, t)]
    assert not split, f"split by the analyzer: {split}"


def test_search_mode_also_emits_sub_words() -> None:
    # A query for 执法 must find 执法+专家 and 行政执法三项制度 (jieba search mode).
    assert {"执法", "专家", "执法+专家"} <= set(tokens("执法+专家"))
    assert {"执法", "三项制度", "行政执法三项制度"} <= set(tokens("行政执法三项制度"))
    assert {"第一责任人", "法治建设"} <= set(tokens("履行法治建设第一责任人职责"))


def test_domain_terms_nested_in_longer_terms_are_emitted() -> None:
    # 轻微违法 must match text saying 轻微违法不罚, 三项制度 text saying 行政执法三项制度:
    # jieba's search mode alone only emits nested words of two or three characters.
    terms = domain_terms()
    nested = [(s, t) for t in terms for s in terms if s != t and s in t]
    assert len(nested) > 50
    missing = [(s, t) for s, t in nested if s.lower() not in tokens(t)]
    assert not missing, f"nested term not emitted: {missing}"


def test_stop_words_are_dropped() -> None:
    toks = tokens("我局进一步加强和规范了行政执法的监督")
    for stop in ("我局", "进一步", "加强", "和", "了", "的"):
        assert stop in stopwords()
        assert stop not in toks
    assert {"规范", "行政", "执法", "监督"} <= set(toks)


def test_punctuation_is_dropped_and_offsets_point_into_the_text() -> None:
    text = "（一）推行“首违不罚”清单，落实“双随机、一公开”。"
    toks = segment(text)
    assert toks
    for word, start, end in toks:
        assert text[start:end].lower() == word
        assert any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in word)


def test_underscores_and_dots_alone_are_not_words() -> None:
    assert tokens("._. __ ... _") == []
    assert tokens("a_b 首违不罚") == ["a", "b", "首违不罚"]


def test_extra_stopword_file(tmp_path: Path) -> None:
    extra = tmp_path / "stop.txt"
    extra.write_text("# 自定义停用词\n清单\n", encoding="utf-8")
    text = "首违不罚清单"
    assert "清单" in tokens(text)
    assert "清单" not in tokens(text, extra_stopwords=str(extra))
    assert "首违不罚" in tokens(text, extra_stopwords=str(extra))


def test_user_dictionary_adds_a_term(tmp_path: Path) -> None:
    term = "码上执法"  # a local brand name jieba cannot know
    text = f"推行{term}平台"
    assert not whole(text, term)  # otherwise the test would prove nothing
    user = tmp_path / "user_dict.txt"
    user.write_text(f"# 本地术语\n{term}\n", encoding="utf-8")
    assert whole(text, term, user_dict=str(user))
    # The domain dictionary still applies alongside the user's.
    assert whole("推行首违不罚", "首违不罚", user_dict=str(user))


def test_user_dictionary_reaches_the_index_schema(tmp_path: Path) -> None:
    term = "码上执法"
    user = tmp_path / "user_dict.txt"
    user.write_text(f"{term} 100000 n\n", encoding="utf-8")
    analyzer = make_schema(LexicalConfig(user_dict=str(user)))["text"].analyzer
    assert term in [t.text for t in analyzer(f"推行{term}平台")]


@pytest.mark.parametrize(
    "text",
    [
        "推行首违不罚清单，落实行政执法三项制度",
        "深化“放管服”改革，推进互联网+监管和双随机一公开",
        "党政主要负责人履行推进法治建设第一责任人职责，开展述法",
        "ABC企业 APP 12345热线",
    ],
)
def test_index_and_query_tokenise_the_same(text: str) -> None:
    """The index holds each word and its sub-words (search mode); a query asks for each word
    once (precise mode) plus only the sub-words that cut the word into words: every query
    token is a token the index made of the same text, and nothing else is asked for."""
    # Index side: the tokenizer pickled into the Whoosh schema.
    analyzer = make_schema(LexicalConfig())["text"].analyzer
    indexed = [t.text for t in analyzer(text)]
    # Query side: what the searcher asks Whoosh for (“quoted” parts become phrases).
    q = analyze(text, DEFAULT_ANALYZER)
    queried = [*q.terms, *q.parts, *(w for phrase in q.phrases for w in phrase)]
    assert indexed
    assert set(queried) <= set(indexed)
    # every word of the text is asked for: what the index has beyond the query are sub-words
    for token in set(indexed) - set(queried):
        assert any(token in word and token != word for word in queried), token


def test_index_tokens_carry_positions_and_offsets() -> None:
    tokenizer = JiebaTokenizer()
    text = "落实“首违不罚”"
    toks = [
        (t.text, t.pos, t.startchar, t.endchar) for t in tokenizer(text, positions=True, chars=True)
    ]
    assert ("首违不罚", 1, 3, 7) in toks
    assert [p for _, p, _, _ in toks] == list(range(len(toks)))


@pytest.mark.parametrize(
    ("full", "half"),
    [
        ("１２３４５热线", "12345热线"),
        ("ＡＰＰ监管", "APP监管"),
        ("互联网＋监管", "互联网+监管"),
        ("执法＋专家", "执法+专家"),
        ("首违不罚　清单", "首违不罚 清单"),
        ("Ｗｏｒｄ文档", "word文档"),
    ],
)
def test_full_and_half_width_tokenise_the_same(full: str, half: str) -> None:
    assert len(full) == len(half)
    assert segment(full) == segment(half)
    assert tokens(half)  # not trivially equal because both are empty


def test_full_width_query_matches_half_width_index() -> None:
    # The corpus is normalised to half-width ASCII at ingest; an IME query may not be.
    assert "12345热线" in analyze("１２３４５热线", DEFAULT_ANALYZER).terms
    assert "互联网+监管" in analyze("互联网＋监管", DEFAULT_ANALYZER).terms
