"""Scale corpus generator: realistic annual reports recombined from the real corpus.

Benchmarks on made-up text measure the wrong thing: BM25 cost follows term statistics (how
many passages contain 法治, 执法, 建设 …), boilerplate detection follows how often clauses
repeat across reports, and the parser's cost follows real structure. So the generator takes
everything from real reports (``corpus/`` and ``../shared/dev-corpus/``): it parses them with
kb's own parser, keeps their section titles and body sentences per section kind, and
recombines them into new reports with the prescribed structure (一、举措和成效 / 存在问题 /
原因分析 / 第一责任人履职 / 下一步工作安排), for organisations drawn from the region
gazetteer and a list of departments, and years 2019–2025. Names of the source organisation
and its places are replaced by the new ones, years are shifted to the new report's year, and
counts are varied, so term and clause statistics look like a national corpus of the same
kind of report: the same formulas everywhere, details varying.

Deterministic from a seed, and report ``i`` depends only on (seed, i): a smaller corpus is
a prefix of a larger one. Every paragraph is written to become exactly one passage
(130–480 characters, starting a paragraph), so the passage count is known while generating.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.core.models import Report
from kb.ingest.parse import parse_report
from kb.ingest.passages import _pack, _units
from kb.ingest.readers import read_document
from kb.ingest.sections import classify_heading
from kb.ingest.sidecar import load_sidecar

REPO = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """The shared material beside the project: $KB_SHARED, <repo>/../shared or /work/shared
    (a worktree lives one level deeper than a clone, so ../shared alone can miss it)."""
    for c in (os.environ.get("KB_SHARED"), REPO.parent / "shared", "/work/shared"):
        if c and Path(c).is_dir():
            return Path(c)
    return REPO.parent / "shared"


SOURCE_DIRS = (REPO / "corpus", _shared() / "dev-corpus" / "reports")
REGIONS = REPO / "kb" / "ingest" / "data" / "regions.tsv"

KINDS = ("主要举措和成效", "存在问题", "原因分析", "第一责任人履职", "下一步工作安排")
# Share of a report's passages per section kind (原因分析 only in some reports).
KIND_SHARE = {
    "主要举措和成效": 0.55,
    "存在问题": 0.12,
    "原因分析": 0.06,
    "第一责任人履职": 0.10,
    "下一步工作安排": 0.17,
}
YEARS = (2019, 2025)
PASSAGES_PER_REPORT = (25, 65)  # paragraphs; enumerations split some, so 30–80 passages
PARAGRAPH_CHARS = (130, 420)  # target length of a paragraph (= one passage)
PARAGRAPH_MAX = 480  # below kb.ingest.passages.MAX_CHARS, so a paragraph is never split
SENTENCE_CHARS = (8, 300)
CN_NUM = "一二三四五六七八九十"

_SENTENCE = re.compile(r"[^。！？；]*[。！？；][”’」』）)》]*")
_ENUM_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，、]|\d+[.、．]\s*)"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR_WORD = re.compile(r"(?<!\d)(20\d\d)(?=年)")

# (name at city/county level, name at provincial level, weight). Emergency management is
# over-weighted because the real material is mostly from emergency bureaus.
DEPARTMENTS: tuple[tuple[str, str, float], ...] = (
    ("应急管理局", "应急管理厅", 0.30),
    ("司法局", "司法厅", 0.08),
    ("生态环境局", "生态环境厅", 0.07),
    ("交通运输局", "交通运输厅", 0.07),
    ("自然资源和规划局", "自然资源厅", 0.06),
    ("人民防空办公室", "人民防空办公室", 0.05),
    ("市场监督管理局", "市场监督管理局", 0.07),
    ("住房和城乡建设局", "住房和城乡建设厅", 0.05),
    ("水利局", "水利厅", 0.04),
    ("农业农村局", "农业农村厅", 0.04),
    ("卫生健康局", "卫生健康委员会", 0.04),
    ("城市管理局", "住房和城乡建设厅", 0.03),
    ("人民政府", "人民政府", 0.10),
)
TITLES = (
    "{org}{y}年法治政府建设工作情况报告",
    "{org}关于{y}年度法治政府建设工作的报告",
    "{org}{y}年度法治政府建设情况报告",
    "{org}{y}年度法治政府建设工作报告",
)
# Canonical top-level titles (the prescribed outline), mixed with those found in the corpus.
CANONICAL_TOP = {
    "主要举措和成效": ["{Y}年度推进法治政府建设的主要举措和成效", "主要举措和成效"],
    "存在问题": ["{Y}年度推进法治政府建设存在的不足", "存在的问题和不足"],
    "原因分析": ["存在不足的原因分析", "原因分析"],
    "第一责任人履职": ["{Y}年度党政主要负责人履行推进法治建设第一责任人职责情况"],
    "下一步工作安排": ["{Y+1}年度推进法治政府建设的主要安排", "下一步工作计划"],
}
PREAMBLE_CLOSE = "现将{Y}年度法治政府建设工作情况报告如下："
_SUPERIOR = {
    "省": "省委、省人民政府",
    "市": "市委、市人民政府",
    "县": "县委、县人民政府",
    "区": "区委、区人民政府",
}


def _passage_count(paragraphs: list[str]) -> int:
    """Passages the parser will cut from one section body: its own packing rule, run here."""
    body = "\n".join(paragraphs)
    return len(_pack(_units(body, 0, len(body)))) if body else 0


@dataclass
class SourcePool:
    """Recombinable material from real reports: templates with {ORG}/{CITY}/{Y}… slots."""

    preamble: list[str] = field(default_factory=list)
    sentences: dict[str, list[str]] = field(default_factory=dict)
    top_titles: dict[str, list[str]] = field(default_factory=dict)
    sub_titles: dict[str, list[str]] = field(default_factory=dict)
    item_titles: dict[str, list[str]] = field(default_factory=dict)
    reports: int = 0

    def fingerprint(self) -> str:
        """Changes whenever the material does (keys the stored pool vectors)."""
        blob = json.dumps(
            [self.preamble, self.sentences, self.top_titles, self.sub_titles, self.item_titles],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def all_templates(self) -> list[str]:
        """Every distinct sentence and title template, in a stable order."""
        seen: dict[str, None] = {}
        for group in (self.sentences, self.top_titles, self.sub_titles, self.item_titles):
            for kind in sorted(group):
                seen.update(dict.fromkeys(group[kind]))
        seen.update(dict.fromkeys(self.preamble))
        return list(seen)


def _names(report: Report) -> list[tuple[str, str]]:
    """(name as written, slot) pairs to template out of a source report, longest first."""
    m = report.meta
    pairs = [(m.org, "{ORG}"), (m.county, "{COUNTY}"), (m.city, "{CITY}"), (m.province, "{PROV}")]
    out = []
    for name, slot in pairs:
        if not name:
            continue
        out.append((name, slot))
        if len(name) >= 3 and name[-1] in "省市县区":
            out.append((name[:-1], slot + "S"))
    return sorted(out, key=lambda p: -len(p[0]))


def templatize(text: str, report: Report) -> str:
    """Replace the source's own names and report-relative years by slots."""
    for name, slot in _names(report):
        text = text.replace(name, slot)
    year = report.meta.year
    if year:

        def shift(m: re.Match[str]) -> str:
            d = int(m.group(1)) - year
            return {0: "{Y}", 1: "{Y+1}", -1: "{Y-1}"}.get(d, m.group(1))

        text = _YEAR_WORD.sub(shift, text)
    return text


def sentences_of(text: str) -> list[str]:
    """Complete sentences of a passage (a trailing fragment, e.g. a cut-off opening, is dropped)."""
    out = []
    for m in _SENTENCE.finditer(text.replace("\n", "")):
        s = _ENUM_START.sub("", m.group(0)).strip()
        if SENTENCE_CHARS[0] <= len(s) <= SENTENCE_CHARS[1]:
            out.append(s)
    return out


def _source_files(dirs: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files += sorted(p for p in d.glob("*.txt"))
    return files


def load_pool(dirs: tuple[Path, ...] = SOURCE_DIRS) -> SourcePool:
    """Parse the real reports with kb's parser and collect their material per section kind."""
    pool = SourcePool()
    files = _source_files(dirs)
    if not files:
        raise FileNotFoundError(f"no source reports under {', '.join(map(str, dirs))}")
    sets: dict[str, dict[str, dict[str, None]]] = {
        name: {k: {} for k in KINDS} for name in ("sentences", "top", "sub", "item")
    }
    preamble: dict[str, None] = {}
    for path in files:
        overrides, _, _ = load_sidecar(path)
        report = parse_report(read_document(path, max_bytes=1 << 26), path.name, "", overrides)
        pool.reports += 1
        for s in report.sections:
            if s.heading is None or s.kind not in KINDS or not s.heading.title:
                continue
            title = templatize(s.heading.title.rstrip("。：:；"), report)
            if len(title) > 40 or "{ORG}" in title:
                continue
            if s.heading.level == 1:
                filled = fill(title, _Slots.example(report.meta.year or 2023))
                if classify_heading(filled, report.meta.year) == s.kind:
                    sets["top"][s.kind][title] = None
            else:
                sets["sub" if s.heading.level == 2 else "item"][s.kind][title] = None
        for p in report.passages:
            for sent in sentences_of(p.text):
                t = templatize(sent, report)
                if p.section_kind in KINDS and p.heading_path:
                    sets["sentences"][p.section_kind][t] = None
                elif not p.heading_path:
                    preamble[t] = None
    for kind in KINDS:
        sets["top"][kind].update(dict.fromkeys(CANONICAL_TOP[kind]))
    pool.preamble = [s for s in preamble if "如下" not in s and "报告" not in s]
    pool.sentences = {k: list(v) for k, v in sets["sentences"].items()}
    pool.top_titles = {k: list(v) for k, v in sets["top"].items()}
    pool.sub_titles = {k: list(v) for k, v in sets["sub"].items()}
    pool.item_titles = {k: list(v) for k, v in sets["item"].items()}
    # Thin kinds borrow from their neighbour (原因分析 is rare in openings).
    for kind, fallback in (("原因分析", "存在问题"), ("第一责任人履职", "主要举措和成效")):
        for attr in ("sentences", "sub_titles", "item_titles"):
            group = getattr(pool, attr)
            if len(group[kind]) < 10:
                group[kind] = group[kind] + group[fallback]
    return pool


# -- organisations ----------------------------------------------------------------------------


@dataclass
class Region:
    province: str
    city: str | None
    county: str | None
    level: str  # 省 | 市 | 县 | 区
    prefix: str  # how the organisation name starts


def load_regions(path: Path = REGIONS) -> tuple[list[Region], list[Region], list[Region]]:
    """(provinces, cities, counties) from the gazetteer kb itself uses for metadata."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    by_code = {r[0]: r for r in rows}
    provinces, cities, counties = [], [], []
    for _code, name, parent, kind, *_ in rows:
        if kind in ("province", "municipality"):
            provinces.append(
                Region(name, name if kind == "municipality" else None, None, "省", name)
            )
        elif kind == "city":
            prov = by_code.get(parent)
            if prov:
                cities.append(Region(prov[1], name, None, "市", name))
        elif kind in ("county", "county_city", "district"):
            up = by_code.get(parent)
            if not up:
                continue
            if up[3] == "municipality":
                prov, city = up[1], up[1]
            else:
                top = by_code.get(up[2])
                if not top:
                    continue
                prov, city = top[1], up[1]
            level = "区" if kind == "district" else "县"
            counties.append(Region(prov, city, name, level, name))
    return provinces, cities, counties


@dataclass
class _Slots:
    org: str
    prov: str
    city: str
    county: str
    year: int

    @classmethod
    def example(cls, year: int) -> _Slots:
        return cls("某某县应急管理局", "某某省", "某某市", "某某县", year)

    def mapping(self) -> dict[str, str]:
        short = {
            k: (v[:-1] if len(v) >= 3 and v[-1] in "省市县区" else v)
            for k, v in (("PROV", self.prov), ("CITY", self.city), ("COUNTY", self.county))
        }
        return {
            "{ORG}": self.org,
            "{PROV}": self.prov,
            "{CITY}": self.city,
            "{COUNTY}": self.county,
            "{PROVS}": short["PROV"],
            "{CITYS}": short["CITY"],
            "{COUNTYS}": short["COUNTY"],
            "{Y}": str(self.year),
            "{Y+1}": str(self.year + 1),
            "{Y-1}": str(self.year - 1),
        }


_SLOT = re.compile(r"\{(?:ORG|PROVS?|CITYS?|COUNTYS?|Y|Y\+1|Y-1)\}")


def fill(template: str, slots: _Slots) -> str:
    mapping = slots.mapping()
    return _SLOT.sub(lambda m: mapping[m.group(0)], template)


def vary_numbers(text: str, rng: random.Random) -> str:
    """New counts for the same formula: years and percentages are kept."""

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        end = m.end()
        nxt = m.string[end : end + 1]
        if nxt in "%％年" or "." in s or (len(s) == 4 and s[:2] in ("19", "20")):
            return s
        lo = 1 if len(s) == 1 else 10 ** (len(s) - 1)
        return str(rng.randint(lo, 10 ** len(s) - 1))

    return _NUMBER.sub(repl, text)


# -- reports ----------------------------------------------------------------------------------


@dataclass
class GeneratedReport:
    path: str  # relative to the corpus root
    text: str
    sidecar: dict | None
    truth: dict  # what the report is about (org, region, year, dept, passages)
    encoding: str = "utf-8"


class Generator:
    """Makes report number ``i`` of a seed's corpus; see the module docstring."""

    def __init__(self, pool: SourcePool, seed: int = 0):
        self.pool = pool
        self.seed = seed
        self.provinces, self.cities, self.counties = load_regions()
        self._dept_weights = [w for _, _, w in DEPARTMENTS]

    def _region(self, rng: random.Random) -> Region:
        r = rng.random()
        if r < 0.05:
            return rng.choice(self.provinces)
        if r < 0.35:
            return rng.choice(self.cities)
        region = rng.choice(self.counties)
        if region.city and region.city != region.province and rng.random() < 0.4:
            region = Region(
                region.province,
                region.city,
                region.county,
                region.level,
                region.city + region.county,
            )
        return region

    def _paragraph(self, rng: random.Random, kind: str, slots: _Slots) -> str:
        sentences = self.pool.sentences[kind]
        target = rng.randint(*PARAGRAPH_CHARS)
        enumerate_items = rng.random() < 0.25
        parts: list[str] = []
        length = 0
        for _ in range(40):
            s = vary_numbers(fill(rng.choice(sentences), slots), rng)
            if enumerate_items and len(parts) < len(CN_NUM):
                s = f"{CN_NUM[len(parts)]}是{s}"
            if parts and length + len(s) > PARAGRAPH_MAX:
                if length >= PARAGRAPH_CHARS[0]:
                    break
                continue
            parts.append(s)
            length += len(s)
            if length >= target:
                break
        return "".join(parts)

    def _plan(self, rng: random.Random, total: int) -> list[tuple[str, int]]:
        kinds = [k for k in KINDS if k != "原因分析" or rng.random() < 0.4]
        if "第一责任人履职" in kinds and rng.random() < 0.2:
            kinds.remove("第一责任人履职")
        share = sum(KIND_SHARE[k] for k in kinds)
        plan = [(k, max(1, round(total * KIND_SHARE[k] / share))) for k in kinds]
        return plan

    def report(self, i: int) -> GeneratedReport:
        rng = random.Random(f"kb-bench:{self.seed}:{i}")
        region = self._region(rng)
        dept_local, dept_prov, _ = rng.choices(DEPARTMENTS, self._dept_weights)[0]
        dept = dept_prov if region.level == "省" else dept_local
        org = region.prefix + dept
        year = rng.randint(*YEARS)
        slots = _Slots(
            org,
            region.province,
            region.city or region.province,
            region.county or region.city or region.province,
            year,
        )
        lines = [rng.choice(TITLES).format(org=org, y=year)]
        if rng.random() < 0.5:
            lines.append(f"发布时间：{year + 1}-{rng.randint(1, 4):02d}-{rng.randint(1, 28):02d}")
        lines.append(f"{_SUPERIOR[region.level]}：")
        pre = [fill(rng.choice(self.pool.preamble), slots) for _ in range(rng.randint(1, 3))]
        body = ["".join(pre) + fill(PREAMBLE_CLOSE, slots)]
        sections: list[list[str]] = [body]  # the paragraphs under each heading
        lines += body

        def heading(text: str) -> None:
            lines.append(text)
            sections.append([])

        for n, (kind, count) in enumerate(self._plan(rng, rng.randint(*PASSAGES_PER_REPORT))):
            heading(f"{CN_NUM[n]}、{fill(rng.choice(self.pool.top_titles[kind]), slots)}")
            left, sub = count, 0
            while left > 0:
                chunk = min(left, rng.randint(1, 4)) if count > 2 else left
                if count > 2:
                    sub += 1
                    title = fill(rng.choice(self.pool.sub_titles[kind]), slots)
                    heading(f"（{CN_NUM[(sub - 1) % 10]}）{title}")
                items = chunk > 1 and rng.random() < 0.3 and bool(self.pool.item_titles[kind])
                for j in range(chunk):
                    if items:
                        heading(f"{j + 1}. {fill(rng.choice(self.pool.item_titles[kind]), slots)}")
                    paragraph = self._paragraph(rng, kind, slots)
                    lines.append(paragraph)
                    sections[-1].append(paragraph)
                left -= chunk
        lines += [org, f"{year + 1}年{rng.randint(1, 4)}月{rng.randint(1, 28)}日"]
        name = f"{region.province}/{year}/{i:07d}.txt"
        sidecar = (
            {"source_url": f"https://bench.invalid/{i:07d}.html"} if rng.random() < 0.5 else None
        )
        truth = {
            "i": i,
            "org": org,
            "province": region.province,
            "city": region.city,
            "county": region.county,
            "level": region.level,
            "year": year,
            "dept": dept,
            "passages": sum(_passage_count(paragraphs) for paragraphs in sections),
        }
        encoding = "gb18030" if rng.random() < 0.05 else "utf-8"
        return GeneratedReport(name, "\n".join(lines) + "\n", sidecar, truth, encoding)

    def reports(self, passages: int) -> Iterator[GeneratedReport]:
        """Reports 0, 1, … until they hold at least ``passages`` passages."""
        i = total = 0
        while total < passages:
            r = self.report(i)
            total += r.truth["passages"]
            i += 1
            yield r


def write_corpus(root: Path, passages: int, seed: int = 0, pool: SourcePool | None = None) -> dict:
    """Write a corpus of about ``passages`` passages under root; returns a summary.

    ``truth.jsonl`` (beside, not inside, the corpus) records what each report is about.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    gen = Generator(pool or load_pool(), seed)
    n_reports = n_passages = n_bytes = 0
    truth_path = root.parent / f"{root.name}.truth.jsonl"
    with open(truth_path, "w", encoding="utf-8") as truth:
        for r in gen.reports(passages):
            path = root / r.path
            path.parent.mkdir(parents=True, exist_ok=True)
            data = r.text.encode(r.encoding)
            path.write_bytes(data)
            if r.sidecar:
                sc = path.with_name(path.name + ".meta.json")
                sc.write_text(json.dumps(r.sidecar, ensure_ascii=False), encoding="utf-8")
            truth.write(json.dumps(r.truth, ensure_ascii=False) + "\n")
            n_reports += 1
            n_passages += r.truth["passages"]
            n_bytes += len(data)
    return {"reports": n_reports, "passages_planned": n_passages, "bytes": n_bytes, "seed": seed}


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Write a scale corpus recombined from real reports.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(json.dumps(write_corpus(args.out, args.passages, args.seed), ensure_ascii=False))


if __name__ == "__main__":
    main()
