"""Charts as the report places them: inline SVG or PNG for the web file, a lazy frame for the PDF."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from reportgen.documents.brand import clean_svg
from reportgen.model import (
    ChartImage,
)


@dataclass(frozen=True)
class Figure:
    """A chart ready to place: sanitised inline SVG markup or a PNG data: URI for the web file, and for the PDF
    a same-sized frame whose image WeasyPrint loads only when it paints the page (see `chart_frame_uri`)."""

    name: str
    title: str
    alt: str
    svg: str | None
    src: str | None
    width: float
    height: float
    pdf_src: str
    caption: str = ""  # how to read it, written from the data


CHART_SCHEME = "reportgen-chart"  # chart_frame_uri's reference to a chart, resolved by the PDF's URL fetcher


def _clean_chart_svg(chart: ChartImage) -> str | None:
    return clean_svg(chart.svg, f"chart {chart.name}", id_prefix=f"{chart.name}-") if chart.svg else None


def chart_frame_uri(chart: ChartImage) -> str:
    """Return a data: URI of an SVG frame the chart's size that shows the chart by reference.

    WeasyPrint reads an <img> while it builds the layout, but an <image> inside an SVG only when it paints the
    page: framed this way, the PDF is laid out while vl-convert is still drawing the charts.
    """
    w, h = f"{chart.width:g}", f"{chart.height:g}"
    frame = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
        f'<image href="{CHART_SCHEME}:/{quote(chart.name)}" x="0" y="0" width="{w}" height="{h}"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(frame.encode("utf-8")).decode("ascii")


def chart_content(chart: ChartImage) -> tuple[str, bytes]:
    """Return what a chart frame shows: (MIME type, bytes) of the sanitised SVG or of the PNG."""
    svg = _clean_chart_svg(chart)
    if svg is not None:
        return "image/svg+xml", svg.encode("utf-8")
    if chart.png is not None:
        return "image/png", chart.png
    raise ValueError(f"chart {chart.name!r} has not been drawn")


def chart_lookup(charts: Iterable[ChartImage]) -> Callable[[str], tuple[str, bytes]]:
    """Return a chart source for `pdf.pdf_bytes` over charts that are already drawn."""
    by_name = {c.name: c for c in charts}
    return lambda name: chart_content(by_name[name])


def figure(chart: ChartImage, caption: str = "") -> Figure:
    """Return a chart as the template places it: inline SVG or PNG data: URI, and the PDF's frame.

    A chart not drawn yet (`PlannedChart.placeholder()`) has only the frame: enough for the PDF."""
    svg = _clean_chart_svg(chart)
    src = None
    if svg is None and chart.png is not None:
        src = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
    frame = chart_frame_uri(chart)
    return Figure(chart.name, chart.title, chart.alt, svg, src, chart.width, chart.height, frame, caption)
