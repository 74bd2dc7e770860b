"""Charts as inline SVG, drawn on the server: no JavaScript, no chart library, no CDN.

The page must work on an isolated network under a CSP that forbids inline scripts and styles,
so a chart is plain SVG markup: bars are links (``<a href>``) to the passages they count, each
with a ``<title>`` the browser shows on hover, and the numbers sit next to the bars so the chart
reads without hovering. Colours come from classes styled in ``kb.css``; sizes are presentation
attributes, which the CSP allows. Every label is escaped: values come from report metadata.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 12
# Charts are drawn at their size and never scaled down (12 px labels stay 12 px), so they are
# drawn narrow enough for a phone: 390 px wide, less the page's and the card's padding, leaves
# about 330 px. Wider desktop columns just leave room beside them.
FIT_WIDTH = 330
# Charts over categories (years): left margin for the value axis, one slot per category, as
# wide as SLOT when they fit in FIT_WIDTH, else narrower down to MIN_SLOT (then it scrolls).
LEFT, TOP, BOTTOM, SLOT, MIN_SLOT = 40, 22, 30, 64, 36
LABEL_CHARS = 7  # horizontal chart labels longer than this are cut (the full text is in <title>)
# Horizontal charts: label column, bar length, room for the value after the bar.
ROW_LEFT, ROW_RIGHT = 8 + FONT * LABEL_CHARS, 44
ROW_PLOT = FIT_WIDTH - ROW_LEFT - ROW_RIGHT


@dataclass
class Bar:
    label: str
    value: float  # a count, or a share in percent
    href: str | None = None
    title: str = ""  # hover text; defaults to "label：value"
    key: str = ""  # machine value for data-value (e.g. the year), defaults to label
    gap: bool = False  # no data at all here (a year without reports): drawn as a gap, not a 0

    @property
    def shown(self) -> str:
        return "无" if self.gap else _fmt(self.value)


def _e(value: object) -> str:
    return str(escape(value))


def nice_max(value: float, ticks: int = 4) -> tuple[int, int]:
    """(axis maximum, tick step): a 1-2-5 step so the axis reads in round numbers."""
    value = math.ceil(value)
    if value <= 0:
        return 1, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(kind: str, dim: str, caption: str, width: float, height: float) -> list[str]:
    return [
        f'<svg class="chart {kind}" data-dim="{_e(dim)}" role="img" aria-label="{_e(caption)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}" height="{_fmt(height)}" '
        f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" font-size="{FONT}">',
        f"<title>{_e(caption)}</title>",
    ]


def slot_width(n: int) -> int:
    """Width of one category: SLOT, narrower when that many would not fit on a phone."""
    return max(MIN_SLOT, min(SLOT, (FIT_WIDTH - LEFT - 10) // max(n, 1)))


def _category_frame(
    kind: str, dim: str, caption: str, bars: Sequence[Bar], plot_h: int, unit: str = ""
) -> tuple[list[str], int, int, int]:
    """Opening of a chart with one slot per category along x and a value axis with grid lines:
    (markup so far, width, y of the baseline, axis maximum)."""
    width = LEFT + max(len(bars), 1) * slot_width(len(bars)) + 10
    base = TOP + plot_h
    top_value, step = nice_max(max((b.value for b in bars), default=0))
    out = _open(kind, dim, caption, width, base + BOTTOM)
    for v in range(0, top_value + 1, step):
        y = _fmt(base - plot_h * v / top_value)
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{y}" x2="{width - 10}" y2="{y}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end">{v}{unit}</text>'
        )
    return out, width, base, top_value


def _close_category(out: list[str], width: int, base: int) -> Markup:
    out.append(f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{width - 10}" y2="{base}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _link(bar: Bar, shapes: list[str]) -> str:
    """A bar's shapes wrapped in its link (or a plain group when it links nowhere)."""
    title = f"<title>{_e(bar.title or f'{bar.label}：{bar.value}')}</title>"
    data = f'data-value="{_e(bar.key or bar.label)}" data-count="{bar.shown}"'
    body = title + "".join(shapes)
    if bar.href:
        return f'<a class="bar" href="{_e(bar.href)}" {data}>{body}</a>'
    return f'<g class="bar" {data}>{body}</g>'


def _suffix(bar: Bar, unit: str) -> str:
    return "" if bar.gap else unit


def column_chart(bars: Sequence[Bar], *, dim: str, caption: str, unit: str = "") -> Markup:
    """Vertical bars over a category axis (years), value on top of each bar, y axis ticks.
    A gap (no report at all) has no bar, only 无 in grey, so it never reads as a zero."""
    plot_h = 160
    out, width, base, top_value = _category_frame("columns", dim, caption, bars, plot_h, unit)
    slot = slot_width(len(bars))
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + slot * 0.18
        w = slot * 0.64
        h = plot_h * bar.value / top_value
        cx = _fmt(x + w / 2)
        fill = "gap" if bar.gap else "fill" if bar.value else "fill zero"
        shapes = [
            f'<rect class="{fill}" x="{_fmt(x)}" '
            f'y="{_fmt(base - max(h, 1.5))}" width="{_fmt(w)}" height="{_fmt(max(h, 1.5))}" rx="2"/>',
            f'<text class="val{" gap" if bar.gap else ""}" x="{cx}" y="{_fmt(base - h - 6)}" '
            f'text-anchor="middle">{bar.shown}{_suffix(bar, unit)}</text>',
            f'<text class="lab" x="{cx}" y="{base + 18}" text-anchor="middle">{_e(bar.label)}</text>',
        ]
        out.append(_link(bar, shapes))
    return _close_category(out, width, base)


def bar_chart(bars: Sequence[Bar], *, dim: str, caption: str, unit: str = "") -> Markup:
    """Horizontal bars, one row per category (provinces, kinds of department: long names)."""
    row, left, right, plot_w, top = 26, ROW_LEFT, ROW_RIGHT, ROW_PLOT, 8
    width = left + plot_w + right
    height = top + max(len(bars), 1) * row + 6
    top_value, _step = nice_max(max((b.value for b in bars), default=0))
    out = _open("rows", dim, caption, width, height)
    for i, bar in enumerate(bars):
        y = top + i * row
        w = plot_w * bar.value / top_value
        label = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
        shapes = [
            f'<text class="lab" x="{left - 8}" y="{y + 17}" text-anchor="end">{_e(label)}</text>',
            f'<rect class="{"fill" if bar.value else "fill zero"}" x="{left}" y="{y + 4}" '
            f'width="{_fmt(max(w, 1.5))}" height="{row - 8}" rx="2"/>',
            f'<text class="val" x="{_fmt(left + max(w, 1.5) + 6)}" y="{y + 17}">'
            f"{bar.shown}{_suffix(bar, unit)}</text>",
        ]
        out.append(_link(bar, shapes))
    out.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{height - 6}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(points: Sequence[Bar], *, dim: str, caption: str) -> Markup:
    """A line through one value per category (passages per year), each point a link; the line
    breaks at a gap (a year without reports) instead of dipping to 0."""
    plot_h = 120
    out, width, base, top_value = _category_frame("line", dim, caption, points, plot_h)
    slot = slot_width(len(points))
    xy = [
        (LEFT + i * slot + slot / 2, base - plot_h * p.value / top_value)
        for i, p in enumerate(points)
    ]
    run: list[str] = []
    for p, (x, y) in [*zip(points, xy, strict=True), (Bar("", 0, gap=True), (0.0, 0.0))]:
        if not p.gap:
            run.append(f"{_fmt(x)},{_fmt(y)}")
            continue
        if len(run) > 1:
            out.append(f'<polyline class="stroke" points="{" ".join(run)}" fill="none"/>')
        run = []
    for p, (x, y) in zip(points, xy, strict=True):
        mark = "" if p.gap else f'<circle class="dot" cx="{_fmt(x)}" cy="{_fmt(y)}" r="4"/>'
        shapes = [
            mark,
            f'<text class="val{" gap" if p.gap else ""}" x="{_fmt(x)}" y="{_fmt(y - 9)}" '
            f'text-anchor="middle">{p.shown}</text>',
            f'<text class="lab" x="{_fmt(x)}" y="{base + 18}" text-anchor="middle">{_e(p.label)}</text>',
        ]
        out.append(_link(p, shapes))
    return _close_category(out, width, base)
