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
)
from reportgen.documents.heat import cut_at_axis
from reportgen.model import SegmentProfile


def _lift_domain(logs: Sequence[float], room: Sequence[float], plot_px: float) -> tuple[int, int]:
    """Return whole powers of two (low, high) to show every bar and, where the axis allows, its end label."""
    low = high = 1
    for _ in range(3):  # the room a label needs, in log2 units, depends on the domain itself
        unit = plot_px / (low + high)
        low = min(LOG2_LIMIT, max([1, *(math.ceil(-v + r / unit) for v, r in zip(logs, room, strict=True))]))
        high = min(LOG2_LIMIT, max([1, *(math.ceil(v + r / unit) for v, r in zip(logs, room, strict=True))]))
    return low, high


ABOVE, BELOW = (
    "#0072B2",
    "#B84A00",
)  # Okabe-Ito blue and a darkened vermillion: apart under every colour blindness


ARROW_SIZE = 70  # the arrow head's area in px² (Vega's symbol size): 7.2 px wide, centred on the edge
ARROW_REACH = 4  # px an arrow head reaches either side of the axis edge it sits on
LABEL_GAP = 4  # px between a bar's end (or an arrow head) and its label


def _traits_room(profile: SegmentProfile, theme: ChartTheme) -> tuple[list[float], list[float], float]:
    traits = profile.traits_by_lift()
    logs = [log2_lift(t.lift) for t in traits]
    size = theme.label_size - 1
    room = [text_px(formats.lift(t.lift), size) + 8 for t in traits]
    label_px = min(230.0, max((text_px(t.label, theme.label_size) for t in traits), default=0))
    # the plot is what the row labels and their padding (clear of an arrow head) leave of the width
    return logs, room, FULL_WIDTH - 16 - label_px - (ARROW_REACH + LABEL_GAP) - 4


def shared_lift_domain(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> tuple[int, int]:
    """Return one log2 lift domain for every segment's traits chart, so bars compare from page to page."""
    low = high = 1
    for profile in profiles:
        logs, room, plot_px = _traits_room(profile, theme)
        one_low, one_high = _lift_domain(logs, room, plot_px)
        low, high = max(low, one_low), max(high, one_high)
    return low, high


@unvalidated
def segment_traits_chart(
    profile: SegmentProfile, theme: ChartTheme, domain: tuple[int, int] | None = None
) -> AnyChart:
    """Return horizontal bars of the segment's key traits on a log2 lift axis, with the average at 1x.

    `domain`: whole powers of two (low, high) shared by every segment's chart (`shared_lift_domain`); above
    the average is blue, below is orange; a bar beyond the axis ends in an arrow head at the edge.
    """
    traits = profile.traits_by_lift()
    texts = [formats.lift(t.lift) for t in traits]
    logs, room, plot_px = _traits_room(profile, theme)
    # whole powers of two on a log2 axis: 0.5x and 2x sit at equal distances from the average;
    # the axis stops at 1/16x and 16x, so a bar beyond (or with no room for its label) carries it inside
    low, high = domain if domain is not None else _lift_domain(logs, room, plot_px)
    unit = plot_px / (low + high)
    rows = [
        {
            "trait": t.label,
            "log2_lift": max(-low, min(high, v)),
            "text": text,
            "direction": "above average" if v >= 0 else "below average",
            "inside": (v - r / unit < -low) if v < 0 else (v + r / unit > high),
            "clamped": cut_at_axis(t.lift, low, high),
        }
        for t, v, text, r in zip(traits, logs, texts, room, strict=True)
    ]
    ticks = list(range(-low, high + 1))
    base = alt.Chart().encode(
        # the labels stand clear of an arrow head at the axis's left edge (it reaches ARROW_REACH px past it)
        y=alt.Y(
            "trait:N",
            sort=[t.label for t in traits],
            title=None,
            axis=alt.Axis(labelLimit=230, labelPadding=ARROW_REACH + LABEL_GAP),
        ),
        x=alt.X(
            "log2_lift:Q",
            title="Compared with the average customer (the same scale on every segment's page)",
            scale=alt.Scale(domain=[-low, high], nice=False),
            axis=alt.Axis(values=ticks, labelExpr=TIMES_LABEL, grid=True),
        ),
    )
    drawn = {str(r["direction"]) for r in rows}
    directions = [(d, c) for d, c in (("above average", ABOVE), ("below average", BELOW)) if d in drawn]
    bars = base.mark_bar(height={"band": 0.65}, cornerRadiusEnd=2).encode(
        color=alt.Color(
            "direction:N",
            # the legend names only the directions the bars take; each keeps its colour on every page
            scale=alt.Scale(domain=[d for d, _ in directions], range=[colour for _, colour in directions]),
            legend=alt.Legend(orient="top", title=None, direction="horizontal"),
        )
    )
    # a layer per kind of label that occurs (outside or inside the bar, above or below the average): the
    # chart engine's time grows with its layers, empty ones included (five segment charts: about 0.1 s)
    # a label inside a clamped bar starts clear of the arrow head at the bar's end
    occurring = {(bool(r["inside"]), float(r["log2_lift"]) < 0, bool(r["clamped"])) for r in rows}
    labels = [
        base.transform_filter(
            f"{'' if inside else '!'}datum.inside && datum.log2_lift {side} 0"
            f" && {'' if cut else '!'}datum.clamped"
        )
        .mark_text(
            align="right" if (side == "<") != inside else "left",
            baseline="middle",
            dx=(-1 if (side == "<") != inside else 1) * ((ARROW_REACH if cut else 0) + LABEL_GAP),
            color=ink_on(BELOW if side == "<" else ABOVE, theme) if inside else theme.foreground,
        )
        .encode(text=alt.Text("text:N"))
        for inside in (False, True)
        for side in (">=", "<")
        for cut in (False, True)
        if (inside, side == "<", cut) in occurring
    ]
    # a clamped bar ends in an arrow head pointing off the axis: the bar is cut, the label gives the true value
    clamped = {float(r["log2_lift"]) < 0 for r in rows if r["clamped"]}
    marks = [
        base.transform_filter(f"datum.clamped && datum.log2_lift {side} 0").mark_point(
            shape=shape, filled=True, size=ARROW_SIZE, color=theme.foreground, opacity=1
        )
        for side, shape in ((">=", "triangle-right"), ("<", "triangle-left"))
        if (side == "<") in clamped
    ]
    average = (
        alt.Chart(inline_data([{"x": 0, "label": "average"}]))
        .mark_rule(color=theme.foreground, strokeWidth=1.2)
        .encode(x=alt.X("x:Q"))
    )
    return finished(
        layer_chart(bars, *labels, *marks, average, data=inline_data(rows)),
        theme,
        f"{profile.name}: key traits",
    )


def segment_traits_alt(profile: SegmentProfile) -> str:
    """Return the text alternative of a segment's traits chart."""
    traits = profile.traits_by_lift()
    listed = ", ".join(f"{t.label} {formats.lift(t.lift)}" for t in traits) or "no distinctive traits"
    return (
        f"Bar chart of the key traits of {profile.name} ({formats.percent_compact(profile.share)} of customers) against the "
        f"average customer (1x): {listed}."
    )
