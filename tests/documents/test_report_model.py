"""The report model: every string and number the template shows, prepared from the analysis."""

from __future__ import annotations

import dataclasses
import re
import struct
import tomllib
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from reportgen.config import DEFAULT_BRAND, Settings
from reportgen.documents.brand import Brand, load_brand
from reportgen.documents.formats import lift, measure, money, number, percent, thousands
from reportgen.documents.html import render_html
from reportgen.documents.report_model import (
    ReportModel,
    changes_section,
    config_text,
    heatmap_caption,
    map_caption,
    report_model,
)
from reportgen.documents.report_model.prose import segment_text
from reportgen.model import (
    Analysis,
    CategoryHighlight,
    CategoryProfile,
    ChartImage,
    DataQuality,
    FeatureMatrix,
    FeatureStat,
    Flow,
    Imputation,
    KCandidate,
    KSelection,
    LoadedTable,
    Matching,
    Migration,
    MonthOverMonth,
    PcaMap,
    Recommendation,
    Segmentation,
    SegmentChange,
    SegmentProfile,
    Trait,
    VanishedSegment,
)
from reportgen.period import Period

GENERATOR = "reportgen test"


PERIOD = Period(2026, 11)


FEATURES = ("BALANCE", "PURCHASES", "CASH_ADVANCE", "PRC_FULL_PAYMENT", "TENURE")


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Return a valid solid-colour PNG: a stand-in for the rendered customer map."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TINY_PNG = _png(64, 44, (42, 157, 143))


# segment id -> (name, archetype, size, means per feature, purchases share)
SEGMENTS = {
    0: ("Big spenders", "spender", 120, (2100.0, 4800.0, 90.0, 0.55, 11.9), 0.62),
    1: ("Heavy cash-advance users", "cash", 300, (4200.0, 240.0, 3100.0, 0.02, 11.4), 0.08),
    2: ("Low activity", "dormant", 580, (650.0, 410.0, 260.0, 0.12, 11.6), 0.30),
}


def _overall() -> tuple[float, ...]:
    total = sum(s[2] for s in SEGMENTS.values())
    return tuple(sum(s[3][i] * s[2] for s in SEGMENTS.values()) / total for i in range(len(FEATURES)))


def _profile(seg_id: int) -> SegmentProfile:
    name, archetype, size, means, spend = SEGMENTS[seg_id]
    overall = _overall()
    stats = {
        f: FeatureStat(m, m * 0.8, m / o if o else None)
        for f, m, o in zip(FEATURES, means, overall, strict=True)
    }
    ranked = sorted(FEATURES, key=lambda f: -abs(np.log((stats[f].lift or 1.0) + 1e-9)))[:3]
    traits = tuple(
        Trait(
            feature=f,
            label=f.replace("_", " ").capitalize(),
            lift=stats[f].lift or 0.0,
            segment_mean=stats[f].mean,
            overall_mean=overall[FEATURES.index(f)],
            text=f"{f.replace('_', ' ').capitalize()} {stats[f].lift or 0.0:.1f}x the average",
        )
        for f in ranked
    )
    return SegmentProfile(
        id=seg_id,
        name=name,
        archetype=archetype,
        size=size,
        share=size / 1000,
        stats=stats,
        value_shares={"PURCHASES": spend},
        traits=traits,
    )


def sample_analysis() -> Analysis:
    """Return a small hand-built Analysis: three segments, 1,000 customers."""
    quality = DataQuality(
        rows=1003,
        customers=1000,
        missing={"MINIMUM_PAYMENTS": 31, "CREDIT_LIMIT": 1},
        imputed={"MINIMUM_PAYMENTS": Imputation("MINIMUM_PAYMENTS", "median", 312.34, 31)},
        dropped_rows=3,
        dropped_columns=(),
        notes=("3 rows without a customer id were left out.",),
        stats=(),
    )
    table = LoadedTable(
        path=Path("/data/in/customers.csv"),
        sha256="ab" * 32,
        frame=pl.DataFrame({"customer_id": ["C1"]}),
        fingerprint="cd" * 32,
        features=FEATURES,
        rows=1003,
        dropped_rows=3,
    )
    features = FeatureMatrix(
        customer_ids=pl.Series("customer_id", ["C1"]),
        raw=pl.DataFrame({f: [1.0] for f in FEATURES}),
        input_features=FEATURES,
        used=(*FEATURES, "PURCHASES_PER_MONTH"),
        engineered=("PURCHASES_PER_MONTH",),
        transformed=("BALANCE", "PURCHASES", "CASH_ADVANCE"),
        transform="log1p",
        X=np.zeros((1, 6)),
        center=np.zeros(6),
        scale=np.ones(6),
        quality=quality,
    )
    candidates = tuple(
        KCandidate(k, 9000.0 / k, s, 400.0 + 10 * k, 1.9 - 0.1 * k)
        for k, s in ((2, 0.21), (3, 0.27), (4, 0.24), (5, None))
    )
    selection = KSelection(
        method="auto",
        chosen_k=3,
        reason="3 segments: the highest silhouette among the candidates, and each segment holds over 10% of customers.",
        candidates=candidates,
        elbow_k=3,
        scored_rows=1000,
        silhouette_rows=1000,
        sampled=False,
    )
    seg = Segmentation(
        labels=np.zeros(1000, dtype=np.int64),
        centroids=np.zeros((3, 6)),
        k=3,
        inertia=3000.0,
        silhouette=0.27,
        calinski_harabasz=430.0,
        davies_bouldin=1.6,
    )
    recs = []
    for seg_id, (name, archetype, *_rest) in SEGMENTS.items():
        recs.append(
            Recommendation(
                seg_id,
                archetype,
                f"First action for {name}",
                f"Do the first thing for {name}.",
                kpi=f"Purchases per customer in {name}",
                value_at_stake=f"{10 + seg_id}.0% of purchases (1,000)",
            )
        )
        recs.append(Recommendation(seg_id, archetype, f"Second action for {name}", "Then the second thing."))
    return Analysis(
        table=table,
        features=features,
        selection=selection,
        segmentation=seg,
        profiles=tuple(_profile(i) for i in SEGMENTS),
        recommendations=tuple(recs),
        pca=PcaMap(np.zeros(3), np.zeros(3), np.zeros(3, dtype=np.int64), (0.4, 0.2), {}),
    )


def _svg(label: str, height: int = 120) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{height}" viewBox="0 0 640 {height}">'
        f'<defs><clipPath id="c"><rect width="640" height="{height}"/></clipPath></defs>'
        f'<g clip-path="url(#c)"><rect x="20" y="20" width="400" height="30" fill="#14426b"/>'
        f'<text x="20" y="90" font-family="Lato" font-size="14">{label}</text></g></svg>'
    )


def sample_charts() -> tuple[ChartImage, ...]:
    """Return stand-ins for the chart helper's output: the names, kinds and sizes the report expects."""
    charts = [
        ChartImage(
            "sizes", "Segment sizes", "Bar chart of segment sizes.", svg=_svg("sizes"), width=640, height=120
        ),
        ChartImage(
            "heatmap", "Profiles", "Heatmap of lifts.", svg=_svg("heatmap", 200), width=640, height=200
        ),
        ChartImage("map", "Customer map", "Scatter of customers.", png=TINY_PNG, width=640, height=440),
        ChartImage(
            "elbow", "Inertia by k", "Line chart of inertia.", svg=_svg("elbow"), width=640, height=120
        ),
        ChartImage(
            "silhouette", "Silhouette by k", "Line chart.", svg=_svg("silhouette"), width=640, height=120
        ),
    ]
    charts += [
        ChartImage(
            f"segment-{i}",
            f"{s[0]}: traits",
            f"Traits of {s[0]}.",
            svg=_svg(f"traits {i}"),
            width=640,
            height=120,
        )
        for i, s in SEGMENTS.items()
    ]
    return tuple(charts)


def sample_model(title: str = "Customer Segmentation Report", brand: Brand | None = None) -> ReportModel:
    """Return the report model of the hand-built analysis."""
    return report_model(
        sample_analysis(),
        sample_charts(),
        brand or load_brand(DEFAULT_BRAND),
        title,
        PERIOD,
        GENERATOR,
        Settings().as_dict(),
    )


def model_of(analysis: Analysis, settings: dict[str, Any] | None = None) -> ReportModel:
    """Return the report model of an analysis with the sample's charts and the default brand."""
    return report_model(
        analysis, sample_charts(), load_brand(DEFAULT_BRAND), "Report", PERIOD, GENERATOR, settings or {}
    )


def test_filters_format_numbers_as_a_reader_expects() -> None:
    assert thousands(8950) == "8,950"
    assert thousands(1234567.6) == "1,234,568"
    assert percent(0.0457) == "4.6%"
    assert lift(3.14) == "3.1x"
    assert lift(0.05) == "0.05x"
    assert lift(None) == "–"
    assert money(1234.5) == "1,234" or money(1234.5) == "1,235"
    assert number(7681.6) == "7,682"
    assert number(0.493) == "0.49"
    assert number(float("nan")) == "–"


def test_model_writes_segment_paragraphs_from_the_numbers() -> None:
    model = sample_model()
    para = {p.name: p.text for p in model.paragraphs}
    assert "120 customers (12.0% of the base)" in para["Big spenders"]
    assert "62.0% of all purchases" in para["Big spenders"]
    assert "5.2x their share of customers" in para["Big spenders"]
    # its strongest traits are named, as prose after the colon (not "...: Purchases 5.4x")
    assert (
        "Compared with the average customer: cash advance 0.1x the average; purchases 5.4x"
        in para["Big spenders"]
    )


def test_a_segment_paragraph_says_which_group_it_leans_to() -> None:
    # a bank's two largest segments had the same traits (has a card 1.4x the average): that one is all men and
    # the other all women was told only in an action
    analysis = sample_analysis()
    women = CategoryHighlight("Gender", "Female", 1.0, 0.5, "100% Gender Female vs 50% overall")
    leaning = analysis.profiles[1]
    categories = CategoryProfile(("Gender",), {}, {}, {leaning.id: (women,)})
    model = model_of(replace(analysis, categories=categories), Settings().as_dict())
    para = {p.name: p.text for p in model.paragraphs}
    assert para[leaning.name].endswith(" It leans to one group: 100% Gender Female vs 50% overall.")
    assert sum("leans to one group" in text for text in para.values()) == 1


def test_tiny_shares_do_not_read_as_zero() -> None:
    assert percent(0.00011) == "<0.1%"
    assert percent(0.0) == "0.0%"
    assert percent(0.0005) == "0.1%"


def test_shares_and_rates_show_as_percentages_and_days_as_whole_days() -> None:
    model = sample_model()
    html = render_html(model, target="html")
    trait = next(t for s in model.segments for t in s.traits if t.label == "Prc full payment")
    assert trait.unit == "percent"
    assert "55.0%" in html  # Big spenders' PRC_FULL_PAYMENT mean 0.55, not "0.55"
    assert measure(52.9, "days") == "53" and measure(0.014, "percent") == "1.4%"


def test_a_share_of_the_value_shows_as_a_percentage(wholesale_path: Path) -> None:
    # "High detergents paper share": the trait row reads "16.5%" against "7.4%", not "0.16" against "0.07"
    from reportgen.config import DataConfig
    from reportgen.documents.report_model.segments import segment_page
    from reportgen.period import parse_period
    from reportgen.pipeline import analyse

    spend = ("Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen")
    settings = Settings(data=DataConfig(id_column="", features=spend, value=spend))
    analysis = analyse(settings, wholesale_path, parse_period("2026-11"))
    rows = [
        t
        for p in analysis.profiles
        for t in segment_page(analysis, p.id + 1, p, {}, "combined value").traits
        if " share of " in t.label
    ]
    assert rows and all(t.unit == "percent" for t in rows)
    assert measure(rows[0].segment_mean, rows[0].unit).endswith("%")


def test_top_actions_never_repeat_a_title() -> None:
    analysis = sample_analysis()
    # two segments with the same playbook: the second gets its next action instead of the same one twice
    same = tuple(
        Recommendation(
            r.segment_id, r.archetype, r.title.replace("Heavy cash-advance users", "Big spenders"), r.text
        )
        for r in analysis.recommendations
    )
    model = model_of(replace(analysis, recommendations=same))
    titles = [a.title for a in model.actions]
    assert len(titles) == len(set(titles)) == 3
    assert "Second action for Big spenders" in titles


def test_configuration_leaves_out_mail_settings_and_paths() -> None:
    text = config_text(Settings().as_dict())
    assert "[clustering]" in text and "k_max = 10" in text
    assert "[email]" not in text and "@" not in text
    assert "[transactions]" not in text  # only for a transaction log
    assert "path" not in text.split("[features]")[0].split("[data]")[1]
    # it is reportgen.toml text: it reads back as the settings it shows, maps included
    shown = tomllib.loads(text)
    settings = Settings().as_dict()
    assert shown["clustering"] == {k: v for k, v in settings["clustering"].items() if v is not None}
    # empty lists and maps are defaults that shaped nothing: left out; a map that is set reads back as one
    assert "categorical" not in shown["data"] and "dates" not in shown["data"]
    dated = replace(Settings(), data=replace(Settings().data, dates={"Dt Customer": "%d-%m-%Y"}))
    assert tomllib.loads(config_text(dated.as_dict()))["data"]["dates"] == {"Dt Customer": "%d-%m-%Y"}
    # an empty text is unset too; a key with nothing to act on is left out; a long list wraps to fit a column
    assert "currency" not in shown["report"] and "amounts_cover" not in shown["report"]
    assert shown["features"]["engineered"] is True
    quiet = tomllib.loads(config_text(settings, no_effect=[("features", "engineered")]))
    assert "engineered" not in quiet["features"] and quiet["features"]["transform"] == "log1p"
    listed = replace(
        Settings(), data=replace(Settings().data, features=[f"COLUMN_{i:02}" for i in range(12)])
    )
    text = config_text(listed.as_dict())
    assert tomllib.loads(text)["data"]["features"] == [f"COLUMN_{i:02}" for i in range(12)]
    assert max(len(line) for line in text.splitlines() if "COLUMN_" in line) <= 58


def test_transaction_log_is_described_in_rfm_words() -> None:
    analysis = sample_analysis()
    tx = replace(analysis, table=replace(analysis.table, kind="transactions"))
    model = report_model(tx, sample_charts(), load_brand(DEFAULT_BRAND), "Report", PERIOD, GENERATOR, {})
    m = model.methodology
    assert m.source_text.startswith("The transaction log held 1,003 order lines")
    assert "recency" in m.features_intro and "RFM" in m.features_intro
    # a log is "this month's" only when its dates all fall in the period
    assert model.headlines[0].note == "buying in this log"
    monthly = replace(
        tx, table=replace(tx.table, first_day=PERIOD.first_day, last_day=PERIOD.first_day.replace(day=9))
    )
    model = report_model(monthly, sample_charts(), load_brand(DEFAULT_BRAND), "Report", PERIOD, GENERATOR, {})
    assert model.headlines[0].note == "buying in this month's log"
    assert sample_model().methodology.source_text.startswith("The extract held 1,003 rows")
    # a customer table is a monthly extract only when an earlier month was run into the same folder
    assert sample_model().headlines[0].note == "in this extract"


def test_top_actions_start_with_the_most_valuable_segment() -> None:
    model = sample_model()
    assert [a.segment for a in model.actions] == ["Big spenders", "Low activity", "Heavy cash-advance users"]
    assert model.actions[0].title == "First action for Big spenders"


def test_appendix_overall_is_the_all_customer_mean() -> None:
    model = sample_model()
    balance = next(r for r in model.appendix.rows if r.feature == "BALANCE")
    assert balance.overall == pytest.approx((2100 * 120 + 4200 * 300 + 650 * 580) / 1000)
    assert balance.values == (2100.0, 4200.0, 650.0)
    # the report names the table it analysed by its content, never by a file hash it may not have
    assert dict(model.appendix.reproducibility)["Input"] == "customers.csv"
    assert dict(model.appendix.reproducibility)["Table fingerprint"] == "cd" * 32
    assert "ab" * 32 not in str(model.appendix.reproducibility)


def test_methodology_reads_the_quality_metrics() -> None:
    m = sample_model().methodology
    assert [r.column for r in m.missing] == ["CREDIT_LIMIT", "MINIMUM_PAYMENTS"]
    assert "median" in m.missing[1].handling
    assert [c.k for c in m.candidates if c.chosen] == [3]
    names = [q.name for q in m.metrics]
    assert names == ["Silhouette score", "Calinski-Harabasz index", "Davies-Bouldin index"]
    assert all(q.reading for q in m.metrics)


def test_dates_come_from_the_period_only() -> None:
    model = sample_model()
    assert (model.period_label, model.issued, model.issued_iso) == (
        "November 2026",
        "30 November 2026",
        "2026-11-30",
    )


def second_month_model(flows: tuple[Flow, ...]) -> ReportModel:
    """Return the sample's report model with an October 2026 behind it: these migration flows, no changes."""
    october = Period(2026, 10)
    history = MonthOverMonth(
        from_period=october,
        migration=Migration(october, 950, 50, 40, flows),
        matching=Matching(october, (), ()),
        changes=(),
    )
    return model_of(replace(sample_analysis(), history=history))


def test_what_changed_section_appears_only_with_migration_data() -> None:
    assert 'id="changes"' not in render_html(sample_model(), target="html")
    model = second_month_model((Flow(0, 0, 100), Flow(2, 1, 31)))
    html = render_html(model, target="html")
    assert 'id="changes"' in html and "October 2026" in html
    assert "<td>Low activity</td><td>Heavy cash-advance users</td>" in html
    assert [e.title for e in model.contents][:2] == ["Executive summary", "What changed"]


def test_the_cover_says_monthly_only_where_the_data_is_known_to_be_the_months() -> None:
    # F31: a first customer table (an annual wholesale extract, two years of a retailer) is not "monthly"
    first = sample_model()
    assert not first.monthly
    kicker = re.compile(r'<p class="cover-kicker">([^<]*)</p>')
    assert kicker.findall(render_html(first, target="pdf")) == ["Segment analysis"]
    second = second_month_model((Flow(0, 0, 100),))
    assert second.monthly
    assert kicker.findall(render_html(second, target="pdf")) == ["Monthly report"]


def test_what_changed_lists_sizes_new_and_vanished_segments() -> None:
    october = Period(2026, 10)
    history = MonthOverMonth(
        from_period=october,
        migration=Migration(october, 950, 50, 40, ()),
        matching=Matching(october, (), (VanishedSegment(4, "High spenders", 675, None),)),
        changes=(
            SegmentChange(0, "Big spenders", 120, 0.12, False, 150, 0.15, -30, ()),
            SegmentChange(5, "Full payers", 80, 0.08, True, None, None, None, ()),
        ),
    )
    changes = changes_section(history, {0: "Big spenders"})
    assert changes.from_period_label == "October 2026" and changes.customers_in_both == 950
    # the count of stayers, joiners and leavers is the section's intro already, not a highlight
    assert changes.highlights == (
        "Big spenders shrank by 30 customers to 120.",
        "Segments new this month: Full payers; no longer found: High spenders.",
    )
    rows = {r.name: (r.previous, r.current, r.change, r.status) for r in changes.sizes}
    assert rows == {
        "Big spenders": (150, 120, -30, ""),
        "Full payers": (None, 80, 80, "new"),
        "High spenders": (675, 0, -675, "gone"),
    }


def test_map_caption_says_what_the_axes_stand_for() -> None:
    loadings = {
        "PURCHASES": (0.6, 0.1),
        "ONEOFF_PURCHASES": (0.55, 0.0),
        "CASH_ADVANCE": (-0.5, 0.2),
        "TENURE": (0.05, 0.05),
        "BALANCE": (0.1, 0.7),
    }
    analysis = replace(
        sample_analysis(), pca=PcaMap(np.zeros(3), np.zeros(3), np.zeros(3), (0.37, 0.19), loadings)
    )
    caption = map_caption(analysis, {})
    # the columns that carry each axis, with their direction; weak ones are left out
    assert caption.startswith(
        "Customers further right have higher purchases and one-off purchases, lower cash advance; "
        "customers higher up have higher balance."
    )
    assert "tenure" not in caption.lower()
    assert "56%" in caption  # 37% + 19% of the variance


def test_heatmap_caption_names_each_segments_strongest_difference() -> None:
    analysis = sample_analysis()
    caption = heatmap_caption(analysis)
    for profile in analysis.profiles:
        assert f"{profile.name}: " in caption
        assert profile.traits[0].text[1:] in caption  # the first trait, lower-cased mid-sentence


def test_overview_figures_carry_their_reading_guides() -> None:
    pca = PcaMap(
        np.zeros(3), np.zeros(3), np.zeros(3), (0.4, 0.2), {"PURCHASES": (0.5, 0.0), "BALANCE": (0.0, 0.5)}
    )
    analysis = replace(sample_analysis(), pca=pca)
    model = model_of(analysis, Settings().as_dict())
    for target in ("html", "pdf"):
        page = render_html(model, target=target)
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)
        assert len(captions) == 2, target
        assert captions[0].startswith("Customers further right have higher purchases")
        assert captions[1].startswith("Each cell is a segment")


def test_web_report_shows_the_heatmap_as_a_readable_table_and_the_pdf_as_the_chart() -> None:
    from reportgen.documents.colours import contrast_ratio, srgb

    model = sample_model()
    web = render_html(model, target="html")
    table = web[web.index('<table class="data heat-table">') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'style="background: ([^;]+); color: ([^"]+)">([^<]+)</td>', table)
    assert model.heat_table is not None
    assert len(cells) == len(model.heat_table.rows) * len(model.heat_table.columns) > 0
    for fill, ink, _ in cells:
        assert contrast_ratio(srgb(fill), srgb(ink)) >= 4.5, (fill, ink)  # type: ignore[arg-type]
    assert model.heat_table.rows[0].label in table
    pdf = render_html(model, target="pdf")
    assert '<table class="data heat-table">' not in pdf and 'id="figure-heatmap"' in pdf


def test_segment_paragraph_says_total_spend_once() -> None:
    profile = _profile(0)
    assert "62.0% of total spend," in segment_text(profile, "total spend")
    assert "of all total" not in segment_text(profile, "total spend")
    assert "62.0% of all wine and meat spend" in segment_text(profile, "wine and meat spend")
    assert "62.0% of all MRR" in segment_text(profile, "MRR")  # an abbreviation keeps its capitals


def test_phone_trait_bars_sit_on_the_side_of_the_average_their_ratio_says() -> None:
    from reportgen.documents.report_model.segments import TraitRow, trait_bars

    rows = (
        TraitRow("Cash", 1.0, 4.0, 0.25),
        TraitRow("Purchases", 4.0, 1.0, 4.0),
        TraitRow("Tenure", 1, 1, 2.0),
    )
    bars = trait_bars(rows, (2, 2))  # 1/4x to 4x: the 1x line in the middle
    assert [b.label for b in bars] == ["Purchases", "Tenure", "Cash"]  # largest ratio first, as the chart
    purchases, tenure, cash = bars
    assert purchases.above and purchases.start == 0.5 and purchases.size == 0.5  # 4x reaches the right end
    assert tenure.above and tenure.size == 0.25  # 2x: half way, on a log scale
    assert not cash.above and cash.start == 0.0 and cash.start + cash.size == 0.5  # ends at the 1x line
    far = trait_bars((TraitRow("Fees", 100.0, 1.0, 100.0),), (2, 2))[0]
    assert far.start + far.size == 1.0  # beyond the axis: stops at the edge, never outside the track
    assert far.cut and not any(b.cut for b in bars)  # and is marked as cut there (4x exactly is not)
    none = trait_bars((TraitRow("Purchases", 0.0, 1.0, 0.0),), (2, 2))[0]
    assert none.cut and not none.above and none.start == 0.0


def test_the_phone_view_marks_a_cut_bar_as_the_chart_does() -> None:
    from reportgen.documents.html import render_html

    model = sample_model()
    # the page, past its stylesheet: the sample's bars all fit the axis
    assert "trait-bar-cut" not in render_html(model, target="html").split("</style>")[-1]
    first = model.segments[0]
    bars = (dataclasses.replace(first.bars[0], cut=True), *first.bars[1:])
    cut = dataclasses.replace(model, segments=(dataclasses.replace(first, bars=bars), *model.segments[1:]))
    html = render_html(cut, target="html").split("</style>")[-1]
    assert html.count("trait-bar-cut") == 1 and 'trait-bar-above trait-bar-cut"' in html


def test_a_segments_trait_table_reads_in_its_charts_order() -> None:
    # one order: the table beside the chart, the chart and the phone's bars all list the largest ratio first
    from reportgen.documents.report_model.segments import trait_bars

    model = sample_model()
    assert any(len(s.traits) > 1 for s in model.segments)
    for page in model.segments:
        lifts = [t.lift for t in page.traits]
        assert lifts == sorted(lifts, key=lambda v: -(v if v is not None else 0.0)), page.name
        assert [b.label for b in page.bars] == [t.label for t in page.traits if t.lift is not None]
        assert [b.label for b in trait_bars(page.traits, (4, 4))] == [b.label for b in page.bars]
