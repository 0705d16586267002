"""Chart theme: segment palette, brand colours checked for contrast, sizes, the Vega-Lite config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

# re-exported: the colour measures moved to documents.colours, the lift axis limits to documents.heat
from reportgen.documents.colours import MIN_COLOUR_DISTANCE as MIN_COLOUR_DISTANCE
from reportgen.documents.colours import WHITE as WHITE
from reportgen.documents.colours import colour_distances as colour_distances
from reportgen.documents.colours import contrast_ratio as contrast_ratio
from reportgen.documents.colours import relative_luminance as relative_luminance
from reportgen.documents.colours import srgb as srgb
from reportgen.documents.fonts import FAMILY
from reportgen.documents.heat import DIVERGING, SEQUENTIAL
from reportgen.documents.heat import LOG2_LIMIT as LOG2_LIMIT

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


# Lato Bold advance widths in em, rounded to 0.05 (Regular is at most 7% narrower), to wrap labels to a width
# in px; other characters count as 0.6 em
EM_WIDTHS: dict[str, float] = {
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
    sequential: tuple[str, str] = SEQUENTIAL  # low -> high
    diverging: tuple[str, str, str] = DIVERGING  # below, at, above the average
    foreground: str = "#1F2933"
    background: str = "#FFFFFF"
    grid: str = "#E4E7EB"
    muted: str = "#8A96A3"  # secondary marks, axis lines, annotations
    primary: str = "#0072B2"
    title_size: int = 14
    label_size: int = 11


def legible_colours(palette: Sequence[str], foreground: str = "#1F2933") -> tuple[str, ...]:
    """Return the palette's colours that read on white (contrast >= 2.5), most distinct first, look-alikes
    dropped.

    The first colour stays first (the brand's lead colour marks segment 0); each next one is the colour
    farthest from those already taken, so a report of three segments gets the three most different colours
    (F27: navy and slate, the palette's first two, blurred on the map). Distances are the smallest of normal
    vision, protanopia and deuteranopia; a colour within MIN_COLOUR_DISTANCE of a taken one or of the text
    colour is dropped.
    """
    text = srgb(foreground)
    readable = []
    for color in palette:
        rgb = srgb(color)
        if rgb is None or contrast_ratio(rgb, WHITE) < MIN_CONTRAST:
            continue
        if text is not None and min(colour_distances(rgb, text)) < MIN_COLOUR_DISTANCE:
            continue
        readable.append((color, rgb))
    kept = readable[:1]
    rest = readable[1:]
    while rest:
        gap, best = max(
            (min(min(colour_distances(rgb, taken)) for _, taken in kept), index)
            for index, (_, rgb) in enumerate(rest)
        )
        if gap < MIN_COLOUR_DISTANCE:
            break
        kept.append(rest.pop(best))
    return tuple(color for color, _ in kept)


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
