"""Analysis + charts + brand -> ReportModel: every string and number the template displays, prepared."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reportgen.documents.brand import Brand
from reportgen.documents.formats import day_label, month_label
from reportgen.documents.heat import heatmap_features
from reportgen.documents.labels import column_labels, value_label, with_indicator_labels
from reportgen.documents.report_model.appendix import Appendix, appendix_section
from reportgen.documents.report_model.changes import Changes, changes_section
from reportgen.documents.report_model.figures import Figure, figure
from reportgen.documents.report_model.methodology import Methodology, methodology_section
from reportgen.documents.report_model.prose import (
    heatmap_caption,
    map_caption,
    segment_text,
    summary_traits,
)
from reportgen.documents.report_model.segments import SegmentPage, measure_unit, segment_page
from reportgen.documents.report_model.storyline import (
    CoverFigure,
    amounts_note,
    cover_figures,
    headline,
    key_figure_table,
    this_month,
)
from reportgen.documents.report_model.summary import (
    Action,
    Headline,
    SegmentParagraph,
    action_items,
    headline_figures,
    is_monthly,
)
from reportgen.documents.report_model.tables import HeatTable, heat_table
from reportgen.model import (
    Analysis,
    ChartImage,
)
from reportgen.period import Period


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
    verdict: str = ""  # how far to trust the segments, in one sentence (analysis.trust)
    key_message: str = ""  # the overview's and the cover's message: how concentrated value is
    cover_figures: tuple[CoverFigure, ...] = ()  # three headline numbers
    this_month: tuple[str, ...] = ()  # the executive summary's news when an earlier period exists
    locale: str = "en"  # numbers and amounts are formatted for this locale ...
    currency: str = ""  # ... and amounts in this currency ("" = plain numbers)
    amounts_note: str = ""  # "Amounts in US dollars, over the last 6 months.", shown beside amount tables
    heat_table: HeatTable | None = None  # the heatmap as a table, for the web report
    monthly: bool = False  # the data is known to be the period's month (the cover says "Monthly report")


def _brand_style(brand: Brand) -> BrandStyle:
    logo = None
    if brand.logo is not None and brand.logo_mime is not None:
        logo = f"data:{brand.logo_mime};base64," + base64.b64encode(brand.logo).decode("ascii")
    return BrandStyle(brand.name, dict(brand.colors), brand.font_family, logo)


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
    period: Period,
    generator: str,
    config_dict: Mapping[str, Any],
    *,
    currency: str = "",
    locale: str = "en",
    amounts_cover: str = "",
) -> ReportModel:
    """Return everything the report shows, prepared: no DataFrames, nothing to compute in the template."""
    period_label, last_day = month_label(period), period.last_day
    by_name = {c.name: c for c in charts}
    history = analysis.history
    changes = (
        changes_section(
            history,
            analysis.segment_names(),
            by_name.get("migration"),
            brand.colors.get("foreground", "#1F2933"),
        )
        if history is not None
        else None
    )
    labels = column_labels(analysis, config_dict.get("data", {}).get("labels", {}))
    spend_label = value_label(analysis, config_dict.get("data", {}).get("labels", {}))
    segments = tuple(
        segment_page(analysis, i, p, by_name, spend_label, labels) for i, p in enumerate(analysis.profiles, 1)
    )
    # the clustered 0/1 columns of categorical features read "Channel 2", or by the user's label for the value
    labels = with_indicator_labels(analysis.features.used, labels)
    captions = {"map": map_caption(analysis, labels), "heatmap": heatmap_caption(analysis)}
    overview = tuple(figure(by_name[n], captions.get(n, "")) for n in ("map", "heatmap") if n in by_name)
    return ReportModel(
        title=" ".join(title.split()),
        period=str(period),
        period_label=period_label,
        issued=day_label(last_day),
        issued_iso=last_day.isoformat(),
        generator=generator,
        brand=_brand_style(brand),
        customers=analysis.features.quality.customers,
        segment_count=len(analysis.profiles),
        contents=_contents(segments, changes),
        headlines=headline_figures(analysis, spend_label, period),
        verdict=analysis.trust.verdict if analysis.trust is not None else "",
        paragraphs=tuple(
            SegmentParagraph(
                s.anchor,
                s.name,
                segment_text(p, spend_label, summary_traits(len(segments)), _leaning(analysis, p.id)),
            )
            for s, p in zip(segments, analysis.profiles, strict=True)
        ),
        actions=action_items(analysis),
        overview=overview,
        segments=segments,
        methodology=methodology_section(analysis, by_name, labels, locale=locale, currency=currency or None),
        appendix=appendix_section(analysis, labels, period, generator, config_dict),
        keywords=("customer segmentation", period_label, *(p.name for p in analysis.profiles)),
        changes=_with_key_figures(changes, analysis, labels) if changes is not None else None,
        key_message=headline(analysis, config_dict.get("data", {}).get("labels", {})),
        cover_figures=cover_figures(analysis, spend_label, changes.from_period_label if changes else None),
        this_month=this_month(analysis, spend_label, locale=locale, currency=currency or None),
        locale=locale,
        currency=currency,
        amounts_note=amounts_note(currency, amounts_cover),
        monthly=is_monthly(analysis, period),
        heat_table=heat_table(
            analysis.profiles,
            heatmap_features(analysis.features.input_features, analysis.profiles),
            labels,
            # the chart's text colour: the brand foreground (charts.theme.chart_theme)
            brand.colors.get("foreground", "#1F2933"),
        )
        if "heatmap" in by_name
        else None,
    )


def _with_key_figures(changes: Changes, analysis: Analysis, labels: Mapping[str, str]) -> Changes:
    if analysis.history is None:
        return changes
    units = {f: measure_unit(f) for c in analysis.history.changes for f in (g.feature for g in c.figures)}
    return replace(changes, key_figures=key_figure_table(analysis.history, labels, units, analysis.profiles))


def _leaning(analysis: Analysis, segment_id: int) -> str | None:
    """Return the group a segment over-represents most, in words, or None."""
    if analysis.categories is None:
        return None
    highlights = analysis.categories.highlights.get(segment_id, ())
    return highlights[0].text if highlights else None
