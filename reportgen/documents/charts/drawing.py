"""Offline rendering (vl-convert) of a chart to a ChartImage: SVG checked and scoped, or PNG."""

from __future__ import annotations

import html
import re
import struct
from typing import Any

import vl_convert

from reportgen.documents.charts.theme import AnyChart
from reportgen.documents.fonts import register_chart_fonts
from reportgen.documents.formats import chart_number_locale
from reportgen.model import ChartImage

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
    svg = vl_convert.vegalite_to_svg(_sized_spec(chart, width, height), format_locale=chart_number_locale())
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
    png = vl_convert.vegalite_to_png(
        _sized_spec(chart, width, height), scale=scale, format_locale=chart_number_locale()
    )
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
