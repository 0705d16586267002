"""Charts that are tables in the web report: the heatmap as a real HTML table (readable on a phone, by a
screen reader, and copyable), with the same colours, text colours and row order as the chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.documents.formats import thousands
from reportgen.documents.heat import (
    SEQUENTIAL,
    cell_fill,
    cell_ink,
    count_fill,
    heat_text,
    heatmap_limit,
    migration_grid,
    segment_lift,
    separation_order,
)
from reportgen.model import SegmentProfile
from reportgen.model.columns import feature_label


@dataclass(frozen=True)
class HeatCell:
    text: str  # "2.3x", the report's lift format
    fill: str  # "#RRGGBB": the chart's colour for the cell
    ink: str  # the text colour with the higher measured contrast on `fill`


@dataclass(frozen=True)
class HeatRow:
    label: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatTable:
    """Features x segments, each cell the segment mean over the all-customer mean, coloured as the chart."""

    columns: tuple[str, ...]  # segment names, by id
    rows: tuple[HeatRow, ...]  # by how much the feature separates the segments


def heat_table(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], foreground: str
) -> HeatTable:
    """Return the heatmap as a table: the chart's rows, order, colours and text colours."""
    ordered = sorted(profiles, key=lambda p: p.id)
    limit = heatmap_limit(ordered, features)
    rows = []
    for feature in separation_order(ordered, features):
        cells = []
        for profile in ordered:
            lift = segment_lift(profile, feature)
            fill = cell_fill(lift, limit)
            cells.append(HeatCell(heat_text(lift), fill, cell_ink(fill, foreground)))
        rows.append(HeatRow(labels.get(feature, feature_label(feature)), tuple(cells)))
    return HeatTable(tuple(p.name for p in ordered), tuple(rows))


@dataclass(frozen=True)
class MoveTable:
    """Previous segment x this period's segment, customers in each cell; the diagonal stayed put."""

    columns: tuple[str, ...]  # this period's segments
    rows: tuple[HeatRow, ...]  # one per previous segment


def move_table(flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], foreground: str) -> MoveTable:
    """Return the movement matrix as a table, with the chart's rows, columns, colours and text colours."""
    row_ids, column_ids, counts, full = migration_grid(flows, names)
    top = max([1, *counts.values()])
    rows = []
    for f in row_ids:
        cells = []
        for t in column_ids:
            fill = count_fill(counts[(f, t)], top, SEQUENTIAL)
            cells.append(HeatCell(thousands(counts[(f, t)]), fill, cell_ink(fill, foreground)))
        rows.append(HeatRow(full[f], tuple(cells)))
    return MoveTable(tuple(full[t] for t in column_ids), tuple(rows))
