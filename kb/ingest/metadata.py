"""Extract report metadata: title, organisation, year, dates, document number, place.

Every field records where it came from (``ReportMeta.provenance``) and how sure kb is
(``ReportMeta.confidence``: high, medium, low), because a citation goes into official documents
and a wrong issuer is worse than none. Sources, strongest first:

* ``sidecar`` — ``NAME.EXT.meta.json`` next to the report (applied by the caller);
* ``header``  — the page's own metadata: portal header fields (发文机关, 发布机构, 来源, 发布日期,
  文号) and the container's (HTML ``<meta>``, DOCX properties);
* ``text``    — the title and its byline, the body's first sentence, the sign-off, the
  organisation's own documents cited in the text (《宁国市应急管理局行政执法……制度》);
* ``derived`` — worked out from other fields: the region from the organisation's name and the
  places the text names, a bare 市应急管理局 completed with that city's name;
* ``url``     — the source URL's domain (kb.ingest.domains), only where the text leaves a
  field open, and chosen among its candidates by the text.

Nothing is invented: a field nothing supports stays None (the UI shows （发文机关未识别）), and
a title is never composed from the organisation and the year.

The *year* is the year the report is about, not when it was published: a report on 2024
published in April 2025 has year 2024.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from kb.core.models import ReportMeta
from kb.ingest.departments import (
    canonical_name,
    department_kind,
    expand_abbreviation,
    kind_from_head,
    kind_from_keywords,
)
from kb.ingest.domains import url_evidence
from kb.ingest.layout import Layout, header_fields
from kb.ingest.orgs import SELF_REFERENCE, is_org_name, org_prefix
from kb.ingest.regions import (
    RegionMatch,
    UrlPick,
    pick_url_region,
    place_in,
    place_starts,
    resolve_region,
)
from kb.ingest.titles import byline_orgs, find_title

HIGH, MEDIUM, LOW = "high", "medium", "low"
# Places and departments are read from the report's head: a report names its own place long
# before this, and scanning a 12 MB text for place names would take seconds for nothing.
META_TEXT_CHARS = 30_000

_YEAR = re.compile(r"(20\d\d)\s*年")
# A paragraph opening with the year ("2023年，我局……"), possibly after a heading line.
_YEAR_LINE = re.compile(r"^(20\d\d)\s*年(?:度|以来)?[，,]", re.M)
# "现将我局2024年度法治政府建设工作开展情况报告如下：", often the last line before the body.
_AS_FOLLOWS = re.compile(r"现将[^。\n]{0,20}?(20\d\d)\s*年度?[^。\n]{0,30}?(?:报告|汇报)如下")
_DATE = re.compile(r"(20\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_CN_DATE_DIGITS = dict(zip("〇○零O0一二三四五六七八九", "00000123456789", strict=True))
_DOC_NUMBER = re.compile(
    r"(?P<agency>[\u4e00-\u9fff]{1,12})\s*[〔\[【（(]\s*(?P<year>20\d\d)\s*[〕\]】）)]\s*(?P<n>\d{1,4})\s*号"
)
# The opening of the body before its subject: the year, then any 在……下 clauses (an
# organisation after 在 is the supervisor, not the author).
_OPENING = re.compile(
    r"^(?:(?:20\d\d\s*年(?:度|以来)?|今年以来|本年度|[^，。\n]{0,12}以来)[，,]?\s*)?"
    r"(?:(?:根据|按照|依据|为)[^。\n]{2,240}?[，,]\s*)?"
    r"(?:在[^。\n]{2,80}?(?:下|中|里)[，,]\s*)*"
)
# A report's host site written in its header ("沅陵县人民政府门户网站 www.yuanling.gov.cn").
_HOST = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+gov\.cn)\b", re.I)
# A bare level + department: 市应急管理局, 区应急局, 州生态环境局, 省人防办.
_BARE = re.compile(r"^(中共)?(自治区|省|市|州|盟|县|旗|区)(?!委|政府)")
# Where the text cites the organisation's own documents: at the start of a 《》 title.
_OWN_DOCUMENT = re.compile(r"《([\u4e00-\u9fff（）()]{3,40})")


def _iso_date(s: str) -> str | None:
    s = "".join(_CN_DATE_DIGITS.get(ch, ch) for ch in s)
    s = s.replace("十", "1")  # 二〇二五年四月十六日 is rare; good enough for 十 → 1x
    m = _DATE.search(s)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def find_doc_number(front: list[str], fields: dict[str, str] | None = None) -> str | None:
    """文号 from the front matter only: numbers cited in the body are other documents."""
    candidates = [fields["文号"]] if fields and fields.get("文号") else []
    candidates += [ln.strip() for ln in front]
    for c in candidates:
        d = _DOC_NUMBER.search(c)
        if d and "《" not in c[: d.start()]:
            return f"{d.group('agency')}〔{d.group('year')}〕{d.group('n')}号"
    return None


def _title_parenthetical_date(front: list[str]) -> str | None:
    for ln in front:
        m = re.search(r"[（(]\s*(20\d\d\s*年[^）)]{2,8}日)\s*[）)]", ln)
        if m:
            return _iso_date(m.group(1))
    return None


def find_year(
    title: str | None, body_head: str, pub_date: str | None, front_tail: str = ""
) -> tuple[int | None, str]:
    """The year the report is about, and the confidence (title: high, body: medium)."""
    if title:
        years = [int(y) for y in _YEAR.findall(title)]
        if years:
            return min(years), HIGH
    m = re.match(r"^(?:20\d\d\s*年(?:度|以来)?)", body_head)
    if m:
        return int(m.group(0)[:4]), MEDIUM
    m = _YEAR_LINE.search(body_head[:300])
    if m:
        return int(m.group(1)), MEDIUM
    m = _AS_FOLLOWS.search(front_tail + "\n" + body_head[:600])
    if m:
        return int(m.group(1)), MEDIUM
    m = re.search(
        r"(20\d\d)\s*年度?(?:推进|我局|全局|本局)?(?:法治政府建设|法治建设|依法行政|工作)",
        body_head[:600],
    )
    if m:
        return int(m.group(1)), MEDIUM
    if pub_date and re.search(r"今年以来|本年度", body_head[:200]):
        return int(pub_date[:4]), LOW
    if pub_date and re.search(r"上一?年度|上年", body_head[:600]):
        return int(pub_date[:4]) - 1, LOW
    # Last resort: the year the body speaks of most ("2024年法律顾问审核……"), ranges such as
    # （2021-2025年） left out, not later than publication.
    years = Counter(
        int(m.group(1))
        for m in re.finditer(r"(?<![\d\-—–至])(20\d\d)\s*年(?!\s*[-—–至])", body_head)
        if not pub_date or int(m.group(1)) <= int(pub_date[:4])
    )
    if years:
        (top, n), *rest = years.most_common()
        if not rest or n > rest[0][1]:
            return top, LOW
    return None, LOW


def subject_org(body_head: str) -> str | None:
    """The organisation that opens the body as its subject ("2021年，市应急管理局坚持……",
    "2023年，在市委……领导下，许昌市生态环境局全面……"), cut at a recognised suffix."""
    for line in body_head.split("\n")[:3]:
        rest = line[_OPENING.match(line).end() :]  # type: ignore[union-attr]
        org = org_prefix(rest)
        if org:
            return org
        if rest.startswith("我"):
            return None
    return None


def _own_mentions(
    text: str, kind: str | None, ref: str | None, pick: UrlPick | None, level: str | None = None
) -> list[str]:
    """Organisation names the text uses for its own author, most frequent first: of the
    report's department kind, naming a place (the URL's, when it names one), of the report's
    own level when the text says it (县委、县政府 → a county's bureau, not 永州市应急管理局),
    ending like the report's self-reference (我局 → …局), and not in a supervisor's role
    (在/根据/按照 … 的指导, 《……关于印发……的通知》)."""
    if not kind:
        return []
    found: Counter[str] = Counter()
    for start in place_starts(text):
        if text[max(0, start - 4) : start].endswith(_SUPERVISOR_CUES):
            continue
        name = org_prefix(text[start : start + 40])
        if not name or _BARE.match(name) or department_kind(name) != kind:
            continue
        if text.startswith("关于", start + len(name)) or text.startswith("的", start + len(name)):
            continue
        if ref and not re.sub(r"[（(].*$", "", name).endswith(_REF_ENDINGS.get(ref, (ref,))):
            continue
        place = place_in(name)
        if place is None or (pick and not _same_place(place, pick)):
            continue
        if level and resolve_region(name).level not in (level, None):
            continue
        found[name] += 1
    ranked = sorted(found.items(), key=lambda kv: (kv[1], len(kv[0])), reverse=True)
    return [name for name, _n in ranked]


# Where a named organisation is someone else: 在市应急管理局的指导下, 根据, 按照, 配合, 向.
_SUPERVISOR_CUES = ("在", "根据", "按照", "依据", "配合", "向", "经", "报", "和", "、", "及")


def _same_place(place: str, pick: UrlPick) -> bool:
    """The place a name starts with is the URL's unit or one of its parents."""
    m = pick.match
    names = [n for n in (m.county, m.city, m.province) if n]
    return any(n.startswith(place) or place.startswith(n) for n in names)


# What a name ends with when the report calls its author 我局, 我厅, 我办, 我委.
_REF_ENDINGS = {
    "局": ("局",),
    "分局": ("分局",),
    "厅": ("厅",),
    "办": ("办", "办公室"),
    "委": ("委", "委员会"),
    "大队": ("大队",),
    "支队": ("支队",),
    "中心": ("中心",),
}


class _Builder:
    """Fills a ReportMeta field by field, recording source and confidence."""

    def __init__(self) -> None:
        self.meta = ReportMeta()

    def put(self, name: str, value: object, source: str, confidence: str) -> bool:
        if value in (None, "") or getattr(self.meta, name) not in (None, ""):
            return False
        setattr(self.meta, name, value)
        self.meta.provenance[name] = source
        self.meta.confidence[name] = confidence
        return True

    def replace(self, name: str, value: object, source: str, confidence: str) -> None:
        setattr(self.meta, name, value)
        self.meta.provenance[name] = source
        self.meta.confidence[name] = confidence


def _org_candidates(
    title: str | None,
    fields: dict[str, str],
    bylines: list[str],
    hints: dict[str, str],
    body_head: str,
    back: list[str],
) -> list[tuple[str, str, str]]:
    """(name, source, confidence) of every organisation the page names as its author, in order
    of trust: the title, 发文机关, a byline, then 发布机构/来源 (often the publisher, e.g. the
    司法局 that hosts the page), the container, the body's subject, the sign-off."""
    out: list[tuple[str, str, str]] = []

    def whole(value: str | None) -> str | None:
        value = re.sub(r"\s+", "", value or "")
        return value if value and org_prefix(value) == value else None

    if title:
        name = org_prefix(title)
        if name:
            out.append((name, "text", HIGH))
        elif _BARE.match(title):
            bare = re.match(r"^[\u4e00-\u9fff（）()]{2,20}?(?:局|厅|办公室|办|委员会|委)", title)
            if bare and is_org_name(bare.group(0)):
                out.append((bare.group(0), "text", HIGH))
    issuer = whole(fields.get("发文机关"))
    if issuer:
        out.append((issuer, "header", HIGH))
    out += [(b, "text", HIGH) for b in bylines]
    for value in (
        *(fields.get(k) for k in ("发布机构", "发布单位", "发文单位", "来源")),
        hints.get("org"),
    ):
        name = whole(value)
        if name:
            out.append((name, "header", MEDIUM))
    subject = subject_org(body_head)
    if subject:
        out.append((subject, "text", MEDIUM))
    out += [(ln.strip(), "text", MEDIUM) for ln in back if whole(ln)]
    return out


def _same_org(a: str, b: str) -> bool:
    """b names the same organisation as a, possibly more fully (莆田市荔城区应急管理局 ⊇
    荔城区应急管理局; 市应急管理局（市人防办） ~ 金华市应急管理局)."""
    strip = re.compile(r"[（(][^）)]*[）)]$")
    a, b = strip.sub("", a), strip.sub("", b)
    if b.endswith(a):
        return True
    m = _BARE.match(a)
    return bool(m) and b.endswith(a[m.end(2) :]) and len(b) > len(a)


def _choose_org(cands: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The most trusted candidate, in the fullest form another candidate writes it."""
    if not cands:
        return None
    best = cands[0]
    for cand in cands[1:]:
        if len(cand[0]) > len(best[0]) and _same_org(best[0], cand[0]) and not _BARE.match(cand[0]):
            best = (cand[0], cand[1], best[2])
    return best


def extract_metadata(
    text: str, layout: Layout, hints: dict[str, str], overrides: dict | None = None
) -> ReportMeta:
    """All metadata the text, container hints and source URL support; the rest stays None.

    ``overrides`` (from a sidecar file) win over anything found in the text; region, level,
    department kind and the completion of a bare organisation name are derived afterwards so
    that an overridden org or URL is taken into account.
    """
    b = _Builder()
    front = layout.front_lines
    fields = header_fields(front)
    body_head = text[layout.front_end : layout.front_end + 1500]

    title_match = find_title(front)
    b.put("title", title_match.title if title_match else None, "text", HIGH)
    b.put("title", (hints.get("title") or "").strip() or None, "header", MEDIUM)
    b.put("doc_number", find_doc_number(front, fields), "header", HIGH)
    b.put("doc_number", hints.get("doc_number"), "header", HIGH)
    for key in ("发布日期", "成文日期", "日期"):
        b.put("pub_date", _iso_date(fields.get(key, "")), "header", HIGH)
    b.put("pub_date", _iso_date(hints.get("pub_date", "")), "header", HIGH)
    b.put("pub_date", _title_parenthetical_date(front), "text", HIGH)
    b.put(
        "pub_date", next((d for d in map(_iso_date, layout.back_lines) if d), None), "text", MEDIUM
    )
    b.put("source_url", hints.get("source_url"), "header", HIGH)
    year, conf = find_year(b.meta.title, body_head, b.meta.pub_date, "\n".join(front[-2:]))
    b.put("year", year, "text", conf)
    bylines = byline_orgs(front, title_match)
    chosen = _choose_org(
        _org_candidates(b.meta.title, fields, bylines, hints, body_head, layout.back_lines)
    )
    if chosen:
        b.put("org", *chosen)
    for name, value in (overrides or {}).items():
        b.replace(name, value, "sidecar", HIGH)
    host = _HOST.search("\n".join(front))
    fill_derived(b.meta, text[:META_TEXT_CHARS], host.group(1) if host else None)
    return b.meta


def fill_derived(meta: ReportMeta, text: str, header_host: str | None = None) -> None:
    """Region, level, department kind; a bare or missing organisation completed where the text
    or the source URL says where (市应急管理局 → 汕尾市应急管理局; 我局 → 绍兴市生态环境局).

    A bare name that nothing completes (省交通运输厅 in a text that never names its province)
    is dropped: a citation must not name an issuer nobody can identify.
    """
    b = _Builder()
    b.meta = meta
    sidecar_org = meta.provenance.get("org") == "sidecar"
    region = resolve_region(meta.org, text)
    org_conf = meta.confidence.get("org", MEDIUM)
    place_conf = org_conf if meta.org and place_in(meta.org) else MEDIUM
    for name in ("province", "city", "county", "level"):
        b.put(name, getattr(region, name), "derived", place_conf)
    kind = department_kind(meta.org, text) if meta.org else None

    url = meta.source_url or (f"http://{header_host}/" if header_host else None)
    evidence = url_evidence(url)
    if not kind:
        kind = _kind_without_org(text, evidence.dept_kind if evidence else None)
    level_word = _level_word(meta.org)
    pick = None
    if evidence and evidence.candidates:
        pick = pick_url_region(evidence, text, _known(meta), level_word or meta.level)
    if pick and _needs_place(meta):
        _apply_url_pick(b, pick, bare=level_word is not None)

    if meta.org and not sidecar_org:
        if not _complete_bare_org(b):
            b.replace("org", None, "derived", LOW)
            del meta.provenance["org"], meta.confidence["org"]
    elif not meta.org:
        _name_unnamed_author(b, text, kind, evidence, pick)
    if meta.org and meta.provenance.get("org") in ("derived", "url"):
        # A composed name resolves the region itself (no text place to go on otherwise).
        region = resolve_region(meta.org, text)
        for name in ("province", "city", "county", "level"):
            b.put(name, getattr(region, name), meta.provenance["org"], meta.confidence["org"])
    if not meta.dept_kind:
        if meta.org:
            b.put("dept_kind", department_kind(meta.org, text), "derived", org_conf)
        elif kind:
            from_url = evidence is not None and evidence.dept_kind == kind
            b.put("dept_kind", kind, "url" if from_url else "text", MEDIUM if from_url else LOW)


def _kind_without_org(text: str, url_kind: str | None) -> str | None:
    """The department kind of a report that does not name its author: the opening first (its
    first sentence often does, 2021年，市应急管理局……), then the URL's department label, then
    the subject words that dominate the text."""
    return kind_from_head(text) or url_kind or kind_from_keywords(text)


def _needs_place(meta: ReportMeta) -> bool:
    """The report's own unit is not known yet: no county, and no city below province level, and
    not a provincial department whose province is known."""
    if meta.county or (meta.level == "省" and meta.province):
        return False
    return not (meta.city and meta.level not in (None, "县", "区", "乡镇"))


def _known(meta: ReportMeta) -> RegionMatch:
    return RegionMatch(meta.province, meta.city, meta.county, meta.level)


def _level_word(org: str | None) -> str | None:
    """The level word a bare organisation opens with (市 for 市应急管理局)."""
    if not org:
        return None
    m = _BARE.match(org)
    return m.group(2) if m else None


def _apply_url_pick(b: _Builder, pick: UrlPick, bare: bool) -> None:
    """Fill the place fields the text left open from the URL's region. The level a bare
    name's level word suggests (市 for 市交通运输局) gives way to the URL's: in haian.gov.cn,
    the 市 is 海安市, a county-level city (level 县)."""
    for name in ("province", "city", "county", "level"):
        value = getattr(pick.match, name)
        current = getattr(b.meta, name)
        if name == "level" and current and value and value != current:
            if bare and b.meta.provenance.get("level") == "derived":
                b.replace("level", value, "url", pick.confidence)
            continue
        if current in (None, ""):
            b.put(name, value, "url", pick.confidence)


def _complete_bare_org(b: _Builder) -> bool:
    """市应急管理局 → 汕尾市应急管理局 (the unit of that level the text or URL named), and a
    standard abbreviation written out (宁国市应急局 → 宁国市应急管理局). False when the name is
    bare and nothing says where."""
    meta = b.meta
    org = meta.org or ""
    m = _BARE.match(org)
    if m:
        word = m.group(2)
        unit = _unit_for_level_word(meta, word)
        if not unit:
            return False
        field = _UNIT_FIELD.get(word, "city")
        if word == "市" and unit == meta.county:
            field = "county"
        source = "url" if meta.provenance.get(field) == "url" else "derived"
        conf = LOW if source == "url" else MEDIUM
        org = (m.group(1) or "") + unit + org[m.end(2) :]
        b.replace("org", org, source, min(conf, meta.confidence.get("org", HIGH), key=_RANK.get))
    fuller = _fuller_form(org)
    if fuller != meta.org:
        b.replace("org", fuller, meta.provenance.get("org", "derived"), meta.confidence["org"])
    return True


_RANK = {HIGH: 2, MEDIUM: 1, LOW: 0}
_UNIT_FIELD = {"省": "province", "自治区": "province", "市": "city", "州": "city", "盟": "city",
               "县": "county", "旗": "county", "区": "county"}  # fmt: skip


def _unit_for_level_word(meta: ReportMeta, word: str) -> str | None:
    """The name that a bare level word stands for, from the resolved region."""
    if word in ("省", "自治区"):
        return meta.province
    if word == "市":
        if meta.level == "县" and meta.county and meta.county.endswith("市"):
            return meta.county  # 宁国市: a county-level city
        return meta.city
    if word in ("州", "盟"):
        return meta.city if meta.city and meta.city.endswith(("州", "盟")) else None
    if word == "区" and meta.county and meta.county.endswith("区"):
        return meta.county
    if word in ("县", "旗") and meta.county and meta.county.endswith(word):
        return meta.county
    return None


def _fuller_form(org: str) -> str:
    """A standard abbreviation written out (应急局 → 应急管理局, 国动办 → 国防动员办公室); a
    bracketed alias after the name is kept as written."""
    body = re.sub(r"[（(][^）)]*[）)]$", "", org)
    return expand_abbreviation(body) + org[len(body) :]


# How a report refers to its own bureau when it does not say 我局: 局党组, 全局, 本局, 厅党组.
_IMPLIED_REF = re.compile(r"(局|厅)(?:党组|党委|主要负责|领导班子)|全(局|厅)|本(局|厅)")
# A report by a branch (分局) that never writes its branch's name cannot be named.
_BRANCH_SELF = re.compile(r"(?:^|[，。；：\n])(?:我|本)?分局")


def _name_unnamed_author(
    b: _Builder, text: str, kind: str | None, evidence: Any, pick: UrlPick | None
) -> None:
    """An author the page never names as such (我局, 局党组): the name the text itself uses for
    it (《眉山市应急管理局权责清单》), else — when the source URL identifies the government —
    that unit's full name + the department's usual name (sx.gov.cn + 我局 + 生态环境 →
    绍兴市生态环境局)."""
    head = text[:1500]
    m = SELF_REFERENCE.search(head)
    ref = m.group(1) if m else None
    if ref is None and (m := _IMPLIED_REF.search(head)):
        ref = next(g for g in m.groups() if g)
    level = b.meta.level if b.meta.provenance.get("level") == "derived" else None
    named = _own_mentions(text, kind, ref, pick, level)
    if named:
        b.put("org", _fuller_form(named[0]), "text", MEDIUM)
        return
    if not (kind and ref and pick) or _BRANCH_SELF.search(head):
        return
    unit = pick.match.county or pick.match.city or pick.match.province
    if pick.match.level == "省":
        unit = pick.match.province
    name = canonical_name(kind, pick.match.level, ref, getattr(evidence, "dept_name", None))
    if unit and name:
        b.put("org", unit + name, "url", LOW)
