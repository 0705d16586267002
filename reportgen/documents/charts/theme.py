"""Chart theme: segment palette, brand colours checked for contrast, sizes, the Vega-Lite config."""

from __future__ import annotations

import colorsys
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

from reportgen.documents.fonts import FAMILY

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

# Machado, Oliveira & Fernandes (2009) full-severity simulations, on linear sRGB: about 1 man in 12 sees this way
COLOUR_BLINDNESS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
}


def seen_as(rgb: tuple[float, float, float], vision: str) -> tuple[float, float, float]:
    """Return how an sRGB colour looks under a colour-vision deficiency (COLOUR_BLINDNESS), as sRGB."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    mixed = [
        min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear, strict=True))))
        for row in COLOUR_BLINDNESS[vision]
    ]
    r, g, b = (12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in mixed)
    return (r, g, b)


def colour_distances(
    first: tuple[float, float, float], second: tuple[float, float, float]
) -> tuple[float, ...]:
    """Return the CIE76 distance of two colours in normal vision, then under each COLOUR_BLINDNESS."""
    return (
        math.dist(_lab(first), _lab(second)),
        *(math.dist(_lab(seen_as(first, v)), _lab(seen_as(second, v))) for v in COLOUR_BLINDNESS),
    )


def legible_colours(palette: Sequence[str], foreground: str = "#1F2933") -> tuple[str, ...]:
    """Return the palette's colours that read on white (contrast >= 2.5), in order, look-alikes dropped.

    A colour is dropped when it is within MIN_COLOUR_DISTANCE of an earlier kept one or of the text colour, in
    normal vision or under protanopia or deuteranopia (navy, slate and teal blur into one for those readers).
    """
    text = srgb(foreground)
    seen = [text] if text is not None else []
    kept: list[str] = []
    for color in palette:
        rgb = srgb(color)
        if rgb is None or contrast_ratio(rgb, WHITE) < MIN_CONTRAST:
            continue
        if any(min(colour_distances(rgb, other)) < MIN_COLOUR_DISTANCE for other in seen):
            continue
        seen.append(rgb)
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
