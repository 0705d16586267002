"""Plumbing shared by the chart builders: label wrapping to a width, grid layout, data, titles."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import altair as alt
from altair.utils.schemapi import debug_mode

from reportgen.documents.charts.theme import (
    EM_WIDTHS,
    FULL_WIDTH,
    AnyChart,
    ChartTheme,
    altair_config,
    segment_color,
)
from reportgen.documents.heat import log2_lift as log2_lift  # re-exported for the chart builders
from reportgen.model import SegmentProfile


def _line_px(line: str, size: float) -> float:
    return sum(EM_WIDTHS.get(char, 0.6) for char in line) * size


def text_px(text: str, size: float) -> float:
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


def wrapped_label(text: str, width: float, size: float) -> str:
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
SPLIT_LINES = "split(datum.label, '\\n')"


# axis and legend labels for log2 values: 1 -> "2x", -1 -> "0.5x"
# (below 1/8 as fractions: 1/16x reads better than 0.0625x)
# one notation on every lift axis: whole multiples above the average, fractions below ("1/4x", not "0.25x")
TIMES_LABEL = (
    "datum.value >= 0 ? format(pow(2, datum.value), 'd') + 'x' "
    ": '1/' + format(pow(2, -datum.value), 'd') + 'x'"
)


LINE_HEIGHT = 13


WIDE_LEGEND_COLUMNS = 6  # beyond this many columns a grid's legend moves below it, so the columns get wider


_LEGEND_PX = 80  # a vertical swatch legend with its offset


_ROW_PX = 24  # a grid row with one line of text


_TITLE_PX = 60  # title, subtitle and padding above a chart


def _headers(names: Sequence[str], width: float, size: float) -> list[str]:
    """Wrap column headers and pad them with blank first lines to one height, so they align at the bottom."""
    wrapped = [wrapped_label(name, width, size).split("\n") for name in names]
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
    row_px = min(220.0, max((text_px(r, theme.label_size) for r in rows), default=0)) + 8
    row_px += theme.label_size + 8 if row_title else 0
    plot = FULL_WIDTH - 16 - row_px - (0 if many else _LEGEND_PX)
    # the header wraps to its column; a little overhang into the 1.5 px cell gaps is harmless
    headers = _headers(columns, min(110.0, plot / max(len(columns), 1) - 3), size)
    header_lines = max((h.count("\n") + 1 for h in headers), default=1)
    row_lines = max((r.count("\n") + 1 for r in rows), default=1)
    grid = max(_ROW_PX, LINE_HEIGHT * row_lines + 8) * max(len(rows), 3)
    if not many:
        grid = max(grid, 120)  # room for the seven swatches of the legend beside it
    height = _TITLE_PX + LINE_HEIGHT * header_lines + 10 + grid + (44 if many else 0)
    height += theme.label_size + 8 if row_title else 0  # the column title above the headers
    return GridLayout(tuple(headers), size, "bottom" if many else "right", int(height))


def top_axis(layout: GridLayout) -> alt.Axis:
    # Vega grows multi-line labels downwards from the axis whatever the baseline, so the padding lifts
    # every (equally tall) header clear of the cells
    lines = max((h.count("\n") + 1 for h in layout.headers), default=1)
    return alt.Axis(
        orient="top",
        labelAngle=0,
        labelExpr=SPLIT_LINES,
        labelLineHeight=LINE_HEIGHT,
        labelPadding=6 + LINE_HEIGHT * (lines - 1),
        labelFontWeight="bold",
        labelFontSize=layout.header_size,
        labelLimit=0,  # no ellipsis: the wrapping already fits each header to its column
    )


def swatch_legend(
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


def inline_data(records: Iterable[Mapping[str, Any]]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in records])


def json_data(records: Sequence[Mapping[str, Any]]) -> alt.Data:
    """Inline many rows as one JSON string, which Vega parses itself."""
    # Altair walks (and validates) a list of rows value by value: ~1 s for 5,000 points, ~5 ms as a string
    return alt.Data(values=json.dumps(records, separators=(",", ":")), format=alt.DataFormat(type="json"))


F = TypeVar("F", bound=Callable[..., Any])


def unvalidated(builder: F) -> F:
    """Build without Altair's per-object schema validation (the finished spec is validated in the tests)."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        with debug_mode(False):
            return builder(*args, **kwargs)

    return cast(F, build)


def by_id(profiles: Sequence[SegmentProfile]) -> list[SegmentProfile]:
    return sorted(profiles, key=lambda p: p.id)


def segment_scale(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> alt.Scale:
    ordered = by_id(profiles)
    return alt.Scale(domain=[p.name for p in ordered], range=[segment_color(p.id, theme) for p in ordered])


def layer_chart(*charts: alt.Chart, data: alt.Data | None = None) -> alt.LayerChart:
    if data is None:
        return alt.LayerChart(layer=list(charts))
    return alt.LayerChart(layer=list(charts), data=data)


def finished(chart: AnyChart, theme: ChartTheme, title: str, subtitle: str = "") -> AnyChart:
    params = alt.TitleParams(text=title, subtitle=subtitle) if subtitle else alt.TitleParams(text=title)
    return chart.properties(title=params).configure(**altair_config(theme))
