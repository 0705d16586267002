"""One page per segment: size, share, traits against the average, chart and recommendations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportgen.documents.formats import percent
from reportgen.documents.heat import LOG2_LIMIT, cut_at_axis, log2_lift
from reportgen.documents.report_model.figures import Figure, figure
from reportgen.documents.report_model.prose import segment_text
from reportgen.documents.report_model.storyline import (
    Delta,
    segment_changes,
    segment_message,
    share_delta,
    size_delta,
)
from reportgen.model import (
    Analysis,
    ChartImage,
    SegmentProfile,
    spend_share,
)
from reportgen.model.columns import (
    AMOUNT_COLUMNS,
    MONTH_SHARE_COLUMNS,
    VALUE_SHARE_PREFIX,
    feature_label,
    value_words,
)

# Measures that are fractions of a whole read as percentages ("23.0%", not "0.23"); day counts as whole days.
PERCENT_FEATURES = frozenset({"PRC_FULL_PAYMENT", "INSTALLMENT_SHARE", "return_rate"})


DAY_FEATURES = frozenset({"recency_days", "tenure_days"})


def measure_unit(feature: str, amounts: frozenset[str] = AMOUNT_COLUMNS) -> str:
    """Return how a measure's values are shown: 'percent', 'days', 'amount' (in the report's currency) or
    'number' (picks the template filter). `amounts`: the columns that are money."""
    if (
        feature in PERCENT_FEATURES
        or feature in MONTH_SHARE_COLUMNS
        or feature.startswith(VALUE_SHARE_PREFIX)
    ):
        return "percent"
    if feature in DAY_FEATURES:
        return "days"
    if feature in amounts:
        return "amount"
    return "number"


def measure_label(feature: str, label: str) -> str:
    """Return a measure's label with its unit where the name alone hides it: "Purchase frequency (% of months)"."""
    return f"{label} (% of months)" if feature in MONTH_SHARE_COLUMNS else label


@dataclass(frozen=True)
class TraitRow:
    label: str
    segment_mean: float
    overall_mean: float
    lift: float | None
    unit: str = "number"  # "percent" | "days" | "amount" | "number", from measure_unit


@dataclass(frozen=True)
class TraitBar:
    """One bar of the key-traits chart as the web report draws it on a phone: where it starts and how long."""

    label: str
    lift: float
    above: bool  # drawn right of the 1x line, in the above-average colour
    start: float  # 0..1 of the track: where the bar begins
    size: float  # 0..1 of the track: how long it is
    centre: float  # 0..1 of the track: where the 1x line is
    cut: bool = False  # the bar stops at the track's edge (its ratio lies beyond): marked with an arrow head


def lift_domain(profiles: Sequence[SegmentProfile]) -> tuple[int, int]:
    """Return whole powers of two (below, above the average) that hold every segment's traits, one scale for
    every segment page (as the drawn charts have)."""
    logs = [log2_lift(t.lift) for p in profiles for t in p.traits]
    low = min(LOG2_LIMIT, max([1, *(math.ceil(-v) for v in logs)]))
    high = min(LOG2_LIMIT, max([1, *(math.ceil(v) for v in logs)]))
    return low, high


def trait_bars(rows: Sequence[TraitRow], domain: tuple[int, int]) -> tuple[TraitBar, ...]:
    """Return the traits as bars on a log2 axis from 1/2^low to 2^high, largest ratio first."""
    low, high = domain
    span = low + high
    centre = low / span
    bars = []
    for row in sorted(rows, key=lambda r: -(r.lift if r.lift is not None else 0.0)):
        if row.lift is None:
            continue
        v = max(-low, min(high, log2_lift(row.lift)))
        size = abs(v) / span
        start = centre if v >= 0 else centre - size
        bars.append(
            TraitBar(row.label, row.lift, v >= 0, start, size, centre, cut_at_axis(row.lift, low, high))
        )
    return tuple(bars)


@dataclass(frozen=True)
class RecommendationItem:
    title: str
    text: str
    kpi: str = ""  # the measure to watch
    value_at_stake: str = ""  # the segment's share and amount of the value column(s)


@dataclass(frozen=True)
class CategoryRow:
    label: str  # the column's readable name
    text: str  # "Graduation 54% (50% overall), PhD 22% (22%), Master 16% (17%), 2 more values"


@dataclass(frozen=True)
class SegmentPage:
    id: int
    number: int  # 1-based position in the report
    anchor: str
    name: str
    size: int
    share: float
    spend_share: float | None
    spend_label: str
    summary: str
    traits: tuple[TraitRow, ...]
    figure: Figure | None
    recommendations: tuple[RecommendationItem, ...]
    is_new: bool = False  # first seen this month (no match in the previous period)
    categories: tuple[str, ...] = ()  # values the segment over-represents: "84% Channel 2 vs 32% overall"
    category_rows: tuple[CategoryRow, ...] = ()  # each categorical column's commonest values here
    stability_text: str = ""  # the segment's resampling stability in words; "" when not measured
    message: str = ""  # the page's message: defining trait, shares of customers and value
    size_delta: Delta | None = None  # against the previous period; None in a first month
    share_delta: Delta | None = None
    bars: tuple[TraitBar, ...] = ()  # the key-traits chart as HTML bars: the web report's phone view


def segment_page(
    analysis: Analysis,
    number: int,
    profile: SegmentProfile,
    charts: Mapping[str, ChartImage],
    spend_label: str,
    labels: Mapping[str, str] | None = None,
) -> SegmentPage:
    labels = labels or {}
    chart = charts.get(f"segment-{profile.id}")
    change = segment_changes(analysis.history).get(profile.id)
    # in the chart's order, so the table reads beside the chart
    traits = tuple(
        TraitRow(
            measure_label(t.feature, labels.get(t.feature, t.label)),
            t.segment_mean,
            t.overall_mean,
            t.lift,
            "percent" if t.flag else measure_unit(t.feature),
        )
        for t in profile.traits_by_lift()
    )
    return SegmentPage(
        id=profile.id,
        number=number,
        anchor=f"segment-{profile.id}",
        name=profile.name,
        size=profile.size,
        share=profile.share,
        spend_share=spend_share(profile)[1],
        spend_label=spend_label,
        summary=segment_text(profile, spend_label),
        traits=traits,
        figure=figure(chart) if chart else None,
        recommendations=tuple(
            RecommendationItem(r.title, r.text, r.kpi, r.value_at_stake)
            for r in analysis.recommendations_for(profile.id)
        ),
        is_new=analysis.history is not None
        and any(c.id == profile.id and c.new for c in analysis.history.changes),
        categories=tuple(h.text for h in analysis.categories.highlights.get(profile.id, ()))
        if analysis.categories is not None
        else (),
        category_rows=category_rows(analysis, profile.id, labels),
        stability_text=_segment_stability_text(analysis, profile.id),
        message=segment_message(profile, spend_label),
        size_delta=size_delta(change),
        share_delta=share_delta(change),
        bars=trait_bars(traits, lift_domain(analysis.profiles)),
    )


TOP_VALUES = 3  # values listed per categorical column on a segment page


def category_rows(analysis: Analysis, segment: int, labels: Mapping[str, str]) -> tuple[CategoryRow, ...]:
    """Return, per categorical column, the segment's commonest values with their share of all customers."""
    cats = analysis.categories
    if cats is None:
        return ()
    rows = []
    for column, shares in cats.shares_of(segment).items():
        ranked = sorted(shares.items(), key=lambda item: (-item[1], item[0]))
        shown = [
            f"{value_words(column, value, labels, bare=True)} {percent(share, 0)} "
            f"({percent(cats.overall[column][value], 0)}{' overall' if i == 0 else ''})"
            for i, (value, share) in enumerate(ranked[:TOP_VALUES])
        ]
        more = len(ranked) - TOP_VALUES
        if more > 0:
            shown.append(f"{more} more value{'s' if more > 1 else ''}")
        rows.append(CategoryRow(labels.get(column) or feature_label(column), ", ".join(shown)))
    return tuple(rows)


def _segment_stability_text(analysis: Analysis, segment_id: int) -> str:
    found = analysis.trust.for_segment(segment_id) if analysis.trust is not None else None
    return "" if found is None else found.text
