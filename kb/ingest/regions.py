"""Where a report comes from: province, prefecture city, county and administrative level.

Reports name their issuing organisation in many ways: in full ("莆田市荔城区应急管理局"), with
only the lowest place ("荔城区应急管理局", "开平市应急管理局"), or with no place at all
("市应急管理局", text starting "2021年，市应急管理局坚持……"). Place names alone are often
ambiguous (开平区 is in 唐山, 开平市 in 江门; there are several 城关区, 新华区, 鼓楼区), so the
report text is used as evidence: a candidate whose province and city the text mentions wins.

Resolution, in order:

1. Places named in the organisation: the last one is the organisation's own unit; earlier ones
   (莆田市 in 莆田市荔城区…) must be its ancestors. Several candidates left → the one whose
   ancestors the text mentions most; still a tie → only the fields they share.
2. No place in the organisation: its leading level word (市应急管理局 → 市, 区… → 区, 省… or
   …厅 → 省) picks the kind of unit, and the text's most-mentioned unit of that kind wins if it
   is a clear winner; mentions followed by the organisation's own department
   ("汕尾市应急管理局") count extra. No clear winner → only the province/city that the text
   names clearly, or nothing.

The gazetteer is ``kb/ingest/data/regions.tsv`` (built by ``scripts/build_regions.py``); it is loaded
once and scanned with a first-character index (longest match first, left to right), which
keeps a 15,000-character report to a few milliseconds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.ingest.orgs import ORG_SUFFIX

_TSV = Path(__file__).resolve().parent / "data" / "regions.tsv"

# Level of the organisation by the kind of its own unit.
_LEVEL_OF_KIND = {
    "province": "省",
    "municipality": "省",
    "city": "市",
    "county": "县",
    "county_city": "县",
    "district": "区",
}
_COUNTY_KINDS = ("county", "county_city", "district")

# Names that are ordinary words in running text ("城区", "矿区"); in a text they only count
# when preceded by their city ("汕尾市城区"). Two-character county names (南县, 高县, 新县)
# are skipped in text for the same reason ("提高县级", "创新县域").
_GENERIC_NAMES = frozenset({"城区", "郊区", "矿区", "东区", "西区", "新城区", "老城区"})

# An organisation's own level word when it names no place: 市应急管理局, 区生态环境局, 省人防办.
_LEVEL_WORD = re.compile(r"^(?:中共)?(自治区|省|市(?!场)|州|盟|县|旗|区)")
_LEVEL_WORD_KINDS: dict[str, tuple[str, ...]] = {
    "省": ("province", "municipality"),
    "自治区": ("province",),
    "市": ("city", "municipality", "county_city"),
    "州": ("city",),
    "盟": ("city",),
    "县": ("county",),
    "旗": ("county",),
    "区": ("district",),
}
_LEVEL_WORD_LEVEL = {
    "省": "省",
    "自治区": "省",
    "市": "市",
    "州": "市",
    "盟": "市",
    "县": "县",
    "旗": "县",
    "区": "区",
}

# A township unit after the last place: 官庄镇人民政府, 城关街道办事处, xx乡人民政府.
# 乡 needs a government word after it so that 城乡建设局 / 乡村振兴局 are not townships.
_TOWNSHIP = re.compile(
    r"^[\u4e00-\u9fff]{0,10}?(?:(?<![城乡])镇|街道|(?<![城])乡(?=人民政府|政府|党委|人大|$))"
)

# The organisation as the subject near the start of a report: "2021年，市应急管理局坚持……".
_SUBJECT = re.compile(
    r"(?:^|[，,。；;：:\s、年来】])(?:中共)?(省|市(?!场)|州|县|区)"
    rf"([\u4e00-\u9fff]{{1,14}}?{ORG_SUFFIX})"
    r"(?![的和、])"
)
# A named organisation at the start of a line or sentence (see _named_org_in_head).
_ORG_PHRASE = re.compile(
    rf"\s*([\u4e00-\u9fff]{{2,24}}?{ORG_SUFFIX})"
    r"(?=关于|20\d\d|[0-9０-９]|坚持|深入|全面|认真|始终|在|以|紧紧|按照|围绕|扎实|\s|$|[，,（(])"
)
# Its own party committee and government, as addressee ("县委、县人民政府：") or as leadership
# ("在市委、市政府的领导下"): the first one named is the level the report is written at.
_OWN_GOVERNMENT = re.compile(r"(?:^|\n|在)\s*(?:中共)?(省|市|州|县|区)委[、，,]?\s*\1(?:人民)?政府")

# A department right after a place name: 长治市交通运输局, 广东省应急管理厅.
_DEPT_AFTER = re.compile(rf"[\u4e00-\u9fff]{{0,8}}?{ORG_SUFFIX}")

# First characters of township words (镇, 乡, 街道, 村, 社区) after a would-be county short form.
_TOWNSHIP_START = frozenset("镇乡街村社")

# A short form followed by one of these names a town, village or street, not the unit.
_NOT_AFTER_SHORT = frozenset("镇乡村路街")

_MIN_MENTIONS = 2  # a text winner needs at least this score …
_MIN_RATIO = 1.5  # … and this many times the runner-up's


@dataclass(frozen=True)
class RegionMatch:
    """Resolved origin of a report. Every field may be None when the evidence is unclear."""

    province: str | None  # full official name, e.g. "湖南省", "广西壮族自治区", "重庆市"
    city: str | None  # prefecture level; for municipalities the municipality itself
    county: str | None  # county, county-level city or district
    level: str | None  # level of the ORGANISATION: 省, 市, 县, 区 or 乡镇


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    parent: str
    kind: str
    short: tuple[str, ...]


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    codes: tuple[str, ...]
    short: bool  # a short form (湖南, 黄石) rather than a full name


class _Index:
    """Names → unit codes, scanned longest-first from each position (first-character index)."""

    def __init__(
        self,
        names: dict[str, set[str]],
        shorts: set[str],
        restricted: set[str] | None = None,
        low: set[str] | None = None,
    ) -> None:
        self.names = {n: tuple(sorted(c)) for n, c in names.items()}
        self.shorts = shorts & set(names)
        # County-level short forms (沅陵, 开平): only at the very start or right after a
        # province / city (莆田荔城…), never before a township word (镇海街道 is a street
        # office, not 镇海区) and never after a county-level name (counties hold no counties).
        self.restricted = restricted or set()
        self.low = low or set()  # names whose units are all county level
        lengths: dict[str, set[int]] = defaultdict(set)
        for n in self.names:
            lengths[n[0]].add(len(n))
        self.first = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}

    def scan(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        names, first, restricted, shorts = self.names, self.first, self.restricted, self.shorts
        i, n = 0, len(text)
        while i < n:
            lens = first.get(text[i])
            if lens:
                for length in lens:
                    cand = text[i : i + length]
                    codes = names.get(cand)
                    if codes is None:
                        continue
                    if cand in restricted and not self._restricted_ok(text, i, length, hits):
                        continue
                    hits.append(_Hit(i, i + length, codes, cand in shorts))
                    i += length
                    break
                else:
                    i += 1
            else:
                i += 1
        return hits

    def _restricted_ok(self, text: str, i: int, length: int, hits: list[_Hit]) -> bool:
        if text[i + length : i + length + 1] in _TOWNSHIP_START:
            return False
        if i == 0:
            return True
        prev = hits[-1] if hits else None
        return prev is not None and prev.end == i and text[prev.start : prev.end] not in self.low


class _Gazetteer:
    """The division tree plus the name indexes for running text and for organisation names."""

    def __init__(self, path: Path = _TSV) -> None:
        self.units: dict[str, _Unit] = {}
        text_names: dict[str, set[str]] = defaultdict(set)
        org_names: dict[str, set[str]] = defaultdict(set)
        county_shorts: set[str] = set()
        shorts: set[str] = set()
        rows = path.read_text(encoding="utf-8").splitlines()[1:]
        for row in rows:
            code, name, parent, kind, aliases, short = row.split("\t")
            unit = _Unit(code, name, parent, kind, tuple(s for s in short.split(",") if s))
            self.units[code] = unit
            full = [name, *(a for a in aliases.split(",") if a)]
            for nm in full:
                org_names[nm].add(code)
                if kind in _COUNTY_KINDS and (nm in _GENERIC_NAMES or len(nm) <= 2):
                    continue  # only with its city in front, added below
                text_names[nm].add(code)
            for s in unit.short:
                org_names[s].add(code)
                shorts.add(s)
                if kind in _COUNTY_KINDS:
                    county_shorts.add(s)
                else:
                    text_names[s].add(code)
        # 汕尾市城区 / 益阳市南县 / 益阳南县: the only way such names count in running text.
        for unit in self.units.values():
            if unit.kind in _COUNTY_KINDS and (unit.name in _GENERIC_NAMES or len(unit.name) <= 2):
                parent = self.units[unit.parent]
                for prefix in (parent.name, *parent.short):
                    text_names[prefix + unit.name].add(unit.code)
                    org_names[prefix + unit.name].add(unit.code)
        self.text_index = _Index(text_names, shorts)
        low = {
            n
            for n, codes in org_names.items()
            if all(self.units[c].kind in _COUNTY_KINDS for c in codes)
        }
        self.org_index = _Index(
            org_names, shorts, restricted=county_shorts - set(text_names), low=low
        )
        self.children: dict[str, list[str]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent:
                self.children[unit.parent].append(unit.code)
        self.short_of = {u.name: u.short[0] for u in self.units.values() if u.short}
        self.full_names: dict[str, tuple[str, ...]] = {}
        for row in rows:
            code, name, _parent, _kind, aliases, _short = row.split("\t")
            self.full_names[code] = (name, *(a for a in aliases.split(",") if a))

    def ancestors(self, code: str) -> list[str]:
        """Codes above ``code``, nearest first."""
        out = []
        parent = self.units[code].parent
        while parent:
            out.append(parent)
            parent = self.units[parent].parent
        return out

    def match(self, code: str | None, level: str | None) -> RegionMatch:
        """The RegionMatch for a unit (fields above it filled from the tree)."""
        if code is None:
            return RegionMatch(None, None, None, level)
        chain = [code, *self.ancestors(code)]
        province = city = county = None
        for c in chain:
            unit = self.units[c]
            if unit.kind in ("province", "municipality"):
                province = unit.name
                if unit.kind == "municipality":
                    city = unit.name
            elif unit.kind == "city":
                city = unit.name
            else:
                county = unit.name
        return RegionMatch(province, city, county, level)


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    """Loaded on first use and kept: parsing the table and building indexes takes ~20 ms."""
    return _Gazetteer()


class _Evidence:
    """Mention counts of units in a report text: own mentions and mentions including subunits.

    A mention opening a document title (《随州市2020年法治政府建设工作要点》) or followed by a
    department (长治市交通运输局) is how a report names its own place, so it counts double;
    followed by the organisation's own department ("汕尾市应急管理局" in a report by
    "市应急管理局") it counts four times over.
    """

    def __init__(self, gaz: _Gazetteer, text: str, dept: str | None = None) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.agg: dict[str, float] = defaultdict(float)
        for hit in gaz.text_index.scan(text):
            if hit.short and text[hit.end : hit.end + 1] in _NOT_AFTER_SHORT:
                continue  # 黄石镇, 中山路: a town or street named like the city
            weight = 1.0
            if hit.start and text[hit.start - 1] == "《":
                weight += 1
            if dept and text.startswith(dept, hit.end):
                weight += 3
            elif _DEPT_AFTER.match(text, hit.end):
                weight += 1
            weight /= len(hit.codes)  # an ambiguous name is split between its units
            for code in hit.codes:
                self.own[code] += weight
                self.agg[code] += weight
                for anc in gaz.ancestors(code):
                    self.agg[anc] += weight

    def support(self, gaz: _Gazetteer, code: str) -> float:
        """How much the text backs ``code`` through its ancestors (its own name is shared)."""
        return sum(self.agg[a] for a in gaz.ancestors(code))


def _clear_winner(scores: dict[str, float]) -> str | None:
    """The top-scoring key if it is well ahead of the rest, else None (be conservative)."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] < _MIN_MENTIONS:
        return None
    if len(ranked) > 1 and ranked[0][1] < _MIN_RATIO * ranked[1][1]:
        return None
    return ranked[0][0]


def _merge_homonyms(gaz: _Gazetteer, ev: _Evidence, scores: dict[str, float]) -> dict[str, float]:
    """Units sharing a name (several 鼓楼区) split that name's mentions; give them all to the
    one whose ancestors the text backs clearly, so it can win. Unclear → left split."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for code in scores:
        by_name[gaz.units[code].name].append(code)
    merged = dict(scores)
    for codes in by_name.values():
        if len(codes) < 2:
            continue
        ranked = sorted(codes, key=lambda c: ev.support(gaz, c), reverse=True)
        best, runner_up = ev.support(gaz, ranked[0]), ev.support(gaz, ranked[1])
        if best > 0 and best >= runner_up + 1:
            merged[ranked[0]] = sum(scores[c] for c in codes)
            for c in ranked[1:]:
                del merged[c]
    return merged


def _normalise(org: str) -> str:
    return re.sub(r"\s+", "", org).replace("（", "(").replace("）", ")")


def _org_level_word(org: str) -> str | None:
    """市 for 市应急管理局, 省 for 省人防办 or 应急管理厅, None when nothing says."""
    m = _LEVEL_WORD.match(org)
    if m:
        return m.group(1)
    if re.search(r"厅(?:$|[(（党])", org):
        return "省"
    return None


def _named_org_in_head(gaz: _Gazetteer, text: str) -> str | None:
    """An organisation that opens a line or the first sentence: "沅陵县应急管理局2024年…",
    "2022年，岳阳市国动办深入贯彻…". Only taken when it starts with a place name."""
    head = text[:300]
    starts = [0, *(m.end() for m in re.finditer(r"\n", head))]
    starts += [m.end() for m in re.finditer(r"20\d\d年(?:度|以来)?[，,]", head)]
    for start in sorted(set(starts)):
        m = _ORG_PHRASE.match(head, start)
        if m:
            hits = gaz.org_index.scan(m.group(1))
            if hits and hits[0].start == 0:
                return m.group(1)
    return None


def _subject_of(text: str) -> tuple[str | None, str | None]:
    """(level word, department) of the report's author from its first lines, if stated."""
    head = text[:300]
    m = _SUBJECT.search(head)
    if m:
        return m.group(1), m.group(2)
    m = _OWN_GOVERNMENT.search(head)
    if m:
        return m.group(1), None
    if "我厅" in head:  # only provincial departments are 厅
        return "省", None
    return None, None


def _is_township(rest: str) -> bool:
    return bool(rest) and _TOWNSHIP.match(rest) is not None


def _resolve_from_org(gaz: _Gazetteer, org: str, hits: list[_Hit], text: str) -> RegionMatch:
    """The organisation's own unit is the last place it names; earlier ones constrain it."""
    last = hits[-1]
    cands = list(last.codes)
    for earlier in hits[:-1]:
        allowed = set(earlier.codes)
        kept = [c for c in cands if c in allowed or allowed & set(gaz.ancestors(c))]
        if kept:
            cands = kept
    rest = org[last.end :]
    if len(cands) > 1 and text:
        ev = _Evidence(gaz, text)
        scores = sorted(((ev.support(gaz, c), c) for c in cands), reverse=True)
        if scores[0][0] > 0 and scores[0][0] >= scores[1][0] + 1:
            cands = [scores[0][1]]
    if len(cands) == 1:
        code = cands[0]
        level = "乡镇" if _is_township(rest) else _LEVEL_OF_KIND[gaz.units[code].kind]
        return gaz.match(code, level)
    return _shared_fields(gaz, cands, "乡镇" if _is_township(rest) else None)


def _shared_fields(gaz: _Gazetteer, cands: list[str], level: str | None) -> RegionMatch:
    """Fields on which all remaining candidates agree (e.g. the county name, not its city)."""
    matches = [gaz.match(c, level or _LEVEL_OF_KIND[gaz.units[c].kind]) for c in cands]

    def same(field: str) -> str | None:
        values = {getattr(m, field) for m in matches}
        return values.pop() if len(values) == 1 else None

    return RegionMatch(same("province"), same("city"), same("county"), same("level"))


def _resolve_from_text(
    gaz: _Gazetteer, word: str | None, dept: str | None, text: str, township: bool
) -> RegionMatch:
    """No place in the organisation: the text's clear favourite of the right kind, if any."""
    level = "乡镇" if township else _LEVEL_WORD_LEVEL.get(word or "")
    if not text:
        return RegionMatch(None, None, None, level)
    ev = _Evidence(gaz, text, dept)
    kinds = _COUNTY_KINDS if township else _LEVEL_WORD_KINDS.get(word or "", ())
    if kinds:
        scores = {c: ev.own[c] for c in ev.own if gaz.units[c].kind in kinds}
        winner = _clear_winner(_merge_homonyms(gaz, ev, scores))
        if winner:
            unit_level = level if township else _LEVEL_OF_KIND[gaz.units[winner].kind]
            return gaz.match(winner, unit_level)
    # Nothing at the organisation's own level: keep only the province / city the text names.
    province = _clear_winner(
        {c: ev.agg[c] for c in ev.agg if gaz.units[c].kind in ("province", "municipality")}
    )
    if province is None:
        return RegionMatch(None, None, None, level)
    if gaz.units[province].kind == "municipality":
        # A municipality's 市应急管理局 is a provincial-level bureau.
        return gaz.match(province, "省" if word == "市" else level)
    if word in ("省", "自治区"):
        return gaz.match(province, level)
    city = _clear_winner(
        {c: ev.agg[c] for c in gaz.children[province] if gaz.units[c].kind == "city"}
    )
    return gaz.match(city or province, level)


# A branch of a department serving one county or district, named after the department:
# 深圳市交通运输局龙岗管理局, xx市生态环境局yy分局 (yy written short, as 龙岗 for 龙岗区).
_BRANCH = re.compile(
    rf"{ORG_SUFFIX}(?P<place>[\u4e00-\u9fff]{{2,5}}?)(?:分局|管理局|大队|中队|管理所)$"
)


def _branch_unit(gaz: _Gazetteer, org: str, match: RegionMatch) -> RegionMatch | None:
    """The county a branch serves, when its parent's region is known and has such a county."""
    m = _BRANCH.search(org)
    if not m or not match.city or match.county:
        return None
    place = m.group("place")
    city = next((c for c, u in gaz.units.items() if u.name == match.city), None)
    for code in gaz.children.get(city or "", []):
        unit = gaz.units[code]
        if unit.name == place or place in unit.short:
            return gaz.match(code, _LEVEL_OF_KIND[unit.kind])
    return None


def resolve_region(org: str | None, text: str = "") -> RegionMatch:
    """Province, city, county and level of the organisation ``org``, helped by ``text``.

    Never raises on odd input; unknown or unclear parts come back as None.
    """
    match = _resolve(org, text or "")
    if org:
        return _branch_unit(_gazetteer(), _normalise(org), match) or match
    return match


def _resolve(org: str | None, text: str) -> RegionMatch:
    gaz = _gazetteer()
    if org:
        org_n = _normalise(org)
        hits = gaz.org_index.scan(org_n)
        if hits:
            return _resolve_from_org(gaz, org_n, hits, text)
        word = _org_level_word(org_n)
        dept = org_n[len(word) :] if word and org_n.startswith(word) else None
        return _resolve_from_text(gaz, word, dept, text, _is_township(org_n))
    named = _named_org_in_head(gaz, text)
    if named:
        return _resolve(named, text)
    word, dept = _subject_of(text)
    return _resolve_from_text(gaz, word, dept, text, False)


def place_in(name: str) -> str | None:
    """The last place an organisation's name names, as written (荔城区 in 莆田市荔城区应急管理局);
    None for a name without a place (市应急管理局, 局党组)."""
    name = _normalise(name)
    hits = _gazetteer().org_index.scan(name)
    return name[hits[-1].start : hits[-1].end] if hits else None


def place_starts(text: str) -> list[int]:
    """Offsets where a place the gazetteer knows is named in running text (where an
    organisation's full name may begin)."""
    return [hit.start for hit in _gazetteer().text_index.scan(text)]


@dataclass(frozen=True)
class UrlPick:
    """The region a source URL names, as chosen by the report text, and how sure that is."""

    code: str
    match: RegionMatch
    confidence: str  # "medium": the text names it or the spelling is unmistakable; else "low"


def _mentions(gaz: _Gazetteer, code: str, text: str) -> tuple[int, int]:
    """(full-name mentions, short-form-only mentions) of a unit in the text."""
    unit = gaz.units[code]
    fulls = [n for n in gaz.full_names.get(code, (unit.name,)) if len(n) >= 2]
    full = sum(text.count(n) for n in fulls)
    short = 0
    for s in unit.short:
        if len(s) >= 2:
            short += text.count(s) - sum(text.count(n) for n in fulls if n.startswith(s))
    return full, max(short, 0)


def pick_url_region(
    evidence: Any, text: str, known: RegionMatch, level_word: str | None
) -> UrlPick | None:
    """Choose among a URL's candidate regions (kb.ingest.domains.UrlEvidence) with the text.

    Candidates that contradict what the text already settled (another province or city) are
    dropped. The one the text names most often wins (full names before short forms: 东安县 in
    the text beats 东安区); failing that, the only one of the level the organisation's name
    gives (市应急管理局 → a city, not 朝阳县); failing that, the only candidate. Candidates from
    a mirror site's path (/shanwei/) count only when the text names them.
    """
    gaz = _gazetteer()
    cands = [c for c in evidence.candidates if c.code in gaz.units]
    specific = [c for c in cands if c.specific]
    cands = specific or cands

    def consistent(code: str) -> bool:
        m = gaz.match(code, None)
        return not (
            (known.province and m.province != known.province)
            or (known.city and m.city and m.city != known.city)
            or (known.county and m.county != known.county)
        )

    cands = [c for c in cands if consistent(c.code)]
    scores = {c.code: _mentions(gaz, c.code, text) for c in cands}
    unconfirmed_ok = evidence.gov
    cands = [c for c in cands if (unconfirmed_ok and c.where == "host") or any(scores[c.code])]
    if not cands:
        return None
    codes = list(dict.fromkeys(c.code for c in cands))
    how = {c.code: c.how for c in cands}
    ranked = sorted(codes, key=lambda c: scores[c], reverse=True)
    pick, confidence = None, "low"
    if any(scores[ranked[0]]) and (len(ranked) == 1 or scores[ranked[0]] > scores[ranked[1]]):
        pick, confidence = ranked[0], "medium"
    elif level_word and not any(scores[ranked[0]]):
        kinds = _LEVEL_WORD_KINDS.get(level_word, ())
        same = [c for c in codes if gaz.units[c].kind in kinds]
        if len(same) == 1:
            pick = same[0]
    elif len(codes) == 1:
        pick = codes[0]
        confidence = "medium" if how[pick] in ("f", "n", "b") else "low"
    if pick is None:
        return None
    kind = gaz.units[pick].kind
    level = _LEVEL_OF_KIND[kind]
    if level_word == "市" and kind == "municipality":
        level = "省"
    return UrlPick(pick, gaz.match(pick, level), confidence)


def province_short(name: str) -> str:
    """湖南省 → 湖南, 广西壮族自治区 → 广西, 重庆市 → 重庆; other input comes back stripped.

    Used to match user filters such as ``--province 湖南`` against stored full names.
    """
    name = (name or "").strip()
    short = _gazetteer().short_of.get(name)
    if short:
        return short
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
