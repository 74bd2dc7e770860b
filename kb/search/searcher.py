"""The search API used by the CLI, the web app and the evaluation: one class, one code path.

A search analyses the query, turns the filters into a row mask, asks the lexical and/or
semantic retriever for candidates *within* that mask, fuses them, groups near-identical
passages, and hydrates one page of hits from the corpus store with report metadata and
highlight spans.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from indexer.bundle import IndexBundle, open_bundle
from indexer.embedders import Embedder, create_embedder
from indexer.lexical import TermQuery
from indexer.rows import RowTable
from kb.core.config import Config, ConfigError
from kb.core.ids import as_report_id
from kb.core.models import Passage, Report, ReportMeta
from kb.render.citation import citation
from kb.search import concrete, dedupe, facets, fusion, highlight
from kb.search.filters import Filters
from kb.search.query import AnalyzedQuery, analyze, holds_as_written, squash
from kb.store.corpus import CorpusStore

MODES = ("hybrid", "lexical", "semantic")
_NOT_LETTERS = re.compile(r"[\W_]+")
# Verbatim-first folds every candidate of a query, and the same passages come back query after
# query: ~8 ms a hybrid search at 10^5 passages without this.
LETTERS_CACHED = 8192


@lru_cache(maxsize=LETTERS_CACHED)
def _letters(text: str) -> str:
    """Text compared "verbatim": folded, without spaces or punctuation (“一页纸”应急预案 ~
    一页纸应急预案)."""
    return _NOT_LETTERS.sub("", squash(text))


MAX_LIMIT = 100
INDEX_BEHIND = "语料库在索引构建之后有变动，结果可能缺少或仍是旧版的报告：请运行 `kb index`。"
MAX_OFFSET = 1000
RELATED = 5  # nearest passages shown, apart, when a query finds nothing
# Query vectors kept: the next page, the facets, trends and comparison of a query, and the
# no-results check, embed the same text again (~40 ms of model time each, one at a time).
QUERY_VECTORS_CACHED = 1024
DOMAIN_TERM_WEIGHT = 3.0  # similar passages: a named practice outweighs a plain word


class RequestError(ValueError):
    """A bad search parameter; the message (Chinese) names the parameter."""

    def __init__(self, name: str, message: str):
        self.field = name
        super().__init__(f"参数 {name}：{message}")


def _int_param(params: dict, name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise RequestError(name, f"{raw!r} 不是整数") from None
    return min(max(value, lo), hi)


@dataclass
class SearchRequest:
    query: str
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    limit: int = 10
    offset: int = 0
    dedupe: bool = True
    # Candidates taken from each retriever (None: the configured ``candidates``). Every page
    # of a query is cut from the same list, so totals and facets do not change as one pages.
    depth: int | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any], default_mode: str = "hybrid") -> SearchRequest:
        """Parse web/JSON parameters: q, mode, limit, offset or page, and the filters.

        Out-of-range numbers are clamped (limit to 1–100, page/offset to ≥ 0); values that are
        not numbers, unknown modes and bad filters raise a RequestError/FilterError.
        """
        mode = str(params.get("mode") or default_mode)
        if mode not in MODES:
            raise RequestError("mode", f"{mode!r} 不是有效的检索方式（可选：{'、'.join(MODES)}）")
        limit = _int_param(params, "limit", 10, 1, MAX_LIMIT)
        if params.get("page") not in (None, ""):
            page = _int_param(params, "page", 1, 1, MAX_OFFSET // limit + 1)
            offset = (page - 1) * limit
        else:
            offset = _int_param(params, "offset", 0, 0, MAX_OFFSET)
        return cls(
            query=str(params.get("q") or params.get("query") or ""),
            mode=mode,
            filters=Filters.from_params(params),
            limit=limit,
            offset=offset,
            dedupe=str(params.get("dedupe", "1")).lower() not in ("0", "false", "no", "off"),
        )


@dataclass
class Hit:
    rank: int
    passage: Passage
    source: str
    meta: ReportMeta
    scores: dict[str, Any]
    highlights: list[tuple[int, int]]
    boilerplate: float
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        p, m = self.passage, self.meta
        out = {
            "rank": self.rank,
            "passage_id": p.id,
            "report_id": p.report_id,
            "report": self.source,
            "title": m.title,
            "org": m.org,
            "year": m.year,
            "province": m.province,
            "city": m.city,
            "county": m.county,
            "level": m.level,
            "dept_kind": m.dept_kind,
            "pub_date": m.pub_date,
            "doc_number": m.doc_number,
            "source_url": m.source_url,
            "heading_path": p.heading_path,
            "section_kind": p.section_kind,
            "text": p.text,
            "start": p.start,
            "end": p.end,
            "scores": self.scores,
            "highlights": [list(s) for s in self.highlights],
            "boilerplate": round(self.boilerplate, 3),
            "duplicates": self.duplicates,
            "truncated": p.truncated,  # cut before its sentence ends: quote it as 节选
        }
        out["citation"] = citation(out)  # GB/T 7714, cited today (what 复制引用 copies)
        return out


@dataclass
class SearchResponse:
    request: SearchRequest
    query: AnalyzedQuery
    hits: list[Hit]
    total: int  # results available for paging (after grouping duplicates)
    lexical_matches: int  # passages containing every query term (0 in semantic mode)
    took_ms: float
    build_id: str
    result_rows: list[int] = field(default_factory=list)  # leader row of every result group
    index_behind: bool = False  # the corpus store changed since this index was built
    # Share of passages with a vector: below 1 while `kb index` is still embedding (the
    # rest are found by their words only).
    vectors_coverage: float = 1.0
    # When nothing is found: the nearest passages, shown apart and labelled, never as hits.
    related: list[Hit] = field(default_factory=list)
    # Results that 只看具体做法 hides (when on) or would hide (when off); see kb.search.concrete
    boilerplate_results: int = 0

    def to_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "query": r.query,
            "mode": r.mode,
            "filters": r.filters.to_params(),
            "limit": r.limit,
            "offset": r.offset,
            "total": self.total,
            "lexical_matches": self.lexical_matches,
            "boilerplate_results": self.boilerplate_results,
            "terms": self.query.terms,
            "expansions": self.query.expansions,
            "query_kind": self.query.kind,
            "took_ms": round(self.took_ms, 1),
            "index": self.build_id,
            "index_behind_corpus": self.index_behind,
            "vectors_coverage": round(self.vectors_coverage, 4),
            "hits": [h.to_dict() for h in self.hits],
            "related": [h.to_dict() for h in self.related],
        }


class Searcher:
    """Holds the open indexes, the corpus store and (lazily) the embedder; thread-safe."""

    def __init__(
        self,
        cfg: Config,
        store: CorpusStore | None = None,
        bundle: IndexBundle | None = None,
        embedder: Embedder | None = None,
        warm: bool = False,
    ):
        """``warm``: read the most frequent words' postings in the background after opening a
        build (and each newer one), so that the first queries of a server do not pay for
        them; a one-shot search (the CLI) would only compete with itself."""
        self.cfg = cfg
        # first: a missing index creates no files
        self.bundle = bundle or open_bundle(cfg.index_settings())
        self.store = store or CorpusStore(cfg.store_path, readonly=True)
        self._embedder = embedder
        if embedder is not None:
            self.bundle.check_embedder(embedder.id)
        self._lock = threading.RLock()  # embedder calls, reloads
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._reports = self._load_reports()
        self.index_behind = self._index_behind()
        self._warm = warm
        self._closed = False
        self.warming: threading.Thread | None = None
        self._start_warming()

    # -- lifecycle -------------------------------------------------------------------------

    def _start_warming(self) -> None:
        if not self._warm:
            return
        bundle = self.bundle

        def run() -> None:
            # An exception means the build was closed under it: nothing left to warm.
            with contextlib.suppress(Exception):
                bundle.lexical.warm(stop=lambda: self._closed or self.bundle is not bundle)

        self.warming = threading.Thread(target=run, name="kb-warm", daemon=True)
        self.warming.start()

    def _load_reports(self) -> dict[str, tuple[str, ReportMeta]]:
        return {
            r["id"]: (r["source"], ReportMeta.from_dict(dict(r))) for r in self.store.report_rows()
        }

    def _index_behind(self) -> bool:
        """Whether the corpus was re-ingested after this build (checked when a build is opened).

        Searching then still works, but changed reports are missing or outdated in the hits:
        every front end says so and names the fix (`kb index`).
        """
        return self.bundle.manifest["corpus_fingerprint"] != self.store.fingerprint()

    def reload_if_stale(self) -> bool:
        """Switch to a newer build if one was swapped in since we opened ours."""
        if not self.bundle.is_stale():
            return False
        with self._lock:
            if self.bundle.is_stale():
                new = open_bundle(self.cfg.index_settings())
                old, self.bundle = self.bundle, new
                self._reports = self._load_reports()
                self.index_behind = self._index_behind()
                old.close()
                if self._embedder is not None:
                    self.bundle.check_embedder(self._embedder.id)
                self._start_warming()
        return True

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    embedder = create_embedder(self.cfg.embedder)
                    self.bundle.check_embedder(embedder.id)
                    self._embedder = embedder
        return self._embedder

    def close(self) -> None:
        self._closed = True
        self.bundle.close()

    # -- retrieval -------------------------------------------------------------------------

    def analyze(self, raw: str) -> AnalyzedQuery:
        """A query analysed with the analyzer of the open index (the one it was built with)."""
        return analyze(raw, self.bundle.lexical.analyzer, self.cfg.search.synonyms)

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """Passages of the corpus by id (ids no longer in the corpus are absent)."""
        return self.store.get_passages(list(ids))

    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Texts of passages by id (ids no longer in the corpus are absent)."""
        return self.store.get_texts(list(ids))

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector, from a small LRU cache when the same text was embedded lately."""
        embedder = self.embedder
        with self._lock:
            vector = self._query_vectors.get(text)
            if vector is None:
                vector = embedder.embed_query(text)
                self._query_vectors[text] = vector
                if len(self._query_vectors) > QUERY_VECTORS_CACHED:
                    self._query_vectors.popitem(last=False)
            else:
                self._query_vectors.move_to_end(text)
            return vector

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts that are not in the index (a draft's paragraphs), passage side."""
        embedder = self.embedder
        with self._lock:
            return embedder.embed_passages(texts)

    def _candidates(
        self, aq: AnalyzedQuery, mode: str, allowed: np.ndarray | None, depth: int
    ) -> tuple[list[tuple[int, float]], dict[str, dict[int, tuple[float, int]]], dict]:
        """Fused (row, score) list, per-retriever {row: (score, rank)}, and what the
        retrievers found ("lexical"/"semantic" ranked lists, "coverage" when computed).

        The single modes are the plain retrievers: lexical is BM25 over the words the user
        typed (no synonyms: whoever picks it wants those words), semantic is the embedder's
        nearest neighbours of the query read with its domain synonyms. Hybrid takes both lists
        and ranks their union with everything else we know: the synonyms' BM25, every
        candidate's exact similarity, the query kind, the boilerplate share and, if
        configured, a cross-encoder. It never adds passages neither retriever returned, so
        each hybrid hit carries at least one retriever's own score and rank.
        """
        s = self.cfg.search
        ranked: dict[str, list[tuple[int, float]]] = {}
        query_vector = None
        found: dict = {"ranked": ranked}
        if mode in ("lexical", "hybrid"):
            ranked["lexical"] = self._lexical(aq, depth, allowed)
            found["coverage"] = self._coverage(aq, ranked["lexical"][:10])
        if mode in ("semantic", "hybrid"):
            if self.bundle.vectors_coverage > 0:
                query_vector = self.embed_query(aq.semantic_text())
            ranked["semantic"] = self._nearest(query_vector, depth, allowed)
        per = {
            name: {r: (x, i) for i, (r, x) in enumerate(hits, start=1)}
            for name, hits in ranked.items()
        }
        if mode == "lexical" and s.verbatim_first:
            return self._verbatim_first(aq, ranked["lexical"]), per, found
        if mode != "hybrid":
            return ranked[mode], per, found
        if s.fusion == "rrf":
            fused = fusion.rrf(
                {n: np.array([r for r, _ in hits], dtype=np.int64) for n, hits in ranked.items()},
                {"lexical": s.lexical_weight, "semantic": s.semantic_weight},
                s.rrf_k,
            )
        elif s.fusion == "convex":
            fused = self._convex(aq, ranked, query_vector, allowed, depth, found["coverage"])
        else:
            raise ConfigError(f"[search] fusion：未知的融合方法 {s.fusion!r}（可选：convex、rrf）")
        if s.rerank_model:
            fused = self._rerank(aq, fused)
        return fused, per, found

    def _nearest(
        self, query_vector: np.ndarray | None, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """(row, similarity) of the k nearest passages among those that have a vector."""
        allowed = self.bundle.with_vectors(allowed)
        if query_vector is None or (allowed is not None and not allowed.any()):
            return []
        scores, rows = self.bundle.vectors.search(query_vector, k, allowed)
        return list(zip(rows.tolist(), scores.tolist(), strict=True))

    def _lexical(
        self, aq: AnalyzedQuery, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        scores, rows, _total = self.bundle.lexical.search(aq.base_query(), k, allowed)
        return list(zip(rows.tolist(), scores.tolist(), strict=True))

    def evidence(self, query: str) -> tuple[float, float]:
        """(lexical coverage, best similarity) of a query over the whole corpus: the two
        signals of the no-results rule, for calibrating its thresholds."""
        aq = self.analyze(query)
        coverage = self._coverage(aq, self._lexical(aq, 10, None))
        best = self._nearest(self.embed_query(aq.semantic_text()), 1, None)
        return coverage, best[0][1] if best else 0.0

    def _nothing_found(
        self, aq: AnalyzedQuery, allowed: np.ndarray | None, found: dict
    ) -> list[tuple[int, float]] | None:
        """None when the query found something; else the nearest passages, to show apart.

        Nothing is found when no lexical hit holds at least ``no_result_coverage`` of the
        query (IDF-weighted) and no passage is as similar as ``no_result_similarity``: both
        thresholds calibrated on the tune half (README, "Relevance"). Without this floor,
        zzxqv or 区块链量子计算元宇宙 would list 100 unrelated passages. The evidence is the
        whole corpus's: a query the corpus knows about still lists what a narrow filter
        leaves, weak as it may be.
        """
        s = self.cfg.search
        ranked = found["ranked"]
        if found.get("coverage", 0.0) >= s.no_result_coverage:
            return None
        semantic = ranked.get("semantic")
        if semantic and semantic[0][1] >= s.no_result_similarity:
            return None
        if self._coverage(aq, self._lexical(aq, 10, None)) >= s.no_result_coverage:
            return None
        qvec = self.embed_query(aq.semantic_text()) if self.bundle.vectors_coverage > 0 else None
        nearest = self._nearest(qvec, RELATED, allowed)
        best = self._nearest(qvec, 1, None)
        if best and best[0][1] >= s.no_result_similarity:
            return None
        return nearest

    def _coverage(self, aq: AnalyzedQuery, hits: list[tuple[int, float]]) -> float:
        """The share of the query (IDF-weighted) that the best of these passages holds, in its
        text or headings: 1 when a lexical hit says everything the query says, near 0 when
        hits share only a common word with it."""
        groups = aq.required()
        if not groups or not hits:
            return 0.0
        n = len(self.bundle.rows)
        df = np.array([len(self.bundle.lexical.rows_containing([w])) for w, _ in groups])
        idf = np.log(n / (df + 1)) + 1
        # A word the corpus never uses weighs like the query's other words: unknown, not the
        # most important (首违不罚 火星 is still about 首违不罚; 区块链量子计算元宇宙 is not
        # about 计算).
        if (df == 0).any():
            idf[df == 0] = idf[df > 0].mean() if (df > 0).any() else 1.0
        pids = self.bundle.rows.pids
        found = self.passages([pids[r] for r, _ in hits])
        best = 0.0
        for p in found.values():
            said = _letters(p.text + "".join(p.heading_path))
            held = np.array([_letters(written) in said for _words, written in groups])
            best = max(best, float((idf * held).sum() / idf.sum()))
        return best

    def _verbatim_first(
        self, aq: AnalyzedQuery, ranked: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """Passages that hold the whole query as written (or every quoted phrase) go first, in
        their own order: what a user typed word for word is what they are looking for, and a
        passage saying it must never rank below one that only shares a word with it, or none.
        """
        key = _letters(aq.positive_text)
        wanted = [_letters(p) for p in aq.phrase_texts] or ([key] if len(key) >= 2 else [])
        if not wanted or not ranked:
            return ranked
        pids = self.bundle.rows.pids
        texts = self.texts([pids[r] for r, _ in ranked])
        first = [
            (r, sc)
            for r, sc in ranked
            if (t := texts.get(pids[r])) is not None and all(w in _letters(t) for w in wanted)
        ]
        if not first:
            return ranked
        lead = {r for r, _ in first}
        return first + [(r, sc) for r, sc in ranked if r not in lead]

    def _convex(
        self,
        aq: AnalyzedQuery,
        ranked: dict[str, list[tuple[int, float]]],
        query_vector: np.ndarray,
        allowed: np.ndarray | None,
        depth: int,
        coverage: float,
    ) -> list[tuple[int, float]]:
        """Score-normalised fusion of the two candidate lists (see :mod:`kb.search.fusion`)."""
        s = self.cfg.search
        candidates = list(dict.fromkeys(r for hits in ranked.values() for r, _ in hits))
        if not candidates:
            return []
        lexical = dict(ranked["lexical"])
        if s.synonym_weight > 0 and aq.expansion_phrases:
            # Each synonym on its own (see AnalyzedQuery.expansion_queries); only candidates
            # gain from it, so every hit stays one that a retriever returned.
            pool = set(candidates)
            # Score the synonyms within the candidates only: no phrase is checked elsewhere.
            within = np.zeros(len(self.bundle.rows), dtype=bool)
            within[candidates] = True
            if allowed is not None:
                within &= allowed
            synonyms = []
            for tq in aq.expansion_queries():
                scores, rows, _ = self.bundle.lexical.search(tq, depth, within)
                synonyms.append(zip(rows.tolist(), scores.tolist(), strict=True))
            for row, score in fusion.add(synonyms, s.synonym_weight).items():
                if row in pool:
                    lexical[row] = lexical.get(row, 0.0) + score
        embedded = self.bundle.embedded
        with_vector = [r for r in candidates if embedded is None or embedded[r]]
        unembedded = [r for r in candidates if embedded is not None and not embedded[r]]
        sims = (
            self.bundle.vectors.vectors(np.array(with_vector)) @ query_vector
            if with_vector
            else np.zeros(0)
        )
        semantic = ranked["semantic"]
        # The floor is the similarity at the configured depth, not at this request's depth,
        # so that deeper pages of the same query are cut from the same ranking.
        floor = semantic[min(s.candidates, len(semantic)) - 1][1] if semantic else 0.0
        fused = fusion.convex(
            lexical,
            dict(zip(with_vector, sims.tolist(), strict=True)),
            floor,
            fusion.lexical_share(coverage, s),
            self.bundle.rows.boilerplate,
            s.boilerplate_penalty,
            unembedded,
        )
        if s.verbatim_first:
            fused = self._verbatim_first(aq, fused)
        return fused

    def _rerank(self, aq: AnalyzedQuery, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Reorder the head of the fused list with the configured cross-encoder."""
        from kb.search.rerank import rerank_head

        head = fused[: self.cfg.search.rerank_depth]
        pids = [self.bundle.rows.pids[r] for r, _ in head]
        passages = self.passages(pids)
        found = {
            r: passages[pid] for (r, _), pid in zip(head, pids, strict=True) if pid in passages
        }
        return rerank_head(self.cfg.search.rerank_model, aq.text, fused, found, len(head))

    def search(self, req: SearchRequest) -> SearchResponse:
        t0 = time.perf_counter()
        self.reload_if_stale()
        bundle = self.bundle
        aq = self.analyze(req.query)
        # 只看具体做法 drops results after retrieval (in _respond), so that it hides exactly the
        # boilerplate results of the list without it and the page can say how many.
        retrieval = replace(req.filters, concrete=False)
        allowed = self.exclude(aq, retrieval.mask(bundle.rows))
        fused: list[tuple[int, float]] = []
        per: dict[str, dict[int, tuple[float, int]]] = {}
        lexical_matches = 0
        related: list[Hit] = []
        # A query of punctuation alone has nothing to match; don't return arbitrary neighbours.
        wordless = not any(c.isalnum() for c in aq.text)
        if not aq.is_empty and not wordless and (allowed is None or allowed.any()):
            depth = req.depth or self.cfg.search.candidates
            fused, per, found = self._candidates(aq, req.mode, allowed, depth)
            nearest = self._nothing_found(aq, allowed, found)
            if nearest is not None:
                fused, per = [], {}
                scores = {r: {"semantic": {"score": round(x, 4), "rank": i}}
                          for i, (r, x) in enumerate(nearest, start=1)}  # fmt: skip
                related = self.hydrate(self.bundle.rows, [r for r, _ in nearest], scores, [])
            elif req.mode != "semantic":
                counted = concrete.keep(bundle.rows, allowed) if req.filters.concrete else allowed
                lexical_matches = len(self.containing(aq, counted))
        resp = self._respond(req, aq, fused, per, lexical_matches, t0)
        resp.related = related
        return resp

    def exclude(self, aq: AnalyzedQuery, allowed: np.ndarray | None) -> np.ndarray | None:
        """``allowed`` without the passages that contain an excluded word or phrase as written
        (-词, -"短语", NOT 词). Applied before either retriever runs, so exclusions hold in
        every mode, in facets and in counts."""
        if not aq.excluded:
            return allowed
        keep = np.ones(len(self.bundle.rows), dtype=bool) if allowed is None else allowed.copy()
        for words, written in aq.exclusions():
            rows = self.bundle.lexical.rows_containing([words])
            keep[self._as_written(rows, [(words, written)])] = False
        return keep

    def containing(self, aq: AnalyzedQuery, allowed: np.ndarray | None) -> np.ndarray:
        """Rows (under ``allowed``) whose text contains every query term and every quoted
        phrase as written: the one definition of "含检索词" (the search page's count, the
        trends words rule, the compare page's mark)."""
        required = aq.required()
        if not required:
            return np.zeros(0, np.int64)
        rows = self.bundle.lexical.rows_containing([w for w, _ in required], require_all=True)
        if allowed is not None:
            rows = rows[allowed[rows]]
        return self._as_written(rows, required)

    def _as_written(self, rows: np.ndarray, groups: list[tuple[list[str], str]]) -> np.ndarray:
        """The rows whose text holds every group as written. A group of one word needs no
        check (the index holds a word only where the text says it); a phrase of several words
        does: its words may stand apart."""
        phrases = [squash(written) for words, written in groups if len(words) > 1]
        if not phrases or not len(rows):
            return rows
        pids = self.bundle.rows.pids
        texts = self.texts([pids[r] for r in rows.tolist()])
        keep = [
            r
            for r in rows.tolist()
            if (t := texts.get(pids[r])) is not None
            and all(holds_as_written(t, p) for p in phrases)
        ]
        return np.array(keep, dtype=np.int64)

    def _respond(
        self,
        req: SearchRequest,
        aq: AnalyzedQuery,
        fused: list[tuple[int, float]],
        per: dict[str, dict[int, tuple[float, int]]],
        lexical_matches: int,
        t0: float,
    ) -> SearchResponse:
        """Group near-duplicates, cut the requested page and hydrate its hits."""
        bundle = self.bundle
        pids = [bundle.rows.pids[r] for r, _ in fused]
        passages = self.passages(pids)
        fused = [(r, s) for (r, s), pid in zip(fused, pids, strict=True) if pid in passages]
        if req.dedupe:
            groups = dedupe.group(
                [passages[bundle.rows.pids[r]].text for r, _ in fused],
                self.cfg.search.dedupe_similarity,
            )
        else:
            groups = [[i] for i in range(len(fused))]
        boilerplate = [g for g in groups if not concrete.is_concrete(bundle.rows, fused[g[0]][0])]
        if req.filters.concrete and boilerplate:
            groups = [g for g in groups if concrete.is_concrete(bundle.rows, fused[g[0]][0])]
        words = aq.highlight_terms()
        hits = []
        for rank, g in enumerate(groups[req.offset : req.offset + req.limit], start=req.offset + 1):
            row, score = fused[g[0]]
            hits.append(self._hit(rank, row, score, per, passages, words))
            hits[-1].duplicates = [
                self._brief(passages[bundle.rows.pids[fused[i][0]]]) for i in g[1:]
            ]
        return SearchResponse(
            request=req,
            query=aq,
            hits=hits,
            total=len(groups),
            lexical_matches=lexical_matches,
            boilerplate_results=len(boilerplate),
            took_ms=(time.perf_counter() - t0) * 1000,
            build_id=bundle.build_id,
            index_behind=self.index_behind,
            vectors_coverage=bundle.vectors_coverage,
            result_rows=[fused[g[0]][0] for g in groups],
        )

    def similar(
        self, passage_id: str, filters: Filters | None = None, limit: int = 10, offset: int = 0
    ) -> tuple[Passage, SearchResponse] | None:
        """Passages of *other* reports that say what a passage says (None if the id is unknown).

        This is how a drafter sees how other bureaus wrote the same point: the source passage's
        own report is excluded, the usual filters apply, and near-identical hits are grouped.
        Its vector alone finds passages in the same register (every plan paragraph looks
        alike to a small embedder); its distinctive words — what it says that the corpus
        rarely says, such as 首违不罚 or 免罚清单 — find passages on the same measure, so both
        are fused, as in a hybrid search.
        """
        t0 = time.perf_counter()
        self.reload_if_stale()
        bundle = self.bundle
        row = bundle.row_of(passage_id)
        if row is None:
            return None
        source = self.passages([passage_id]).get(passage_id)
        if source is None:
            return None
        filters = filters or Filters()
        allowed = filters.mask(bundle.rows)
        own = bundle.rows.codes["report_id"] == bundle.rows.codes["report_id"][row]
        allowed = ~own if allowed is None else allowed & ~own
        depth = self.cfg.search.candidates  # one list for every page, as in search()
        # A passage without a vector yet finds others by its words alone.
        has_vector = bundle.embedded is None or bool(bundle.embedded[row])
        vector = bundle.vectors.vectors(np.array([row]))[0]
        fused, per = self.neighbours(source.text, vector if has_vector else None, allowed, depth)
        req = SearchRequest(query="", mode="hybrid", filters=filters, limit=limit, offset=offset)
        response = self._respond(req, self.analyze(""), fused, per, 0, t0)
        return source, response

    def neighbours(
        self, text: str, vector: np.ndarray | None, allowed: np.ndarray | None, depth: int
    ) -> tuple[list[tuple[int, float]], dict[str, dict[int, tuple[float, int]]]]:
        """Rows that say what ``text`` (embedded as ``vector``) says, best first, and each
        retriever's {row: (score, rank)}: the vector's nearest passages fused with a BM25
        search for the text's distinctive words (see :meth:`similar`, and the draft check,
        whose paragraphs are not in the index). ``vector`` None (a passage not embedded yet)
        and passages without a vector are ranked by their words alone."""
        bundle = self.bundle
        semantic = self._nearest(vector, depth, allowed)
        lexical = self.lexical_neighbours(text, allowed, depth)
        candidates = list(dict.fromkeys([r for r, _ in lexical] + [r for r, _ in semantic]))
        if not candidates:
            return [], {"lexical": {}, "semantic": {}}
        embedded = bundle.embedded
        with_vector = [
            r for r in candidates if vector is not None and (embedded is None or embedded[r])
        ]
        vectored = set(with_vector)
        sims = (
            bundle.vectors.vectors(np.array(with_vector, dtype=np.int64)) @ vector
            if with_vector
            else np.zeros(0)
        )
        floor = semantic[-1][1] if semantic else 0.0
        fused = fusion.convex(
            dict(lexical),
            dict(zip(with_vector, sims.tolist(), strict=True)),
            floor,
            0.5,
            unembedded=[r for r in candidates if r not in vectored],
        )
        per = {
            name: {r: (x, i) for i, (r, x) in enumerate(hits, start=1)}
            for name, hits in (("lexical", lexical), ("semantic", semantic))
        }
        return fused, per

    def lexical_neighbours(
        self, text: str, allowed: np.ndarray | None, depth: int
    ) -> list[tuple[int, float]]:
        """(row, BM25) of the passages best matching a text's distinctive words."""
        terms = self._distinctive_terms(text)
        if not terms:
            return []
        scores, rows, _total = self.bundle.lexical.search(TermQuery(terms, []), depth, allowed)
        return list(zip(rows.tolist(), scores.tolist(), strict=True))

    def _distinctive_terms(self, text: str, n: int = 8) -> list[tuple[str, float]]:
        """The words of a text that weigh most by tf·idf, among those other passages use, with
        their weight relative to the first; named practices of the domain dictionary weigh
        DOMAIN_TERM_WEIGHT times more (in a small corpus a plain word like 跟踪 is as rare as
        首违不罚, but says nothing)."""
        analyzer = self.bundle.lexical.analyzer
        counts: dict[str, int] = {}
        for w in analyzer.words(text):
            if len(w) >= 2:
                counts[w] = counts.get(w, 0) + 1
        total = len(self.bundle.rows)
        scored = []
        for w, tf in counts.items():
            df = len(self.bundle.lexical.rows_containing([[w]]))
            if df >= 2:  # a word found only here cannot find anything else
                weight = DOMAIN_TERM_WEIGHT if analyzer.is_term(w) else 1.0
                scored.append((weight * tf * (math.log(total / (df + 1)) + 1), w))
        top = sorted(scored, reverse=True)[:n]
        return [(w, score / top[0][0]) for score, w in top]

    def _hit(
        self,
        rank: int,
        row: int,
        score: float,
        per: dict[str, dict[int, tuple[float, int]]],
        passages: dict[str, Passage],
        words: list[str],
    ) -> Hit:
        scores: dict[str, Any] = {"fused": round(score, 6)}
        for name in ("lexical", "semantic"):
            if name in per:
                found = per[name].get(row)
                scores[name] = {"score": round(found[0], 4), "rank": found[1]} if found else None
        p = passages[self.bundle.rows.pids[row]]
        return self._make_hit(rank, p, self.bundle.rows, row, scores, words)

    def _make_hit(
        self,
        rank: int,
        p: Passage,
        table: RowTable,
        row: int,
        scores: dict[str, Any],
        words: Sequence[str],
    ) -> Hit:
        source, meta = self._reports[p.report_id]
        return Hit(
            rank=rank,
            passage=p,
            source=source,
            meta=meta,
            scores=scores,
            highlights=highlight.spans(p.text, list(words)),
            boilerplate=float(table.boilerplate[row]),
        )

    def hydrate(
        self,
        table: RowTable,
        rows: Sequence[int],
        scores: Mapping[int, dict[str, Any]],
        words: Sequence[str],
        first_rank: int = 1,
    ) -> list[Hit]:
        """Hits for rows that a tool picked itself (trends, comparison), in order.

        ``table`` is the row table the rows belong to (the build may have been swapped since);
        rows whose passage or report is gone by now are skipped, and ranks stay consecutive.
        """
        pids = [table.pids[r] for r in rows]
        found = self.passages(pids)
        out: list[Hit] = []
        for row, pid in zip(rows, pids, strict=True):
            p = found.get(pid)
            if p is None or p.report_id not in self._reports:
                continue
            out.append(
                self._make_hit(
                    first_rank + len(out), p, table, row, dict(scores.get(row, {})), words
                )
            )
        return out

    def _brief(self, p: Passage) -> dict[str, Any]:
        source, meta = self._reports[p.report_id]
        return {
            "passage_id": p.id,
            "report_id": p.report_id,
            "report": source,
            "title": meta.title,
            "org": meta.org,
            "year": meta.year,
        }

    # -- reports -----------------------------------------------------------------------------

    def report(self, key: str) -> Report | None:
        """A whole report by id or source file name (None if the corpus has no such report)."""
        self.reload_if_stale()
        rid = key if key in self._reports else as_report_id(key)
        if rid not in self._reports:
            return None
        return self.store.get_report(rid)

    def reports(self) -> list[tuple[str, str, ReportMeta]]:
        """(report id, source file, metadata) of every report in the corpus."""
        self.reload_if_stale()
        return [(rid, source, meta) for rid, (source, meta) in self._reports.items()]

    def overview(self, filters: Filters) -> dict[str, Any]:
        """What the corpus holds under the filters: its reports (newest first), passage count
        and facet counts of reports."""
        self.reload_if_stale()
        rows = self.bundle.rows
        mask = filters.mask(rows)
        row_ids = None if mask is None else mask.nonzero()[0]
        reports = self.reports()
        if row_ids is not None:
            codes = set(rows.codes["report_id"][row_ids].tolist())
            ids = {rows.vocab["report_id"][c] for c in codes}
            reports = [r for r in reports if r[0] in ids]
        reports.sort(key=lambda r: (-(r[2].year or 0), r[2].org or r[1]))
        return {
            "reports": reports,
            "passages": len(rows) if row_ids is None else len(row_ids),
            "facets": facets.counts(rows, row_ids, "reports"),
        }

    def facets(
        self, row_ids: list[int] | np.ndarray | None, unit: str, build_id: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Facet counts over rows of the current build ({} if it is no longer ``build_id``)."""
        bundle = self.bundle
        if build_id is not None and bundle.build_id != build_id:
            return {}
        return facets.counts(bundle.rows, row_ids, unit)

    def report_meta(self, rid: str) -> tuple[str, ReportMeta] | None:
        """(source file, metadata) of a report by id."""
        return self._reports.get(rid)
