"""Colours measured as readers see them: CSS colour parsing, WCAG contrast, CIE Lab distance, colour-blind
simulation. Plain Python, no chart library: the report model uses them for the web report's tables."""

from __future__ import annotations

import colorsys
import math
import re


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


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
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
        math.dist(lab(first), lab(second)),
        *(math.dist(lab(seen_as(first, v)), lab(seen_as(second, v))) for v in COLOUR_BLINDNESS),
    )


MIN_TEXT_CONTRAST = 4.5  # WCAG AA for normal text: every number set on a coloured fill reaches it


def mix(low: str, high: str, t: float) -> str:
    """Return the colour a share `t` (0..1) of the way from `low` to `high`, linear in sRGB (Vega's "rgb")."""
    a, b = srgb(low), srgb(high)
    if a is None or b is None:
        raise ValueError(f"expected CSS colours, got {low!r} and {high!r}")
    channels = (round((x + (y - x) * t) * 255) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02X}" for c in channels)


def readable_ink(fill: str, foreground: str) -> str:
    """Return the text colour with the higher measured contrast on `fill`: white or `foreground`, and black
    where neither reaches MIN_TEXT_CONTRAST."""
    rgb, dark = srgb(fill), srgb(foreground)
    if rgb is None or dark is None:
        return foreground
    white, ink = contrast_ratio(rgb, WHITE), contrast_ratio(rgb, dark)
    if max(white, ink) < MIN_TEXT_CONTRAST:
        return "#FFFFFF" if white >= contrast_ratio(rgb, (0.0, 0.0, 0.0)) else "#000000"
    return "#FFFFFF" if white > ink else foreground
