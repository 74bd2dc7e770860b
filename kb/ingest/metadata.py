"""Extract report metadata from the text: title, organisation, year, dates, document number.

Sources, strongest first: the sidecar file (applied by the caller), portal header fields
(发文机关：…, 发布时间：…), the container (HTML meta tags, DOCX properties), the title line(s),
the sign-off (organisation and date at the end), and the first sentence of the body
("2021年，市应急管理局坚持……"). Region and department kind are resolved from the
organisation and the text by :mod:`kb.ingest.regions` and :mod:`kb.ingest.departments`.

The *year* is the year the report is about, not when it was published: a report on 2024
published in April 2025 has year 2024.
"""

from __future__ import annotations

import re

from kb.core.models import ReportMeta
from kb.ingest.departments import department_kind
from kb.ingest.layout import HEADER_FIELD, Layout
from kb.ingest.orgs import ORG_SUFFIX
from kb.ingest.regions import resolve_region

# An alias in brackets may follow the org: 金华市应急管理局(人防办)关于2020年度……
_ORG_IN_TITLE = re.compile(
    rf"^(?P<org>[\u4e00-\u9fff（）()]{{2,40}}?{ORG_SUFFIX})(?:[（(][^）)]{{1,12}}[）)])?(?=关于|20\d\d|$)"
)
_ORG_LINE = re.compile(rf"^[\u4e00-\u9fff（）()]{{2,40}}{ORG_SUFFIX}$")
# "2023年，在市委……领导下，在市依法治市办……指导下，许昌市生态环境局……": every 在-clause is
# skipped (an org after 在 is the supervisor, not the author). Without a comma after the year
# "2024年法治政府建设……" must not yield the org 法治政府.
_ORG_SUBJECT = re.compile(
    rf"^(?:(?P<year>20\d\d)年(?:度|以来)?|今年以来)，?(?:在[^，。]{{2,60}}，)*"
    rf"(?:我局|(?!在|法治|依法)(?P<org>[\u4e00-\u9fff（）]{{2,40}}?{ORG_SUFFIX}))"
)
_TITLE_WORD = re.compile(r"法治|依法行政|报告|总结")
_TITLE_END = re.compile(r"(?:报告|总结|情况|工作)$")
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
_FIELD_VALUE = r"\s*[:：|]?\s*\|?\s*(?P<v>[^|\s]+)"
_ORG_FIELDS = re.compile(rf"(?:发文机关|发布机构|发布单位|发文单位|信息来源|来\s*源){_FIELD_VALUE}")
_DATE_FIELDS = [  # strongest first
    re.compile(rf"(?:发布时间|发布日期|公开日期){_FIELD_VALUE}"),
    re.compile(rf"(?:发文日期){_FIELD_VALUE}"),
    re.compile(rf"(?:成文日期){_FIELD_VALUE}"),
    re.compile(rf"(?:日期|时间){_FIELD_VALUE}"),
]
_DOCNUM_FIELD = re.compile(rf"(?:文\s*号|发文字号|文件编号){_FIELD_VALUE}")


def _clean_line(line: str) -> str:
    """Strip table pipes, bullets and decorations like 【2022年】 from a front-matter line."""
    line = line.strip().strip("|•·").strip()
    line = re.sub(r"^【[^】]{0,10}】", "", line)
    return re.sub(r"\s*[（(]\s*20\d\d\s*年[^）)]{0,8}[）)]\s*$", "", line).strip()


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


def _is_org(s: str) -> bool:
    return bool(_ORG_LINE.match(s))


def find_title(front: list[str]) -> str | None:
    """The report title, joined when the portal broke it over several lines."""
    lines = [_clean_line(ln) for ln in front]
    plain = [
        ln for ln in lines if ln and not HEADER_FIELD.search(ln[:12]) and not ln.endswith("：")
    ]
    for i, ln in enumerate(plain):
        if not _TITLE_WORD.search(ln) or _DOC_NUMBER.fullmatch(ln):
            continue
        title = ln
        j = i
        while not _TITLE_END.search(title) and j + 1 < len(plain) and j - i < 2:
            j += 1
            title += plain[j]
        # "郑州市应急管理局 / 关于2023年度……报告" is one title; "深圳市罗湖区人民政府 /
        # 罗湖区应急管理局2025年……报告" is a portal's site name above a complete title.
        if i > 0 and (
            plain[i - 1].endswith("关于") or (_is_org(plain[i - 1]) and not _ORG_IN_TITLE.match(ln))
        ):
            prev = plain[i - 1]
            if not title.startswith(prev.removesuffix("关于")):
                title = prev + title
        return title
    return None


def _find_dates(front_text: str) -> str | None:
    for rx in _DATE_FIELDS:
        for m in rx.finditer(front_text):
            iso = _iso_date(m.group("v"))
            if iso:
                return iso
    return None


def _title_parenthetical_date(front: list[str]) -> str | None:
    for ln in front:
        m = re.search(r"[（(]\s*(20\d\d\s*年[^）)]{2,8}日)\s*[）)]", ln)
        if m:
            return _iso_date(m.group(1))
    return None


def find_doc_number(front: list[str]) -> str | None:
    """文号 from the front matter only: numbers cited in the body are other documents."""
    text = "\n".join(front)
    m = _DOCNUM_FIELD.search(text)
    candidates = [m.group("v")] if m else []
    candidates += [ln.strip() for ln in front]
    for c in candidates:
        d = _DOC_NUMBER.search(c)
        if d and "《" not in c[: d.start()]:
            return f"{d.group('agency')}〔{d.group('year')}〕{d.group('n')}号"
    return None


def find_year(
    title: str | None, body_head: str, pub_date: str | None, front_tail: str = ""
) -> int | None:
    """The year the report is about (front_tail: the last front-matter lines)."""
    if title:
        years = [int(y) for y in _YEAR.findall(title)]
        if years:
            return min(years)
    m = _ORG_SUBJECT.match(body_head)
    if m and m.group("year"):  # "2024年在市委……领导下，我局……" has no comma after the year
        return int(m.group("year"))
    m = _YEAR_LINE.search(body_head[:300])
    if m:
        return int(m.group(1))
    m = _AS_FOLLOWS.search(front_tail + "\n" + body_head[:600])
    if m:
        return int(m.group(1))
    m = re.search(
        r"(20\d\d)\s*年度?(?:推进|我局|全局|本局)?(?:法治政府建设|法治建设|依法行政|工作)",
        body_head[:600],
    )
    if m:
        return int(m.group(1))
    if pub_date and re.search(r"今年以来|本年度", body_head[:200]):
        return int(pub_date[:4])
    if pub_date and re.search(r"上一?年度|上年", body_head[:600]):
        return int(pub_date[:4]) - 1
    return None


def find_org(title: str | None, front_text: str, back: list[str], body_head: str) -> str | None:
    """The issuing organisation, preferring its fullest written form."""
    candidates: list[str] = []
    m = _ORG_FIELDS.search(front_text)
    if m and _is_org(m.group("v").strip("（）()")):
        candidates.append(m.group("v"))
    if title:
        t = re.sub(r"^中共", "", title) if title.startswith("中共") and "党组" in title else title
        m = _ORG_IN_TITLE.match(t)
        if m:
            candidates.append(m.group("org"))
    for ln in back:
        if _is_org(ln.strip()):
            candidates.append(ln.strip())
    m = _ORG_SUBJECT.search(body_head)
    if m and m.group("org"):
        candidates.append(m.group("org"))
    if not candidates:
        return None
    best = candidates[0]
    for c in candidates[1:]:
        if c.endswith(best) and len(c) > len(best):
            best = c  # 莆田市荔城区应急管理局 ⊃ 荔城区应急管理局
    return best


def extract_metadata(
    text: str, layout: Layout, hints: dict[str, str], overrides: dict | None = None
) -> ReportMeta:
    """All metadata the text (and container hints) support; missing fields stay None.

    ``overrides`` (from a sidecar file) win over anything found in the text; region, level
    and department kind are derived afterwards so that an overridden org is taken into account.
    """
    meta = ReportMeta()
    prov = meta.provenance
    front_text = "\n".join(layout.front_lines)
    body_head = text[layout.front_end : layout.front_end + 1500]

    def put(name: str, value: object, source: str) -> None:
        if value not in (None, "") and getattr(meta, name) in (None, ""):
            setattr(meta, name, value)
            prov[name] = source

    put("title", find_title(layout.front_lines), "text")
    put("title", hints.get("title"), "container")
    put("doc_number", find_doc_number(layout.front_lines), "text")
    put("doc_number", hints.get("doc_number"), "container")
    put("pub_date", _find_dates(front_text), "text")
    put("pub_date", _iso_date(hints.get("pub_date", "")), "container")
    put("pub_date", _title_parenthetical_date(layout.front_lines), "text")
    put("pub_date", next((d for d in map(_iso_date, layout.back_lines) if d), None), "text")
    put("source_url", hints.get("source_url"), "container")
    front_tail = "\n".join(layout.front_lines[-2:])
    put("year", find_year(meta.title, body_head, meta.pub_date, front_tail), "text")
    put("org", find_org(meta.title, front_text, layout.back_lines, body_head), "text")
    put("org", hints.get("org"), "container")
    for name, value in (overrides or {}).items():
        setattr(meta, name, value)
        prov[name] = "sidecar"
    fill_derived(meta, text)
    return meta


def fill_derived(meta: ReportMeta, text: str) -> None:
    """Region, level and department kind from the organisation and text; complete a bare org."""
    region = resolve_region(meta.org, text)
    for name in ("province", "city", "county", "level"):
        value = getattr(region, name)
        if value and not getattr(meta, name):
            setattr(meta, name, value)
            meta.provenance[name] = "derived"
    if not meta.dept_kind:
        kind = department_kind(meta.org, text)
        if kind:
            meta.dept_kind = kind
            meta.provenance["dept_kind"] = "derived"
    # "市应急管理局" with the city known from the text → "汕尾市应急管理局"; a county-level
    # city (大冶市, level 县) is the county field, not its prefecture.
    # "省应急管理厅" likewise takes its province.
    if meta.org and meta.org[0] in "省市县区" and meta.provenance.get("org") != "sidecar":
        if meta.org[0] == "省":
            own_unit = meta.province
        else:
            own_unit = meta.county if meta.org[0] != "市" or meta.level == "县" else meta.city
        if own_unit and own_unit.endswith(meta.org[0]):
            meta.org = own_unit + meta.org[1:]
            meta.provenance["org"] = "derived"
    if not meta.title and meta.org and meta.year:
        meta.title = f"{meta.org}{meta.year}年度法治政府建设情况报告"
        meta.provenance["title"] = "derived"
