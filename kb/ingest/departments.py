"""What kind of department wrote a report (应急管理, 司法, 生态环境, ...).

Organisation names carry the department in a handful of fixed forms (应急管理局 / 应急局 /
应急管理厅, 规划和自然资源局 / 自然资源和规划局, 国动办 / 人防办 / 民防办公室), so keywords on
the organisation name decide. When several kinds appear, the one named first is the
organisation itself and the rest is a qualifier: 金华市应急管理局（人防办） is an emergency
bureau that also serves as the civil air defence office; 公安局交通警察支队 is police.

Without an organisation, the report's opening names its author ("2021年，市应急管理局坚持…");
failing that, the kind whose subject-matter words dominate the text wins, if it dominates
clearly. Reports that name no author and have no dominant subject stay None.
"""

from __future__ import annotations

import re

from kb.ingest.orgs import ORG_SUFFIX, UNIT_SUFFIX

DEPT_KINDS: tuple[str, ...] = (
    "应急管理",
    "人防/国防动员",
    "司法",
    "市场监管",
    "人民政府",
    "交通运输",
    "生态环境",
    "自然资源",
    "消防救援",
    "公安",
    "住房和城乡建设",
    "水利",
    "农业农村",
    "卫生健康",
    "教育",
    "税务",
    "财政",
    "商务",
    "文化和旅游",
    "林业",
    "城市管理",
    "发展改革",
    "人力资源和社会保障",
    "民政",
    "审计",
    "统计",
    "医疗保障",
    "退役军人事务",
    "工业和信息化",
    "其他",
)

# Keywords in organisation names. 人民政府 is listed separately: it only wins when nothing
# more specific is named (xx区人民政府应急管理办公室 is an emergency office).
_ORG_KEYWORDS: dict[str, str] = {
    "应急管理": r"应急管理|应急局|应急办|安全生产监督管理|安监局",
    "人防/国防动员": r"人民防空|人防|民防|国防动员|国动办|国动委",
    "消防救援": r"消防",
    "司法": r"司法",
    "市场监管": r"市场监督管理|市场监管|市场和质量监督|工商行政管理|食品药品监督",
    "交通运输": r"交通运输|交通局|交通委|交通建设|公路管理|港航|运输管理",
    "生态环境": r"生态环境|环境保护|环保局",
    "自然资源": r"自然资源|国土资源|规划局|资规局|国土局",
    "公安": r"公安",
    "住房和城乡建设": r"住房和城乡建设|住房城乡建设|住房和城市建设|住建|城乡建设|建设局|建委",
    "水利": r"水利|水务",
    "农业农村": r"农业农村|农业和农村|农业局|农委|农业",
    "卫生健康": r"卫生健康|卫健|卫生和计划生育|卫计",
    "教育": r"教育",
    "税务": r"税务",
    "财政": r"财政",
    "商务": r"商务",
    "文化和旅游": r"文化和旅游|文化广电|文化旅游|文旅|旅游",
    "林业": r"林业|林草",
    "城市管理": r"城市管理|城管|综合行政执法|城市综合执法",
    "发展改革": r"发展和改革|发展改革|发改",
    "人力资源和社会保障": r"人力资源和社会保障|人力资源社会保障|人社",
    "民政": r"(?<!人)民政",  # not the 民政 inside 人民政府
    "审计": r"审计",
    "统计": r"统计局",
    "医疗保障": r"医疗保障|医保局",
    "退役军人事务": r"退役军人",
    "工业和信息化": r"工业和信息化|经济和信息化|工信|经信",
}
_GOVERNMENT = re.compile(r"人民政府|政府办|行政公署|街道办事处|街道办|(?:镇|乡)政府")
_ORG_PATTERNS = [(kind, re.compile(p)) for kind, p in _ORG_KEYWORDS.items()]

# Subject-matter words counted when the text is all there is. Words every report uses
# (行政复议, 人民政府, 法治) are deliberately absent.
_TEXT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "应急管理": ("应急管理", "安全生产", "防灾减灾", "危险化学品", "应急救援"),
    "人防/国防动员": ("人防", "人民防空", "国防动员", "国动", "民防"),
    "司法": ("司法行政", "人民调解", "社区矫正", "公共法律服务", "律师"),
    "市场监管": ("市场监管", "市场监督", "食品安全", "特种设备", "知识产权"),
    "交通运输": ("交通运输", "道路运输", "公路", "交通执法", "航道"),
    "生态环境": ("生态环境", "污染", "环境执法", "排污", "环评"),
    "自然资源": ("自然资源", "国土空间", "不动产", "耕地", "测绘", "矿产"),
    "消防救援": ("消防",),
    "公安": ("公安", "警务", "民警", "治安"),
    "住房和城乡建设": ("住建", "住房和城乡建设", "建筑市场", "物业", "房地产"),
    "水利": ("水利", "水务", "河湖", "水资源"),
    "农业农村": ("农业农村", "农产品", "农药", "种子", "动物防疫"),
    "卫生健康": ("卫生健康", "医疗机构", "卫健", "医疗卫生"),
    "教育": ("学校", "校园", "中小学", "教育系统", "学生"),  # bare 教育 is in 警示教育, 学习教育
    "税务": ("税务", "纳税", "税收"),
    "财政": ("财政", "预算"),
    "商务": ("商务", "外贸", "外资"),
    "文化和旅游": ("文化和旅游", "文旅", "旅游", "文物"),
    "林业": ("林业", "森林", "林草", "林长"),
    "城市管理": ("城市管理", "城管", "市容", "综合行政执法"),
}
_TEXT_PATTERNS = {kind: re.compile("|".join(words)) for kind, words in _TEXT_KEYWORDS.items()}
_TEXT_MIN = 3  # a text-only winner needs this many keyword hits …
_TEXT_RATIO = 2.0  # … and this many times the runner-up's

# Department-like noun phrases near the start of a report ("市应急管理局", "我局" is skipped).
_HEAD_PHRASE = re.compile(rf"[\u4e00-\u9fff（）()]{{2,20}}?{ORG_SUFFIX}(?!的|指导|领导)")
# Something that looks like a department name even if its kind is not in the vocabulary.
_DEPT_SUFFIX = re.compile(rf"{UNIT_SUFFIX}\)?$")


def _kind_in_name(name: str) -> str | None:
    """Kind named earliest in an organisation name; 人民政府 only if nothing else is named."""
    best: tuple[int, str] | None = None
    for kind, pattern in _ORG_PATTERNS:
        m = pattern.search(name)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind)
    if best:
        return best[1]
    if _GOVERNMENT.search(name):
        return "人民政府"
    return None


def kind_from_head(text: str) -> str | None:
    """The author named in the report's opening: title line or first sentence."""
    for m in _HEAD_PHRASE.finditer(text[:300]):
        kind = _kind_in_name(m.group(0))
        if kind:
            return kind
    return None


def kind_from_keywords(text: str) -> str | None:
    """The subject area whose words clearly dominate the text."""
    counts = {kind: len(p.findall(text)) for kind, p in _TEXT_PATTERNS.items()}
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    top, second = ranked[0], ranked[1]
    if top[1] >= _TEXT_MIN and top[1] >= _TEXT_RATIO * second[1]:
        return top[0]
    return None


def department_kind(org: str | None, text: str = "") -> str | None:
    """One of DEPT_KINDS for the organisation (helped by the report text), or None if unclear."""
    name = re.sub(r"\s+", "", org or "")
    if name:
        kind = _kind_in_name(name)
        if kind:
            return kind
        if _DEPT_SUFFIX.search(name) and len(name) >= 3:
            return "其他"  # a real department, just not one of the listed kinds
    if not text:
        return None
    return kind_from_head(text) or kind_from_keywords(text)


# The usual name of each kind of department below province level and, where it differs, at
# province level (a province's 厅; a municipality's bureaus are 局 like a city's). Kinds whose
# names vary too much to guess (消防救援 支队/大队, 城市管理, 税务, 人民政府) are absent: an
# author known only as 我局 of such a kind stays unnamed.
_USUAL_NAMES: dict[str, tuple[str, str]] = {
    "应急管理": ("应急管理局", "应急管理厅"),
    "人防/国防动员": ("国防动员办公室", "国防动员办公室"),
    "司法": ("司法局", "司法厅"),
    "市场监管": ("市场监督管理局", "市场监督管理局"),
    "交通运输": ("交通运输局", "交通运输厅"),
    "生态环境": ("生态环境局", "生态环境厅"),
    "自然资源": ("自然资源局", "自然资源厅"),
    "住房和城乡建设": ("住房和城乡建设局", "住房和城乡建设厅"),
    "水利": ("水利局", "水利厅"),
    "农业农村": ("农业农村局", "农业农村厅"),
    "卫生健康": ("卫生健康委员会", "卫生健康委员会"),
    "教育": ("教育局", "教育厅"),
    "财政": ("财政局", "财政厅"),
    "商务": ("商务局", "商务厅"),
    "文化和旅游": ("文化和旅游局", "文化和旅游厅"),
    "林业": ("林业局", "林业局"),
    "发展改革": ("发展和改革委员会", "发展和改革委员会"),
    "人力资源和社会保障": ("人力资源和社会保障局", "人力资源和社会保障厅"),
    "民政": ("民政局", "民政厅"),
    "审计": ("审计局", "审计厅"),
    "统计": ("统计局", "统计局"),
    "医疗保障": ("医疗保障局", "医疗保障局"),
    "退役军人事务": ("退役军人事务局", "退役军人事务厅"),
    "工业和信息化": ("工业和信息化局", "工业和信息化厅"),
    "公安": ("公安局", "公安厅"),
}
# How a name ends for each way a report refers to its author (我局, 我厅, 我办, 我委).
_REF_ENDS: dict[str, tuple[str, ...]] = {
    "局": ("局",),
    "厅": ("厅",),
    "办": ("办公室", "办"),
    "委": ("委员会", "委"),
}


def canonical_name(
    kind: str | None, level: str | None, ref: str, written: str | None = None
) -> str | None:
    """The department's name to put after its place when the report calls itself 我局/我厅/我办:
    the form the source names (资规局 in zgj.ningbo.gov.cn → 自然资源和规划局) if given, else the
    usual name for its level; None when the kind has no usual name or it does not end the way
    the report refers to itself (我委 is no 应急管理局)."""
    ends = _REF_ENDS.get(ref)
    if not kind or not ends:
        return None
    if written and written.endswith(ends) and department_kind(written) == kind:
        return written
    names = _USUAL_NAMES.get(kind)
    if not names:
        return None
    name = names[1] if level == "省" and ref == "厅" else names[0]
    return name if name.endswith(ends) else None


# Standard abbreviations of department names and their official long forms.
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("应急局", "应急管理局"),
    ("国动办", "国防动员办公室"),
    ("人防办", "人民防空办公室"),
    ("民防办", "民防办公室"),
    ("住建局", "住房和城乡建设局"),
    ("资规局", "自然资源和规划局"),
    ("市场监管局", "市场监督管理局"),
    ("人社局", "人力资源和社会保障局"),
    ("发改委", "发展和改革委员会"),
    ("卫健委", "卫生健康委员会"),
    ("文旅局", "文化和旅游局"),
    ("医保局", "医疗保障局"),
    ("退役军人局", "退役军人事务局"),
)


def expand_abbreviation(org: str) -> str:
    """xx应急局 → xx应急管理局, xx国动办 → xx国防动员办公室; anything else unchanged."""
    for short, long in _ABBREVIATIONS:
        if org.endswith(short) and not org.endswith(long):
            return org[: -len(short)] + long
    return org
