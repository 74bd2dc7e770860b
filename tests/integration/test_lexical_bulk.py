"""The bulk writer (indexer/lexical/whoosh_bulk.py) writes the index Whoosh's own
``add_document`` writes: same terms, postings (document, weight, encoded positions), field
lengths and stored ids — in several segments when the corpus is larger than one segment.

Real indexes on disk, built from the seed corpus both ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

from indexer.build import lexical_doc
from indexer.lexical import whoosh as lexical_whoosh
from indexer.lexical import whoosh_bulk
from indexer.settings import LexicalConfig
from kb.indexing import index_records


def reference_index(path: Path, docs, cfg: LexicalConfig) -> None:
    """The index as Whoosh's writer makes it, one add_document per passage."""
    path.mkdir()
    ix = whoosh_index.create_in(str(path), lexical_whoosh.make_schema(cfg))
    writer = ix.writer(codec=W3Codec(blocklimit=lexical_whoosh.POSTING_BLOCK))
    for d in docs:
        writer.add_document(pid=d.pid, text=d.text, heading=d.heading, meta=d.meta)
    writer.commit()


def contents(path: Path) -> dict:
    """Everything a search reads, by global document number."""
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as r:
        postings = {}
        for field, tbytes in r.all_terms():
            m = r.postings(field, tbytes)
            found = []
            while m.is_active():
                found.append((m.id(), m.weight(), m.value()))
                m.next()
            postings[(field, tbytes)] = found
        n = r.doc_count_all()
        fields = ("text", "heading", "meta")
        return {
            "docs": n,
            "segments": len(list(r.leaf_readers())) if not r.is_atomic() else 1,
            "postings": postings,
            "lengths": [[r.doc_field_length(d, f) for f in fields] for d in range(n)],
            "totals": [r.field_length(f) for f in fields],
            "stored": [fields_["pid"] for _, fields_ in r.iter_docs()],
        }


@pytest.mark.parametrize("segment_docs", [50_000, 37], ids=["one segment", "several"])
def test_bulk_index_equals_add_document(seed_store, tmp_path, monkeypatch, segment_docs) -> None:
    cfg = LexicalConfig()
    docs = [lexical_doc(r) for r in index_records(seed_store)]
    assert len(docs) > 2 * 37  # the second case really writes several segments
    reference_index(tmp_path / "ref", docs, cfg)
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_DOCS", segment_docs)
    lexical_whoosh.build_lexical(tmp_path / "bulk", docs, cfg)
    ref, bulk = contents(tmp_path / "ref"), contents(tmp_path / "bulk")
    expected_segments = -(-len(docs) // segment_docs)
    assert (ref["segments"], bulk["segments"]) == (1, expected_segments)
    assert bulk["docs"] == ref["docs"] == len(docs)
    assert bulk["stored"] == ref["stored"] == [d.pid for d in docs]
    assert bulk["totals"] == ref["totals"]
    assert bulk["lengths"] == ref["lengths"]
    assert bulk["postings"].keys() == ref["postings"].keys()
    assert bulk["postings"] == ref["postings"]


@pytest.mark.parametrize("segment_docs", [50_000, 37], ids=["one segment", "several"])
def test_side_index_positions_equal_whooshs(
    seed_store, tmp_path, monkeypatch, segment_docs
) -> None:
    """Phrase checks read positions, and the text field's postings, from the side index;
    they are the ones Whoosh stores."""
    import numpy as np

    docs = [lexical_doc(r) for r in index_records(seed_store)]
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_DOCS", segment_docs)
    path = tmp_path / "bulk"
    lexical_whoosh.build_lexical(path, docs, LexicalConfig())
    n = len(docs)
    fast = lexical_whoosh.WhooshIndex(path, np.arange(n), n)
    slow = lexical_whoosh.WhooshIndex(path, np.arange(n), n)
    slow._side = {}  # as for segments without a side index: Whoosh's pickled positions
    try:
        assert fast._side and all(side is not None for side in fast._side.values())
        words = sorted({w for d in docs[:40] for w, _, _ in fast.analyzer.tokens(d.text)})
        some = np.arange(0, n, 3)
        for word in words:
            for within in (np.arange(n), some):
                got, want = (
                    fast._positions("text", word, within),
                    slow._positions("text", word, within),
                )
                assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), word
            # the text field's postings (documents, weights) come from the side index too
            got, want = fast._read_postings("text", word), slow._read_postings("text", word)
            assert np.array_equal(got[0], want[0]), word
            assert got[1].dtype == want[1].dtype and np.array_equal(got[1], want[1]), word
        assert not len(fast._read_postings("text", "不在索引里的词")[0])
        tokens = [w for w, _, _ in fast.analyzer.tokens(docs[5].text)]
        for phrase in (tokens[3:5], tokens[10:13], ["法治", "政府", "建设"]):
            assert np.array_equal(
                fast._match_phrase(phrase, None), slow._match_phrase(phrase, None)
            )
            assert len(fast._match_phrase(phrase, None)), phrase
    finally:
        fast.close()
        slow.close()


def test_an_update_keeps_every_segment_indexed(seed_store, tmp_path) -> None:
    """Whoosh's writer (an incremental update) merges segments into ones without a side
    index; the update gives them one, so phrase checks stay fast and the same."""
    import numpy as np

    docs = [lexical_doc(r) for r in index_records(seed_store)]
    cfg = LexicalConfig()
    lexical_whoosh.WhooshIndex.build(tmp_path / "old", docs[:-10], cfg)
    rows = [d.pid for d in docs[3:]]
    lexical_whoosh.WhooshIndex.update(
        tmp_path / "old", tmp_path / "new", [d.pid for d in docs[:3]], docs[-10:], rows
    )
    fast = lexical_whoosh.WhooshIndex.open(tmp_path / "new", len(rows))
    slow = lexical_whoosh.WhooshIndex.open(tmp_path / "new", len(rows))
    slow._side = {}
    try:
        assert fast._side and all(side is not None for side in fast._side.values())
        live = np.flatnonzero(fast._live)
        for word in sorted({w for d in docs[-12:] for w, _, _ in fast.analyzer.tokens(d.text)}):
            got, want = fast._positions("text", word, live), slow._positions("text", word, live)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), word
            got, want = fast._read_postings("text", word), slow._read_postings("text", word)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), word
    finally:
        fast.close()
        slow.close()


def test_parallel_build_equals_add_document(seed_store, tmp_path, monkeypatch) -> None:
    """Two worker processes, each analysing and writing a run of passages as a segment."""
    cfg = LexicalConfig()
    docs = [lexical_doc(r) for r in index_records(seed_store)]
    reference_index(tmp_path / "ref", docs, cfg)
    monkeypatch.setattr(lexical_whoosh, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_DOCS", 40)
    lexical_whoosh.build_lexical(tmp_path / "par", docs, cfg, procs=2)
    ref, par = contents(tmp_path / "ref"), contents(tmp_path / "par")
    assert par["segments"] == -(-len(docs) // 40)
    assert [par[k] for k in ("docs", "stored", "totals", "lengths")] == [
        ref[k] for k in ("docs", "stored", "totals", "lengths")
    ]
    assert par["postings"] == ref["postings"]
    assert not [p.name for p in (tmp_path / "par").iterdir() if ".tmp" in p.name]
