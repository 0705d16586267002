"""Analysis + charts + brand -> ReportModel: every string and number the template displays, prepared."""

from __future__ import annotations

import base64
import calendar
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import quote

from reportgen.analysis.recommend import top_actions
from reportgen.config import CC_FEATURES
from reportgen.documents.brand import Brand, clean_svg
from reportgen.documents.html import decimal, lift, money, percent, thousands
from reportgen.errors import InputError
from reportgen.model import (
    Analysis,
    ChartImage,
    DataQuality,
    KSelection,
    MonthOverMonth,
    Segmentation,
    SegmentProfile,
    spend_share,
)
from reportgen.model.columns import feature_label, value_words

# Which value share is "share of spend", in order of preference (customers table, transaction log).
TOP_ACTIONS = 3
TOP_FLOWS = 6  # the largest moves listed under "What changed": the chart shows them all
# Measures that are fractions of a whole read as percentages ("23.0%", not "0.23"); day counts as whole days.
PERCENT_FEATURES = frozenset({"PRC_FULL_PAYMENT", "INSTALLMENT_SHARE", "return_rate"})
DAY_FEATURES = frozenset({"recency_days", "tenure_days"})


def measure_unit(feature: str) -> str:
    """Return how a measure's values are shown: 'percent', 'days' or 'number' (picks the template filter)."""
    if feature in PERCENT_FEATURES:
        return "percent"
    if feature in DAY_FEATURES:
        return "days"
    return "number"


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


@dataclass(frozen=True)
class BrandStyle:
    name: str
    colors: dict[str, str]
    font_family: str
    logo_src: str | None  # data: URI, never a path


@dataclass(frozen=True)
class ContentsEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class Headline:
    label: str
    value: float
    kind: str  # "count" | "percent" | "decimal": picks the filter in the template
    note: str


@dataclass(frozen=True)
class SegmentParagraph:
    anchor: str
    name: str
    text: str


@dataclass(frozen=True)
class Action:
    segment: str
    anchor: str
    title: str
    text: str


@dataclass(frozen=True)
class TraitRow:
    label: str
    segment_mean: float
    overall_mean: float
    lift: float | None
    unit: str = "number"  # "percent" | "days" | "number", from measure_unit


@dataclass(frozen=True)
class RecommendationItem:
    title: str
    text: str


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


@dataclass(frozen=True)
class MissingRow:
    column: str
    missing: int
    share: float
    handling: str
    label: str = ""  # the column's readable name; the raw name stays beside it for the data team


@dataclass(frozen=True)
class CandidateRow:
    k: int
    inertia: float
    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    chosen: bool


@dataclass(frozen=True)
class QualityMetric:
    name: str
    value: float | None
    better: str  # how to read the value, as a sentence: "Higher is better; ..."
    reading: str


@dataclass(frozen=True)
class Methodology:
    source_text: str  # the first sentence: what was read, in the words of the data kind
    features_intro: str  # what describes each customer, in the words of the data kind
    rows: int
    customers: int
    dropped_rows: int
    dropped_columns: tuple[str, ...]
    missing: tuple[MissingRow, ...]
    notes: tuple[str, ...]
    rules: tuple[tuple[str, int], ...]
    features_used: tuple[str, ...]  # readable labels, in the order used
    engineered: tuple[str, ...]  # readable labels of the derived features
    transform_text: str
    selection_method: str
    chosen_k: int
    reason: str
    sampling_note: str
    candidates: tuple[CandidateRow, ...]
    elbow: Figure | None
    silhouette: Figure | None
    metrics: tuple[QualityMetric, ...]


@dataclass(frozen=True)
class ProfileRow:
    label: str
    feature: str
    overall: float
    values: tuple[float, ...]  # one per segment, in segment order
    unit: str = "number"  # "percent" | "days" | "number", from measure_unit


@dataclass(frozen=True)
class Appendix:
    segment_names: tuple[str, ...]
    rows: tuple[ProfileRow, ...]
    reproducibility: tuple[tuple[str, str], ...]
    configuration: str  # the settings that shaped the analysis, as reportgen.toml text


@dataclass(frozen=True)
class FlowRow:
    from_segment: str
    to_segment: str
    customers: int


@dataclass(frozen=True)
class SizeChangeRow:
    name: str
    previous: int | None  # None: new this month
    current: int  # 0: no longer found
    change: int | None
    status: str  # "" | "new" | "gone"


@dataclass(frozen=True)
class Changes:
    """Month-over-month movement (the optional 'What changed' section); built by the migration step."""

    from_period_label: str
    customers_in_both: int
    new_customers: int
    lost_customers: int
    flows: tuple[FlowRow, ...]
    figure: Figure | None = None
    highlights: tuple[str, ...] = ()  # the analysis' sentences on the largest movements
    sizes: tuple[SizeChangeRow, ...] = ()  # every segment, this month and last


def _size_rows(history: MonthOverMonth) -> tuple[SizeChangeRow, ...]:
    rows = [
        SizeChangeRow(
            c.name,
            c.previous_size,
            c.size,
            c.size if c.new and c.size_change is None else c.size_change,
            "new" if c.new else "",
        )
        for c in history.changes
    ]
    for gone in history.matching.get("vanished", ()):
        previous = int(gone.get("previous_size") or 0)
        rows.append(SizeChangeRow(str(gone["name"]), previous, 0, -previous, "gone"))
    return tuple(rows)


def with_history(changes: Changes, history: MonthOverMonth | None) -> Changes:
    """Return the 'What changed' section completed with the analysis' highlight sentences and size table."""
    if history is None:
        return changes
    # the opening count of stayers, joiners and leavers is already the section's first paragraph
    highlights = tuple(t for t in history.sentences if not t.startswith("Since "))
    return replace(changes, highlights=highlights, sizes=_size_rows(history))


def changes_section(
    migration: Mapping[str, Any], names: Mapping[int, str], chart: ChartImage | None = None
) -> Changes:
    """Return the 'What changed' section from summary.json's `migration` block and the segment names."""
    label, _ = period_dates(str(migration["from_period"]))
    flows = sorted(
        (f for f in migration.get("flows", ()) if f["from"] != f["to"] and f["customers"] > 0),
        key=lambda f: (-int(f["customers"]), int(f["from"]), int(f["to"])),
    )
    return Changes(
        from_period_label=label,
        customers_in_both=int(migration["customers_in_both"]),
        new_customers=int(migration["new_customers"]),
        lost_customers=int(migration["lost_customers"]),
        flows=tuple(
            FlowRow(
                names.get(f["from"], f"Segment {f['from']}"),
                names.get(f["to"], f"Segment {f['to']}"),
                int(f["customers"]),
            )
            for f in flows[:TOP_FLOWS]
        ),
        figure=figure(chart) if chart is not None else None,
    )


@dataclass(frozen=True)
class ReportModel:
    title: str
    period: str  # "2026-11"
    period_label: str  # "November 2026"
    issued: str  # "30 November 2026": the last day of the period
    issued_iso: str  # "2026-11-30"
    generator: str
    brand: BrandStyle
    customers: int
    segment_count: int
    contents: tuple[ContentsEntry, ...]
    headlines: tuple[Headline, ...]
    paragraphs: tuple[SegmentParagraph, ...]
    actions: tuple[Action, ...]
    overview: tuple[Figure, ...]
    segments: tuple[SegmentPage, ...]
    methodology: Methodology
    appendix: Appendix
    keywords: tuple[str, ...]
    changes: Changes | None = None


def period_dates(period: str) -> tuple[str, date]:
    """Return the month's label ('November 2026') and its last day for a 'YYYY-MM' period."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"--period: expected a month as YYYY-MM, got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return f"{calendar.month_name[month]} {year}", last


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


def _axis_phrase(loadings: Mapping[str, tuple[float, float]], axis: int, labels: Mapping[str, str]) -> str:
    """Return what grows along one map axis: 'higher purchases and monthly purchases, lower cash advance'."""
    ranked = sorted(loadings.items(), key=lambda item: (-abs(item[1][axis]), item[0]))
    if not ranked or abs(ranked[0][1][axis]) == 0:
        return ""
    # the columns that carry the axis: within 80% of the strongest loading, at most four
    top = [(f, w[axis]) for f, w in ranked[:4] if abs(w[axis]) >= 0.8 * abs(ranked[0][1][axis])]
    parts = []
    for sign, word in ((1, "higher"), (-1, "lower")):
        names = [_in_sentence(labels.get(f, feature_label(f))) for f, w in top if w * sign > 0]
        if names:
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{word} {listed}")
    return ", ".join(parts)


def map_caption(analysis: Analysis, labels: Mapping[str, str]) -> str:
    """Return how to read the customer map: what its axes stand for and how much of the picture they show."""
    pca = analysis.pca
    right = _axis_phrase(pca.loadings, 0, labels)
    up = _axis_phrase(pca.loadings, 1, labels) if pca.explained_variance[1] > 0 else ""
    if not right:
        return ""
    sentences = [
        f"Customers further right have {right}" + (f"; customers higher up have {up}." if up else ".")
    ]
    shown = sum(pca.explained_variance)
    sentences.append(
        f"The two axes capture {percent(shown, 0)} of the differences between customers, so segments that "
        "overlap here can still differ on the measures below."
    )
    return " ".join(sentences)


def heatmap_caption(analysis: Analysis) -> str:
    """Return how to read the heatmap, with each segment's strongest difference from the average."""
    standouts = [f"{p.name}: {_in_sentence(p.traits[0].text)}" for p in analysis.profiles if p.traits]
    text = (
        "Each cell is a segment's average as a multiple of the all-customer average (1x is average); "
        "the stronger the colour, the bigger the difference."
    )
    return text + (" What stands out: " + "; ".join(standouts) + "." if standouts else "")


def _brand_style(brand: Brand) -> BrandStyle:
    logo = None
    if brand.logo is not None and brand.logo_mime is not None:
        logo = f"data:{brand.logo_mime};base64," + base64.b64encode(brand.logo).decode("ascii")
    return BrandStyle(brand.name, dict(brand.colors), brand.font_family, logo)


def _labels(analysis: Analysis) -> dict[str, str]:
    labels = {t.feature: t.label for p in analysis.profiles for t in p.traits}
    return labels


def _in_sentence(text: str) -> str:
    """Return a trait phrase as it reads mid-sentence: 'Balance 51% below' -> 'balance 51% below'."""
    # only a capitalised word: 'RFM score' or 'PC1' keep their capitals
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _segment_text(profile: SegmentProfile, spend_label: str, traits_shown: int = 3) -> str:
    _, spend = spend_share(profile)
    parts = [f"{thousands(profile.size)} customers ({percent(profile.share)} of the base)"]
    if spend is not None:
        parts.append(f"account for {percent(spend)} of all {spend_label.lower()}")
        # worth saying only where the segment punches above its weight
        if profile.share > 0 and spend / profile.share >= 1.15:
            parts[-1] += f", {lift(spend / profile.share)} their share of customers"
    text = " ".join([parts[0], *(["who " + p for p in parts[1:]])]) + "."
    traits = [_in_sentence(t.text) for t in profile.traits[:traits_shown]]
    if traits:
        text += " Compared with the average customer: " + "; ".join(traits) + "."
    return text[:1].upper() + text[1:]


def _summary_traits(segment_count: int) -> int:
    """Return how many traits each segment's summary paragraph names: fewer when there are many segments."""
    # the executive summary should stay one page: eight three-trait paragraphs push the actions over
    return 3 if segment_count <= 4 else 2 if segment_count <= 6 else 1


def is_monthly(analysis: Analysis, period: str) -> bool:
    """Return whether the data is known to be the period's month: a log whose dates all fall in it, or a
    customer table run for an earlier month into the same folder."""
    table = analysis.table
    if table.kind == "transactions":
        if table.first_day is None or table.last_day is None:
            return False
        return table.first_day.strftime("%Y-%m") == period == table.last_day.strftime("%Y-%m")
    return analysis.history is not None


def _scope(analysis: Analysis, period: str) -> str:
    monthly = is_monthly(analysis, period)
    if analysis.table.kind == "transactions":
        return "buying in this month's log" if monthly else "buying in this log"
    return "in this month's extract" if monthly else "in this extract"


def _headlines(analysis: Analysis, spend_label: str, period: str = "") -> tuple[Headline, ...]:
    profiles = analysis.profiles
    largest = max(profiles, key=lambda p: (p.size, -p.id))
    out = [
        Headline(
            "Customers analysed", analysis.features.quality.customers, "count", _scope(analysis, period)
        ),
        Headline(
            "Segments",
            len(profiles),
            "count",
            "number chosen from the data"
            if analysis.selection.method == "auto"
            else "number fixed in the settings",
        ),
        Headline("Largest segment", largest.share, "percent", largest.name),
    ]
    valued = [p for p in profiles if spend_share(p)[1] is not None]
    if valued:
        top = max(valued, key=lambda p: (spend_share(p)[1] or 0.0, p.size, -p.id))
        out.append(
            Headline(f"Top share of {spend_label.lower()}", spend_share(top)[1] or 0.0, "percent", top.name)
        )
    return tuple(out)


def _actions(analysis: Analysis) -> tuple[Action, ...]:
    return tuple(
        Action(profile.name, f"segment-{profile.id}", rec.title, rec.text)
        for profile, rec in top_actions(analysis.profiles, analysis.recommendations, TOP_ACTIONS)
    )


def _segment_page(
    analysis: Analysis,
    number: int,
    profile: SegmentProfile,
    charts: Mapping[str, ChartImage],
    spend_label: str,
    labels: Mapping[str, str] | None = None,
) -> SegmentPage:
    labels = labels or {}
    chart = charts.get(f"segment-{profile.id}")
    return SegmentPage(
        id=profile.id,
        number=number,
        anchor=f"segment-{profile.id}",
        name=profile.name,
        size=profile.size,
        share=profile.share,
        spend_share=spend_share(profile)[1],
        spend_label=spend_label,
        summary=_segment_text(profile, spend_label),
        traits=tuple(
            TraitRow(t.label, t.segment_mean, t.overall_mean, t.lift, measure_unit(t.feature))
            for t in profile.traits
        ),
        figure=figure(chart) if chart else None,
        recommendations=tuple(
            RecommendationItem(r.title, r.text) for r in analysis.recommendations_for(profile.id)
        ),
        is_new=analysis.history is not None
        and any(c.id == profile.id and c.new for c in analysis.history.changes),
        categories=tuple(h.text for h in analysis.categories.highlights.get(profile.id, ()))
        if analysis.categories is not None
        else (),
        category_rows=_category_rows(analysis, profile.id, labels),
    )


TOP_VALUES = 3  # values listed per categorical column on a segment page


def _category_rows(analysis: Analysis, segment: int, labels: Mapping[str, str]) -> tuple[CategoryRow, ...]:
    """Return, per categorical column, the segment's commonest values with their share of all customers."""
    cats = analysis.categories
    if cats is None:
        return ()
    rows = []
    for column, shares in cats.segments.get(segment, {}).items():
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


def _handling(column: str, quality: DataQuality) -> str:
    if column in quality.imputed:
        imp = quality.imputed[column]
        value = money(imp.value) if abs(imp.value) >= 100 else decimal(imp.value)
        return f"replaced by the {imp.method} ({value})"
    if column in quality.dropped_columns:
        return "column left out of the analysis"
    return "rows without a value left out"


def _missing_rows(quality: DataQuality, labels: Mapping[str, str]) -> tuple[MissingRow, ...]:
    rows = max(quality.rows, 1)
    return tuple(
        MissingRow(col, n, n / rows, _handling(col, quality), labels.get(col, feature_label(col)))
        for col, n in sorted(quality.missing.items())
    )


def _silhouette_reading(value: float | None) -> str:
    if value is None:
        return "Not computed for this run."
    if value >= 0.5:
        return "The segments are clearly separated: most customers sit well inside their own segment."
    if value >= 0.25:
        return "The segments are distinct, with some overlap at the edges; treat them as reliable groupings."
    if value >= 0.1:
        return (
            "The segments overlap noticeably, as is usual for customer behaviour: the centres differ "
            "clearly, but customers near a boundary could belong to either neighbour. Act on the "
            "segment profiles, not on individual borderline assignments."
        )
    return "The data has little natural grouping: read the segments as a convenient split, not as types."


def _ch_reading(value: float | None, selection: KSelection) -> str:
    if value is None:
        return "Not computed for this run."
    scored = [c.calinski_harabasz for c in selection.candidates if c.calinski_harabasz is not None]
    rank = ""
    if scored:
        if value >= max(scored) - 1e-9:
            rank = " It is the highest of all the numbers of segments tried."
        else:
            rank = f" The best of the numbers of segments tried was {thousands(max(scored))}."
    return (
        "Compares the spread between segments with the spread inside them; it has no absolute scale, "
        "higher means tighter, better separated segments." + rank
    )


def _db_reading(value: float | None) -> str:
    if value is None:
        return "Not computed for this run."
    if value < 1.0:
        return "Below 1: each segment is compact compared with its distance to the nearest other segment."
    if value < 2.0:
        return (
            "Between 1 and 2: segments are reasonably compact but neighbours partly touch; "
            "the profiles are trustworthy, the boundaries are soft."
        )
    return "Above 2: neighbouring segments are close relative to their size; look at the profiles with care."


def _metrics(seg: Segmentation, selection: KSelection) -> tuple[QualityMetric, ...]:
    return (
        QualityMetric(
            "Silhouette score",
            seg.silhouette,
            "Higher is better; ranges from −1 to 1",
            _silhouette_reading(seg.silhouette),
        ),
        QualityMetric(
            "Calinski-Harabasz index",
            seg.calinski_harabasz,
            "Higher is better; no fixed scale",
            _ch_reading(seg.calinski_harabasz, selection),
        ),
        QualityMetric(
            "Davies-Bouldin index",
            seg.davies_bouldin,
            "Lower is better; 0 is the best possible",
            _db_reading(seg.davies_bouldin),
        ),
    )


def _methodology(
    analysis: Analysis, charts: Mapping[str, ChartImage], labels: Mapping[str, str]
) -> Methodology:
    quality = analysis.features.quality
    fm = analysis.features
    sel = analysis.selection
    if fm.transform == "log1p" and fm.transformed:
        transform = (
            f"log(1 + x) applied to {len(fm.transformed)} skewed, non-negative features to damp extreme "
            "values, then every feature standardised (mean 0, standard deviation 1)."
        )
    else:
        transform = "No transform; every feature standardised (mean 0, standard deviation 1)."
    sampling = f"Candidates were fitted on {thousands(sel.scored_rows)} customers"
    sampling += (
        f"; silhouette scores on a seeded random sample of {thousands(sel.silhouette_rows)}."
        if sel.sampled
        else f"; silhouette scores on all {thousands(sel.silhouette_rows)}."
    )
    elbow, sil = charts.get("elbow"), charts.get("silhouette")
    used = len(fm.used)
    if analysis.table.kind == "transactions":
        source = (
            f"The transaction log held {thousands(quality.rows)} order lines from "
            f"{thousands(quality.customers)} customers."
        )
        intro = (
            f"{used} measures describe each customer's buying: recency (days since the last purchase), "
            "frequency (orders) and monetary value (net spend), the classic RFM measures, plus the others "
            "listed below."
        )
    else:
        source = (
            f"The extract held {thousands(quality.rows)} rows for {thousands(quality.customers)} customers."
        )
        source_kind = "account data" if set(fm.input_features) & set(CC_FEATURES) else "table"
        intro = f"{used} features from the {source_kind} describe each customer."
        if fm.indicators is not None and fm.indicators.width:
            intro += (
                " Categorical columns enter as one 0/1 column per value, scaled so each categorical column "
                "weighs as much as one numeric column."
            )
    return Methodology(
        source_text=source,
        features_intro=intro,
        rows=quality.rows,
        customers=quality.customers,
        dropped_rows=quality.dropped_rows,
        dropped_columns=tuple(quality.dropped_columns),
        missing=_missing_rows(quality, labels),
        notes=tuple(quality.notes),
        rules=tuple(sorted(quality.rules.items())),
        features_used=tuple(labels.get(f, feature_label(f)) for f in fm.used),
        engineered=tuple(labels.get(f, feature_label(f)) for f in fm.engineered),
        transform_text=transform,
        selection_method="chosen automatically" if sel.method == "auto" else "fixed by configuration",
        chosen_k=sel.chosen_k,
        reason=sel.reason,
        sampling_note=sampling,
        candidates=tuple(
            CandidateRow(
                c.k, c.inertia, c.silhouette, c.calinski_harabasz, c.davies_bouldin, c.k == sel.chosen_k
            )
            for c in sel.candidates
        ),
        elbow=figure(elbow) if elbow else None,
        silhouette=figure(sil) if sil else None,
        metrics=_metrics(analysis.segmentation, sel),
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        items = [_toml_value(v) for v in value]
        if sum(len(i) + 2 for i in items) <= 60:
            return "[" + ", ".join(items) + "]"
        lines: list[str] = []  # wrapped, several to a line: a column list should not fill a page
        for item in items:
            if lines and len(lines[-1]) + len(item) + 2 <= 76:
                lines[-1] += f" {item},"
            else:
                lines.append(f"  {item},")
        return "[\n" + "\n".join(lines) + "\n]"
    return json.dumps(str(value), ensure_ascii=False)


def config_text(config: Mapping[str, Any]) -> str:
    """Return the settings that shape the analysis as reportgen.toml text: sections, keys, no unset values."""
    # e-mail settings and the input path are about delivery, not results (and name people and folders);
    # the transaction columns matter only for a transaction log
    log = config.get("data", {}).get("kind") == "transactions"
    skip = {"email"} | (set() if log else {"transactions"})
    # a log's features are derived from it: the customer-table keys did not shape it
    not_used = {"id_column", "features", "categorical", "dates"} if log else set()
    blocks = []
    for section in sorted(k for k in config if k not in skip):
        values = config[section]
        if not isinstance(values, Mapping):
            continue
        lines = [f"[{section}]"]
        for key in sorted(values):
            value = values[key]
            if value is None or (section == "data" and (key == "path" or key in not_used)):
                continue
            if isinstance(value, list | tuple | Mapping) and not value:
                continue  # an empty list or table is the default: nothing was set
            lines.append(f"{key} = {_toml_value(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _appendix(
    analysis: Analysis, labels: Mapping[str, str], period: str, generator: str, config: Mapping[str, Any]
) -> Appendix:
    profiles = analysis.profiles
    order = list(analysis.features.input_features)
    for p in profiles:
        order += [f for f in p.stats if f not in order]
    total = sum(p.size for p in profiles) or 1
    rows = []
    for feature in order:
        if not all(feature in p.stats for p in profiles):
            continue
        values = tuple(p.stats[feature].mean for p in profiles)
        # the all-customer mean is the size-weighted mean of the segment means
        overall = sum(v * p.size for v, p in zip(values, profiles, strict=True)) / total
        label = labels.get(feature, feature_label(feature))
        rows.append(ProfileRow(label, feature, overall, values, measure_unit(feature)))
    table = analysis.table
    repro = (
        ("Input file", table.path.name),
        ("SHA-256", table.sha256),
        ("Rows read", thousands(table.rows)),
        ("Period", period),
        ("Generator", generator),
        ("Random seed", str(config.get("clustering", {}).get("random_state", ""))),
    )
    return Appendix(
        segment_names=tuple(p.name for p in profiles),
        rows=tuple(rows),
        reproducibility=repro,
        configuration=config_text(config),
    )


def _contents(segments: Iterable[SegmentPage], changes: Changes | None) -> tuple[ContentsEntry, ...]:
    entries = [ContentsEntry("summary", "Executive summary", 1)]
    if changes is not None:
        entries.append(ContentsEntry("changes", "What changed", 1))
    entries.append(ContentsEntry("overview", "Segment overview", 1))
    entries += [ContentsEntry(s.anchor, s.name, 2) for s in segments]
    entries += [ContentsEntry("methodology", "Methodology", 1), ContentsEntry("appendix", "Appendix", 1)]
    return tuple(entries)


def report_model(
    analysis: Analysis,
    charts: Iterable[ChartImage],
    brand: Brand,
    title: str,
    period: str,
    generator: str,
    config_dict: Mapping[str, Any],
    changes: Changes | None = None,
) -> ReportModel:
    """Return everything the report shows, prepared: no DataFrames, nothing to compute in the template."""
    period_label, last_day = period_dates(period)
    by_name = {c.name: c for c in charts}
    labels = {**{f: feature_label(f) for f in analysis.features.input_features}, **_labels(analysis)}
    labels.update(config_dict.get("data", {}).get("labels", {}))  # the user's own words win
    spend_key = next((k for p in analysis.profiles if (k := spend_share(p)[0]) is not None), None)
    spend_label = labels.get(spend_key, feature_label(spend_key)) if spend_key else "spend"
    segments = tuple(
        _segment_page(analysis, i, p, by_name, spend_label, labels)
        for i, p in enumerate(analysis.profiles, 1)
    )
    captions = {"map": map_caption(analysis, labels), "heatmap": heatmap_caption(analysis)}
    overview = tuple(
        figure(by_name[n], captions.get(n, "")) for n in ("sizes", "map", "heatmap") if n in by_name
    )
    return ReportModel(
        title=" ".join(title.split()),
        period=period,
        period_label=period_label,
        issued=f"{last_day.day} {period_label}",
        issued_iso=last_day.isoformat(),
        generator=generator,
        brand=_brand_style(brand),
        customers=analysis.features.quality.customers,
        segment_count=len(analysis.profiles),
        contents=_contents(segments, changes),
        headlines=_headlines(analysis, spend_label, period),
        paragraphs=tuple(
            SegmentParagraph(s.anchor, s.name, _segment_text(p, spend_label, _summary_traits(len(segments))))
            for s, p in zip(segments, analysis.profiles, strict=True)
        ),
        actions=_actions(analysis),
        overview=overview,
        segments=segments,
        methodology=_methodology(analysis, by_name, labels),
        appendix=_appendix(analysis, labels, period, generator, config_dict),
        keywords=("customer segmentation", period_label, *(p.name for p in analysis.profiles)),
        changes=with_history(changes, analysis.history) if changes is not None else None,
    )
