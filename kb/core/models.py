"""Plain data records passed between the stages: read → parse → store → index → search.

They are deliberately dumb dataclasses so every stage can be tested on its own and the
SQLite store can round-trip them without an ORM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

# Section kinds, in the order a report usually presents them.
SECTION_KINDS: tuple[str, ...] = (
    "主要举措和成效",
    "存在问题",
    "原因分析",
    "第一责任人履职",
    "下一步工作安排",
    "其他",
)

# Administrative levels of the issuing organisation.
LEVELS: tuple[str, ...] = ("省", "市", "县", "区", "乡镇")

# Where a metadata field came from, most trusted first: the operator's sidecar file, the page's
# own metadata (portal header fields, HTML <meta>, DOCX properties), the report's text, a
# value worked out from other fields (a region from the organisation's name), the source URL.
SOURCES: tuple[str, ...] = ("sidecar", "header", "text", "derived", "url")
# How sure kb is of a field. "low" is a guess worth checking before it is cited.
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")
# The fields a citation needs; `kb stats` lists reports where one is unknown or uncertain.
CITATION_FIELDS: tuple[str, ...] = ("org", "title", "year", "province")


@dataclass
class ReportMeta:
    """Metadata of one report. Every field may be overridden by a sidecar file."""

    title: str | None = None
    org: str | None = None  # 发文机关
    province: str | None = None
    city: str | None = None
    county: str | None = None  # county, county-level city or district
    level: str | None = None  # one of LEVELS
    dept_kind: str | None = None  # 应急管理, 人防/国防动员, 司法, ...
    year: int | None = None  # the year the report is about
    pub_date: str | None = None  # ISO date, YYYY-MM-DD
    doc_number: str | None = None  # 文号, e.g. 荔应急〔2024〕9号
    source_url: str | None = None
    # Where each field came from (one of SOURCES) and how sure kb is of it (one of CONFIDENCES).
    provenance: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, str] = field(default_factory=dict)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("provenance", "confidence")]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ReportMeta:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Heading:
    """A numbered heading found in the text (一、 / （一） / 1. / （1）)."""

    level: int  # logical depth, 1 = top
    style: str  # "cn", "pcn", "ar", "par" (see kb.ingest.headings)
    number: int
    label: str  # the numbering as written, e.g. "（一）"
    title: str  # heading text without the label; "" when the label numbers a plain paragraph
    start: int  # offsets of label+title in the normalised text
    end: int
    body_start: int  # where the body after the heading begins


@dataclass
class Section:
    """A heading with the body text under it (up to the next heading of any level)."""

    heading: Heading | None  # None for the preamble
    path: list[str]  # breadcrumbs: the heading texts from the top level down to this one
    kind: str  # one of SECTION_KINDS (inherited from the top-level section)
    body_start: int
    body_end: int


@dataclass
class Passage:
    """The unit of search: a run of sentences from one section."""

    id: str
    report_id: str
    position: int  # 0-based order within the report
    start: int  # offsets into the report's normalised text
    end: int
    text: str
    heading_path: list[str]
    section_kind: str
    # Cut before its sentence ends (by the length cap or the end of the available text):
    # shown with … and marked 节选 wherever it is quoted.
    truncated: bool = False


@dataclass
class Report:
    """A parsed report: normalised text, metadata, sections and passages."""

    id: str
    source: str  # path relative to the corpus root, e.g. "000_b2dd20f029b9b4d9.txt"
    format: str  # txt, docx, pdf, html
    content_hash: str  # hash of the file bytes and its sidecar: drives incremental ingest
    text: str  # normalised text; all offsets point into it
    meta: ReportMeta
    sections: list[Section] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
