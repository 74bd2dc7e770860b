"""What a report's source URL says about where it comes from: regions a host label can spell.

Government portals name their government in the host: ``www.sx.gov.cn`` is 绍兴,
``www.tjjh.gov.cn`` 天津 静海, ``yjj.cq.gov.cn`` the 重庆 emergency bureau (``yjj`` = 应急局).
``data/domains.tsv`` (generated offline by ``scripts/build_domains.py`` from the gazetteer with
pypinyin) lists, for every label, every region whose name it can spell: full pinyin of the
stem (zhengzhou), its initials (zz, with zh/ch/sh kept too), and the stem with its level word
(qinghexian, gyx). Portals also prefix an ancestor's initials (tj+jh, hb+daye, jx+cr); those
labels are not stored but found here by splitting the label into an ancestor's initials and a
spelling of one of its descendants, which keeps the table small.

A label is evidence, never a decision: ``sx`` fits 绍兴, 山西, 陕西 and a dozen counties, and a
mirror site's domain (sd-xs.com) means nothing. :func:`url_evidence` returns all candidates with
how they were spelt; the caller lets the report text choose (see kb.ingest.metadata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

_DATA = Path(__file__).resolve().parent / "data"

# The public suffixes a government or mirror host ends with, longest first.
_PUBLIC_SUFFIXES = (".gov.cn", ".com.cn", ".net.cn", ".org.cn", ".cn", ".com", ".net", ".org")
# A portal sometimes appends 政府 (zf) or gov to the place: www.hfzf.gov.cn = 横峰 (政府).
_LABEL_TAILS = ("zf", "gov")
# Rule letters (see scripts/build_domains.py), from the most to the least telling spelling.
# Full pinyin of a name is hard to hit by chance; two-letter initials fit many places.
_STRONG_RULES = frozenset("fnb")


@dataclass(frozen=True)
class Candidate:
    code: str  # gazetteer code
    how: str  # rule letter: f, i, n, m (own spelling), a, b, c (after an ancestor's initials)
    where: str  # "host" or "path"
    specific: bool = False  # below the host's place, named by a label or segment to its left


@dataclass
class UrlEvidence:
    """What a URL says: candidate regions (most specific label first) and a department hint."""

    url: str
    gov: bool  # the host is under gov.cn (a mirror's domain rarely means anything)
    candidates: list[Candidate] = field(default_factory=list)
    dept_kind: str | None = None  # from a department label (yjj → 应急管理)
    dept_name: str | None = None  # the full name a label spells (zgj → 自然资源和规划局)

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(c.code for c in self.candidates))


class DomainTable:
    """Label → candidate regions, with ancestor-prefixed labels resolved by splitting."""

    def __init__(
        self,
        own: dict[str, dict[str, str]],
        parent: dict[str, str],
        kind: dict[str, str],
        depts: dict[str, str],
        dept_names: dict[str, str] | None = None,
    ) -> None:
        self.own = own  # label -> {code: rule letter}, the regions' own spellings
        self.parent = parent  # code -> parent code ("" for provinces)
        self.kind = kind  # code -> gazetteer kind
        self.depts = depts  # label -> dept kind ("-" for portal services)
        self.dept_names = dept_names or {}  # label -> the department's full name, if it spells one

    def ancestors(self, code: str) -> list[str]:
        """The parent and, when the parent is a prefecture, the province above it."""
        out = []
        parent = self.parent.get(code, "")
        if parent:
            out.append(parent)
            grand = self.parent.get(parent, "")
            if grand:
                out.append(grand)
        return out

    def lookup(self, label: str) -> dict[str, str]:
        """{code: rule letter} of every region ``label`` can spell."""
        found = dict(self.own.get(label, {}))
        for cut in range(2, len(label) - 1):
            prefix, rest = label[:cut], label[cut:]
            heads = {c for c, how in self.own.get(prefix, {}).items() if how == "i"}
            if not heads:
                continue
            for code, how in self.own.get(rest, {}).items():
                ancestors = self.ancestors(code)
                if how == "m" and ancestors[:1] and ancestors[0] in heads:
                    found.setdefault(code, "c")
                elif how in ("i", "f") and heads & set(ancestors):
                    found.setdefault(code, "a" if how == "i" else "b")
        return found

    def place_lookup(self, label: str) -> dict[str, str]:
        """Like lookup, also without a 政府/gov tail (hfzf = 横峰); department labels: {}."""
        if label in self.depts:
            return {}
        found = self.lookup(label)
        if not found:
            for tail in _LABEL_TAILS:
                if label.endswith(tail) and len(label) > len(tail) + 1:
                    found = self.lookup(label[: -len(tail)])
                    break
        return found

    def dept_label(self, label: str) -> str | None:
        """The department label a host label or path segment is or ends with (yjj; jmsjtysj =
        江门市 + jtysj), None for places and portal services."""
        kind = self.depts.get(label)
        if kind:
            return None if kind == "-" else label
        for dept_label, kind in self.depts.items():
            if kind != "-" and len(dept_label) >= 3 and label.endswith(dept_label):
                return dept_label
        return None

    def path_places(self, segment: str) -> dict[str, str]:
        """Regions named by a path segment: a place label, or place + 市/县/区 letter + dept
        label (jmsjtysj = jm 江门 + s 市 + jtysj 交通运输局; hsszrzyj = 鹤山 + 市 + 自然资源局)."""
        found = self.place_lookup(segment)
        if found:
            return found
        for dept_label, kind in self.depts.items():
            if kind == "-" or len(dept_label) < 3 or not segment.endswith(dept_label):
                continue
            place = segment[: -len(dept_label)]
            for stem in (place, place[:-1] if place[-1:] in "sxq" else ""):
                if len(stem) >= 2:
                    found.update(self.place_lookup(stem))
        return found


def _host_labels(host: str) -> tuple[list[str], bool]:
    """Labels of a host left of its public suffix, nearest the suffix last; and gov.cn-ness."""
    for suffix in _PUBLIC_SUFFIXES:
        if host.endswith(suffix):
            rest = host[: -len(suffix)]
            return [lab for lab in rest.split(".") if lab], suffix == ".gov.cn"
    return [], False


def _segments(path: str) -> list[str]:
    """Lower-case alphabetic path segments (dates, ids and file names left out)."""
    out = []
    for seg in unquote(path).lower().split("/"):
        seg = seg.split(".")[0]
        if 2 <= len(seg) <= 20 and re.fullmatch(r"[a-z]+", seg):
            out.append(seg)
    return out


def url_evidence(url: str | None, table: DomainTable | None = None) -> UrlEvidence | None:
    """Candidate regions and a department hint from ``url``; None for a missing or odd URL.

    The place label is the first one, from the public suffix leftwards, that spells a region
    (yjj.cq.gov.cn → cq); labels left of it are department or service labels (yjj) or a place
    below it (jxx.nc.gov.cn = 进贤县 of 南昌), which narrows the candidates, and so may a path
    segment (ghzrzyj.cq.gov.cn/zz/yzq/ = 渝中区 of 重庆). Outside gov.cn only spellings that
    are hard to hit by chance count (full pinyin, or 5+ letters: qhgem.cn = 青海 格尔木): a
    mirror's domain (sd-xs.com) means nothing. A host that names no place may still carry one
    in a path segment (/shanwei/, /jmsjtysj/ = 江门市交通运输局); such candidates are marked
    ``where="path"`` and the caller must find them confirmed by the text.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https", ""):
        return None
    table = table or domain_table()
    labels, gov = _host_labels(host)
    ev = UrlEvidence(url, gov)
    place: dict[str, str] = {}
    below: dict[str, str] = {}
    below_where = "host"
    dept_labels = []
    for label in reversed(labels):
        dept_labels.append(table.dept_label(label))
        found = table.place_lookup(label)
        if not gov:
            found = {c: h for c, h in found.items() if h in _STRONG_RULES or len(label) >= 5}
        if not place:
            place = found
        elif found:
            below = _under(table, found, place) or below
    segments = _segments(parts.path)
    dept_labels += [table.dept_label(seg) for seg in segments]
    dept = next((d for d in dept_labels if d), None)
    if dept:
        ev.dept_kind, ev.dept_name = table.depts[dept], table.dept_names.get(dept)
    if place and not below:
        for seg in segments:
            below = _under(table, table.path_places(seg), place)
            if below:
                below_where = "path"
                break
    ev.candidates += [Candidate(c, h, below_where, True) for c, h in below.items()]
    ev.candidates += [Candidate(c, h, "host") for c, h in place.items()]
    if not place:
        for seg in segments:
            found = table.path_places(seg)
            found = {c: h for c, h in found.items() if h in _STRONG_RULES or len(seg) >= 6}
            ev.candidates += [Candidate(c, h, "path") for c, h in found.items()]
    return ev


def _under(table: DomainTable, found: dict[str, str], above: dict[str, str]) -> dict[str, str]:
    """The regions of ``found`` that lie below one of ``above``."""
    return {c: h for c, h in found.items() if set(table.ancestors(c)) & above.keys()}


def load_table(domains: Path, depts: Path, units: dict[str, tuple[str, str]]) -> DomainTable:
    """Read the two TSV files; ``units`` is code -> (parent code, kind) from the gazetteer."""
    own: dict[str, dict[str, str]] = {}
    for line in domains.read_text(encoding="utf-8").splitlines()[1:]:
        label, cands = line.split("\t")
        own[label] = {c[:-1]: c[-1] for c in cands.split(",")}
    dept_map, dept_names = {}, {}
    for line in depts.read_text(encoding="utf-8").splitlines()[1:]:
        label, kind, name, _meaning = line.split("\t")
        dept_map[label] = kind
        if name:
            dept_names[label] = name
    parent = {code: p for code, (p, _k) in units.items()}
    kind = {code: k for code, (_p, k) in units.items()}
    return DomainTable(own, parent, kind, dept_map, dept_names)


@lru_cache(maxsize=1)
def domain_table() -> DomainTable:
    """The shipped table, loaded on first use (~30 ms) and kept."""
    units = {}
    for row in (_DATA / "regions.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        code, _name, parent, kind, _aliases, _short = row.split("\t")
        units[code] = (parent, kind)
    return load_table(_DATA / "domains.tsv", _DATA / "domain_depts.tsv", units)
