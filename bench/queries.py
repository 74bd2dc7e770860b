"""The fixed benchmark query set: 200 queries, the same at every corpus size.

Latency depends on the kind of query far more than on its words: a jargon term reads one or
two posting lists, a quoted phrase needs positions, a long question ORs a dozen terms over
three fields (the expensive case for Whoosh), and a filter turns into a row mask. So the set
mixes all four on purpose: the 115 real queries of the relevance set (``tests/eval``), then
generated ones from the same material the corpus is made of — jargon from the domain
dictionary, quoted heading phrases, long questions built on section titles, and filtered
variants using filter values that exist in every generated corpus. Deterministic from a seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import REPO, SourcePool, _Slots, fill

EVAL_QUERIES = REPO / "tests" / "eval" / "queries.jsonl"
DOMAIN_DICT = REPO / "indexer" / "data" / "domain_dict.txt"
N_QUERIES = 200
CATEGORIES = ("jargon", "phrase", "question", "filtered")

_QUESTION_FORMS = (
    "如何{t}？",
    "怎样{t}",
    "{t}有哪些好的做法",
    "{t}方面存在哪些问题，下一步怎么办？",
)
_FILTERS: tuple[dict, ...] = (
    {"year": "2023"},
    {"year": "2021-2024"},
    {"province": "湖南"},
    {"province": "广东,浙江"},
    {"dept": "应急管理"},
    {"dept": "司法"},
    {"level": "县"},
    {"level": "市", "year_from": "2022"},
    {"section": "存在问题"},
    {"section": "下一步工作安排", "dept": "应急管理"},
    {"concrete": "1"},
    {"province": "江苏", "section": "主要举措和成效"},
)


@dataclass
class BenchQuery:
    qid: str
    query: str
    category: str  # jargon | phrase | question (by wording); filtered if it has filters
    filters: dict = field(default_factory=dict)

    def params(self) -> dict:
        return {"q": self.query, **self.filters}


def _category(tags: list[str], query: str) -> str:
    if "question" in tags or query.endswith(("？", "?")) or len(query) >= 14:
        return "question"
    if "jargon" in tags:
        return "jargon"
    return "phrase"


def _domain_terms() -> list[str]:
    terms = []
    for line in DOMAIN_DICT.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.append(line.split()[0])
    return sorted(set(terms))


def bench_queries(pool: SourcePool, seed: int = 0, n: int = N_QUERIES) -> list[BenchQuery]:
    """The fixed query list (see module docstring)."""
    rng = random.Random(f"kb-bench-queries:{seed}")
    out: list[BenchQuery] = []
    for line in EVAL_QUERIES.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        filters = {k: str(v) for k, v in (d.get("filters") or {}).items()}
        out.append(BenchQuery(d["qid"], d["query"], _category(d["tags"], d["query"]), filters))
    example = _Slots.example(2023)
    titles = sorted(
        {
            fill(t, example)
            for group in (pool.sub_titles, pool.item_titles)
            for kind in sorted(group)
            for t in group[kind]
            if "{" not in t and 4 <= len(t) <= 24
        }
    )
    terms = _domain_terms()
    left = n - len(out)
    plan = [("jargon", left // 4), ("phrase", left // 4), ("question", left // 4)]
    plan.append(("filtered", left - sum(k for _, k in plan)))
    for category, count in plan:
        for j in range(count):
            qid = f"g-{category}-{j}"
            if category == "jargon":
                out.append(BenchQuery(qid, rng.choice(terms), "jargon"))
            elif category == "phrase":
                part = rng.choice(titles).split("，")[0]
                out.append(BenchQuery(qid, f'"{part}"', "phrase"))
            elif category == "question":
                topic = rng.choice(titles).split("，")[-1]
                form = rng.choice(_QUESTION_FORMS)
                out.append(BenchQuery(qid, form.format(t=topic), "question"))
            else:
                base = rng.choice(out)
                out.append(BenchQuery(qid, base.query, "filtered", dict(rng.choice(_FILTERS))))
    for q in out:
        if q.filters:
            q.category = "filtered"
    return out[:n]


def write_queries(path: Path, queries: list[BenchQuery]) -> None:
    path.write_text(
        "".join(json.dumps(q.__dict__, ensure_ascii=False) + "\n" for q in queries),
        encoding="utf-8",
    )


def read_queries(path: Path) -> list[BenchQuery]:
    return [
        BenchQuery(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
    ]
