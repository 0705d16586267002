"""The heatmap's cells without a chart library: log2 lift, fill, text colour, text and row order, shared by
the chart and the web report's table so both show the same thing."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from reportgen.documents import formats
from reportgen.documents.colours import mix, readable_ink
from reportgen.model import SegmentProfile

LOG2_LIMIT = 4  # lift axes run from 1/16x to 16x; further out (and zero) is drawn at the edge, labelled true
DIVERGING: tuple[str, str, str] = ("#B35806", "#F7F7F7", "#2166AC")  # below, at, above the average
SEQUENTIAL: tuple[str, str] = ("#EFF5FB", "#0B4F8A")  # counts: low -> high
ABSENT_FILL = "#E9ECEF"  # a measure a segment does not have at all: a quiet grey, not the loudest colour


def log2_lift(lift: float) -> float:
    """Return log2(lift) clamped to the lift axes (1/16x to 16x); zero lands on the lower edge."""
    value = math.log2(lift) if lift > 0 else -LOG2_LIMIT
    return round(min(max(value, -LOG2_LIMIT), LOG2_LIMIT), 6)


def cut_at_axis(lift: float, low: int, high: int) -> bool:
    """Return whether a lift's bar is cut at the edge of a log2 axis from 1/2^low to 2^high (or the lift is
    zero, or beyond 1/16x-16x): its bar stops at the edge and is marked there."""
    if lift <= 0 or abs(math.log2(lift)) > LOG2_LIMIT:
        return True
    return not -low <= log2_lift(lift) <= high


def segment_lift(profile: SegmentProfile, feature: str) -> float | None:
    """Return a segment's mean over the all-customer mean of a feature (None where it has none)."""
    stat = profile.stats.get(feature)
    return stat.lift if stat is not None else None


def heat_fill(value: float, limit: float, diverging: tuple[str, str, str] = DIVERGING) -> str:
    """Return the fill of a heatmap cell: log2(lift) on the diverging scale, clamped at +-limit."""
    below, middle, above = diverging
    t = max(-1.0, min(1.0, value / limit))
    return mix(middle, above, t) if t >= 0 else mix(middle, below, -t)


def cell_fill(lift: float | None, limit: float, diverging: tuple[str, str, str] = DIVERGING) -> str:
    """Return a cell's fill for a lift: the diverging scale, or grey where the segment has none at all."""
    return ABSENT_FILL if lift is None or lift <= 0 else heat_fill(log2_lift(lift), limit, diverging)


def cell_ink(fill: str, foreground: str) -> str:
    """Return the text colour of a cell: the one with the higher measured contrast on its fill."""
    return readable_ink(fill, foreground)


def heat_text(lift: float | None) -> str:
    """Format a heatmap cell with the report's one lift format ('2.3x', '0.04x', '<0.01x', '0x'); 'n/a'."""
    return formats.lift(lift) if lift is not None else "n/a"


def separation_order(profiles: Sequence[SegmentProfile], features: Sequence[str]) -> tuple[str, ...]:
    """Return the features by how much they separate the segments: the spread of log2(lift), widest first."""

    def spread(feature: str) -> float:
        logs = [log2_lift(lift) for p in profiles if (lift := segment_lift(p, feature)) is not None]
        return max(logs) - min(logs) if logs else 0.0

    return tuple(sorted(features, key=lambda f: (-round(spread(f), 6), features.index(f))))


def heatmap_limit(profiles: Sequence[SegmentProfile], features: Sequence[str]) -> int:
    """Return the heatmap's symmetric colour limit in log2 units: 2x and 0.5x equally strong, at most 8x."""
    logs = [
        log2_lift(lift)
        for p in profiles
        for f in features
        if (lift := segment_lift(p, f)) is not None and lift > 0
    ]
    return int(min(3, max([1, *(math.ceil(abs(v) - 0.05) for v in logs)])))


def heatmap_features(input_features: Sequence[str], profiles: Sequence[SegmentProfile]) -> tuple[str, ...]:
    """Return the features the heatmap shows: the profiled input columns with a lift in some segment."""
    return tuple(f for f in input_features if any(segment_lift(p, f) is not None for p in profiles))


def count_fill(count: int, top: int, sequential: tuple[str, str]) -> str:
    """Return the fill of a movement-matrix cell: its count on the sequential scale from 0 to `top`."""
    return mix(sequential[0], sequential[1], min(1.0, count / top) if top else 0.0)


def migration_grid(
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
