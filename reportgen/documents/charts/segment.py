"""A segment page's chart: how the segment differs from the average customer, measure by measure."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt

from reportgen.documents import formats
from reportgen.documents.charts.layout import (
    TIMES_LABEL,
    finished,
    inline_data,
    layer_chart,
    log2_lift,
    text_px,
    unvalidated,
)
from reportgen.documents.charts.theme import (
    FULL_WIDTH,
    LOG2_LIMIT,
    AnyChart,
    ChartTheme,
    ink_on,
    segment_color,
)
from reportgen.model import SegmentProfile


def _lift_domain(logs: Sequence[float], room: Sequence[float], plot_px: float) -> tuple[int, int]:
    """Return whole powers of two (low, high) to show every bar and, where the axis allows, its end label."""
    low = high = 1
    for _ in range(3):  # the room a label needs, in log2 units, depends on the domain itself
        unit = plot_px / (low + high)
        low = min(LOG2_LIMIT, max([1, *(math.ceil(-v + r / unit) for v, r in zip(logs, room, strict=True))]))
        high = min(LOG2_LIMIT, max([1, *(math.ceil(v + r / unit) for v, r in zip(logs, room, strict=True))]))
    return low, high


@unvalidated
def segment_traits_chart(profile: SegmentProfile, theme: ChartTheme) -> AnyChart:
    """Return horizontal bars of the segment's key traits on a log2 lift axis, with the average at 1x."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    logs = [log2_lift(t.lift) for t in traits]
    texts = [formats.lift(t.lift) for t in traits]
    size = theme.label_size - 1
    room = [text_px(t, size) + 8 for t in texts]
    label_px = min(230.0, max((text_px(t.label, theme.label_size) for t in traits), default=0))
    plot_px = FULL_WIDTH - 16 - label_px - 8
    # whole powers of two on a log2 axis: 0.5x and 2x sit at equal distances from the average;
    # the axis stops at 1/16x and 16x, so a bar beyond (or with no room for its label) carries it inside
    low, high = _lift_domain(logs, room, plot_px)
    unit = plot_px / (low + high)
    color = segment_color(profile.id, theme)
    rows = [
        {
            "trait": t.label,
            "log2_lift": v,
            "text": text,
            "inside": (v - r / unit < -low) if v < 0 else (v + r / unit > high),
        }
        for t, v, text, r in zip(traits, logs, texts, room, strict=True)
    ]
    ticks = list(range(-low, high + 1))
    base = alt.Chart().encode(
        y=alt.Y("trait:N", sort=[t.label for t in traits], title=None, axis=alt.Axis(labelLimit=230)),
        x=alt.X(
            "log2_lift:Q",
            title="Compared with the average customer",
            scale=alt.Scale(domain=[-low, high], nice=False),
            axis=alt.Axis(values=ticks, labelExpr=TIMES_LABEL, grid=True),
        ),
    )
    bars = base.mark_bar(color=color, height={"band": 0.65}, cornerRadiusEnd=2)
    ink = ink_on(color, theme)
    labels = [
        base.transform_filter(f"{'' if inside else '!'}datum.inside && datum.log2_lift {side} 0")
        .mark_text(
            align="right" if (side == "<") != inside else "left",
            baseline="middle",
            dx=(-4 if (side == "<") != inside else 4),
            color=ink if inside else theme.foreground,
        )
        .encode(text=alt.Text("text:N"))
        for inside in (False, True)
        for side in (">=", "<")
    ]
    average = (
        alt.Chart(inline_data([{"x": 0, "label": "average"}]))
        .mark_rule(color=theme.foreground, strokeWidth=1.2)
        .encode(x=alt.X("x:Q"))
    )
    return finished(
        layer_chart(bars, *labels, average, data=inline_data(rows)), theme, f"{profile.name}: key traits"
    )


def segment_traits_alt(profile: SegmentProfile) -> str:
    """Return the text alternative of a segment's traits chart."""
    traits = sorted(profile.traits, key=lambda t: -t.lift)
    listed = ", ".join(f"{t.label} {formats.lift(t.lift)}" for t in traits) or "no distinctive traits"
    return (
        f"Bar chart of the key traits of {profile.name} ({formats.percent_compact(profile.share)} of customers) against the "
        f"average customer (1x): {listed}."
    )
