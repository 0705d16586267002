"""Altair chart builders for the report, their alt texts, and offline renderers (vl-convert) to ChartImage."""

from __future__ import annotations

import colorsys
import functools
import html
import json
import math
import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar, cast

import altair as alt
import numpy as np
import vl_convert
from altair.utils.schemapi import debug_mode

from reportgen.documents.fonts import FAMILY, register_chart_fonts
from reportgen.documents.formats import lift_text
from reportgen.model import Analysis, ChartImage, IntArray, KSelection, PcaMap, ReportJob, SegmentProfile
from reportgen.model.columns import feature_label

# Okabe-Ito without black and without its yellow (1.3:1 on white, unreadable), strongest colours first so small
# reports get the most distinct ones; a neutral grey and a dark teal make eight
SEGMENT_PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#6B7280",
    "#115E59",
)
MIN_BRAND_COLOURS = 4  # fewer legible brand colours than this and segments would repeat colours too soon
MIN_CONTRAST = 2.5  # against white: a brand colour must stand out this much to mark a segment

AnyChart = alt.Chart | alt.LayerChart

FULL_WIDTH = 640  # CSS px: A4 content width (~170 mm) at 96 px per inch
BRIEFING_WIDTH = 420  # CSS px: the e-mail's chart, legible on a phone
SEGMENT_HEIGHT = 220
MAP_HEIGHT = 440
K_CHART_HEIGHT = 240
MAX_MAP_POINTS = 5000
MIN_POINTS_PER_SEGMENT = 25
LOG2_LIMIT = 4  # lift axes run from 1/16x to 16x; further out (and zero) is drawn at the edge, labelled true
# Lato Bold advance widths in em, rounded to 0.05 (Regular is at most 7% narrower), to wrap labels to a width
# in px; other characters count as 0.6 em
_EM_WIDTHS: dict[str, float] = {
    char: em
    for em, chars in (
        (0.2, ",. "),
        (0.25, "ijl':;"),
        (0.3, "I()[]`{|}·"),
        (0.35, "f!-"),
        (0.4, 'rt"*/?\\_'),
        (0.45, "szJ"),
        (0.5, "acgL"),
        (0.55, "bdehknopquvxyFS"),
        (0.6, "EPTZ0123456789#$+<=>^~"),
        (0.65, "BRY"),
        (0.7, "ACKVX&"),
        (0.75, "DGHNU"),
        (0.8, "wOQ%@"),
        (0.85, "m"),
        (0.95, "M"),
        (1.05, "W"),
    )
    for char in chars
}


@dataclass(frozen=True)
class ChartTheme:
    """Fonts and colours of every chart; built from the brand file by the caller."""

    font: str = FAMILY
    palette: tuple[str, ...] = SEGMENT_PALETTE  # segment id i gets palette[i % len(palette)]
    sequential: tuple[str, str] = ("#EFF5FB", "#0B4F8A")  # low -> high
    diverging: tuple[str, str, str] = ("#B35806", "#F7F7F7", "#2166AC")  # below, at, above the average
    foreground: str = "#1F2933"
    background: str = "#FFFFFF"
    grid: str = "#E4E7EB"
    muted: str = "#8A96A3"  # secondary marks, axis lines, annotations
    primary: str = "#0072B2"
    title_size: int = 14
    label_size: int = 11


def srgb(color: str) -> tuple[float, float, float] | None:
    """Return a hex, rgb() or hsl() CSS colour as sRGB channels in 0..1 over white; None for other forms."""
    text = color.strip().lower()
    alpha = 1.0
    if re.fullmatch(r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})", text):
        digits = text[1:]
        if len(digits) <= 4:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in range(0, len(digits), 2)]
        rgb, alpha = channels[:3], (channels[3] if len(channels) == 4 else 1.0)
    else:
        found = re.fullmatch(r"(rgba?|hsla?)\((.*)\)", text)
        if not found:
            return None
        numbers = re.findall(r"[+-]?(?:\d+\.?\d*|\.\d+)%?", found.group(2))
        if len(numbers) not in (3, 4):
            return None

        def number(token: str, full: float) -> float:
            return float(token[:-1]) / 100 * full if token.endswith("%") else float(token)

        if len(numbers) == 4:
            alpha = number(numbers[3], 1.0)
        if found.group(1).startswith("rgb"):
            rgb = [number(t, 255.0) / 255 for t in numbers[:3]]
        else:
            hue = float(numbers[0].rstrip("%")) / 360 % 1.0
            rgb = list(colorsys.hls_to_rgb(hue, number(numbers[2], 1.0), number(numbers[1], 1.0)))
    # a translucent colour is seen over the white page
    a = min(max(alpha, 0.0), 1.0)
    r, g, b = (min(max(c, 0.0), 1.0) * a + (1 - a) for c in rgb)
    return (r, g, b)


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """Return the WCAG 2 relative luminance of sRGB channels in 0..1."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """Return the WCAG 2 contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


WHITE = (1.0, 1.0, 1.0)


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """Return CIE L*a*b* (D65) of sRGB channels in 0..1."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


MIN_COLOUR_DISTANCE = 15.0  # CIE76 delta E: closer colours read as one segment (or as the text colour)


def legible_colours(palette: Sequence[str], foreground: str = "#1F2933") -> tuple[str, ...]:
    """Return the palette's colours that read on white (contrast >= 2.5), in order, look-alikes dropped.

    A colour is dropped when it is within MIN_COLOUR_DISTANCE of an earlier kept one or of the text colour.
    """
    text = srgb(foreground)
    seen = [_lab(text)] if text is not None else []
    kept: list[str] = []
    for color in palette:
        rgb = srgb(color)
        if rgb is None or contrast_ratio(rgb, WHITE) < MIN_CONTRAST:
            continue
        lab = _lab(rgb)
        if any(math.dist(lab, other) < MIN_COLOUR_DISTANCE for other in seen):
            continue
        seen.append(lab)
        kept.append(color)
    return tuple(kept)


def chart_theme(colors: Mapping[str, str], palette: Sequence[str]) -> ChartTheme:
    """Return the chart theme of a brand: its role colours, and its palette for segments when legible."""
    default = ChartTheme()
    legible = legible_colours(palette, colors.get("foreground", default.foreground))
    return ChartTheme(
        primary=colors.get("primary", default.primary),
        foreground=colors.get("foreground", default.foreground),
        background=colors.get("background", default.background),
        palette=legible if len(legible) >= MIN_BRAND_COLOURS else default.palette,
    )


def ink_on(fill: str, theme: ChartTheme) -> str:
    """Return white or the foreground colour, whichever reads better on `fill`."""
    rgb, dark = srgb(fill), srgb(theme.foreground)
    if rgb is None or dark is None:
        return theme.foreground
    return "#FFFFFF" if contrast_ratio(rgb, WHITE) > contrast_ratio(rgb, dark) else theme.foreground


def segment_color(segment_id: int, theme: ChartTheme) -> str:
    """Return the stable colour of a segment id."""
    return theme.palette[segment_id % len(theme.palette)]


def altair_config(theme: ChartTheme) -> dict[str, Any]:
    """Return the Altair config applied to every chart."""
    text = {"font": theme.font, "color": theme.foreground}
    labels = {  # axis and legend text alike
        "labelFont": theme.font,
        "titleFont": theme.font,
        "labelFontSize": theme.label_size,
        "titleFontSize": theme.label_size,
        "titleFontWeight": "normal",
        "labelColor": theme.foreground,
        "titleColor": theme.foreground,
    }
    axis = {
        **labels,
        "gridColor": theme.grid,
        "gridWidth": 0.8,
        "domainColor": theme.muted,
        "tickColor": theme.muted,
        "labelPadding": 4,
        "titlePadding": 8,
    }
    return {
        # no per-mark ARIA labels (thousands on the map, slow to render): the image carries the alt text instead
        "aria": False,
        "font": theme.font,
        "background": theme.background,
        "padding": 8,
        "view": {"stroke": None},
        "title": {
            "font": theme.font,
            "fontSize": theme.title_size,
            "fontWeight": "bold",
            "color": theme.foreground,
            "anchor": "start",
            "offset": 12,
            "subtitleFont": theme.font,
            "subtitleFontSize": theme.label_size,
            "subtitleColor": theme.muted,
        },
        "axis": axis,
        "axisBand": {"grid": False, "ticks": False, "domain": False},
        "legend": {
            **labels,
            "labelLimit": 260,
        },
        "text": {**text, "fontSize": theme.label_size - 1},
        "range": {"category": list(theme.palette)},
    }


# ---- formatting shared by labels and alt texts ---------------------------------------------------------


def pct_text(share: float) -> str:
    """Return a share as a percentage: one decimal below 10%, none above."""
    value = share * 100
    if 0 < value < 0.1:
        return "<0.1%"
    return f"{value:.1f}%" if value < 9.95 else f"{value:.0f}%"


def _log2(lift: float) -> float:
    """Return log2(lift) clamped to the lift axes (1/16x to 16x); zero lands on the lower edge."""
    value = math.log2(lift) if lift > 0 else -LOG2_LIMIT
    return round(min(max(value, -LOG2_LIMIT), LOG2_LIMIT), 6)


def _line_px(line: str, size: float) -> float:
    return sum(_EM_WIDTHS.get(char, 0.6) for char in line) * size


def _text_px(text: str, size: float) -> float:
    """Return the width in px of the longest line of a label in Lato at `size` px."""
    return max((_line_px(line, size) for line in text.split("\n")), default=0.0)


def _pieces(word: str, width: float, size: float) -> list[str]:
    """Split a word wider than `width` px after its hyphens, and hard (adding a hyphen) only if still too wide."""
    pieces: list[str] = []
    for part in re.findall(r"[^-]+-?|-", word):
        if pieces and _line_px(pieces[-1] + part, size) <= width:
            pieces[-1] += part
        else:
            pieces.append(part)
    fitted: list[str] = []
    for piece in pieces:
        # a tenth too wide may overhang into the gaps between columns: better than "frequen-cy"
        while len(piece) >= 6 and _line_px(piece, size) > 1.1 * width:
            cut = 3  # at least three letters either side of a hard break
            while cut + 4 <= len(piece) and _line_px(piece[: cut + 1] + "-", size) <= width:
                cut += 1
            fitted.append(piece[:cut] + "-")
            piece = piece[cut:]
        fitted.append(piece)
    return fitted


def _wrap(text: str, width: float, size: float) -> str:
    """Break a label into lines of at most `width` px at `size` px: first before each " · ", then at spaces."""
    if _line_px(text, size) <= width:
        return text
    lines: list[str] = []
    for index, part in enumerate(text.split(" · ")):
        words = part.split()
        if index and words:
            words[0] = "· " + words[0]  # the qualifier starts its own line, led by its dot
        start = len(lines)
        for word in words:
            for number, piece in enumerate(_pieces(word, width, size)):
                glue = "" if number else " "  # the rest of a split word follows without a space
                if len(lines) > start and _line_px(lines[-1] + glue + piece, size) <= width:
                    lines[-1] += glue + piece
                else:
                    lines.append(piece)
    return "\n".join(lines) or text


# Vega draws an array label as several lines; the data carries the breaks as "\n"
_SPLIT_LINES = "split(datum.label, '\\n')"
# axis and legend labels for log2 values: 1 -> "2x", -1 -> "0.5x"
# (below 1/8 as fractions: 1/16x reads better than 0.0625x)
_TIMES_LABEL = (
    "datum.value >= -3 ? format(pow(2, datum.value), '.3~f') + 'x' "
    ": '1/' + format(pow(2, -datum.value), 'd') + 'x'"
)


_LINE_HEIGHT = 13
WIDE_LEGEND_COLUMNS = 6  # beyond this many columns a grid's legend moves below it, so the columns get wider
_LEGEND_PX = 80  # a vertical swatch legend with its offset
_ROW_PX = 24  # a grid row with one line of text
_TITLE_PX = 60  # title, subtitle and padding above a chart


def _headers(names: Sequence[str], width: float, size: float) -> list[str]:
    """Wrap column headers and pad them with blank first lines to one height, so they align at the bottom."""
    wrapped = [_wrap(name, width, size).split("\n") for name in names]
    lines = max((len(w) for w in wrapped), default=1)
    return ["\n".join([""] * (lines - len(w)) + w) for w in wrapped]


@dataclass(frozen=True)
class GridLayout:
    """How a segments grid (heatmap, migration) fits the page: wrapped headers, legend place, height."""

    headers: tuple[str, ...]  # one per column, wrapped and padded to the same number of lines
    header_size: int  # px: smaller when many columns share the width
    legend: Literal["right", "bottom"]  # beside the grid, or below it to leave the width to many columns
    height: int  # CSS px of the whole chart


def grid_layout(
    columns: Sequence[str], rows: Sequence[str], theme: ChartTheme, row_title: bool = False
) -> GridLayout:
    """Return how a grid of `columns` x `rows` (row labels may hold line breaks) fits FULL_WIDTH."""
    many = len(columns) > WIDE_LEGEND_COLUMNS
    # a point smaller for 7-8 columns, two for more: long names then wrap into fewer, still legible, lines
    size = theme.label_size - (0 if not many else 1 if len(columns) <= 8 else 2)
    row_px = min(220.0, max((_text_px(r, theme.label_size) for r in rows), default=0)) + 8
    row_px += theme.label_size + 8 if row_title else 0
    plot = FULL_WIDTH - 16 - row_px - (0 if many else _LEGEND_PX)
    # the header wraps to its column; a little overhang into the 1.5 px cell gaps is harmless
    headers = _headers(columns, min(110.0, plot / max(len(columns), 1) - 3), size)
    header_lines = max((h.count("\n") + 1 for h in headers), default=1)
    row_lines = max((r.count("\n") + 1 for r in rows), default=1)
    grid = max(_ROW_PX, _LINE_HEIGHT * row_lines + 8) * max(len(rows), 3)
    if not many:
        grid = max(grid, 120)  # room for the seven swatches of the legend beside it
    height = _TITLE_PX + _LINE_HEIGHT * header_lines + 10 + grid + (44 if many else 0)
    height += theme.label_size + 8 if row_title else 0  # the column title above the headers
    return GridLayout(tuple(headers), size, "bottom" if many else "right", int(height))


def _top_axis(layout: GridLayout) -> alt.Axis:
    # Vega grows multi-line labels downwards from the axis whatever the baseline, so the padding lifts
    # every (equally tall) header clear of the cells
    lines = max((h.count("\n") + 1 for h in layout.headers), default=1)
    return alt.Axis(
        orient="top",
        labelAngle=0,
        labelExpr=_SPLIT_LINES,
        labelLineHeight=_LINE_HEIGHT,
        labelPadding=6 + _LINE_HEIGHT * (lines - 1),
        labelFontWeight="bold",
        labelFontSize=layout.header_size,
        labelLimit=0,  # no ellipsis: the wrapping already fits each header to its column
    )


def _swatch_legend(
    title: str, values: Sequence[float], layout: GridLayout, theme: ChartTheme, **label: Any
) -> alt.Legend:
    """Return a legend of square swatches at `values`: a gradient legend leaves stray marks in PDF viewers."""
    vertical = layout.legend == "right"
    return alt.Legend(
        title=title,
        type="symbol",
        orient=layout.legend,
        direction="vertical" if vertical else "horizontal",
        values=list(reversed(values)) if vertical else list(values),  # high at the top, like the cells
        symbolType="square",
        symbolSize=140,
        # a visible outline: the swatch at the average is nearly white; zero-width strokes are hairlines in PDF
        symbolStrokeColor=theme.grid,
        symbolStrokeWidth=1,
        symbolOpacity=1,
        **label,
    )


def _data(records: Iterable[Mapping[str, Any]]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in records])


def _json_data(records: Sequence[Mapping[str, Any]]) -> alt.Data:
    """Inline many rows as one JSON string, which Vega parses itself."""
    # Altair walks (and validates) a list of rows value by value: ~1 s for 5,000 points, ~5 ms as a string
    return alt.Data(values=json.dumps(records, separators=(",", ":")), format=alt.DataFormat(type="json"))


F = TypeVar("F", bound=Callable[..., Any])


def _unvalidated(builder: F) -> F:
    """Build without Altair's per-object schema validation (the finished spec is validated in the tests)."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        with debug_mode(False):
            return builder(*args, **kwargs)

    return cast(F, build)


def _by_id(profiles: Sequence[SegmentProfile]) -> list[SegmentProfile]:
    return sorted(profiles, key=lambda p: p.id)


def _segment_scale(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> alt.Scale:
    ordered = _by_id(profiles)
    return alt.Scale(domain=[p.name for p in ordered], range=[segment_color(p.id, theme) for p in ordered])


def _layer(*charts: alt.Chart, data: alt.Data | None = None) -> alt.LayerChart:
    if data is None:
        return alt.LayerChart(layer=list(charts))
    return alt.LayerChart(layer=list(charts), data=data)


def _finish(chart: AnyChart, theme: ChartTheme, title: str, subtitle: str = "") -> AnyChart:
    params = alt.TitleParams(text=title, subtitle=subtitle) if subtitle else alt.TitleParams(text=title)
    return chart.properties(title=params).configure(**altair_config(theme))


# ---- segment sizes -------------------------------------------------------------------------------------


def value_share_key(profiles: Sequence[SegmentProfile]) -> str | None:
    """Return the value_shares key to plot: "PURCHASES" if present, else the first key (e.g. "monetary")."""
    for p in profiles:
        if "PURCHASES" in p.value_shares:
            return "PURCHASES"
    for p in profiles:
        if p.value_shares:
            return next(iter(p.value_shares))
    return None


def _value_noun(key: str) -> str:
    return {"PURCHASES": "purchases", "monetary": "spend"}.get(key, key.replace("_", " ").lower())


def _size_labels(profiles: Sequence[SegmentProfile], theme: ChartTheme, width: float) -> dict[int, str]:
    # names wrap into a third of the width rather than being cut short
    return {p.id: _wrap(p.name, width / 3, theme.label_size) for p in profiles}


def sizes_height(
    profiles: Sequence[SegmentProfile], theme: ChartTheme | None = None, width: float = FULL_WIDTH
) -> int:
    """Return the segment sizes chart height in CSS px: a pair of bars and the wrapped name per segment."""
    theme = theme or ChartTheme()
    lines = max((n.count("\n") + 1 for n in _size_labels(profiles, theme, width).values()), default=1)
    band = max(46, (theme.label_size + 2) * lines + 14, 4 * theme.label_size)
    return 60 + 2 * theme.label_size + band * len(profiles)


@_unvalidated
def segment_sizes_chart(
    profiles: Sequence[SegmentProfile], theme: ChartTheme, width: float = FULL_WIDTH
) -> AnyChart:
    """Return grouped horizontal bars: each segment's share of customers next to its share of value."""
    key = value_share_key(profiles)
    measures = ["customers"] + ([_value_noun(key)] if key else [])
    label = _size_labels(profiles, theme, width)
    lines = max((n.count("\n") for n in label.values()), default=0)
    rows: list[dict[str, Any]] = []
    for p in _by_id(profiles):
        shares = [p.share] + ([p.value_shares.get(key, 0.0)] if key else [])
        for measure, share in zip(measures, shares, strict=True):
            rows.append(
                {
                    "segment": label[p.id],
                    "measure": f"% of {measure}",
                    "share": round(share, 6),
                    "label": pct_text(share),
                }
            )
    order = [label[p.id] for p in _by_id(profiles)]
    measure_names = [f"% of {m}" for m in measures]
    top = max([p.share for p in profiles] + [p.value_shares.get(key, 0.0) for p in profiles if key])
    y = alt.Y(
        "segment:N",
        sort=order,
        title=None,
        # lifted by half the extra lines of the longest name, as in the migration chart: Vega grows
        # multi-line labels downwards from the middle of their band
        axis=alt.Axis(
            labelExpr=_SPLIT_LINES,
            labelLineHeight=theme.label_size + 2,
            labelOffset=-(theme.label_size + 2) * lines / 2,
            labelLimit=0,
            labelFontWeight="bold",
        ),
    )
    x = alt.X(
        "share:Q",
        title=None,
        axis=alt.Axis(format="%", tickCount=5, grid=True),
        # headroom on the right so the end-of-bar labels are never clipped
        scale=alt.Scale(domain=[0, min(1.0, top * 1.15 + 0.02)], nice=False),
    )
    base = alt.Chart().encode(
        y=y,
        yOffset=alt.YOffset("measure:N", sort=measure_names),
        x=x,
    )
    colors = [theme.muted, theme.primary][: len(measure_names)]
    bars = base.mark_bar(cornerRadiusEnd=2, height={"band": 0.9}).encode(
        color=alt.Color(
            "measure:N",
            sort=measure_names,
            scale=alt.Scale(domain=measure_names, range=colors),
            legend=alt.Legend(title=None, orient="top", direction="horizontal"),
        )
    )
    labels = base.mark_text(align="left", baseline="middle", dx=4).encode(text=alt.Text("label:N"))
    return _finish(_layer(bars, labels, data=_data(rows)), theme, "Segment sizes")


def segment_sizes_alt(profiles: Sequence[SegmentProfile]) -> str:
    """Return the text alternative of the segment sizes chart."""
    key = value_share_key(profiles)
    parts = []
    for p in _by_id(profiles):
        part = f"{p.name} {pct_text(p.share)} of customers"
        if key:
            part += f" and {pct_text(p.value_shares.get(key, 0.0))} of {_value_noun(key)}"
        parts.append(part)
    return "Bar chart of segment sizes: " + "; ".join(parts) + "."


# ---- profile heatmap -----------------------------------------------------------------------------------


def _lift(profile: SegmentProfile, feature: str) -> float | None:
    stat = profile.stats.get(feature)
    return stat.lift if stat is not None else None


def _ink(value: float, limit: float, theme: ChartTheme) -> str:
    # white text on the saturated ends of the colour scale, dark text elsewhere
    return "#FFFFFF" if abs(value) > 0.6 * limit else theme.foreground


def heatmap_layout(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], theme: ChartTheme
) -> GridLayout:
    """Return how the features x segments heatmap fits the page (its height is the image height)."""
    return grid_layout([p.name for p in _by_id(profiles)], [labels.get(f, f) for f in features], theme)


@_unvalidated
def profile_heatmap(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], theme: ChartTheme
) -> AnyChart:
    """Return a features x segments heatmap of lift, coloured by log2(lift) around the average (1x)."""
    ordered = _by_id(profiles)
    logs = [_log2(lift) for p in ordered for f in features if (lift := _lift(p, f)) is not None]
    # a symmetric domain makes 2x and 0.5x equally strong; clamp at 8x so one outlier doesn't wash out the rest
    limit = int(min(3, max([1, *(math.ceil(abs(v) - 0.05) for v in logs)])))
    layout = heatmap_layout(ordered, features, labels, theme)
    segments = list(layout.headers)
    rows = []
    for p, header in zip(ordered, segments, strict=True):
        for f in features:
            lift = _lift(p, f)
            value = _log2(lift) if lift is not None else None
            rows.append(
                {
                    "segment": header,
                    "feature": labels.get(f, f),
                    "log2_lift": value,
                    "text": lift_text(lift) if lift is not None else "n/a",
                    "ink": _ink(value, limit, theme) if value is not None else theme.muted,
                }
            )
    feature_labels = [labels.get(f, f) for f in features]
    base = alt.Chart().encode(
        x=alt.X("segment:N", sort=segments, title=None, axis=_top_axis(layout)),
        y=alt.Y("feature:N", sort=feature_labels, title=None, axis=alt.Axis(labelLimit=220)),
    )
    cells = base.mark_rect(stroke=theme.background, strokeWidth=1.5).encode(
        color=alt.Color(
            "log2_lift:Q",
            scale=alt.Scale(domain=[-limit, 0, limit], range=list(theme.diverging), clamp=True),
            legend=_swatch_legend(
                "vs average", range(-limit, limit + 1), layout, theme, labelExpr=_TIMES_LABEL
            ),
        )
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    subtitle = "Segment mean over the all-customer mean; 1x = average"
    # the text colour is a literal per cell, not the lift scale
    layered = _layer(cells, text, data=_data(rows)).resolve_scale(color="independent")
    return _finish(layered, theme, "How segments differ from the average customer", subtitle)


def profile_heatmap_alt(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], top: int = 2
) -> str:
    """Return the text alternative of the heatmap: each segment's highest and lowest features."""
    parts = []
    for p in _by_id(profiles):
        lifts = [(f, lift) for f in features if (lift := _lift(p, f)) is not None]
        # sorted() is stable: the feature order breaks ties deterministically
        # within 10% of the average is not worth a mention
        above = sorted((item for item in lifts if item[1] >= 1.1), key=lambda item: -item[1])[:top]
        below = sorted((item for item in lifts if item[1] <= 0.9), key=lambda item: item[1])[:top]
        sides = [
            f"{side} {', '.join(f'{labels.get(f, f)} {lift_text(lift)}' for f, lift in items)}"
            for side, items in (("highest", above), ("lowest", below))
            if items
        ]
        parts.append(f"{p.name}: {'; '.join(sides) or 'at the average throughout'}")
    return (
        f"Heatmap of {len(features)} features by segment, each cell the segment mean over the all-customer "
        "mean (1x = average). " + ". ".join(parts) + "."
    )


# ---- PCA map -------------------------------------------------------------------------------------------


def map_sample(labels: IntArray, max_points: int = MAX_MAP_POINTS, seed: int = 0) -> IntArray:
    """Return sorted row indices of a seeded sample, proportional per segment, keeping a few of each."""
    labels = np.asarray(labels)
    n = len(labels)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    ids, counts = np.unique(labels, return_counts=True)
    floor = max(1, min(MIN_POINTS_PER_SEGMENT, max_points // len(ids)))
    minimum = np.minimum(counts, floor)
    rest = counts - minimum
    budget = max_points - int(minimum.sum())
    ideal = rest * budget / max(int(rest.sum()), 1)
    quota = minimum + np.floor(ideal).astype(np.int64)
    # largest remainders get the points the flooring left over, so the sample is exactly max_points
    leftover = max_points - int(quota.sum())
    for i in np.argsort(-(ideal - np.floor(ideal)), kind="stable")[:leftover]:
        quota[i] += 1
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == segment), size=int(q), replace=False)
        for segment, q in zip(ids, quota, strict=True)
    ]
    # sorted, so no segment is always painted on top of the others
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def legend_columns(names: Sequence[str], width: float = FULL_WIDTH) -> int:
    """Return how many legend entries fit side by side in `width` px (wider legends get clipped)."""
    # about 6.3 px per character at 11 px Lato, plus the symbol and the column gap
    entry = max((len(n) for n in names), default=1) * 6.3 + 40
    return max(1, min(len(names), 4, int((width - 20) // entry)))


def legend_rows(names: Sequence[str]) -> int:
    """Return the number of legend rows the map needs."""
    return math.ceil(len(names) / legend_columns(names))


def _pc_title(index: int, share: float) -> str:
    return f"PC{index} ({share * 100:.1f}% of variance)"


@_unvalidated
def segment_map(
    pca: PcaMap,
    profiles: Sequence[SegmentProfile],
    theme: ChartTheme,
    max_points: int = MAX_MAP_POINTS,
    seed: int = 0,
) -> AnyChart:
    """Return the PCA scatter of a stratified sample of customers, coloured by segment."""
    names = {p.id: p.name for p in profiles}
    rows = [
        {
            "pc1": round(float(pca.x[i]), 4),
            "pc2": round(float(pca.y[i]), 4),
            "segment": names[int(pca.labels[i])],
        }
        for i in map_sample(pca.labels, max_points, seed)
    ]
    columns = legend_columns([p.name for p in profiles])
    chart = (
        alt.Chart(_json_data(rows))
        .mark_circle(size=14, opacity=0.55)
        .encode(
            x=alt.X("pc1:Q", title=_pc_title(1, pca.explained_variance[0]), axis=alt.Axis(grid=True)),
            y=alt.Y("pc2:Q", title=_pc_title(2, pca.explained_variance[1]), axis=alt.Axis(grid=True)),
            color=alt.Color(
                "segment:N",
                scale=_segment_scale(profiles, theme),
                legend=alt.Legend(
                    title=None,
                    orient="bottom",
                    direction="horizontal",
                    columns=columns,
                    symbolOpacity=1,
                    symbolSize=80,
                    columnPadding=16,
                    # a column is as wide as the chart allows it: long names are shown whole, not cut
                    labelLimit=int((FULL_WIDTH - 20) / columns - 40),
                ),
            ),
        )
    )
    subtitle = "Each dot is a customer; nearby dots behave alike"
    if len(rows) < len(pca.labels):
        subtitle = f"A sample of {len(rows):,} of {len(pca.labels):,} customers; nearby dots behave alike"
    return _finish(chart, theme, "Customer map", subtitle)


def segment_map_alt(pca: PcaMap, profiles: Sequence[SegmentProfile], max_points: int = MAX_MAP_POINTS) -> str:
    """Return the text alternative of the customer map."""
    total = len(pca.labels)
    shown = min(total, max_points)
    sample = f"{shown:,} customers" if shown == total else f"a sample of {shown:,} of {total:,} customers"
    segments = "; ".join(f"{p.name} ({pct_text(p.share)} of customers)" for p in _by_id(profiles))
    pc1, pc2 = (f"{v * 100:.1f}%" for v in pca.explained_variance)
    return (
        f"Scatter plot of {sample} on the first two principal components (PC1 explains {pc1} and PC2 {pc2} "
        f"of the variance), coloured by segment: {segments}."
    )


# ---- choosing k ----------------------------------------------------------------------------------------


def _k_axis(selection: KSelection) -> alt.X:
    ks = sorted(c.k for c in selection.candidates)
    lo, hi = (ks[0], ks[-1]) if ks else (selection.chosen_k, selection.chosen_k)
    return alt.X(
        "k:Q",
        title="Number of segments (k)",
        scale=alt.Scale(domain=[lo - 0.3, hi + 0.3], nice=False, zero=False),
        axis=alt.Axis(values=ks, format="d", grid=False),
    )


def _chosen_marker(selection: KSelection, theme: ChartTheme) -> list[alt.Chart]:
    data = _data([{"k": selection.chosen_k, "label": f"chosen: k = {selection.chosen_k}"}])
    rule = (
        alt.Chart(data)
        .mark_rule(color=theme.primary, strokeDash=[5, 3], strokeWidth=1.5)
        .encode(x=alt.X("k:Q"))
    )
    label = (
        alt.Chart(data)
        .mark_text(align="left", baseline="top", dx=5, dy=2, color=theme.primary, fontWeight="bold")
        .encode(x=alt.X("k:Q"), y=alt.YValue(0), text=alt.Text("label:N"))
    )
    return [rule, label]


def _k_line(
    rows: list[dict[str, Any]], selection: KSelection, field: str, title: str, fmt: str, theme: ChartTheme
) -> alt.Chart:
    return (
        alt.Chart(_data(rows))
        .mark_line(point=alt.OverlayMarkDef(size=40, filled=True, color=theme.foreground), strokeWidth=2)
        .encode(
            x=_k_axis(selection),
            y=alt.Y(
                f"{field}:Q", title=title, axis=alt.Axis(format=fmt, tickCount=5), scale=alt.Scale(zero=False)
            ),
            color=alt.ColorValue(theme.foreground),
        )
    )


@_unvalidated
def elbow_chart(selection: KSelection, theme: ChartTheme) -> AnyChart:
    """Return inertia against k, with the chosen k and the elbow marked."""
    rows = [
        {"k": c.k, "inertia": round(c.inertia, 4)} for c in sorted(selection.candidates, key=lambda c: c.k)
    ]
    line = _k_line(rows, selection, "inertia", "Inertia (within-segment spread)", "~s", theme)
    layers: list[alt.Chart] = [line, *_chosen_marker(selection, theme)]
    elbow = next((r for r in rows if r["k"] == selection.elbow_k), None)
    if elbow is not None:
        marker = _data([{**elbow, "label": "elbow"}])
        layers.append(
            alt.Chart(marker)
            .mark_point(
                size=220,
                shape="circle",
                filled=False,
                strokeWidth=2,
                color=theme.palette[1 % len(theme.palette)],
            )
            .encode(x=alt.X("k:Q"), y=alt.Y("inertia:Q"))
        )
        layers.append(
            alt.Chart(marker)
            .mark_text(align="left", baseline="bottom", dx=9, dy=-7, color=theme.foreground)
            .encode(x=alt.X("k:Q"), y=alt.Y("inertia:Q"), text=alt.Text("label:N"))
        )
    subtitle = "Lower is tighter; the bend (elbow) is where more segments stop paying off"
    return _finish(_layer(*layers), theme, "Choosing the number of segments: inertia", subtitle)


def elbow_alt(selection: KSelection) -> str:
    """Return the text alternative of the elbow chart."""
    points = ", ".join(f"k={c.k} {c.inertia:,.0f}" for c in sorted(selection.candidates, key=lambda c: c.k))
    elbow = (
        f"; the elbow is at k = {selection.elbow_k}" if selection.elbow_k is not None else "; no clear elbow"
    )
    return f"Line chart of inertia by number of segments: {points}; chosen k = {selection.chosen_k}{elbow}."


@_unvalidated
def silhouette_chart(selection: KSelection, theme: ChartTheme) -> AnyChart:
    """Return the silhouette score against k (unscored k skipped), with the chosen k marked."""
    rows = [
        {"k": c.k, "silhouette": round(c.silhouette, 6)}
        for c in sorted(selection.candidates, key=lambda c: c.k)
        if c.silhouette is not None
    ]
    line = _k_line(rows, selection, "silhouette", "Silhouette score", ".2f", theme)
    subtitle = "Higher means better-separated segments"
    return _finish(_layer(line, *_chosen_marker(selection, theme)), theme, "Silhouette score by k", subtitle)


def silhouette_alt(selection: KSelection) -> str:
    """Return the text alternative of the silhouette chart."""
    ordered = sorted(selection.candidates, key=lambda c: c.k)
    scored = [f"k={c.k} {c.silhouette:.3f}" for c in ordered if c.silhouette is not None]
    skipped = [str(c.k) for c in ordered if c.silhouette is None]
    text = "Line chart of silhouette score by number of segments (higher means better separated): "
    text += ", ".join(scored) if scored else "no k was scored"
    if skipped:
        text += f"; not scored for k = {', '.join(skipped)}"
    return text + f"; chosen k = {selection.chosen_k}."


# ---- one segment's traits ------------------------------------------------------------------------------


def _lift_domain(logs: Sequence[float], room: Sequence[float], plot_px: float) -> tuple[int, int]:
    """Return whole powers of two (low, high) to show every bar and, where the axis allows, its end label."""
    low = high = 1
    for _ in range(3):  # the room a label needs, in log2 units, depends on the domain itself
        unit = plot_px / (low + high)
        low = min(LOG2_LIMIT, max([1, *(math.ceil(-v + r / unit) for v, r in zip(logs, room, strict=True))]))
        high = min(LOG2_LIMIT, max([1, *(math.ceil(v + r / unit) for v, r in zip(logs, room, strict=True))]))
    return low, high


@_unvalidated
def segment_traits_chart(profile: SegmentProfile, theme: ChartTheme) -> AnyChart:
    """Return horizontal bars of the segment's key traits on a log2 lift axis, with the average at 1x."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    logs = [_log2(t.lift) for t in traits]
    texts = [lift_text(t.lift) for t in traits]
    size = theme.label_size - 1
    room = [_text_px(t, size) + 8 for t in texts]
    label_px = min(230.0, max((_text_px(t.label, theme.label_size) for t in traits), default=0))
    plot_px = FULL_WIDTH - 16 - label_px - 8
    # whole powers of two on a log2 axis: 0.5x and 2x sit at equal distances from the average;
    # the axis stops at 1/16x and 16x, so a bar beyond (or with no room for its label) carries it inside
    low, high = _lift_domain(logs, room, plot_px)
    unit = plot_px / (low + high)
    color = segment_color(profile.id, theme)
    rows = [
        {
            "trait": t.label,
            "log2_lift": v,
            "text": text,
            "inside": (v - r / unit < -low) if v < 0 else (v + r / unit > high),
        }
        for t, v, text, r in zip(traits, logs, texts, room, strict=True)
    ]
    ticks = list(range(-low, high + 1))
    base = alt.Chart().encode(
        y=alt.Y("trait:N", sort=[t.label for t in traits], title=None, axis=alt.Axis(labelLimit=230)),
        x=alt.X(
            "log2_lift:Q",
            title="Compared with the average customer",
            scale=alt.Scale(domain=[-low, high], nice=False),
            axis=alt.Axis(values=ticks, labelExpr=_TIMES_LABEL, grid=True),
        ),
    )
    bars = base.mark_bar(color=color, height={"band": 0.65}, cornerRadiusEnd=2)
    ink = ink_on(color, theme)
    labels = [
        base.transform_filter(f"{'' if inside else '!'}datum.inside && datum.log2_lift {side} 0")
        .mark_text(
            align="right" if (side == "<") != inside else "left",
            baseline="middle",
            dx=(-4 if (side == "<") != inside else 4),
            color=ink if inside else theme.foreground,
        )
        .encode(text=alt.Text("text:N"))
        for inside in (False, True)
        for side in (">=", "<")
    ]
    average = (
        alt.Chart(_data([{"x": 0, "label": "average"}]))
        .mark_rule(color=theme.foreground, strokeWidth=1.2)
        .encode(x=alt.X("x:Q"))
    )
    return _finish(_layer(bars, *labels, average, data=_data(rows)), theme, f"{profile.name}: key traits")


def segment_traits_alt(profile: SegmentProfile) -> str:
    """Return the text alternative of a segment's traits chart."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    listed = ", ".join(f"{t.label} {lift_text(t.lift)}" for t in traits) or "no distinctive traits"
    return (
        f"Bar chart of the key traits of {profile.name} ({pct_text(profile.share)} of customers) against the "
        f"average customer (1x): {listed}."
    )


# ---- month-over-month migration ------------------------------------------------------------------------


def _migration_grid(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str]
) -> tuple[list[int], list[int], dict[tuple[int, int], int], dict[int, str]]:
    """Return the row ids (had customers before), column ids (have customers now), counts and names."""
    ids = sorted(set(names) | {f for f, _, _ in flows} | {t for _, t, _ in flows})
    counts = {(f, t): 0 for f in ids for t in ids}
    for f, t, n in flows:
        counts[(f, t)] += n
    # a new segment had nobody last period and a vanished one has nobody now: their all-zero row or column
    # says nothing the table above does not
    rows = [f for f in ids if any(counts[(f, t)] for t in ids)]
    columns = [t for t in ids if any(counts[(f, t)] for f in ids)]
    return rows, columns, counts, {i: names.get(i, f"Segment {i}") for i in ids}


_MIGRATION_ROW_PX = 170.0  # previous-period names wrap to this width


def migration_layout(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], theme: ChartTheme
) -> GridLayout:
    """Return how the migration heatmap fits the page (its height is the image height)."""
    rows, columns, _, full = _migration_grid(flows, names)
    row_labels = [_wrap(full[i], _MIGRATION_ROW_PX, theme.label_size) for i in rows]
    return grid_layout([full[i] for i in columns], row_labels, theme, row_title=True)


def _count_swatches(top: int) -> list[int]:
    """Return 0, round counts in steps of 1, 2 or 5 x 10^k (at most 4 of them), and `top` itself."""
    magnitude = 10 ** max(0, len(str(max(top, 1))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= 4)
    values = list(range(0, top + 1, step))
    return values if values[-1] == top else [*values, top]  # the darkest cell's colour is always shown


@_unvalidated
def migration_chart(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], theme: ChartTheme
) -> AnyChart:
    """Return a from-segment x to-segment heatmap of customer counts since the previous period."""
    row_ids, column_ids, counts, full = _migration_grid(flows, names)
    layout = migration_layout(flows, names, theme)
    header = dict(zip(column_ids, layout.headers, strict=True))
    row = {i: _wrap(full[i], _MIGRATION_ROW_PX, theme.label_size) for i in row_ids}
    top = max([1, *counts.values()])
    rows = [
        {
            "from": row[f],
            "to": header[t],
            "customers": counts[(f, t)],
            "text": f"{counts[(f, t)]:,}",
            "ink": "#FFFFFF"
            if counts[(f, t)] > 0.55 * top
            else (theme.foreground if counts[(f, t)] else theme.muted),
        }
        for f in row_ids
        for t in column_ids
    ]
    columns = [header[i] for i in column_ids]
    base = alt.Chart().encode(
        x=alt.X("to:N", sort=columns, title="This period's segment", axis=_top_axis(layout)),
        y=alt.Y(
            "from:N",
            sort=[row[i] for i in row_ids],
            title="Previous period's segment",
            # Vega starts a multi-line label at the row's middle and grows it downwards: lifting every label
            # by half the extra lines of the tallest centres the tallest and top-aligns all within their rows
            axis=alt.Axis(
                labelExpr=_SPLIT_LINES,
                labelLineHeight=_LINE_HEIGHT,
                labelLimit=0,
                labelOffset=-_LINE_HEIGHT * (max(r.count("\n") for r in row.values()) if row else 0) / 2,
            ),
        ),
    )
    cells = base.mark_rect(stroke=theme.background, strokeWidth=1.5).encode(
        color=alt.Color(
            "customers:Q",
            scale=alt.Scale(domain=[0, top], range=list(theme.sequential)),
            legend=_swatch_legend("Customers", _count_swatches(top), layout, theme, format=",.0f"),
        )
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    subtitle = "Rows: where customers were; columns: where they are now; the diagonal stayed put"
    layered = _layer(cells, text, data=_data(rows)).resolve_scale(color="independent")
    return _finish(layered, theme, "Movement between segments", subtitle)


def migration_alt(flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], top: int = 10) -> str:
    """Return the text alternative of the migration heatmap: who stayed, and the largest moves."""
    rows, _, counts, name = _migration_grid(flows, names)
    stayed = {i: counts[(i, i)] for i in rows}
    was = {i: sum(n for (f, _), n in counts.items() if f == i) for i in rows}
    moves = {(f, t): n for (f, t), n in counts.items() if f != t and n > 0}
    kept = "; ".join(f"{name[i]} kept {stayed[i]:,} of {was[i]:,}" for i in rows)
    largest = sorted(((n, f, t) for (f, t), n in moves.items()), key=lambda m: (-m[0], m[1], m[2]))
    moved = "; ".join(f"{name[f]} to {name[t]} {n:,}" for n, f, t in largest[:top]) or "none"
    return f"Heatmap of customers by previous and current segment: {kept}. Largest moves: {moved}."


# ---- rendering -----------------------------------------------------------------------------------------

# scripts, event handlers (inside a tag), embedded documents, and anything fetched from outside the SVG
_UNSAFE_SVG = re.compile(
    r"<script|<foreignObject|<image|<[^>]*\son\w+\s*=|href\s*=\s*\"(?!#)|url\((?!#)", re.I
)


def _sized_spec(chart: AnyChart, width: float, height: float) -> dict[str, Any]:
    # "fit" + "padding": the whole image, axes and legend included, is width x height CSS px. Set on the dict:
    # chart.properties() would deep-copy the whole chart first (a third of the time spent building specs).
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec.update(width=width, height=height, autosize={"type": "fit", "contains": "padding"})
    return spec


def _scoped_svg(svg: str, name: str) -> str:
    """Renumber the SVG's ids as <name>-<n>: unique when several charts share a page, same on every run."""
    # vl-convert numbers gradients with a process-wide counter, which would make the same chart differ
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    ids: dict[str, str] = {}
    for ident in re.findall(r'\bid="([^"]+)"', svg):
        ids.setdefault(ident, f"{prefix}-{len(ids)}")

    def swap(match: re.Match[str]) -> str:
        return match.group(1) + ids.get(match.group(2), match.group(2)) + match.group(3)

    return re.sub(r'(\bid="|url\(#|href="#)([^")]+)([")])', swap, svg)


def _labelled_svg(svg: str, alt: str) -> str:
    """Give the root <svg> role="img" and the alt text, for screen readers when it is inlined in HTML."""
    label = html.escape(alt, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def to_svg_image(chart: AnyChart, name: str, title: str, alt: str, width: float, height: float) -> ChartImage:
    """Render a chart to SVG text (no scripts, no external references) at width x height CSS px."""
    register_chart_fonts()
    svg = vl_convert.vegalite_to_svg(_sized_spec(chart, width, height))
    match = _UNSAFE_SVG.search(svg)
    if match:
        raise ValueError(f"chart {name!r}: SVG contains {match.group(0)!r}; charts must be self-contained")
    svg = _labelled_svg(_scoped_svg(svg, name), alt)
    w, h = _svg_size(svg)
    return ChartImage(name=name, title=title, alt=alt, svg=svg, width=w, height=h)


def to_png_image(
    chart: AnyChart, name: str, title: str, alt: str, width: float, height: float, scale: float = 2
) -> ChartImage:
    """Render a chart to PNG bytes at `scale` device pixels per CSS px (2 = sharp in print)."""
    register_chart_fonts()
    png = vl_convert.vegalite_to_png(_sized_spec(chart, width, height), scale=scale)
    w, h = png_size(png)
    return ChartImage(name=name, title=title, alt=alt, png=png, width=w / scale, height=h / scale)


def _svg_size(svg: str) -> tuple[float, float]:
    found = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    if not found:
        raise ValueError("vl-convert returned an SVG without width and height")
    return float(found.group(1)), float(found.group(2))


def png_size(png: bytes) -> tuple[int, int]:
    """Return a PNG's pixel width and height from its header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


# ---- the report's set ----------------------------------------------------------------------------------


def heatmap_features(analysis: Analysis) -> tuple[str, ...]:
    """Return the features the heatmap shows: the profiled input columns with a lift in some segment."""
    return tuple(
        f for f in analysis.features.input_features if any(_lift(p, f) is not None for p in analysis.profiles)
    )


@dataclass(frozen=True)
class PlannedChart:
    """A chart of the report before it is drawn: its place (name, size), its text alternative, its builder.

    Everything the page layout needs is known before vl-convert runs, so the PDF can be laid out while the
    charts are still being drawn.
    """

    name: str
    title: str
    alt: str
    width: float
    height: float
    png: bool  # PNG (the scatter) instead of SVG
    build: Callable[[], AnyChart]

    def draw(self) -> ChartImage:
        """Return the rendered chart."""
        render = to_png_image if self.png else to_svg_image
        return render(self.build(), self.name, self.title, self.alt, self.width, self.height)

    def placeholder(self) -> ChartImage:
        """Return the chart's name, text and size, without the image."""
        return ChartImage(
            name=self.name, title=self.title, alt=self.alt, width=self.width, height=self.height
        )


def chart_plan(analysis: Analysis, theme: ChartTheme, labels: Mapping[str, str]) -> tuple[PlannedChart, ...]:
    """Return every chart of the report in the order the report shows them: sizes, map (PNG), heatmap,
    segment-<id>, migration, elbow, silhouette."""
    profiles = _by_id(analysis.profiles)
    features = heatmap_features(analysis)
    selection = analysis.selection
    names = [p.name for p in profiles]
    plan = [
        PlannedChart(
            "sizes",
            "Segment sizes",
            segment_sizes_alt(profiles),
            FULL_WIDTH,
            sizes_height(profiles),
            False,
            lambda: segment_sizes_chart(profiles, theme),
        ),
        PlannedChart(
            "map",
            "Customer map",
            segment_map_alt(analysis.pca, profiles),
            FULL_WIDTH,
            MAP_HEIGHT + 20 * legend_rows(names),
            True,
            lambda: segment_map(analysis.pca, profiles, theme),
        ),
        PlannedChart(
            "heatmap",
            "How segments differ from the average customer",
            profile_heatmap_alt(profiles, features, labels),
            FULL_WIDTH,
            heatmap_layout(profiles, features, labels, theme).height,
            False,
            lambda: profile_heatmap(profiles, features, labels, theme),
        ),
    ]
    for p in profiles:
        plan.append(
            PlannedChart(
                f"segment-{p.id}",
                f"{p.name}: key traits",
                segment_traits_alt(p),
                FULL_WIDTH,
                max(SEGMENT_HEIGHT, 90 + 30 * len(p.traits)),
                False,
                functools.partial(segment_traits_chart, p, theme),
            )
        )
    history = analysis.history
    if history is not None and history.migration.get("flows"):
        flows = [(int(f["from"]), int(f["to"]), int(f["customers"])) for f in history.migration["flows"]]
        segment_names = analysis.segment_names()
        plan.append(
            PlannedChart(
                "migration",
                "Movement between segments",
                migration_alt(flows, segment_names),
                FULL_WIDTH,
                migration_layout(flows, segment_names, theme).height,
                False,
                lambda: migration_chart(flows, segment_names, theme),
            )
        )
    plan += [
        PlannedChart(
            "elbow",
            "Choosing the number of segments: inertia",
            elbow_alt(selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
            False,
            lambda: elbow_chart(selection, theme),
        ),
        PlannedChart(
            "silhouette",
            "Silhouette score by k",
            silhouette_alt(selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
            False,
            lambda: silhouette_chart(selection, theme),
        ),
    ]
    return tuple(plan)


def report_charts(analysis: Analysis, theme: ChartTheme, labels: Mapping[str, str]) -> tuple[ChartImage, ...]:
    """Render every chart of the report (see `chart_plan`), one after the other."""
    return tuple(planned.draw() for planned in chart_plan(analysis, theme, labels))


def briefing_chart_plan(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> PlannedChart:
    """Return the briefing's chart: segment sizes as a PNG, narrower and with larger text (phones shrink it)."""
    mail_theme = replace(theme, label_size=13, title_size=16)
    return PlannedChart(
        "sizes",
        "Segment sizes",
        segment_sizes_alt(profiles),
        BRIEFING_WIDTH,
        sizes_height(profiles, mail_theme, BRIEFING_WIDTH),
        True,
        lambda: segment_sizes_chart(profiles, mail_theme, width=BRIEFING_WIDTH),
    )


def job_charts(job: ReportJob) -> tuple[tuple[PlannedChart, ...], PlannedChart]:
    """Return the charts of a period's documents: the report's (in report order) and the briefing's."""
    analysis, brand = job.analysis, job.brand
    theme = chart_theme(brand.colors, tuple(brand.palette.values()))
    labels = {c: feature_label(c) for c in analysis.features.raw.columns}
    return chart_plan(analysis, theme, labels), briefing_chart_plan(analysis.profiles, theme)
