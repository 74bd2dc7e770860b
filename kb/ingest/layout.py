"""Separate a report's front matter and sign-off from its body.

Reports copied from government portals start with portal furniture (当前位置, 索引号 tables,
发布时间, 字号 …), a title that may be broken over several lines, a document number and a
salutation (县委、县人民政府：), and end with the signing organisation and date. None of that is
searchable content, but it is where most metadata lives; the body is everything in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.ingest.headings import starts_with_label
from kb.ingest.orgs import ENDS_AS_ORG

# Portal/header field lines: "索引号：…", "发布时间：2025-04-17", "| 发文机关: | xx局 |".
HEADER_FIELD = re.compile(
    r"索\s*引\s*号|发文机关|发布机构|发布单位|发文单位|信息来源|来\s*源|发布时间|发布日期|公开日期|"
    r"成文日期|发文日期|文\s*号|发文字号|组配分类|主题分类|公开方式|签发人|访问次数|字号|当前位置|"
    r"首页|扫一扫|打印|分享|网站地图|联系我们|无障碍|智能助手|搜索"
)
_SENTENCE = re.compile(r"[，。；]")
_YEAR_START = re.compile(r"^(?:20\d\d|今)年")
_DATE_LINE = re.compile(
    r"^[（(]?\s*(?:20\d\d|二[〇○零O0][一二三四五六七八九〇○零]{2})\s*年.{1,6}日\s*[）)]?$"
)
_CLOSING = re.compile(
    r"^(?:特此报告|此报告|特此|相关附件|附件|（此件公开发布）|（此页无正文）|抄送|联系人|联系电话)"
)

# Portal header keys, longest first where one contains another, and the name each is filed
# under (索号 is 索引号 with a character lost in copying; 有性 likewise 有效性).
_HEADER_KEYS: dict[str, str] = {
    "索引号": "索引号",
    "索号": "索引号",
    "发文机关": "发文机关",
    "发布机构": "发布机构",
    "发布单位": "发布单位",
    "发文单位": "发文单位",
    "信息来源": "来源",
    "来源": "来源",
    "公文生成日期": "成文日期",
    "发布时间": "发布日期",
    "发布日期": "发布日期",
    "公开日期": "发布日期",
    "成文日期": "成文日期",
    "发文日期": "成文日期",
    "备注/文号": "文号",
    "发文字号": "文号",
    "文件编号": "文号",
    "文号": "文号",
    "组配分类": "分类",
    "主题分类": "分类",
    "体裁分类": "分类",
    "分类": "分类",
    "公开方式": "公开方式",
    "公开时限": "公开时限",
    "统一登记号": "登记号",
    "签发人": "签发人",
    "访问次数": "访问次数",
    "访问量": "访问次数",
    "浏览次数": "访问次数",
    "点击数": "访问次数",
    "字体大小": "字体",
    "字号": "字体",
    "字体": "字体",
    "有效性": "有效性",
    "有性": "有效性",
    "作者": "作者",
    "名称": "名称",
    "日期": "日期",
    "时间": "日期",
}
_KEY_RE = re.compile(
    r"[\[【]?\s*(?P<key>"
    + "|".join(
        re.escape(k).replace("号", r"\s*号").replace("索", r"索\s*").replace("来", r"来\s*")
        for k in sorted(_HEADER_KEYS, key=len, reverse=True)
    )
    + r")\s*[\]】]?\s*(?:[：:|]|(?=\s*$))"
)
# Keys written without a colon, glued to their value by normalisation ("发布单位湖南省交通运输厅
# 来源厅法制处"): recognised only where the key is one of these and opens the line or follows
# another field.
_BARE_KEY_RE = re.compile(r"(?P<key>发布单位|发布机构|发文机关|信息来源|来源|公开日期|公开方式)")

# A next line that is a title or a sentence, not the value of a bracketed key above it.
_NOT_A_VALUE = re.compile(r"[，。：]|报告|总结|汇报|法治")

MAX_FRONT_LINES = 30
MAX_BACK_LINES = 6


@dataclass
class Layout:
    front_end: int  # offset where the body starts
    back_start: int  # offset where the sign-off starts (== len(text) when there is none)
    front_lines: list[str]
    back_lines: list[str]


def _field_spans(line: str) -> list[tuple[str, int, int]]:
    """(field, key start, value start) of every header key in a front-matter line."""
    spans = [(_HEADER_KEYS[re.sub(r"\s+", "", m.group("key"))], m.start(), m.end())
             for m in _KEY_RE.finditer(line)]  # fmt: skip
    if not spans and _BARE_KEY_RE.match(line.lstrip("|• ")):
        spans = [(_HEADER_KEYS[m.group("key")], m.start(), m.end())
                 for m in _BARE_KEY_RE.finditer(line)]  # fmt: skip
    return spans


def header_fields(front: list[str]) -> dict[str, str]:
    """Portal header fields of the front matter: {"发文机关": "东安县应急管理局", ...}.

    Handles the layouts portals use: "发文机关：xx局", table rows "| 发文机关： | xx局 |",
    several fields on one line ("发布日期：… 发布机构：县司法局", glued together when the spaces
    between them were dropped), bullet lists with the value on the next line ("• [ 发布机构 ]"
    / "• 荣昌区生态环境局") and keys without a colon ("发布单位 湖南省交通运输厅 来源 厅法制处").
    The first non-empty value of a field wins; values are stripped of table pipes and bullets.
    """
    fields: dict[str, str] = {}
    for i, line in enumerate(front):
        spans = _field_spans(line)
        for j, (name, _start, vstart) in enumerate(spans):
            vend = spans[j + 1][1] if j + 1 < len(spans) else len(line)
            value = line[vstart:vend].strip(" |•·\t[]【】")
            bracketed = line.lstrip(" |•·\t").startswith(("[", "【"))
            if not value and bracketed and j + 1 == len(spans) and i + 1 < len(front):
                nxt = front[i + 1]  # "• [ 发布机构 ]" then "• 荣昌区生态环境局"
                if not _field_spans(nxt) and len(nxt) <= 40 and not _NOT_A_VALUE.search(nxt):
                    value = nxt.strip(" |•·\t[]【】")
            if value and name not in fields:
                fields[name] = value
    return fields


def is_field_line(line: str) -> bool:
    """True when a front line holds portal header fields (索引号：…, | 发文机关： | …)."""
    return bool(_field_spans(line))


def _is_body_start(line: str) -> bool:
    """The first line that belongs to the report body: a heading or a real paragraph."""
    if HEADER_FIELD.search(line[:12]) or line.startswith("|"):
        return False
    if starts_with_label(line) and len(line) > 3:
        return True
    if _YEAR_START.match(line) and _SENTENCE.search(line):
        return True
    return len(line) >= 60 and bool(_SENTENCE.search(line)) and not line.endswith("：")


def _is_back_line(line: str) -> bool:
    if len(line) > 40 or starts_with_label(line):
        return False
    return bool(_DATE_LINE.match(line) or _CLOSING.match(line) or ENDS_AS_ORG.search(line))


def split_layout(text: str) -> Layout:
    """Find front matter and sign-off; the body is text[front_end:back_start]."""
    lines = text.split("\n")
    offsets = []
    pos = 0
    for ln in lines:
        offsets.append(pos)
        pos += len(ln) + 1

    first_body = next(
        (i for i, ln in enumerate(lines[:MAX_FRONT_LINES]) if _is_body_start(ln)), None
    )
    if first_body is None:  # no recognisable body start: keep everything as body
        first_body = 0
    back = len(lines)
    while back - 1 > first_body and len(lines) - (back - 1) <= MAX_BACK_LINES:
        if not _is_back_line(lines[back - 1]):
            break
        back -= 1
    front_end = offsets[first_body] if first_body < len(lines) else len(text)
    back_start = offsets[back] if back < len(lines) else len(text)
    return Layout(front_end, back_start, lines[:first_body], lines[back:])
