"""What ends the name of an organisation, defined once for every reader of names.

Government bodies are named place + function + suffix: 长治市交通运输局, 广东省应急管理厅,
宁乡市人民政府, 市消防救援支队. Metadata extraction, the layout of a report's head, region
resolution and department kinds all look for such names, with this one list.
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
