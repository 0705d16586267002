"""Altair chart builders for the report, their alt texts, and offline renderers (vl-convert) to ChartImage."""

from __future__ import annotations

import functools
import html
import json
import math
import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import altair as alt
import numpy as np
import vl_convert
from altair.utils.schemapi import debug_mode

from reportgen.fonts import FAMILY, register_chart_fonts
from reportgen.models import Analysis, ChartImage, IntArray, KSelection, PcaMap, SegmentProfile

# Okabe-Ito without black, strongest colours first so small reports get the most distinct ones
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442")

AnyChart = alt.Chart | alt.LayerChart

FULL_WIDTH = 640  # CSS px: A4 content width (~170 mm) at 96 px per inch
SEGMENT_HEIGHT = 220
MAP_HEIGHT = 440
K_CHART_HEIGHT = 240
MAX_MAP_POINTS = 5000
MIN_POINTS_PER_SEGMENT = 25
LOG2_FLOOR = -6.0  # lifts below 1/64 (and zero) are drawn as 1/64: log2(0) has no place on an axis


@dataclass(frozen=True)
class ChartTheme:
    """Fonts and colours of every chart; built from the brand file by the caller."""

    font: str = FAMILY
    palette: tuple[str, ...] = OKABE_ITO  # segment id i gets palette[i % len(palette)]
    sequential: tuple[str, str] = ("#EFF5FB", "#0B4F8A")  # low -> high
    diverging: tuple[str, str, str] = ("#B35806", "#F7F7F7", "#2166AC")  # below, at, above the average
    foreground: str = "#1F2933"
    background: str = "#FFFFFF"
    grid: str = "#E4E7EB"
    muted: str = "#8A96A3"  # secondary marks, axis lines, annotations
    primary: str = "#0072B2"
    title_size: int = 14
    label_size: int = 11


def segment_color(segment_id: int, theme: ChartTheme) -> str:
    """Return the stable colour of a segment id."""
    return theme.palette[segment_id % len(theme.palette)]


def altair_config(theme: ChartTheme) -> dict[str, Any]:
    """Return the Altair config applied to every chart."""
    text = {"font": theme.font, "color": theme.foreground}
    axis = {
        "labelFont": theme.font,
        "titleFont": theme.font,
        "labelFontSize": theme.label_size,
        "titleFontSize": theme.label_size,
        "titleFontWeight": "normal",
        "labelColor": theme.foreground,
        "titleColor": theme.foreground,
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
            "labelFont": theme.font,
            "titleFont": theme.font,
            "labelFontSize": theme.label_size,
            "titleFontSize": theme.label_size,
            "titleFontWeight": "normal",
            "labelColor": theme.foreground,
            "titleColor": theme.foreground,
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


def lift_text(lift: float) -> str:
    """Return a lift as a multiplier such as "3.1x" (two significant digits for small lifts)."""
    if lift >= 9.95:
        return f"{lift:.0f}x"
    if lift >= 0.095 or lift == 0:
        return f"{lift:.1f}x"
    return f"{lift:.2g}x"


def _log2(lift: float) -> float:
    return round(max(math.log2(lift), LOG2_FLOOR) if lift > 0 else LOG2_FLOOR, 6)


def _wrap(text: str, width: int) -> str:
    """Break a label into lines of about `width` characters (joined by newlines)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
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
MAX_UPRIGHT_COLUMNS = 6  # beyond this many segment columns, headers are slanted instead of wrapped


def _headers(names: Sequence[str], width: int = 14) -> list[str]:
    """Wrap column headers and pad them with blank first lines to one height, so they align at the bottom."""
    if len(names) > MAX_UPRIGHT_COLUMNS:
        return list(names)
    wrapped = [_wrap(name, width).split("\n") for name in names]
    lines = max((len(w) for w in wrapped), default=1)
    return ["\n".join([""] * (lines - len(w)) + w) for w in wrapped]


def _top_axis(headers: Sequence[str]) -> alt.Axis:
    # Vega grows multi-line labels downwards from the axis whatever the baseline, so the padding lifts
    # every (equally tall) header clear of the cells
    if len(headers) > MAX_UPRIGHT_COLUMNS:
        return alt.Axis(
            orient="top", labelAngle=-35, labelAlign="left", labelLimit=150, labelFontWeight="bold"
        )
    lines = max((h.count("\n") + 1 for h in headers), default=1)
    return alt.Axis(
        orient="top",
        labelAngle=0,
        labelExpr=_SPLIT_LINES,
        labelLineHeight=_LINE_HEIGHT,
        labelPadding=6 + _LINE_HEIGHT * (lines - 1),
        labelFontWeight="bold",
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


@_unvalidated
def segment_sizes_chart(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> AnyChart:
    """Return grouped horizontal bars: each segment's share of customers next to its share of value."""
    key = value_share_key(profiles)
    measures = ["customers"] + ([_value_noun(key)] if key else [])
    rows: list[dict[str, Any]] = []
    for p in _by_id(profiles):
        shares = [p.share] + ([p.value_shares.get(key, 0.0)] if key else [])
        for measure, share in zip(measures, shares, strict=True):
            rows.append(
                {
                    "segment": p.name,
                    "measure": f"% of {measure}",
                    "share": round(share, 6),
                    "label": pct_text(share),
                }
            )
    order = [p.name for p in _by_id(profiles)]
    measure_names = [f"% of {m}" for m in measures]
    top = max([p.share for p in profiles] + [p.value_shares.get(key, 0.0) for p in profiles if key])
    y = alt.Y("segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelFontWeight="bold"))
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


@_unvalidated
def profile_heatmap(
    profiles: Sequence[SegmentProfile], features: Sequence[str], labels: Mapping[str, str], theme: ChartTheme
) -> AnyChart:
    """Return a features x segments heatmap of lift, coloured by log2(lift) around the average (1x)."""
    ordered = _by_id(profiles)
    logs = [_log2(lift) for p in ordered for f in features if (lift := _lift(p, f)) is not None]
    # a symmetric domain makes 2x and 0.5x equally strong; clamp at 8x so one outlier doesn't wash out the rest
    limit = float(min(3, max([1, *(math.ceil(abs(v) - 0.05) for v in logs)])))
    segments = _headers([p.name for p in ordered])
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
        x=alt.X(
            "segment:N",
            sort=segments,
            title=None,
            axis=_top_axis(segments),
        ),
        y=alt.Y("feature:N", sort=feature_labels, title=None, axis=alt.Axis(labelLimit=220)),
    )
    cells = base.mark_rect(stroke=theme.background, strokeWidth=1.5).encode(
        color=alt.Color(
            "log2_lift:Q",
            scale=alt.Scale(domain=[-limit, 0, limit], range=list(theme.diverging), clamp=True),
            legend=alt.Legend(
                title="vs average",
                orient="right",
                values=list(range(-int(limit), int(limit) + 1)),
                labelExpr=_TIMES_LABEL,
                # no longer than the cells beside it, or the end labels are clipped
                gradientLength=max(60, min(160, 20 * len(features))),
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


def heatmap_height(segment_names: Sequence[str], n_features: int) -> int:
    """Return the heatmap height in CSS px: a readable row per feature plus room for the headers."""
    headers = _headers(segment_names)
    if len(headers) > MAX_UPRIGHT_COLUMNS:
        header = 6 * max((len(n) for n in segment_names), default=0) // 2 + 20  # slanted at 35 degrees
        header = min(header, 100)
    else:
        header = _LINE_HEIGHT * max((h.count("\n") + 1 for h in headers), default=1) + 10
    return 60 + header + 24 * max(n_features, 3)


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


@_unvalidated
def segment_traits_chart(profile: SegmentProfile, theme: ChartTheme) -> AnyChart:
    """Return horizontal bars of the segment's key traits on a log2 lift axis, with the average at 1x."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    logs = [_log2(t.lift) for t in traits]
    rows = [
        {"trait": t.label, "log2_lift": v, "text": lift_text(t.lift)}
        for t, v in zip(traits, logs, strict=True)
    ]
    # whole powers of two on a log2 axis: 0.5x and 2x sit at equal distances from the average;
    # the extra 0.35 leaves room for the end-of-bar label
    low = max([1, *(math.ceil(-v + 0.35) for v in logs)])
    high = max([1, *(math.ceil(v + 0.35) for v in logs)])
    ticks = list(range(-low, high + 1))
    color = segment_color(profile.id, theme)
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
    above = base.transform_filter("datum.log2_lift >= 0").mark_text(align="left", baseline="middle", dx=4)
    below = base.transform_filter("datum.log2_lift < 0").mark_text(align="right", baseline="middle", dx=-4)
    average = (
        alt.Chart(_data([{"x": 0, "label": "average"}]))
        .mark_rule(color=theme.foreground, strokeWidth=1.2)
        .encode(x=alt.X("x:Q"))
    )
    layers = [bars, above.encode(text=alt.Text("text:N")), below.encode(text=alt.Text("text:N")), average]
    return _finish(_layer(*layers, data=_data(rows)), theme, f"{profile.name}: key traits")


def segment_traits_alt(profile: SegmentProfile) -> str:
    """Return the text alternative of a segment's traits chart."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    listed = ", ".join(f"{t.label} {lift_text(t.lift)}" for t in traits) or "no distinctive traits"
    return (
        f"Bar chart of the key traits of {profile.name} ({pct_text(profile.share)} of customers) against the "
        f"average customer (1x): {listed}."
    )


# ---- month-over-month migration ------------------------------------------------------------------------


@_unvalidated
def migration_chart(
    flows: Sequence[tuple[int, int, int]], names: Mapping[int, str], theme: ChartTheme
) -> AnyChart:
    """Return a from-segment x to-segment heatmap of customer counts since the previous period."""
    ids = sorted(set(names) | {f for f, _, _ in flows} | {t for _, t, _ in flows})
    counts = {(f, t): 0 for f in ids for t in ids}
    for f, t, n in flows:
        counts[(f, t)] += n
    top = max([1, *counts.values()])
    full = {i: names.get(i, f"Segment {i}") for i in ids}
    header = dict(zip(ids, _headers([full[i] for i in ids]), strict=True))
    row = {i: _wrap(full[i], 16) for i in ids}
    rows = [
        {
            "from": row[f],
            "to": header[t],
            "customers": n,
            "text": f"{n:,}",
            "ink": "#FFFFFF" if n > 0.55 * top else (theme.foreground if n else theme.muted),
        }
        for (f, t), n in counts.items()
    ]
    columns = [header[i] for i in ids]
    base = alt.Chart().encode(
        x=alt.X(
            "to:N",
            sort=columns,
            title="This period's segment",
            axis=_top_axis(columns),
        ),
        y=alt.Y(
            "from:N",
            sort=[row[i] for i in ids],
            title="Previous period's segment",
            axis=alt.Axis(labelExpr=_SPLIT_LINES, labelLineHeight=_LINE_HEIGHT),
        ),
    )
    cells = base.mark_rect(stroke=theme.background, strokeWidth=1.5).encode(
        color=alt.Color(
            "customers:Q",
            scale=alt.Scale(domain=[0, top], range=list(theme.sequential)),
            legend=alt.Legend(title="Customers", orient="right", format=",.0f", gradientLength=140),
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
    ids = sorted(set(names) | {f for f, _, _ in flows} | {t for _, t, _ in flows})
    name = {i: names.get(i, f"Segment {i}") for i in ids}
    stayed = {i: 0 for i in ids}
    was = {i: 0 for i in ids}
    moves: dict[tuple[int, int], int] = {}
    for f, t, n in flows:
        was[f] += n
        if f == t:
            stayed[f] += n
        else:
            moves[(f, t)] = moves.get((f, t), 0) + n
    kept = "; ".join(f"{name[i]} kept {stayed[i]:,} of {was[i]:,}" for i in ids)
    largest = sorted(((n, f, t) for (f, t), n in moves.items() if n > 0), key=lambda m: (-m[0], m[1], m[2]))
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


def warm_up_renderer() -> None:
    """Start the chart renderer (its JavaScript engine and fonts) so that the first chart does not wait for it.

    The first conversion in a process costs ~0.7 s and later ones ~0.03 s of that; run this in a background
    thread while the analysis computes (the conversion runs outside the GIL).
    """
    register_chart_fonts()
    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {}})


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


def report_charts(analysis: Analysis, theme: ChartTheme, labels: Mapping[str, str]) -> tuple[ChartImage, ...]:
    """Render every chart of the report: sizes, heatmap, map (PNG), elbow, silhouette, segment-<id>, migration."""
    profiles = _by_id(analysis.profiles)
    features = heatmap_features(analysis)
    k = len(profiles)
    images = [
        to_svg_image(
            segment_sizes_chart(profiles, theme),
            "sizes",
            "Segment sizes",
            segment_sizes_alt(profiles),
            FULL_WIDTH,
            90 + 46 * k,
        ),
        to_svg_image(
            profile_heatmap(profiles, features, labels, theme),
            "heatmap",
            "How segments differ from the average customer",
            profile_heatmap_alt(profiles, features, labels),
            FULL_WIDTH,
            heatmap_height([p.name for p in profiles], len(features)),
        ),
        to_png_image(
            segment_map(analysis.pca, profiles, theme),
            "map",
            "Customer map",
            segment_map_alt(analysis.pca, profiles),
            FULL_WIDTH,
            MAP_HEIGHT + 20 * legend_rows([p.name for p in profiles]),
        ),
        to_svg_image(
            elbow_chart(analysis.selection, theme),
            "elbow",
            "Choosing the number of segments: inertia",
            elbow_alt(analysis.selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
        ),
        to_svg_image(
            silhouette_chart(analysis.selection, theme),
            "silhouette",
            "Silhouette score by k",
            silhouette_alt(analysis.selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
        ),
    ]
    for p in profiles:
        images.append(
            to_svg_image(
                segment_traits_chart(p, theme),
                f"segment-{p.id}",
                f"{p.name}: key traits",
                segment_traits_alt(p),
                FULL_WIDTH,
                max(SEGMENT_HEIGHT, 90 + 30 * len(p.traits)),
            )
        )
    history = analysis.history
    if history is not None and history.migration.get("flows"):
        flows = [(int(f["from"]), int(f["to"]), int(f["customers"])) for f in history.migration["flows"]]
        # ids persist across months, so today's names label last month's segments too
        names = {p.id: p.name for p in profiles}
        ids = len(set(names) | {f for f, _, _ in flows} | {t for _, t, _ in flows})
        images.append(
            to_svg_image(
                migration_chart(flows, names, theme),
                "migration",
                "Movement between segments",
                migration_alt(flows, names),
                FULL_WIDTH,
                heatmap_height([names.get(i, "") for i in range(ids)], ids) + 30,
            )
        )
    return tuple(images)
