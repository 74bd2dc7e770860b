"""Leave-one-out evaluation of the draft check (``make eval-draftcheck``).

A draft is one section of a corpus report with one or two paragraphs deleted (their topic
recorded by hand as a few words, ``topics``). The report — and any report that is a copy of
it — is hidden from every peer list and pool (``CheckOptions.hidden_reports``), so the check
sees the corpus as if the report had never been indexed (only the IDF and boilerplate
statistics still count it).

* **Gap recall**: a draft is a hit when a deleted paragraph's topic is among the first
  ``GAP_DEPTH`` gaps of its section kind: a gap *is* the topic when one of the topic words
  (those the kept paragraphs do not use) is one of the gap's name words (or contains / is
  contained in one), or is in both of its example passages.
* **Alignment precision**: for each kept paragraph, whether at least one of its top-3 peers
  (same department kind) is judged a genuine match; judgments are by hand, per (paragraph,
  peer passage), in ``alignment.jsonl`` (rule in tests/eval/draftcheck/README.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kb.core.models import Report
from kb.draftcheck.check import CheckOptions, check_draft
from kb.search import Searcher
from kb.search.query import squash

GAP_DEPTH = 5
TOP_PEERS = 3
SPLITS = ("tune", "heldout")
COPY_SIMILARITY = 0.97  # a passage this similar to one of the draft's report is a copy of it


def split_of(draft_id: str) -> str:
    return SPLITS[int(hashlib.sha1(draft_id.encode()).hexdigest(), 16) % 2]


def para_key(text: str) -> str:
    """A paragraph's judgment key: stable across runs, independent of its position."""
    return hashlib.sha1(squash(text).encode()).hexdigest()[:12]


@dataclass
class DraftSpec:
    id: str
    report: str  # source file name
    section_kind: str
    delete: list[int]  # positions, within the section's passages, of the deleted paragraphs
    topics: list[list[str]]  # per deleted paragraph: words naming its topic


@dataclass
class DraftOutcome:
    spec: DraftSpec
    split: str
    gap_hit: bool
    gap_rank: int | None  # 1-based rank of the first gap that is a deleted topic
    topics_used: list[list[str]]
    gaps: list[dict[str, Any]]
    kept: list[dict[str, Any]]  # per kept paragraph: key, text, top-3 peers
    took_ms: float
    deleted_text: list[str] = field(default_factory=list)


def load_specs(path: Path) -> list[DraftSpec]:
    return [
        DraftSpec(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def load_judgments(path: Path) -> dict[tuple[str, str], int]:
    """{(paragraph key, peer passage id): 1 genuine / 0 not}."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            out[(j["paragraph"], j["peer"])] = int(j["genuine"])
    return out


def section_of(report: Report, kind: str) -> list:
    """The passages of the first top-level section of ``kind`` with at least 3 passages."""
    groups: dict[tuple[str, str], list] = {}
    for p in report.passages:
        if p.heading_path and p.section_kind == kind:
            groups.setdefault((p.heading_path[0], kind), []).append(p)
    for passages in groups.values():
        if len(passages) >= 3:
            return passages
    raise ValueError(f"{report.source}: no {kind} section of 3 passages")


def draft_text(report: Report, passages: list, delete: list[int]) -> str:
    """The section as the report has it (headings included) without the deleted passages."""
    start = report.text.rfind("\n", 0, passages[0].start) + 1
    for h in report.sections:
        if (
            h.heading
            and h.heading.level == 1
            and h.path
            and h.path[0] == passages[0].heading_path[0]
        ):
            start = h.heading.start
            break
    pieces, pos = [], start
    for i, p in enumerate(passages):
        if i in delete:
            pieces.append(report.text[pos : p.start])
            pos = p.end
    pieces.append(report.text[pos : passages[-1].end])
    return "".join(pieces)


def copies_of(searcher: Searcher, report_id: str) -> frozenset[str]:
    """The report and every report that repeats at least two of its passages (a portal page
    and the seed file of the same report)."""
    rows = searcher.bundle.rows
    codes = rows.codes["report_id"]
    vocab = rows.vocab["report_id"]
    own = np.nonzero(codes == vocab.index(report_id))[0]
    vectors = searcher.bundle.vectors
    sims = vectors.vectors(np.arange(len(rows), dtype=np.int64)) @ vectors.vectors(own).T
    close = (sims >= COPY_SIMILARITY).any(axis=1)
    hidden = {report_id}
    for code in np.unique(codes[close]):
        if (close & (codes == code)).sum() >= 2:
            hidden.add(vocab[code])
    return frozenset(hidden)


def _is_topic(gap: dict[str, Any], words: list[str]) -> bool:
    terms = [squash(t) for t in gap["terms"]]
    texts = [squash(e["text"]) for e in gap["examples"]]
    for w in map(squash, words):
        if any(w in t or t in w for t in terms):
            return True
        if texts and len(texts) == 2 and all(w in x for x in texts):
            return True
    return False


def run_draft(searcher: Searcher, spec: DraftSpec, embed: bool = False) -> DraftOutcome:
    """Check one draft with its report hidden; see the module docstring."""
    report = next(
        searcher.store.get_report(rid)
        for rid, source, _m in searcher.reports()
        if source == spec.report
    )
    passages = section_of(report, spec.section_kind)
    text = draft_text(report, passages, spec.delete)
    options = CheckOptions(
        dept_kind=report.meta.dept_kind,
        year=report.meta.year,
        section_kind=spec.section_kind,
        hidden_reports=copies_of(searcher, report.id),
        embed=embed,
    )
    result = check_draft(searcher, text, options).to_dict()
    letters = squash(text)
    topics = [[w for w in words if squash(w) not in letters] for words in spec.topics]
    group = next((g for g in result["gaps"] if g["section_kind"] == spec.section_kind), None)
    gaps = group["items"][:GAP_DEPTH] if group else []
    rank = next(
        (i for i, g in enumerate(gaps, start=1) if any(_is_topic(g, w) for w in topics if w)),
        None,
    )
    kept = [
        {
            "key": para_key(p["text"]),
            "text": p["text"],
            "peers": [
                {"passage_id": h["passage_id"], "org": h["org"], "text": h["text"]}
                for h in (p["peers"] or p["other_peers"])[:TOP_PEERS]
            ],
        }
        for p in result["paragraphs"]
    ]
    return DraftOutcome(
        spec=spec,
        split=split_of(spec.id),
        gap_hit=rank is not None,
        gap_rank=rank,
        topics_used=topics,
        gaps=[{"terms": g["terms"], "reports": g["reports"]} for g in gaps],
        kept=kept,
        took_ms=result["took_ms"],
        deleted_text=[passages[i].text for i in spec.delete],
    )


@dataclass
class Figures:
    drafts: int
    gap_hits: int
    paragraphs: int  # kept paragraphs with all top-3 peers judged
    aligned: int
    unjudged: int

    @property
    def gap_recall(self) -> float:
        return self.gap_hits / self.drafts if self.drafts else 0.0

    @property
    def alignment(self) -> float:
        return self.aligned / self.paragraphs if self.paragraphs else 0.0


def figures(outcomes: list[DraftOutcome], judgments: dict[tuple[str, str], int]) -> Figures:
    paragraphs = aligned = unjudged = 0
    for o in outcomes:
        for k in o.kept:
            marks = [judgments.get((k["key"], p["passage_id"])) for p in k["peers"]]
            if any(m == 1 for m in marks):
                paragraphs += 1
                aligned += 1
            elif all(m is not None for m in marks):
                paragraphs += 1
            else:
                unjudged += 1
    return Figures(len(outcomes), sum(o.gap_hit for o in outcomes), paragraphs, aligned, unjudged)


def unjudged(
    outcomes: list[DraftOutcome], judgments: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    """(paragraph, peer) pairs still to judge, with both texts, for the judging file."""
    out = []
    for o in outcomes:
        for k in o.kept:
            marks = [judgments.get((k["key"], p["passage_id"])) for p in k["peers"]]
            if any(m == 1 for m in marks):
                continue
            for p, m in zip(k["peers"], marks, strict=True):
                if m is None:
                    out.append(
                        {
                            "draft": o.spec.id,
                            "paragraph": k["key"],
                            "peer": p["passage_id"],
                            "genuine": None,
                            "paragraph_text": k["text"],
                            "peer_text": p["text"],
                        }
                    )
    return out
