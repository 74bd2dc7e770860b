"""The report's title in a portal page's front matter, without the portal's chrome.

Portal pages put their furniture around the heading: breadcrumbs (当前位置：首页 > 政务公开 > …),
field tables (索引号, 发布机构), classification tags (`[ 体裁分类 ] 工作报告`, 【2022年】),
toolbars (打印 分享 字体) and the publication date after the title. The heading itself may be
broken over two or three lines, with the organisation on a line of its own above it
(郑州市应急管理局 / 关于2023年度法治政府建设工作的报告), and a page may show it twice (the
portal's headline, then the document's own heading). The title is the first complete heading:
chrome dropped, lines joined, whitespace removed. A covering letter (…的函) is not the report:
the heading of the report it encloses is used instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.ingest.headings import starts_with_label
from kb.ingest.layout import is_field_line
from kb.ingest.orgs import org_prefix

# Navigation and toolbars. Breadcrumbs are recognised by their separators.
_BREADCRUMB = re.compile(r"[>＞»]|^\s*-\s|当前位置|所在位置|现在的位置|当前的位置")
_CHROME = re.compile(
    r"首页|关怀版|无障碍|智能助手|为您阅读|AI脑图|扫一扫|网站地图|联系我们|手机端|手机版|政务邮箱|"
    r"微信|微博|打印|收藏|分享|访问量|点击数|浏览次数|搜索|匹配度|排序|字体|上一篇|下一篇|关闭窗口"
)
# A tag opening a line: 【2022年】, [ 体裁分类 ], 【公示公告】.
_LEADING_TAG = re.compile(r"^(?:【[^】]{0,12}】|\[[^\]]{0,12}\])\s*")
# The publication date or time written after a heading.
_TRAILING_DATE = re.compile(
    r"\s*(?:[（(]\s*20\d\d\s*年[^）)]{0,8}[）)]"
    r"|20\d\d[-./]\d{1,2}[-./]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s*$"
)
_REPORT_END = re.compile(r"(?:报告|总结|汇报|情况)$")
_TOPIC = re.compile(r"法治|依法行政|依法治")
_SENTENCE = re.compile(r"[，。；：！？]")
_YEAR = re.compile(r"20\d\d")
# A bare level + department (州生态环境局, 市应急管理局) may open a title as written.
_BARE_ORG = re.compile(r"^[省市州县区旗][\u4e00-\u9fff]{2,20}?(?:局|厅|办|委|办公室|委员会)")

_DATE_ONLY = re.compile(r"[\d\-./年月日:：]+")

MAX_TITLE_CHARS = 80
_MAX_JOINED_LINES = 3


@dataclass(frozen=True)
class TitleMatch:
    title: str
    first: int  # index of its first line in the front matter
    last: int  # index of its last line


def clean_line(line: str) -> str:
    """A front-matter line without table pipes, bullets, leading tags, trailing date, spaces."""
    line = line.strip().strip("|•·").strip()
    while (m := _LEADING_TAG.match(line)) and m.end() < len(line):
        line = line[m.end() :]
    line = _TRAILING_DATE.sub("", line)
    return re.sub(r"\s+", "", line.strip("|•· "))


def is_chrome(line: str) -> bool:
    """Navigation, toolbars and field tables: never part of a title."""
    return bool(_BREADCRUMB.search(line) or _CHROME.search(line) or is_field_line(line))


def is_org_line(line: str) -> bool:
    """A line that is nothing but an organisation's name (a byline or a heading's first line)."""
    cleaned = clean_line(line)
    return bool(cleaned) and org_prefix(cleaned) == cleaned


def _opens_title(text: str) -> bool:
    """A heading starts with its author, 关于 or its year; a fragment (建设工作情况的报告) does
    not, and is no title."""
    return bool(
        text.startswith("关于")
        or _YEAR.match(text)
        or org_prefix(text)
        or _BARE_ORG.match(text)
        or text.startswith("中共")
    )


def _is_title(text: str) -> bool:
    return (
        len(text) <= MAX_TITLE_CHARS
        and bool(_REPORT_END.search(text))
        and bool(_TOPIC.search(text))
        and not _SENTENCE.search(text)
        and bool(_YEAR.search(text) or org_prefix(text) or text.startswith("关于"))
    )


def _usable(line: str) -> bool:
    cleaned = clean_line(line)
    return (
        bool(cleaned)
        and not is_chrome(line)
        and not starts_with_label(cleaned)
        and not cleaned.endswith("：")
    )


def find_title(front: list[str]) -> TitleMatch | None:
    """The first complete heading of the front matter (see the module docstring)."""
    for i, line in enumerate(front):
        if not _usable(line):
            continue
        text = clean_line(line)
        if not _opens_title(text) or _SENTENCE.search(text):
            continue
        last = i
        while not _REPORT_END.search(text) and last + 1 < len(front) and last - i + 1 < 3:
            nxt = clean_line(front[last + 1])
            if (
                not _usable(front[last + 1])
                or len(nxt) > 40
                or _SENTENCE.search(nxt)
                or _DATE_ONLY.fullmatch(nxt)
                or _is_title(nxt)  # a complete heading of its own: the line above is a banner
            ):
                break
            text += nxt
            last += 1
        if not _is_title(text):
            continue
        first = i
        if i > 0 and _usable(front[i - 1]) and not (org_prefix(text) or _BARE_ORG.match(text)):
            prev = clean_line(front[i - 1])
            if prev.endswith("关于") or is_org_line(front[i - 1]):
                text, first = prev + text, i - 1
        if len(text) <= MAX_TITLE_CHARS:
            return TitleMatch(text, first, last)
    return None


def byline_orgs(front: list[str], title: TitleMatch | None) -> list[str]:
    """Organisations written on a line of their own next to a heading: right above a heading
    that does not name its author (广元市人力资源和社会保障局 / 2023年法治政府建设工作年度报告,
    also when that heading repeats an earlier one), or right below the title (a byline).

    A portal's banner (深圳市罗湖区人民政府 above a heading that names its own author, or a
    site name separated from the heading by toolbars) is not taken.
    """
    out: list[str] = []
    for i, line in enumerate(front):
        if not is_org_line(line):
            continue
        nxt = clean_line(front[i + 1]) if i + 1 < len(front) else ""
        heading_below = (
            bool(nxt)
            and _usable(front[i + 1])
            and bool(_TOPIC.search(nxt))
            and not _SENTENCE.search(nxt)
            and not org_prefix(nxt)
            and not _BARE_ORG.match(nxt)
        )
        below_title = title is not None and i == title.last + 1
        if heading_below or below_title:
            out.append(clean_line(line))
    return out
