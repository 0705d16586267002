"""Overview charts: segment sizes, the profile heatmap and the customer map, with alt texts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np

from reportgen.documents import formats
from reportgen.documents.charts.layout import (
    SPLIT_LINES,
    TIMES_LABEL,
    GridLayout,
    by_id,
    finished,
    grid_layout,
    inline_data,
    json_data,
    layer_chart,
    segment_scale,
    swatch_legend,
    top_axis,
    unvalidated,
    wrapped_label,
)
from reportgen.documents.charts.theme import (
    FULL_WIDTH,
    MAX_MAP_POINTS,
    MIN_POINTS_PER_SEGMENT,
    AnyChart,
    ChartTheme,
)
from reportgen.documents.heat import (
    ABSENT_FILL,
    cell_fill,
    cell_ink,
    heat_text,
    heatmap_limit,
    log2_lift,
    segment_lift,
    separation_order,
)
from reportgen.model import IntArray, PcaMap, SegmentProfile


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
    return {p.id: wrapped_label(p.name, width / 3, theme.label_size) for p in profiles}


def sizes_height(
    profiles: Sequence[SegmentProfile], theme: ChartTheme | None = None, width: float = FULL_WIDTH
) -> int:
    """Return the segment sizes chart height in CSS px: a pair of bars and the wrapped name per segment."""
    theme = theme or ChartTheme()
    lines = max((n.count("\n") + 1 for n in _size_labels(profiles, theme, width).values()), default=1)
    band = max(46, (theme.label_size + 2) * lines + 14, 4 * theme.label_size)
    return 60 + 2 * theme.label_size + band * len(profiles)


@unvalidated
def segment_sizes_chart(
    profiles: Sequence[SegmentProfile], theme: ChartTheme, width: float = FULL_WIDTH
) -> AnyChart:
    """Return grouped horizontal bars: each segment's share of customers next to its share of value."""
    key = value_share_key(profiles)
    measures = ["customers"] + ([_value_noun(key)] if key else [])
    label = _size_labels(profiles, theme, width)
    lines = max((n.count("\n") for n in label.values()), default=0)
    rows: list[dict[str, Any]] = []
    for p in by_id(profiles):
        shares = [p.share] + ([p.value_shares.get(key, 0.0)] if key else [])
        for measure, share in zip(measures, shares, strict=True):
            rows.append(
                {
                    "segment": label[p.id],
                    "measure": f"% of {measure}",
                    "share": round(share, 6),
                    "label": formats.percent_compact(share),
                }
            )
    order = [label[p.id] for p in by_id(profiles)]
    measure_names = [f"% of {m}" for m in measures]
    top = max([p.share for p in profiles] + [p.value_shares.get(key, 0.0) for p in profiles if key])
    y = alt.Y(
        "segment:N",
        sort=order,
        title=None,
        # lifted by half the extra lines of the longest name, as in the migration chart: Vega grows
        # multi-line labels downwards from the middle of their band
        axis=alt.Axis(
            labelExpr=SPLIT_LINES,
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
    return finished(layer_chart(bars, labels, data=inline_data(rows)), theme, "Segment sizes")


def segment_sizes_alt(profiles: Sequence[SegmentProfile]) -> str:
    """Return the text alternative of the segment sizes chart."""
    key = value_share_key(profiles)
    parts = []
    for p in by_id(profiles):
        part = f"{p.name} {formats.percent_compact(p.share)} of customers"
        if key:
            part += f" and {formats.percent_compact(p.value_shares.get(key, 0.0))} of {_value_noun(key)}"
        parts.append(part)
    return "Bar chart of segment sizes: " + "; ".join(parts) + "."


def heatmap_layout(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], theme: ChartTheme
) -> GridLayout:
    """Return how the features x segments heatmap fits the page (its height is the image height)."""
    return grid_layout([p.name for p in by_id(profiles)], [labels.get(f, f) for f in features], theme)


@unvalidated
def profile_heatmap(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], theme: ChartTheme
) -> AnyChart:
    """Return a features x segments heatmap of lift, coloured by log2(lift) around the average (1x)."""
    ordered = by_id(profiles)
    # rows from the measure that tells the segments apart most to the one that tells them apart least
    features = separation_order(ordered, features)
    # a symmetric domain makes 2x and 0.5x equally strong; clamp at 8x so one outlier doesn't wash out the rest
    limit = heatmap_limit(ordered, features)
    layout = heatmap_layout(ordered, features, labels, theme)
    segments = list(layout.headers)
    rows = []
    for p, header in zip(ordered, segments, strict=True):
        for f in features:
            lift = segment_lift(p, f)
            absent = lift is None or lift <= 0
            value = log2_lift(lift) if lift is not None and lift > 0 else None
            fill = cell_fill(lift, limit, theme.diverging)
            rows.append(
                {
                    "segment": header,
                    "feature": labels.get(f, f),
                    "log2_lift": value,
                    "absent": absent,
                    "text": heat_text(lift),
                    "fill": fill,
                    # the text colour is chosen by its measured contrast on the cell's own fill
                    "ink": cell_ink(fill, theme.foreground),
                }
            )
    feature_labels = [labels.get(f, f) for f in features]
    base = alt.Chart().encode(
        x=alt.X("segment:N", sort=segments, title=None, axis=top_axis(layout)),
        y=alt.Y("feature:N", sort=feature_labels, title=None, axis=alt.Axis(labelLimit=220)),
    )
    cells = (
        base.transform_filter("!datum.absent")
        .mark_rect(stroke=theme.background, strokeWidth=1.5)
        .encode(
            color=alt.Color(
                "log2_lift:Q",
                # "rgb": the same linear mix as heat_fill, so the text colour is chosen on the painted fill
                scale=alt.Scale(
                    domain=[-limit, 0, limit], range=list(theme.diverging), clamp=True, interpolate="rgb"
                ),
                legend=swatch_legend(
                    "vs average", range(-limit, limit + 1), layout, theme, labelExpr=TIMES_LABEL
                ),
            )
        )
    )
    absent = base.transform_filter("datum.absent").mark_rect(
        stroke=theme.background, strokeWidth=1.5, color=ABSENT_FILL
    )
    text = base.mark_text(baseline="middle").encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    # the absent cells' layer only where there are some: an empty layer costs the chart engine time too
    layers = [cells, absent, text] if any(r["absent"] for r in rows) else [cells, text]
    subtitle = (
        "Segment mean over the all-customer mean; 1x = average; rows by how much they separate segments"
    )
    # the text colour is a literal per cell, not the lift scale
    layered = layer_chart(*layers, data=inline_data(rows)).resolve_scale(color="independent")
    return finished(layered, theme, "How segments differ from the average customer", subtitle)


def profile_heatmap_alt(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], top: int = 2
) -> str:
    """Return the text alternative of the heatmap: each segment's highest and lowest features."""
    parts = []
    for p in by_id(profiles):
        lifts = [(f, lift) for f in features if (lift := segment_lift(p, f)) is not None]
        # sorted() is stable: the feature order breaks ties deterministically
        # within 10% of the average is not worth a mention
        above = sorted((item for item in lifts if item[1] >= 1.1), key=lambda item: -item[1])[:top]
        below = sorted((item for item in lifts if item[1] <= 0.9), key=lambda item: item[1])[:top]
        sides = [
            f"{side} {', '.join(f'{labels.get(f, f)} {formats.lift(lift)}' for f, lift in items)}"
            for side, items in (("highest", above), ("lowest", below))
            if items
        ]
        parts.append(f"{p.name}: {'; '.join(sides) or 'at the average throughout'}")
    return (
        f"Heatmap of {len(features)} features by segment, each cell the segment mean over the all-customer "
        "mean (1x = average), rows by how much they separate segments. " + ". ".join(parts) + "."
    )


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
    return f"PC{index} ({formats.percent(share)} of variance)"


def axis_meaning(loadings: Mapping[str, tuple[float, float]], axis: int, labels: Mapping[str, str]) -> str:
    """Return a map axis title from its loadings: "left: higher cash advance · right: higher purchases"."""
    ranked = sorted(loadings.items(), key=lambda item: (-abs(item[1][axis]), item[0]))
    positive = next((f for f, w in ranked if w[axis] > 0), None)
    negative = next((f for f, w in ranked if w[axis] < 0), None)
    # a side is named only when its strongest column weighs at least half the axis' strongest
    top = abs(ranked[0][1][axis]) if ranked else 0.0
    # words, not arrows: the chart font has no arrow glyphs
    low_end, high_end = ("left", "right") if axis == 0 else ("down", "up")
    sides = []
    if negative is not None and abs(loadings[negative][axis]) >= 0.5 * top > 0:
        sides.append(f"{low_end}: higher {labels.get(negative, negative).lower()}")
    if positive is not None and abs(loadings[positive][axis]) >= 0.5 * top > 0:
        sides.append(f"{high_end}: higher {labels.get(positive, positive).lower()}")
    return "  ·  ".join(sides)


@unvalidated
def segment_map(
    pca: PcaMap,
    profiles: Sequence[SegmentProfile],
    theme: ChartTheme,
    max_points: int = MAX_MAP_POINTS,
    seed: int = 0,
    labels: Mapping[str, str] | None = None,
) -> AnyChart:
    """Return the PCA scatter of a stratified sample of customers, coloured by segment, each segment named at
    its centre; the axes say what grows along them (from the loadings), not "PC1"."""
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
    named = labels or {}
    titles = [
        axis_meaning(pca.loadings, axis, named) or _pc_title(axis + 1, pca.explained_variance[axis])
        for axis in (0, 1)
    ]
    # positions on these axes have no unit a reader could use: the axes carry meaning, not numbers.
    # The dots' see-through fill is fill-opacity, not opacity: the same picture for a dot without a stroke,
    # but the rasteriser then need not draw each of the 5,000 dots on a layer of its own (0.03 s of 0.25 s)
    chart = (
        alt.Chart(json_data(rows))
        .mark_circle(size=14, fillOpacity=0.55)
        .encode(
            x=alt.X("pc1:Q", title=titles[0], axis=alt.Axis(grid=True, labels=False, ticks=False)),
            y=alt.Y("pc2:Q", title=titles[1], axis=alt.Axis(grid=True, labels=False, ticks=False)),
            color=alt.Color(
                "segment:N",
                scale=segment_scale(profiles, theme),
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
        subtitle = f"A sample of {formats.thousands(len(rows))} of {formats.thousands(len(pca.labels))} customers; nearby dots behave alike"
    # each segment named where its customers are (the median point), white-outlined over the dots
    centres = []
    for p in by_id(profiles):
        members = np.flatnonzero(np.asarray(pca.labels) == p.id)
        if len(members):
            centres.append(
                {
                    "pc1": round(float(np.median(np.asarray(pca.x)[members])), 4),
                    "pc2": round(float(np.median(np.asarray(pca.y)[members])), 4),
                    "name": p.name,
                }
            )
    names_at = alt.Chart(inline_data(centres)).encode(x="pc1:Q", y="pc2:Q", text="name:N")
    halo = names_at.mark_text(
        fontWeight="bold", fontSize=12, stroke=theme.background, strokeWidth=4, strokeOpacity=0.9
    )
    name_marks = names_at.mark_text(fontWeight="bold", fontSize=12, color=theme.foreground)
    # a frame marks the plotting area: with no ticks or numbers, it shows where "left" and "up" end, and
    # the empty corners of a sparse map read as part of the map, not as a gap in the page
    frame = alt.ViewBackground(stroke=theme.muted, strokeWidth=1)
    return finished(
        alt.LayerChart(layer=[chart, halo, name_marks], view=frame), theme, "Customer map", subtitle
    )


def segment_map_alt(pca: PcaMap, profiles: Sequence[SegmentProfile], max_points: int = MAX_MAP_POINTS) -> str:
    """Return the text alternative of the customer map."""
    total = len(pca.labels)
    shown = min(total, max_points)
    sample = (
        f"{formats.thousands(shown)} customers"
        if shown == total
        else f"a sample of {formats.thousands(shown)} of {formats.thousands(total)} customers"
    )
    segments = "; ".join(
        f"{p.name} ({formats.percent_compact(p.share)} of customers)" for p in by_id(profiles)
    )
    pc1, pc2 = (formats.percent(v) for v in pca.explained_variance)
    return (
        f"Scatter plot of {sample} on the first two principal components (PC1 explains {pc1} and PC2 {pc2} "
        f"of the variance), coloured by segment: {segments}."
    )
