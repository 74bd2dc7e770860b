"""What an organisation's name looks like, defined once for every reader of names.

Government bodies are named place + function + suffix: 长治市交通运输局, 广东省应急管理厅,
宁乡市人民政府, 市消防救援支队, 大中街道. Metadata extraction, the layout of a report's head,
region resolution and department kinds all look for such names, with these lists.

A name found in running text must be *cut* at a recognised suffix and never at a verb: in
"2023年，大中街道在区委、区政府的领导下……" the organisation is 大中街道, not 大中街道在区委 (委
is a suffix, but 在 is no part of a name). :func:`org_prefix` takes the longest prefix of a
phrase that ends with a suffix and passes :func:`is_org_name`, which refuses verbs, 在/我/的,
collective subjects (全市……系统) and party committees mistaken for a bureau's 委.
"""

from __future__ import annotations

import re

# Longest first where one suffix ends another (办公室 before 办, 委员会 before 委).
ORG_SUFFIXES: tuple[str, ...] = (
    "办公室",
    "委员会",
    "人民政府",
    "政府",
    "管理处",
    "分局",
    "大队",
    "支队",
    "总队",
    "中心",
    "党组",
    "局",
    "厅",
    "办",
    "委",
)
# A regular-expression alternation of the suffixes, to embed in larger patterns.
ORG_SUFFIX = "(?:" + "|".join(ORG_SUFFIXES) + ")"
# Units below a department also end names of their own (a 处, 站, 所 or 院).
UNIT_SUFFIX = "(?:" + "|".join((*ORG_SUFFIXES, "处", "站", "所", "院")) + ")"

ENDS_AS_ORG = re.compile(ORG_SUFFIX + "$")

# Township-level and zone issuers, named without a department: 大中街道, 棣棠乡, 官庄镇,
# 宁河经济开发区 (and with their office: 城关街道办事处, 官庄镇人民政府, xx开发区管委会).
_TOWNSHIP = re.compile(
    r"^[\u4e00-\u9fff]{2,8}?(?:街道|(?<![城农])镇|(?<![城])乡|开发区|高新区|新区|园区)"
    r"(?:办事处|街道办事处|人民政府|政府|管理委员会|管委会|党工委)?$"
)
# Every way a name may end, for cutting a phrase (township words included).
_CUT_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            *ORG_SUFFIXES,
            "管理委员会",
            "管委会",
            "办事处",
            "管理局",
            "中队",
            "街道",
            "镇",
            "乡",
            "开发区",
            "高新区",
            "新区",
            "园区",
        },
        key=len,
        reverse=True,
    )
)

# Words no organisation name contains: verbs and adverbs of the sentence around it, the topic
# of the report, and collective subjects. 在, 我 and 的 never occur in a name (or a place name).
_NOT_IN_NAME = re.compile(
    r"[在我的了着，。；：、“”《》\"'0-9０-９]|"
    r"坚持|紧扣|紧紧|深入|贯彻|落实|推进|围绕|按照|根据|加强|开展|认真|全面|扎实|持续|不断|"
    r"积极|始终|切实|聚焦|立足|强化|健全|完善|法治|依法|系统|领导|指导|部署|要求|精神|思想|"
    r"以来|年度|报告|关于|情况|学习|组织|召开|印发|制定|实施|结合|对照|高度|重视|牢固|树立|"
    r"着力|大力|进一步|严格|规范|提升|提高|推动|建立|打造|构建|全力|努力|坚决|主动|及时|"
    r"先后|注重|抓好|做好|成立|组建|依托|承担|负责|履行|职责|工作(?!委员会|办公室|领导小组)"
)
# Collective or anaphoric openings: 全市 (all of the city), 本局, 该局, 各级, 上级, 局党组.
_NOT_AT_START = re.compile(
    r"^(?:全[市县区省局州旗镇乡]|本|该|各|其|此|有关|相关|上级|原|局|厅|办|委|党)"
)
# A party committee (区委, 县委, 党委, 党工委) is not a bureau's 委, and never one's name part,
# unless the name is the committee's own (中共xx县委).
_PARTY_COMMITTEE = re.compile(r"(?:[省市区县州旗镇乡]|党|工)委(?!员会)")

MAX_NAME_CHARS = 40

# How a report refers to its own author: 我局, 我厅, 我办, 我委, 我分局, 我大队, 我街道.
SELF_REFERENCE = re.compile(r"我(分局|大队|支队|中心|街道|局|厅|办|委|镇|乡|区|县|市|院)")


# A name is written in Chinese characters, with at most a bracketed alias.
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff（）()]+")


def is_org_name(name: str) -> bool:
    """True when ``name`` can be an issuing organisation's name as written."""
    if not (3 <= len(name) <= MAX_NAME_CHARS) or not _NAME_CHARS.fullmatch(name):
        return False
    if _NOT_IN_NAME.search(name):
        return False
    if _NOT_AT_START.match(name):
        return False
    core = name.removeprefix("中共")
    if _PARTY_COMMITTEE.search(core) and not name.startswith("中共"):
        return False
    return bool(ENDS_AS_ORG.search(name) or _TOWNSHIP.match(name))


def org_prefix(phrase: str) -> str | None:
    """The longest organisation name ``phrase`` starts with, cut at a recognised suffix.

    A bracketed alias right after the name is kept as written (金华市应急管理局（人防办）).
    Scanning stops at the first character that no name may contain, so a longer "name" that
    runs into the sentence (大中街道在区委) is never taken.
    """
    best = None
    limit = min(len(phrase), MAX_NAME_CHARS)
    for end in range(2, limit + 1):
        head = phrase[:end]
        if _NOT_IN_NAME.search(head[-3:]) or _NOT_IN_NAME.search(head):
            break
        opened = head.count("（") + head.count("(") - head.count("）") - head.count(")")
        if not opened and head.endswith(_CUT_SUFFIXES) and is_org_name(head):
            best = head
    if best is None:
        return None
    m = re.match(r"[（(]([^（）()]{2,10})[）)]", phrase[len(best) :])
    if m and ENDS_AS_ORG.search(m.group(1)) and not _NOT_IN_NAME.search(m.group(1)):
        best += m.group(0)
    return best
