"""Generate kb/ingest/data/domains.tsv: which regions a web-domain label can spell.

Why: a report's source URL names its government in the host name (www.sx.gov.cn = 绍兴,
www.tjjh.gov.cn = 天津 静海, yjj.cq.gov.cn = 重庆), which is evidence for the report's place
when its text does not say. Labels are short and ambiguous (sx fits 绍兴, 山西, 陕西, 寿县 …),
so the table does not decide: it lists every region of the gazetteer whose name can be spelt
that way, and kb.ingest.sources lets the report text choose among them at run time.

Spellings, for every region of kb/ingest/data/regions.tsv (its name, old names and short form):

    f  full pinyin of the stem      zhengzhou, rongchang (郑州市 → 郑州; 青龙满族自治县 → 青龙)
    i  initials of the stem         zz, cq, sx; with zh/ch/sh kept as well (bjdch = 北京 东城)
    n  stem + its level, full       qinghexian, pinganqu, hainanzhou (not for provinces)
    m  stem + its level, initials   gyx (高邑县), zgq (章贡区), jzs (晋州市)
    and, found at run time by kb.ingest.domains (not stored):
    a  an ancestor's initials + i   tjjh, szlh, hbxs, cqfj; the ancestor is the parent or, under
                                    a prefecture, the province (jxcr = 江西 崇仁, qhgem)
    b  an ancestor's initials + f   hbdaye, tskaiping, cqwushan, ycjinfeng
    c  the parent's initials + m    tjhbq (天津 河北区), shbsq, szscq

Left out, because real portals do not spell themselves that way (see kb/ingest/data/README.md
for the sample this was measured on): an ancestor's *full* pinyin in front (chongqingfengjie,
hubeidaye), and labels of one letter.

Labels that name a department or a portal service (yjj = 应急局, sfj, jtysj, www, xxgk …) are
not places: they are written to domain_depts.tsv (a short hand-kept list below) and never
listed as a place.

pypinyin is needed only here (it is a dev dependency, not a runtime one). Regenerate with

    .venv/bin/python scripts/build_domains.py            # writes kb/ingest/data/domain*.tsv
    .venv/bin/python scripts/build_domains.py --check real_domains.psv   # measure the rules

``--check`` takes lines ``parent name|region name|label`` (real portal domains) and prints how
many each spelling rule explains.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "kb" / "ingest" / "data"

# Administrative endings removed to get a stem, longest first (then one-character ones).
_LONG_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "新区",
    "林区",
    "矿区",
    "盟",
)
_SHORT_SUFFIXES = ("省", "市", "县", "区", "旗", "州")
# The level word a portal writes after a stem (qinghexian, pinganqu, hainanzhou).
_LEVEL_WORD = {
    "自治州": "州",
    "自治县": "县",
    "自治旗": "旗",
    "新区": "新区",
    "林区": "林区",
    "矿区": "矿区",
    "地区": "地区",
    "盟": "盟",
}
_ETHNIC = re.compile(
    r"(?:蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|"
    r"拉祜|水|东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|"
    r"塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|"
    r"基诺|各)族$"
)

# Place-name readings that pypinyin's phrase dictionary gets wrong: whole names first, then
# characters read one way in every place name (长 is chang everywhere but 长子).
NAME_READINGS: dict[str, tuple[str, ...]] = {
    "长子": ("zhang", "zi"),
    "单县": ("shan", "xian"),
    "洪洞": ("hong", "tong"),
    "筠连": ("jun", "lian"),
    "漯河": ("luo", "he"),
    "南乐": ("nan", "le"),
    "民乐": ("min", "le"),
    "乐亭": ("lao", "ting"),
    "繁峙": ("fan", "shi"),
    "荥经": ("ying", "jing"),
    "荥阳": ("xing", "yang"),
    "伽师": ("jia", "shi"),
    "中牟": ("zhong", "mou"),
    "闵行": ("min", "hang"),
    "红寺堡": ("hong", "si", "bu"),
    "浚县": ("xun", "xian"),
    "涡阳": ("guo", "yang"),
    "莘县": ("shen", "xian"),
    "陕西": ("shaan", "xi"),  # official romanisation: www.shaanxi.gov.cn (山西 stays shanxi)
}
CHAR_READINGS: dict[str, str] = {
    "长": "chang",
    "都": "du",
    "朝": "chao",
    "什": "shi",
    "柏": "bai",
    "重": "chong",
    "厦": "xia",
    "蚌": "beng",
    "番": "pan",
}

# Host labels that name a department or a portal service, not a place (dept kind, meaning).
# Hand-kept: these are the abbreviations portals use for the departments kb knows.
DEPT_LABELS: dict[str, tuple[str, str]] = {
    "yjj": ("应急管理", "应急局"),
    "yjglj": ("应急管理", "应急管理局"),
    "yjgl": ("应急管理", "应急管理"),
    "yjglt": ("应急管理", "应急管理厅"),
    "yjt": ("应急管理", "应急厅"),
    "ajj": ("应急管理", "安监局"),
    "sfj": ("司法", "司法局"),
    "sft": ("司法", "司法厅"),
    "rsj": ("人力资源和社会保障", "人社局"),
    "rst": ("人力资源和社会保障", "人社厅"),
    "hrss": ("人力资源和社会保障", "人社"),
    "jtj": ("交通运输", "交通局"),
    "jtysj": ("交通运输", "交通运输局"),
    "jtys": ("交通运输", "交通运输"),
    "jtyst": ("交通运输", "交通运输厅"),
    "jtt": ("交通运输", "交通厅"),
    "jtw": ("交通运输", "交通委"),
    "sthjj": ("生态环境", "生态环境局"),
    "sthjt": ("生态环境", "生态环境厅"),
    "sthj": ("生态环境", "生态环境"),
    "hbj": ("生态环境", "环保局"),
    "epb": ("生态环境", "环保局"),
    "zrzyj": ("自然资源", "自然资源局"),
    "zrzyt": ("自然资源", "自然资源厅"),
    "zrzy": ("自然资源", "自然资源"),
    "ghzrzyj": ("自然资源", "规划和自然资源局"),
    "ghzyj": ("自然资源", "规划资源局"),
    "zrzyhghj": ("自然资源", "自然资源和规划局"),
    "gtzy": ("自然资源", "国土资源"),
    "gtj": ("自然资源", "国土局"),
    "zgj": ("自然资源", "资规局"),
    "rf": ("人防/国防动员", "人防办"),
    "rfb": ("人防/国防动员", "人防办"),
    "rfj": ("人防/国防动员", "人防局"),
    "gfdy": ("人防/国防动员", "国防动员"),
    "gdb": ("人防/国防动员", "国动办"),
    "mfb": ("人防/国防动员", "民防办"),
    "scjgj": ("市场监管", "市场监管局"),
    "amr": ("市场监管", "市场监管"),
    "zjj": ("住房和城乡建设", "住建局"),
    "zjt": ("住房和城乡建设", "住建厅"),
    "zjw": ("住房和城乡建设", "住建委"),
    "slj": ("水利", "水利局"),
    "slt": ("水利", "水利厅"),
    "swj": ("水利", "水务局"),
    "nyncj": ("农业农村", "农业农村局"),
    "nynct": ("农业农村", "农业农村厅"),
    "wjw": ("卫生健康", "卫健委"),
    "wsjkw": ("卫生健康", "卫健委"),
    "jyj": ("教育", "教育局"),
    "jyt": ("教育", "教育厅"),
    "czj": ("财政", "财政局"),
    "czt": ("财政", "财政厅"),
    "fgw": ("发展改革", "发改委"),
    "drc": ("发展改革", "发改委"),
    "sjj": ("审计", "审计局"),
    "tjj": ("统计", "统计局"),
    "mzj": ("民政", "民政局"),
    "mzt": ("民政", "民政厅"),
    "ybj": ("医疗保障", "医保局"),
    "whlyj": ("文化和旅游", "文旅局"),
    "wlj": ("文化和旅游", "文旅局"),
    "lyj": ("林业", "林业局"),
    "cgj": ("城市管理", "城管局"),
    "gaj": ("公安", "公安局"),
    "tyjrswj": ("退役军人事务", "退役军人事务局"),
    "gxj": ("工业和信息化", "工信局"),
    "xfjy": ("消防救援", "消防救援"),
    # Portal services: neither a place nor a department.
    "www": ("-", "门户"),
    "public": ("-", "政务公开"),
    "xxgk": ("-", "信息公开"),
    "zwgk": ("-", "政务公开"),
    "gk": ("-", "公开"),
    "credit": ("-", "信用"),
    "m": ("-", "手机版"),
    "wap": ("-", "手机版"),
    "zfxxgk": ("-", "政府信息公开"),
    "so": ("-", "搜索"),
    "search": ("-", "搜索"),
}


# Labels that spell one department's full name (the name kb may write after a place when a
# report calls itself 我局); the rest are abbreviations several names share.
DEPT_NAMES: dict[str, str] = {
    "yjglj": "应急管理局",
    "yjglt": "应急管理厅",
    "sthjj": "生态环境局",
    "sthjt": "生态环境厅",
    "zrzyj": "自然资源局",
    "zrzyt": "自然资源厅",
    "ghzrzyj": "规划和自然资源局",
    "zrzyhghj": "自然资源和规划局",
    "zgj": "自然资源和规划局",
    "jtysj": "交通运输局",
    "jtyst": "交通运输厅",
    "sfj": "司法局",
    "sft": "司法厅",
    "scjgj": "市场监督管理局",
    "nyncj": "农业农村局",
    "nynct": "农业农村厅",
    "whlyj": "文化和旅游局",
    "mzj": "民政局",
    "mzt": "民政厅",
    "czj": "财政局",
    "czt": "财政厅",
    "sjj": "审计局",
    "tjj": "统计局",
    "ybj": "医疗保障局",
}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str
    kind: str
    aliases: tuple[str, ...]
    short: tuple[str, ...]


def load_regions(path: Path) -> dict[str, Region]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    def split(value: str) -> tuple[str, ...]:
        return tuple(v for v in value.split(",") if v)

    return {
        r["code"]: Region(
            r["code"], r["name"], r["parent"], r["kind"], split(r["aliases"]), split(r["short"])
        )
        for r in rows
    }


def stem_and_level(name: str) -> tuple[str, str]:
    """(stem, level word): 郑州市 → (郑州, 市), 青龙满族自治县 → (青龙, 县), 寿县 → (寿县, "")."""
    for suffix in _LONG_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem, level = name[: -len(suffix)], _LEVEL_WORD.get(suffix, "")
            break
    else:
        if name[-1:] in _SHORT_SUFFIXES and len(name) > 1:
            stem, level = name[:-1], name[-1]
        else:
            stem, level = name, ""
    while (m := _ETHNIC.search(stem)) and m.start() >= 2:
        stem = stem[: m.start()]
    if _ETHNIC.fullmatch(stem):  # 鄂温克族自治旗: the people's name is the stem
        stem = stem[:-1]
    if len(stem) < 2:  # 寿县, 沁县: the one-character stem keeps its suffix
        return name if len(name) <= 3 else stem + level, ""
    return stem, level


def syllables(text: str) -> list[str]:
    """Place-name pinyin of ``text``, one tone-less syllable per character."""
    for name, reading in NAME_READINGS.items():
        if text.startswith(name):
            return [*reading, *(syllables(text[len(name) :]) if text[len(name) :] else [])]
    out = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    if len(out) != len(text):
        return out
    return [CHAR_READINGS.get(ch, syl) for ch, syl in zip(text, out, strict=True)]


def initials(syl: list[str]) -> set[str]:
    """First letters (zhang → z), and the same with zh/ch/sh kept (bjdch, ncqsh, zhp)."""
    plain = "".join(s[0] for s in syl)
    digraph = "".join(s[:2] if s[:2] in ("zh", "ch", "sh") else s[0] for s in syl)
    return {plain, digraph}


def own_spellings(region: Region) -> dict[str, str]:
    """label → rule letter for the region's own name, old names and short forms."""
    found: dict[str, str] = {}
    names = [region.name, *region.aliases]
    stems = {stem_and_level(n)[0] for n in names} | {s for s in region.short if len(s) >= 2}
    for s in sorted(stems):
        syl = syllables(s)
        found.setdefault("".join(syl), "f")
        for label in sorted(initials(syl)):
            found.setdefault(label, "i")
    if region.kind not in ("province", "municipality"):
        for n in names:
            stem, level = stem_and_level(n)
            if level:
                syl = syllables(stem + level)
                found.setdefault("".join(syl), "n")
                for label in sorted(initials(syl)):
                    found.setdefault(label, "m")
    return {label: how for label, how in found.items() if len(label) >= 2}


def ancestors(region: Region, regions: dict[str, Region]) -> list[Region]:
    """The parent and, when the parent is a prefecture, the province above it."""
    out = []
    parent = regions.get(region.parent)
    if parent:
        out.append(parent)
        grand = regions.get(parent.parent)
        if grand:
            out.append(grand)
    return out


def build(regions: dict[str, Region]) -> dict[str, dict[str, str]]:
    """label → {code: rule letter} of the regions' own spellings (f, i, n, m).

    Ancestor-prefixed labels (rules a, b, c) are not stored: kb.ingest.domains finds them by
    splitting a label into an ancestor's initials and a stored spelling, which keeps the shipped
    table at a fifth of the size it would have with every combination written out.
    """
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for code, region in regions.items():
        for label, how in own_spellings(region).items():
            table[label].setdefault(code, how)
    return {label: cands for label, cands in table.items() if label not in DEPT_LABELS}


_KIND_ORDER = {"province": 0, "municipality": 0, "city": 1, "county_city": 2, "county": 2}


def write(table: dict[str, dict[str, str]], regions: dict[str, Region], out_dir: Path) -> None:
    lines = ["label\tcandidates"]
    for label in sorted(table):
        cands = sorted(
            table[label].items(), key=lambda kv: (_KIND_ORDER.get(regions[kv[0]].kind, 3), kv[0])
        )
        lines.append(f"{label}\t{','.join(f'{code}{how}' for code, how in cands)}")
    (out_dir / "domains.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dept = ["label\tdept_kind\tname\tmeaning"]
    dept += [
        f"{lab}\t{kind}\t{DEPT_NAMES.get(lab, '')}\t{meaning}"
        for lab, (kind, meaning) in sorted(DEPT_LABELS.items())
    ]
    (out_dir / "domain_depts.tsv").write_text("\n".join(dept) + "\n", encoding="utf-8")


def check(path: Path, table: dict[str, dict[str, str]], regions: dict[str, Region]) -> None:
    """How many real portal labels each rule explains (lines: parent name|region name|label).

    Uses the run-time lookup (kb.ingest.domains), so ancestor-prefixed labels count as the
    ingest pipeline will find them; labels that only an ancestor's *full* pinyin in front would
    explain (not supported) are counted separately.
    """
    sys.path.insert(0, str(ROOT))
    from kb.ingest.domains import DomainTable

    lookup = DomainTable(
        table,
        {c: r.parent for c, r in regions.items()},
        {c: r.kind for c, r in regions.items()},
        {lab: kind for lab, (kind, _m) in DEPT_LABELS.items()},
        DEPT_NAMES,
    )
    by_name: dict[tuple[str, str], str] = {}
    for r in regions.values():
        parent = regions[r.parent].name if r.parent in regions else ""
        for n in (r.name, *r.aliases):
            by_name.setdefault((n, parent), r.code)
            by_name.setdefault((n, ""), r.code)
    counts: Counter[str] = Counter()
    misses = []
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parent, name, label = line.split("|")
        code = by_name.get((name, parent)) or by_name.get((name, ""))
        if code is None:
            counts["region not in the gazetteer"] += 1
            misses.append(f"({parent}{name} not in the gazetteer)")
            continue
        total += 1
        how = lookup.place_lookup(label).get(code)
        if how:
            counts[how] += 1
            continue
        full_prefix = any(
            label.startswith(alab) and own_spellings(regions[code]).get(label[len(alab) :])
            for anc in ancestors(regions[code], regions)
            for alab, ahow in own_spellings(anc).items()
            if ahow == "f"
        )
        counts["ancestor's full pinyin + own (not supported)" if full_prefix else "no rule"] += 1
        misses.append(f"{parent}{name} {label}")
    print(f"{total} real labels of regions in the gazetteer")
    for how, n in counts.most_common():
        print(f"  {how:<46} {n:>4} ({n / max(total, 1):.0%})")
    print("not explained: " + ", ".join(misses))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=Path, default=DATA / "regions.tsv")
    ap.add_argument("--out-dir", type=Path, default=DATA)
    ap.add_argument("--check", type=Path, help="measure the rules on real labels, write nothing")
    args = ap.parse_args()
    regions = load_regions(args.regions)
    table = build(regions)
    if args.check:
        check(args.check, table, regions)
        return
    write(table, regions, args.out_dir)
    pairs = sum(len(c) for c in table.values())
    size = (args.out_dir / "domains.tsv").stat().st_size
    print(f"{len(table)} labels, {pairs} (label, region) pairs, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
