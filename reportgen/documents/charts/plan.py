"""Which charts a report and its briefing get, and drawing them: the chart plan of a ReportJob."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from reportgen.documents.charts.drawing import to_png_image, to_svg_image
from reportgen.documents.charts.layout import by_id
from reportgen.documents.charts.migration import migration_alt, migration_chart, migration_layout
from reportgen.documents.charts.overview import (
    heatmap_layout,
    legend_rows,
    profile_heatmap,
    profile_heatmap_alt,
    segment_map,
    segment_map_alt,
    segment_sizes_alt,
    segment_sizes_chart,
    sizes_height,
)
from reportgen.documents.charts.segment import segment_traits_alt, segment_traits_chart, shared_lift_domain
from reportgen.documents.charts.selection import elbow_alt, elbow_chart, silhouette_alt, silhouette_chart
from reportgen.documents.charts.theme import (
    BRIEFING_WIDTH,
    FULL_WIDTH,
    K_CHART_HEIGHT,
    MAP_HEIGHT,
    SEGMENT_HEIGHT,
    AnyChart,
    ChartTheme,
    chart_theme,
)
from reportgen.documents.heat import heatmap_features as shown_features
from reportgen.documents.labels import column_labels, with_indicator_labels
from reportgen.model import Analysis, ChartImage, ReportJob, SegmentProfile


def heatmap_features(analysis: Analysis) -> tuple[str, ...]:
    """Return the features the heatmap shows: the profiled input columns with a lift in some segment."""
    return shown_features(analysis.features.input_features, analysis.profiles)


@dataclass(frozen=True)
class PlannedChart:
    """A chart of the report before it is drawn: its place (name, size), its text alternative, its builder.

    Everything the page layout needs is known before vl-convert runs, so the PDF can be laid out while the
    charts are still being drawn.
    """

    name: str
    title: str
    alt: str
    width: float
    height: float
    png: bool  # PNG (the scatter) instead of SVG
    build: Callable[[], AnyChart]

    def draw(self) -> ChartImage:
        """Return the rendered chart."""
        render = to_png_image if self.png else to_svg_image
        return render(self.build(), self.name, self.title, self.alt, self.width, self.height)

    def placeholder(self) -> ChartImage:
        """Return the chart's name, text and size, without the image."""
        return ChartImage(
            name=self.name, title=self.title, alt=self.alt, width=self.width, height=self.height
        )


# a segment page that lists its categories gives its chart 40 mm (report.css), about 150 px: the chart is drawn
# about that tall, with thinner bars, so the page does not shrink its text to 5 pt
COMPACT_HEIGHT = 150


def traits_height(profile: SegmentProfile, analysis: Analysis) -> float:
    """Return the height of a segment's traits chart: room per trait, compact beside a categories block."""
    if analysis.categories is not None and analysis.categories.shares_of(profile.id):
        return max(COMPACT_HEIGHT, 60 + 24 * len(profile.traits))
    return max(SEGMENT_HEIGHT, 90 + 30 * len(profile.traits))


def chart_plan(analysis: Analysis, theme: ChartTheme, labels: Mapping[str, str]) -> tuple[PlannedChart, ...]:
    """Return every chart of the report in the order the report shows them: map (PNG), heatmap,
    segment-<id>, migration, elbow, silhouette.

    The segment sizes are bars in the overview table (and a chart in the briefing only): a report chart of
    them would be drawn for nothing (0.15 s of the chart engine, on the path to the finished PDF)."""
    profiles = by_id(analysis.profiles)
    features = heatmap_features(analysis)
    selection = analysis.selection
    names = [p.name for p in profiles]
    plan = [
        PlannedChart(
            "map",
            "Customer map",
            segment_map_alt(analysis.pca, profiles),
            FULL_WIDTH,
            MAP_HEIGHT + 20 * legend_rows(names),
            True,
            lambda: segment_map(analysis.pca, profiles, theme, labels=labels),
        ),
        PlannedChart(
            "heatmap",
            "How segments differ from the average customer",
            profile_heatmap_alt(profiles, features, labels),
            FULL_WIDTH,
            heatmap_layout(profiles, features, labels, theme).height,
            False,
            lambda: profile_heatmap(profiles, features, labels, theme),
        ),
    ]
    traits_domain = shared_lift_domain(profiles, theme)
    for p in profiles:
        plan.append(
            PlannedChart(
                f"segment-{p.id}",
                f"{p.name}: key traits",
                segment_traits_alt(p),
                FULL_WIDTH,
                traits_height(p, analysis),
                False,
                functools.partial(segment_traits_chart, p, theme, traits_domain),
            )
        )
    history = analysis.history
    if history is not None and history.migration.flows:
        flows = [(f.from_id, f.to_id, f.customers) for f in history.migration.flows]
        segment_names = analysis.segment_names()
        plan.append(
            PlannedChart(
                "migration",
                "Movement between segments",
                migration_alt(flows, segment_names),
                FULL_WIDTH,
                migration_layout(flows, segment_names, theme).height,
                False,
                lambda: migration_chart(flows, segment_names, theme),
            )
        )
    plan += [
        PlannedChart(
            "elbow",
            "Choosing the number of segments: inertia",
            elbow_alt(selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
            False,
            lambda: elbow_chart(selection, theme),
        ),
        PlannedChart(
            "silhouette",
            "Silhouette score by k",
            silhouette_alt(selection),
            FULL_WIDTH,
            K_CHART_HEIGHT,
            False,
            lambda: silhouette_chart(selection, theme),
        ),
    ]
    return tuple(plan)


def report_charts(analysis: Analysis, theme: ChartTheme, labels: Mapping[str, str]) -> tuple[ChartImage, ...]:
    """Render every chart of the report (see `chart_plan`), one after the other."""
    return tuple(planned.draw() for planned in chart_plan(analysis, theme, labels))


def briefing_chart_plan(profiles: Sequence[SegmentProfile], theme: ChartTheme) -> PlannedChart:
    """Return the briefing's chart: segment sizes as a PNG, narrower and with larger text (phones shrink it)."""
    mail_theme = replace(theme, label_size=13, title_size=16)
    return PlannedChart(
        "sizes",
        "Segment sizes",
        segment_sizes_alt(profiles),
        BRIEFING_WIDTH,
        sizes_height(profiles, mail_theme, BRIEFING_WIDTH),
        True,
        lambda: segment_sizes_chart(profiles, mail_theme, width=BRIEFING_WIDTH),
    )


def job_charts(job: ReportJob) -> tuple[tuple[PlannedChart, ...], PlannedChart]:
    """Return the charts of a period's documents: the report's (in report order) and the briefing's."""
    analysis, brand = job.analysis, job.brand
    theme = chart_theme(brand.colors, tuple(brand.palette.values()))
    # the tables' words: a chart never calls a column by another name than the table beside it
    labels = with_indicator_labels(analysis.features.used, column_labels(analysis, job.settings.data.labels))
    return chart_plan(analysis, theme, labels), briefing_chart_plan(analysis.profiles, theme)
