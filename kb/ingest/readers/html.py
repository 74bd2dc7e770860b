"""Web pages saved from government portals: the report body without the page around it.

A portal page is mostly furniture: navigation, breadcrumbs ("当前位置"), share buttons, font-size
switches, "上一篇/下一篇", related links and a long footer. The body is found in two steps:

1. Content containers of the common Chinese government CMSs (TRS, Hanweb, ...) are looked up
   by id/class (`zoom`, `TRS_Editor`, `article`, ...). They are a strong hint, but names such as
   `content` or `con` are also used for small boxes, so a named container is only accepted when
   it scores at least half as well as the best block on the page.
2. Otherwise the block with the most sentence-like Chinese text and the fewest link characters
   wins (readability-style scoring, link text counts against a block).

Inside the chosen block, lines that are recognisably page furniture are dropped. The result has
one line per block element (p, div, li, tr, h1–h6, br ...); table rows become "cell | cell".
lxml decodes entities exactly once, so "&lt;script&gt;" in a page is the text "<script>", while
real <script> elements are removed before any text is taken.

Pages nest deeply (CMS exports wrap each paragraph in a few more <div>s; 254 levels have been
seen), so libxml2 parses with ``huge_tree``: its default stops at 256 levels and silently
drops everything below, which read as "no body". The tree is walked without recursion. Past
libxml2's hard limit (2048 levels) the page is refused with that reason, never half-read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree

from kb.ingest.readers import limits
from kb.ingest.readers.base import RawDocument, Reader, ReadError
from kb.ingest.readers.txt import decode_text

_CHARSET_SCAN_BYTES = 4096
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Characters lxml refuses in element text (it keeps them when parsing, then raises when the
# text is edited, e.g. by drop_tree); they are never content of a page.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# Never content, wherever they are.
_ALWAYS_DROP = (
    "script", "style", "noscript", "template", "iframe", "frame", "object", "embed", "svg",
    "canvas", "map", "audio", "video", "button", "input", "select", "textarea",
)  # fmt: skip
# Usually furniture, but a few sites wrap the whole page in one of these (ASP.NET pages live in
# a <form>), so they are only dropped while they hold a small share of the page's text.
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form")
_FURNITURE_NAMES = frozenset(
    {
        "nav", "navbar", "menu", "footer", "foot", "bottom", "header", "top", "breadcrumb", "crumb",
        "crumbs", "position", "location", "share", "bdshare", "sidebar", "pager", "pagination",
        "copyright", "toolbar", "search", "login", "related", "links", "friendlink", "fontsize",
    }
)  # fmt: skip
_FURNITURE_MAX_SHARE = 0.3
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

_CONTAINER_NAMES = frozenset(
    {
        "zoom", "article", "content", "trs_editor", "trs_ueditor", "view", "news_content", "con",
        "main-txt", "article-content", "article_content", "articlecontent", "art_con", "detail",
        "detail-content", "news_text", "newstext", "pages_content", "xxgk_content", "content_text",
    }
)  # fmt: skip
_CONTAINER_MIN_SHARE = 0.5
_CANDIDATE_TAGS = ("body", "div", "section", "article", "main", "td", "form", "center")

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_MAX_DATA_CELL_CHARS = 200  # a longer cell is a layout table holding paragraphs
_CELL_SEPARATOR = " | "

_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE_PUNCT = re.compile(r"[，。；！？]")
_LINK_PENALTY = 3
_FRAGMENT_WEIGHT = 0.3  # text without sentence punctuation: labels, menus, footers
_MAX_LINK_SHARE = 0.5

# Furniture recognised by its wording; only short lines are tested, so a sentence of the report
# that happens to mention "打印" is safe.
_FURNITURE_LINE_MAX = 60
_FURNITURE_LINE = re.compile(
    r"^(?:当前位置|您当前的位置|您现在的位置|您的位置|所在位置)"
    r"|^[【\[]?\s*(?:上一篇|下一篇|上一条|下一条)"
    r"|打印本页|打印此页|关闭窗口|关闭本页|[【\[]\s*(?:打印|关闭|收藏|返回顶部)\s*[】\]]"
    r"|^(?:打印|关闭|收藏|返回|返回顶部|回到顶部|分享)$"
    r"|字号\s*[:：]|[【\[]\s*字体|字体\s*[:：]\s*[【\[]?\s*大"
    r"|分享到|扫一扫|用手机看"
    r"|版权所有|网站标识码|ICP\s*备|公网安备|主办单位|承办单位|技术支持|网站地图|联系我们"
    r"|浏览次数|阅读次数|访问次数|点击数|浏览量"
)
_ATTACHMENT = re.compile(r"^附件")

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_LABEL = re.compile(
    r"(?:发布时间|发布日期|发文日期|成文日期)\s*[:：]?[\s|]*(\d{4}\s*[-/.年][^\n]{3,12})"
)
_DOC_NUMBER = re.compile(
    r"(?:发文字号|文\s*号)\s*[:：][\s|]*([\u4e00-\u9fff]{1,12}\s*[〔\[［【（(]\s*\d{4}\s*[〕\]］】）)]\s*\d{1,4}\s*号)"
)
_TITLE_PARTS = re.compile(r"\s*[_|｜]\s*")
_SITE_SUFFIX = re.compile(
    r"\s*(?:-|－|–|—{1,2})\s*[^-－–—]{2,30}?(?:人民政府|政府|门户网站|政府网|网站|网)\s*$"
)

_SITE_NAME = re.compile(r"[^\s，。]{2,20}?(?:人民政府|政府|门户网站|政府网|网站|网)")

_NO_BODY = "网页中没有找到正文（可能由脚本动态加载）"
_TOO_DEEP = "网页的标签嵌套过深（超过 {depth} 层），解析器无法读完，已拒绝"
# libxml2's nesting limit with huge_tree (XML_PARSE_HUGE); without it, 256.
_MAX_DEPTH = 2048


@dataclass
class _Line:
    text: str
    link_chars: int  # non-space characters of the line that are link text


class HtmlReader(Reader):
    """Reads saved web pages (.html, .htm) with lxml."""

    extensions = (".html", ".htm")

    def read(self, path: Path, data: bytes) -> RawDocument:
        warnings: list[str] = []
        text = decode_text(path, data, _declared_charset(data), warnings=warnings)
        if not text.strip():
            return RawDocument(path=path, text="", format="html")  # the caller reports emptiness
        if len(text) > limits.MAX_HTML_CHARS:
            raise ReadError(
                path,
                f"网页过大（{limits.human_chars(len(text))}，上限 "
                f"{limits.human_chars(limits.MAX_HTML_CHARS)}），未解析",
            )
        root = _parse(path, text)
        _drop_non_content(root)
        page_text = "\n".join(line.text for line in _lines(next(root.iter("body"), root)))
        hints = _hints(root, page_text)
        _drop_furniture(root)
        lines = _body_lines(root)
        if not lines:
            raise ReadError(path, _NO_BODY)
        return RawDocument(
            path=path,
            text="\n".join(_with_title(lines, hints.get("title"), page_text)),
            format="html",
            hints=hints,
            warnings=warnings,
        )


def _with_title(lines: list[str], title: str | None, page_text: str) -> list[str]:
    """Put the article title back in front of the body when the page shows it elsewhere.

    Most CMS pages render the title in an <h1> above the content block, so the block alone
    starts with the salutation; the text-based metadata parser expects the title first. A title
    that only exists in <title> or <meta> is not page text and is left to the hints.
    """
    if not title or _squash(title) not in _squash(page_text):
        return lines
    if _squash(title) in _squash("".join(lines[:3])):
        return lines
    return [title, *lines]


def _declared_charset(data: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(data[:_CHARSET_SCAN_BYTES])
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _parse(path: Path, text: str) -> lxml.html.HtmlElement:
    """The document element; lxml rejects str input that carries an XML encoding declaration."""
    # A parser per call: lxml parser objects must not be shared between threads.
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        markup = _NOT_XML_TEXT.sub("", _XML_DECLARATION.sub("", text))
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(path, "网页无法解析（不是有效的 HTML）") from exc
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise ReadError(path, _TOO_DEEP.format(depth=_MAX_DEPTH))
    return root


# --- metadata -------------------------------------------------------------------------------


def _hints(root: lxml.html.HtmlElement, page_text: str) -> dict[str, str]:
    """Title, date, organisation, URL and document number the page carries."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        meta.setdefault(name, (el.get("content") or "").strip())
    found = {
        "title": meta.get("articletitle") or _page_title(root),
        "pub_date": _iso_date(meta.get("pubdate") or meta.get("publishdate") or "")
        or _labelled_date(page_text),
        "org": meta.get("contentsource"),
        "source_url": _canonical_url(root) or _web_url(meta.get("url") or meta.get("og:url")),
        "doc_number": _labelled_doc_number(page_text),
    }
    return {key: value for key, value in found.items() if value}


def _page_title(root: lxml.html.HtmlElement) -> str | None:
    """The <h1> that the <title> confirms, else the <title> without its site name.

    Portals also use <h1> for their logo or the column name, so an <h1> is only trusted on its
    own when the page has no <title>.
    """
    title_el = root.find(".//title")
    page_title = _strip_site_name(_clean(title_el.text_content())) if title_el is not None else ""
    headings = [h for h in (_clean(el.text_content()) for el in root.iter("h1")) if h]
    for heading in headings:
        if page_title and (page_title in heading or _mostly_within(heading, page_title)):
            return heading
    if _SITE_NAME.fullmatch(page_title):
        page_title = ""  # a <title> that only names the portal
    return page_title or next(iter(headings), None)


def _mostly_within(part: str, whole: str) -> bool:
    """True for "报告标题" in "报告标题（全文）", false for a two-character column name in it."""
    return part in whole and 2 * len(part) >= len(whole)


def _strip_site_name(title: str) -> str:
    """Turn "报告标题_栏目_某某县人民政府" into "报告标题": CMSs put the article's title first."""
    first = next((part for part in _TITLE_PARTS.split(title) if part), "")
    return _SITE_SUFFIX.sub("", first).strip()


def _canonical_url(root: lxml.html.HtmlElement) -> str | None:
    for link in root.iter("link"):
        href = (link.get("href") or "").strip()
        if "canonical" in (link.get("rel") or "").lower() and _web_url(href):
            return href
    return None


def _web_url(value: str | None) -> str | None:
    """An http(s) address, else None: a page's meta tags may say ``javascript:…``."""
    value = (value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else None


def _iso_date(value: str) -> str | None:
    match = _DATE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _labelled_date(text: str) -> str | None:
    match = _DATE_LABEL.search(text)
    return _iso_date(match.group(1)) if match else None


def _labelled_doc_number(text: str) -> str | None:
    match = _DOC_NUMBER.search(text)
    return _SPACE.sub("", match.group(1)) if match else None


# --- furniture removal ------------------------------------------------------------------------


def _drop_non_content(root: lxml.html.HtmlElement) -> None:
    """Remove scripts, styles, embedded objects and form controls: never text of the page."""
    for el in list(root.iter(*_ALWAYS_DROP)):
        el.drop_tree()


def _drop_furniture(root: lxml.html.HtmlElement) -> None:
    """Remove navigation, headers, footers and hidden blocks that hold little of the text."""
    page_cjk = _cjk_count(root.text_content())
    furniture = [el for el in root.iter() if isinstance(el.tag, str) and _looks_like_furniture(el)]
    for el in furniture:
        if _cjk_count(el.text_content()) <= _FURNITURE_MAX_SHARE * page_cjk:
            el.drop_tree()


def _looks_like_furniture(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _FURNITURE_TAGS or el.get("hidden") is not None:
        return True
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    names = f"{el.get('id') or ''} {el.get('class') or ''}".lower()
    return not _FURNITURE_NAMES.isdisjoint(re.split(r"[\s_\-]+", names))


# --- choosing the body ------------------------------------------------------------------------


def _body_lines(root: lxml.html.HtmlElement) -> list[str]:
    """Lines of the block that holds the report, without furniture lines."""
    lines_of = _CandidateLines()
    scored = [
        (_score(lines), el, lines) for el in root.iter(*_CANDIDATE_TAGS) if (lines := lines_of(el))
    ]
    if not scored:
        return []
    best = max(score for score, _, _ in scored)
    if best <= 0:
        return []
    named = [item for item in scored if _is_named_container(item[1])]
    chosen = max(named, key=lambda item: item[0]) if named else None
    if chosen is None or chosen[0] < _CONTAINER_MIN_SHARE * best:
        # max() keeps the first of equal scores; iter() yields parents first, so prefer the
        # deepest block among ties by scanning in reverse.
        chosen = max(reversed(scored), key=lambda item: item[0])
    return [line.text for line in chosen[2] if not _is_furniture_line(line)]


class _CandidateLines:
    """Lines of candidate blocks, computed once per chain of wrappers.

    A block whose only content is one other block (``<div><div>…</div></div>``) has exactly
    that block's lines. Deeply nested pages are long chains of such wrappers; walking each
    one's subtree anew would cost depth × size (seconds at 2,000 levels).
    """

    def __init__(self) -> None:
        self._cache: dict[lxml.html.HtmlElement, list[_Line]] = {}

    def __call__(self, el: lxml.html.HtmlElement) -> list[_Line]:
        chain = []
        while el not in self._cache and _is_wrapper(el):
            chain.append(el)
            el = el[0]
        lines = self._cache.get(el)
        if lines is None:
            lines = self._cache[el] = _lines(el)
        for wrapper in chain:
            self._cache[wrapper] = lines
        return lines


def _is_wrapper(el: lxml.html.HtmlElement) -> bool:
    """A block holding one block and nothing else (no text, no tail after the child)."""
    if len(el) != 1 or el.tag not in _BLOCK_TAGS or (el.text or "").strip():
        return False
    child = el[0]
    return (
        isinstance(child.tag, str)
        and child.tag in _BLOCK_TAGS
        and child.tag != "tr"
        and not (child.tail or "").strip()
    )


def _is_named_container(el: lxml.html.HtmlElement) -> bool:
    names = {(el.get("id") or "").lower(), *(el.get("class") or "").lower().split()}
    return el.tag == "article" or not _CONTAINER_NAMES.isdisjoint(names)


def _score(lines: list[_Line]) -> float:
    """Sentence-like Chinese text counts for a block, link text counts three times against it."""
    score = 0.0
    for line in lines:
        cjk = _cjk_count(line.text)
        if _is_link_line(line):
            score -= _LINK_PENALTY * cjk
        elif not _is_furniture_line(line):
            score += cjk if _SENTENCE_PUNCT.search(line.text) else _FRAGMENT_WEIGHT * cjk
    return score


def _is_link_line(line: _Line) -> bool:
    return line.link_chars > _MAX_LINK_SHARE * _visible_len(line.text)


def _is_furniture_line(line: _Line) -> bool:
    if _is_link_line(line):
        return not _ATTACHMENT.match(line.text)  # "附件：xx.docx" is part of the report
    return len(line.text) <= _FURNITURE_LINE_MAX and bool(_FURNITURE_LINE.search(line.text))


# --- text layout ----------------------------------------------------------------------------


def _lines(el: lxml.html.HtmlElement) -> list[_Line]:
    builder = _LineBuilder()
    builder.walk(el, in_link=False)
    return builder.finish()


class _LineBuilder:
    """Flattens an element into lines: block elements and <br> break lines, inline ones don't."""

    def __init__(self) -> None:
        self._lines: list[_Line] = []
        self._parts: list[str] = []
        self._link_chars = 0

    def finish(self) -> list[_Line]:
        self._break()
        return self._lines

    def walk(self, el: lxml.html.HtmlElement, in_link: bool) -> None:
        """Add `el`'s text and its children's (not its own tail, which belongs to the parent).

        Depth-first with an explicit stack, so a page nested thousands of levels deep does not
        exhaust Python's recursion limit. A stack entry is an element to open, or the closing
        of a block element, or a tail to add once the element before it is done.
        """
        stack: list[tuple[str, object, bool]] = [("open", el, in_link)]
        while stack:
            action, item, link = stack.pop()
            if action == "tail":
                self._add(item, link)  # type: ignore[arg-type]
            elif action == "close":
                self._break()
            else:
                self._open(item, link, stack)  # type: ignore[arg-type]

    def _open(
        self, el: lxml.html.HtmlElement, in_link: bool, stack: list[tuple[str, object, bool]]
    ) -> None:
        if el.tag == "br":
            self._break()
            return
        if el.tag == "tr" and _is_data_row(el):
            self._row(el)
            return
        block = el.tag in _BLOCK_TAGS
        if block:
            self._break()
            stack.append(("close", None, in_link))
        in_link = in_link or el.tag == "a"
        self._add(el.text, in_link)
        for child in reversed(el):
            stack.append(("tail", child.tail, in_link))
            if isinstance(child.tag, str):
                stack.append(("open", child, in_link))

    def _row(self, tr: lxml.html.HtmlElement) -> None:
        """A table row as one line; empty cells are left out."""
        self._break()
        cells = [cell for cell in map(_lines, tr.iterchildren("td", "th")) if cell]
        if cells:
            text = _CELL_SEPARATOR.join(" ".join(line.text for line in cell) for cell in cells)
            links = sum(line.link_chars for cell in cells for line in cell)
            self._lines.append(_Line(text, links))

    def _add(self, text: str | None, in_link: bool) -> None:
        if text:
            text = _SPACE.sub(" ", text)
            self._parts.append(text)
            if in_link:
                self._link_chars += _visible_len(text)

    def _break(self) -> None:
        text = "".join(self._parts).strip()
        if text:
            self._lines.append(_Line(text, self._link_chars))
        self._parts, self._link_chars = [], 0


def _is_data_row(tr: lxml.html.HtmlElement) -> bool:
    """A row of a real table (short cells), as opposed to a layout table holding the page."""
    cells = list(tr.iterchildren("td", "th"))
    return (
        len(cells) >= 2
        and tr.find(".//table") is None
        and all(len(cell.text_content().strip()) <= _MAX_DATA_CELL_CHARS for cell in cells)
    )


# --- small helpers ----------------------------------------------------------------------------


def _cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def _visible_len(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _squash(text: str) -> str:
    """Comparison form: width variants folded, whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())
