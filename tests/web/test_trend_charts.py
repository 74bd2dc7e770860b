"""Trend charts an analyst can read: shares by default, gaps for years without reports, the
top provinces with the rest folded into 其他 and zeros left to the table (issue 16)."""

from __future__ import annotations

import re

from web import charts
from web.views.trends import TOP_N, _top_with_rest


def row(value: str, reports: int, total: int) -> dict:
    share = reports / total if total else 0.0
    return {
        "value": value,
        "reports": reports,
        "passages": reports,
        "reports_total": total,
        "share": round(share, 3),
        "href": f"/trends?q=x&province={value}",
    }


def test_a_gap_year_has_no_bar_and_breaks_the_line():
    bars = [
        charts.Bar("2017", 50.0, "/a", key="2017"),
        charts.Bar("2018", 0, None, key="2018", gap=True),
        charts.Bar("2019", 25.0, "/b", key="2019"),
    ]
    svg = str(charts.column_chart(bars, dim="year", caption="c", unit="%"))
    assert re.search(r'data-value="2018" data-count="无"', svg)
    assert ">50%<" in svg and ">无<" in svg and ">无%<" not in svg
    assert svg.count('class="gap"') == 1 and '<a class="bar" href="/b"' in svg
    line = str(charts.line_chart(bars, dim="year-passages", caption="c"))
    assert line.count("<polyline") == 0  # two one-point runs: nothing to join across 2018
    joined = str(charts.line_chart([bars[0], bars[2]], dim="year-passages", caption="c"))
    assert joined.count("<polyline") == 1


def test_top_provinces_then_other_and_no_zero_rows():
    rows = [row(f"省{i:02d}", reports=i, total=20) for i in range(1, 15)]
    rows += [row("零省", 0, 9), row("零市", 0, 3)]
    bars = _top_with_rest("province", rows, "count")
    assert len(bars) == TOP_N + 1
    assert [b.label for b in bars[:3]] == ["省14", "省13", "省12"]
    other = bars[-1]
    assert other.label == "其他 4 个" and other.value == 1 + 2 + 3 + 4 and other.href is None
    assert not any(b.label.startswith("零") for b in bars)


def test_shares_rank_by_share_and_other_is_a_pooled_share():
    rows = [row("大省", 10, 100), row("小省", 3, 4)]
    rows += [row(f"省{i:02d}", 1, 10) for i in range(12)]
    bars = _top_with_rest("province", rows, "share")
    assert [b.label for b in bars[:2]] == ["小省", "大省"] and bars[0].value == 75.0
    assert bars[-1].label == "其他 4 个" and bars[-1].value == 10.0  # 4 of 40, not a mean
