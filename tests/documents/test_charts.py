"""Tests for the chart builders (via chart.to_dict()), their alt texts and the offline renderers."""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import vl_convert
from PIL import Image

from reportgen.documents import charts, formats
from reportgen.documents.charts import ChartTheme
from reportgen.model import (
    Analysis,
    DataQuality,
    FeatureMatrix,
    FeatureStat,
    Flow,
    KCandidate,
    KSelection,
    LoadedTable,
    Matching,
    Migration,
    MonthOverMonth,
    PcaMap,
    Segmentation,
    SegmentProfile,
    Trait,
    VanishedSegment,
)
from reportgen.period import Period

THEME = ChartTheme()
NAMES = ("Low activity", "High spenders", "Cash advance users", "Instalment buyers")
FEATURES = ("BALANCE", "PURCHASES", "CASH_ADVANCE", "PRC_FULL_PAYMENT")
LABELS = {"BALANCE": "Balance", "PURCHASES": "Purchases", "CASH_ADVANCE": "Cash advance"}
LIFTS = ((0.8, 0.2, 0.5, 0.4), (1.4, 7.7, 0.6, 2.0), (2.5, 0.3, 4.1, 0.5), (0.6, 1.5, 0.3, 1.0))
SHARES = (0.44, 0.05, 0.2, 0.31)
PURCHASE_SHARES = (0.12, 0.38, 0.05, 0.45)


def _profile(i: int, value_key: str = "PURCHASES") -> SegmentProfile:
    stats = {
        f: FeatureStat(mean=100 * LIFTS[i][j], median=90.0, lift=LIFTS[i][j]) for j, f in enumerate(FEATURES)
    }
    traits = tuple(
        Trait(f, LABELS.get(f, f), LIFTS[i][j], 100 * LIFTS[i][j], 100.0, f"{f} {LIFTS[i][j]}x the average")
        for j, f in enumerate(FEATURES)
        if abs(math.log2(LIFTS[i][j])) >= 0.5
    )
    return SegmentProfile(
        id=i,
        name=NAMES[i],
        archetype="x",
        size=int(SHARES[i] * 1000),
        share=SHARES[i],
        stats=stats,
        value_shares={value_key: PURCHASE_SHARES[i]},
        traits=traits,
    )


@pytest.fixture
def profiles() -> tuple[SegmentProfile, ...]:
    # deliberately out of id order: builders must order by id
    return tuple(_profile(i) for i in (2, 0, 3, 1))


@pytest.fixture
def selection() -> KSelection:
    inertia = (1000.0, 800.0, 650.0, 600.0, 570.0)
    silhouette = (0.21, 0.19, 0.25, None, 0.18)
    candidates = tuple(
        KCandidate(
            k=k,
            inertia=inertia[k - 2],
            silhouette=silhouette[k - 2],
            calinski_harabasz=None,
            davies_bouldin=None,
        )
        for k in range(2, 7)
    )
    return KSelection(
        "auto",
        4,
        "best silhouette",
        candidates,
        elbow_k=3,
        scored_rows=1000,
        silhouette_rows=1000,
        sampled=False,
    )


def _pca(n: int, seed: int = 1, shares: tuple[float, ...] = SHARES) -> PcaMap:
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(shares), size=n, p=shares).astype(np.int64)
    centres = np.array([[-2.0, -1.0], [4.0, 3.0], [1.0, -3.0], [2.0, 2.0]])
    xy = centres[labels] + rng.normal(size=(n, 2))
    return PcaMap(x=xy[:, 0], y=xy[:, 1], labels=labels, explained_variance=(0.312, 0.18), loadings={})


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the inline data of the chart (or of its first layer that has some); JSON strings decoded."""
    for layer in [spec, *_layers(spec)]:
        if "data" in layer:
            values = layer["data"]["values"]
            return json.loads(values) if isinstance(values, str) else values
    raise AssertionError("no inline data")


# ---- theme ---------------------------------------------------------------------------------------------


def test_segment_colours_are_stable_by_id() -> None:
    theme = ChartTheme(palette=("#111111", "#222222", "#333333"))
    assert [charts.segment_color(i, theme) for i in range(5)] == [
        "#111111",
        "#222222",
        "#333333",
        "#111111",
        "#222222",
    ]


def test_default_palette_is_colour_blind_aware_without_yellow_or_black() -> None:
    palette = THEME.palette
    assert len(palette) == len(set(palette)) == 8
    assert "#F0E442" not in palette and "#000000" not in palette
    assert palette[:6] == ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7")
    assert "#6B7280" in palette


def test_contrast_ratio_follows_wcag() -> None:
    black, white = charts.srgb("#000"), charts.srgb("#FFFFFF")
    assert black is not None and white is not None
    assert charts.contrast_ratio(black, white) == pytest.approx(21.0)
    grey = charts.srgb("rgb(119, 119, 119)")
    assert grey is not None and charts.contrast_ratio(grey, white) == pytest.approx(4.48, abs=0.01)
    assert charts.srgb("hsl(0, 100%, 50%)") == pytest.approx((1.0, 0.0, 0.0))
    assert charts.srgb("#0000FF80") == pytest.approx((0.498, 0.498, 1.0), abs=0.01)  # seen over white
    assert charts.srgb("teal") is None


def test_chart_theme_takes_the_brand_roles_and_a_legible_palette() -> None:
    colors = {"primary": "#14426b", "foreground": "#111111", "background": "#fafafa", "light": "#f3f5f8"}
    palette = [
        "#14426b",
        "#F0E442",
        "#2a9d8f",
        "#f3f5f8",
        "#c77d14",
        "#b83232",
        "#14426c",
        "rgb(91, 107, 123)",
    ]
    theme = charts.chart_theme(colors, palette)
    assert (theme.primary, theme.foreground, theme.background) == ("#14426b", "#111111", "#fafafa")
    # yellow and the light tint are dropped, and so is a near-twin of the navy; the slate, because a reader
    # with deuteranopia sees it as the teal; the rest most distinct first (the amber is farthest from navy)
    assert theme.palette == ("#14426b", "#c77d14", "#2a9d8f", "#b83232")
    assert charts.segment_color(1, theme) == "#c77d14"


def test_chart_theme_keeps_the_default_palette_for_a_thin_or_pale_brand_palette() -> None:
    colors = {"primary": "#14426b", "foreground": "#111111", "background": "#ffffff"}
    assert charts.chart_theme(colors, ["#14426b", "#2a9d8f", "#c77d14"]).palette == THEME.palette
    pale = ["#14426b", "#2a9d8f", "#c77d14", "#F0E442", "#ffe4e1", "teal"]
    assert charts.chart_theme(colors, pale).palette == THEME.palette
    assert charts.chart_theme(colors, []).palette == THEME.palette


def test_every_chart_carries_the_theme_config(profiles, selection) -> None:
    theme = ChartTheme(font="Lato", foreground="#123456")
    for chart in (
        charts.segment_sizes_chart(profiles, theme),
        charts.profile_heatmap(profiles, FEATURES, LABELS, theme),
        charts.elbow_chart(selection, theme),
        charts.segment_traits_chart(profiles[0], theme),
    ):
        config = chart.to_dict()["config"]
        assert config["font"] == "Lato"
        assert config["view"]["stroke"] is None  # no border around the plot
        assert config["title"]["color"] == "#123456"
        assert config["axis"]["gridColor"] == theme.grid


# ---- sizes ---------------------------------------------------------------------------------------------


def test_sizes_chart_pairs_customer_and_purchase_shares(profiles) -> None:
    spec = charts.segment_sizes_chart(profiles, THEME).to_dict()
    rows = _values(spec)
    assert {tuple(sorted(r)) for r in rows} == {("label", "measure", "segment", "share")}
    by = {(r["segment"], r["measure"]): r for r in rows}
    assert by[("High spenders", "% of customers")]["label"] == "5.0%"
    assert by[("High spenders", "% of purchases")]["share"] == pytest.approx(0.38)
    assert by[("Low activity", "% of customers")]["label"] == "44%"
    bars = _layers(spec)[0]["encoding"]
    assert bars["y"]["sort"] == list(NAMES)  # segment id order
    assert bars["yOffset"]["field"] == "measure"
    assert bars["x"]["axis"]["format"] == "%"


def test_sizes_chart_falls_back_to_the_first_value_share_key() -> None:
    profiles = tuple(_profile(i, value_key="monetary") for i in range(4))
    rows = _values(charts.segment_sizes_chart(profiles, THEME).to_dict())
    assert {r["measure"] for r in rows} == {"% of customers", "% of spend"}
    assert "of spend" in charts.segment_sizes_alt(profiles)


def test_sizes_alt_names_every_segment_with_its_numbers(profiles) -> None:
    text = charts.segment_sizes_alt(profiles)
    assert text.startswith("Bar chart of segment sizes: Low activity 44% of customers and 12% of purchases;")
    assert "High spenders 5.0% of customers and 38% of purchases" in text


# ---- heatmap -------------------------------------------------------------------------------------------


def test_heatmap_colours_log2_lift_around_zero(profiles) -> None:
    spec = charts.profile_heatmap(profiles, FEATURES, LABELS, THEME).to_dict()
    rows = _values(spec)
    assert len(rows) == len(NAMES) * len(FEATURES)
    cell = next(
        r
        for r in rows
        if r["segment"].replace("\n", " ").strip() == "High spenders" and r["feature"] == "Purchases"
    )
    assert cell["text"] == "7.7x"
    assert cell["log2_lift"] == pytest.approx(math.log2(7.7), abs=1e-6)
    # labels fall back to the column name
    assert {r["feature"] for r in rows} == {"Balance", "Purchases", "Cash advance", "PRC_FULL_PAYMENT"}
    colour = _layers(spec)[0]["encoding"]["color"]
    assert colour["field"] == "log2_lift"
    low, mid, high = colour["scale"]["domain"]
    assert mid == 0 and low == -high  # 2x and 0.5x equally strong
    assert colour["scale"]["range"] == list(THEME.diverging)
    half = next(r for r in rows if r["feature"] == "Balance" and "Instalment" in r["segment"])
    assert half["log2_lift"] == pytest.approx(math.log2(0.6), abs=1e-6)
    text = _layers(spec)[-1]
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "text"


def test_heatmap_shows_missing_lift_as_not_available(profiles) -> None:
    broken = list(profiles)
    stats = dict(broken[0].stats)
    stats["BALANCE"] = FeatureStat(mean=0.0, median=0.0, lift=None)
    broken[0] = SegmentProfile(**{**broken[0].__dict__, "stats": stats})
    rows = _values(charts.profile_heatmap(broken, FEATURES, LABELS, THEME).to_dict())
    cell = next(r for r in rows if "Cash advance" in r["segment"] and r["feature"] == "Balance")
    assert cell["text"] == "n/a" and cell["log2_lift"] is None


def test_heatmap_alt_mentions_every_segment(profiles) -> None:
    text = charts.profile_heatmap_alt(profiles, FEATURES, LABELS)
    for name in NAMES:
        assert name in text
    assert "High spenders: highest Purchases 7.7x, PRC_FULL_PAYMENT 2.0x; lowest Cash advance 0.6x" in text


# ---- map -----------------------------------------------------------------------------------------------


def test_map_sample_is_capped_proportional_and_keeps_every_segment() -> None:
    labels = np.array([0] * 9000 + [1] * 990 + [2] * 10, dtype=np.int64)
    idx = charts.map_sample(labels, max_points=5000, seed=0)
    assert len(idx) == 5000 and len(set(idx.tolist())) == 5000
    counts = np.bincount(labels[idx], minlength=3)
    assert counts[2] == 10  # a tiny segment is kept whole
    assert abs(counts[0] / 5000 - 0.9) < 0.01 and counts[1] > 400
    assert np.array_equal(idx, charts.map_sample(labels, max_points=5000, seed=0))
    assert not np.array_equal(idx, charts.map_sample(labels, max_points=5000, seed=1))


def test_map_keeps_all_points_when_small() -> None:
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    assert charts.map_sample(labels, max_points=10).tolist() == [0, 1, 2, 3]


def test_segment_map_spec(profiles) -> None:
    pca = _pca(12000)
    spec = charts.segment_map(pca, profiles, THEME).to_dict()
    rows = _values(spec)
    assert len(rows) <= 5000
    assert {r["segment"] for r in rows} == set(NAMES)
    assert set(rows[0]) == {"pc1", "pc2", "segment"}
    enc = _layers(spec)[0]["encoding"]
    assert enc["x"]["title"] == "PC1 (31.2% of variance)"  # no loadings: the component itself
    assert enc["y"]["title"] == "PC2 (18.0% of variance)"
    assert enc["color"]["scale"]["domain"] == list(NAMES)
    assert enc["color"]["scale"]["range"] == [charts.segment_color(i, THEME) for i in range(4)]
    assert "12,000" in spec["title"]["subtitle"]


def test_map_axes_say_what_grows_along_them_and_segments_are_named_on_the_map(profiles) -> None:
    pca = dataclasses.replace(
        _pca(3000),
        loadings={
            "PURCHASES": (0.6, 0.1),
            "CASH_ADVANCE": (-0.5, 0.2),
            "BALANCE": (0.1, 0.7),
            "TENURE": (0.05, -0.1),
        },
    )
    spec = charts.segment_map(pca, profiles, THEME, labels=LABELS).to_dict()
    enc = _layers(spec)[0]["encoding"]
    assert enc["x"]["title"] == "left: higher cash advance  ·  right: higher purchases"
    assert enc["y"]["title"] == "up: higher balance"  # TENURE weighs too little to name the other end
    assert enc["x"]["axis"]["labels"] is False  # no unit a reader could use
    named = [layer["data"]["values"] for layer in _layers(spec)[1:]]
    assert all({r["name"] for r in values} == set(NAMES) for values in named)
    labels = np.asarray(pca.labels)
    high = next(r for r in named[0] if r["name"] == "High spenders")
    assert high["pc1"] == pytest.approx(float(np.median(np.asarray(pca.x)[labels == 1])), abs=1e-4)


def test_brand_colours_that_blur_for_colour_blind_readers_are_not_both_segment_colours() -> None:
    # navy, slate and teal: apart in normal vision, alike under deuteranopia
    kept = charts.legible_colours(("#14426b", "#5b6b7b", "#2a9d8f", "#d08c2b", "#c8553d", "#4d8fcc"))

    def gap(a: str, b: str) -> float:
        return min(charts.colour_distances(charts.srgb(a), charts.srgb(b)))  # type: ignore[arg-type]

    assert all(gap(a, b) >= 15 for a, b in itertools.combinations(kept, 2))
    assert kept[0] == "#14426b"  # the brand's lead colour still marks the first segment
    # F27: the first segments, the ones every report has, get the most distinct colours, not navy then slate
    assert min(gap(a, b) for a, b in itertools.combinations(kept[:3], 2)) >= 30, kept
    assert "#5b6b7b" not in kept[:3]


def test_segment_map_alt(profiles) -> None:
    text = charts.segment_map_alt(_pca(12000), profiles)
    assert "a sample of 5,000 of 12,000 customers" in text
    assert "PC1 explains 31.2%" in text
    for name in NAMES:
        assert name in text


# ---- choosing k ----------------------------------------------------------------------------------------


def _layer_with(spec: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    return [
        layer
        for layer in _layers(spec)
        if (layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]) == mark
    ]


def test_elbow_chart_marks_chosen_k_and_elbow(selection) -> None:
    spec = charts.elbow_chart(selection, THEME).to_dict()
    line = _layer_with(spec, "line")[0]
    assert [r["k"] for r in line["data"]["values"]] == [2, 3, 4, 5, 6]
    assert line["encoding"]["y"]["field"] == "inertia"
    rule = _layer_with(spec, "rule")[0]
    assert rule["data"]["values"][0]["k"] == 4
    labels = [layer["data"]["values"][0]["label"] for layer in _layer_with(spec, "text")]
    assert "chosen: k = 4" in labels and "elbow" in labels
    elbow = _layer_with(spec, "point")[0]["data"]["values"][0]
    assert elbow["k"] == 3 and elbow["inertia"] == 800.0


def test_elbow_chart_without_elbow(selection) -> None:
    no_elbow = KSelection(**{**selection.__dict__, "elbow_k": None})
    spec = charts.elbow_chart(no_elbow, THEME).to_dict()
    assert not _layer_with(spec, "point")
    assert "no clear elbow" in charts.elbow_alt(no_elbow)


def test_silhouette_chart_skips_unscored_k(selection) -> None:
    spec = charts.silhouette_chart(selection, THEME).to_dict()
    line = _layer_with(spec, "line")[0]
    assert [r["k"] for r in line["data"]["values"]] == [2, 3, 4, 6]
    assert _layer_with(spec, "rule")[0]["data"]["values"][0]["k"] == 4


def test_k_alt_texts(selection) -> None:
    elbow = charts.elbow_alt(selection)
    assert "k=2 1,000" in elbow and "chosen k = 4" in elbow and "elbow is at k = 3" in elbow
    sil = charts.silhouette_alt(selection)
    assert "k=4 0.250" in sil and "not scored for k = 5" in sil and "chosen k = 4" in sil


# ---- traits --------------------------------------------------------------------------------------------


def test_traits_chart_uses_log2_lift_with_average_rule(profiles) -> None:
    profile = next(p for p in profiles if p.id == 1)
    spec = charts.segment_traits_chart(profile, THEME).to_dict()
    bars = _layer_with(spec, "bar")[0]
    rows = bars["data"]["values"] if "data" in bars else _values(spec)
    assert [r["trait"] for r in rows] == [
        "Purchases",
        "PRC_FULL_PAYMENT",
        "Cash advance",
    ]  # by lift, descending
    assert rows[0]["text"] == "7.7x"
    x = bars["encoding"]["x"]
    assert x["field"] == "log2_lift"
    lo, hi = x["scale"]["domain"]
    assert lo <= -1 and hi >= math.log2(7.7)
    assert x["axis"]["values"] == list(range(int(lo), int(hi) + 1))  # whole powers of two: 0.5x .. 16x
    # direction by colour: above the average one colour, below another
    assert bars["encoding"]["color"]["field"] == "direction"
    assert {r["direction"] for r in rows} == {"above average", "below average"}
    rule = _layer_with(spec, "rule")[0]
    assert rule["data"]["values"][0]["x"] == 0  # log2(1x)
    half = charts.segment_traits_chart(next(p for p in profiles if p.id == 2), THEME).to_dict()
    logs = {r["trait"]: r["log2_lift"] for r in _values(half)}
    assert logs["Purchases"] == pytest.approx(math.log2(0.3), abs=1e-6)


def test_traits_alt(profiles) -> None:
    text = charts.segment_traits_alt(next(p for p in profiles if p.id == 2))
    assert "Cash advance users" in text and "Cash advance 4.1x" in text and "Purchases 0.3x" in text


# ---- migration -----------------------------------------------------------------------------------------


FLOWS = [(0, 0, 300), (0, 1, 12), (1, 1, 40), (2, 0, 30), (2, 2, 150), (3, 3, 170)]


def test_migration_chart_is_a_full_grid_of_counts() -> None:
    names = dict(enumerate(NAMES))
    spec = charts.migration_chart(FLOWS, names, THEME).to_dict()
    rows = _values(spec)
    assert len(rows) == 16
    moved = next(r for r in rows if r["from"] == "Low activity" and r["to"].strip() == "High spenders")
    assert moved["customers"] == 12 and moved["text"] == "12"
    assert sum(r["customers"] for r in rows) == sum(n for _, _, n in FLOWS)
    cells = _layers(spec)[0]["encoding"]
    assert cells["color"]["field"] == "customers"


def test_migration_alt() -> None:
    text = charts.migration_alt(FLOWS, dict(enumerate(NAMES)))
    for name in NAMES:
        assert name in text
    assert "Low activity kept 300 of 312" in text
    assert "Cash advance users to Low activity 30; Low activity to High spenders 12" in text


# ---- rendering -----------------------------------------------------------------------------------------


def test_svg_rendering_is_deterministic_and_self_contained(profiles) -> None:
    chart = charts.profile_heatmap(profiles, FEATURES, LABELS, THEME)
    first = charts.to_svg_image(chart, "heatmap", "Heatmap", "alt", 640, 240)
    second = charts.to_svg_image(
        charts.profile_heatmap(profiles, FEATURES, LABELS, THEME), "heatmap", "Heatmap", "alt", 640, 240
    )
    assert first.svg == second.svg
    assert first.svg is not None and first.svg.startswith("<svg")
    assert (first.width, first.height) == (640, 240)
    assert 'width="640"' in first.svg
    assert "<script" not in first.svg and "http" not in first.svg.replace("http://www.w3.org", "")
    assert "High spenders" in first.svg and "7.7x" in first.svg and 'font-family="Lato' in first.svg
    # ids carry the chart name, so several inline SVGs can share one page
    sizes = charts.to_svg_image(
        charts.segment_sizes_chart(profiles, THEME), "sizes", "Sizes", "alt", 640, 280
    )
    assert sizes.svg is not None
    ids = re.findall(r'\bid="([^"]+)"', sizes.svg)
    assert ids and all(i.startswith("sizes-") for i in ids)
    refs = re.findall(r"url\(#([^)]+)\)", sizes.svg)
    assert set(refs) <= set(ids)


def _png(image: bytes) -> Image.Image:
    return Image.open(io.BytesIO(image)).convert("RGB")


def test_png_rendering_is_deterministic_and_draws_text(profiles) -> None:
    def render() -> bytes:
        image = charts.to_png_image(
            charts.segment_sizes_chart(profiles, THEME), "sizes", "Sizes", "alt", 640, 280, scale=2
        )
        assert (image.width, image.height) == (640, 280)
        assert image.png is not None
        return image.png

    first = render()
    assert first == render()
    picture = _png(first)
    assert picture.size == (1280, 560)
    # the title "Segment sizes" sits in the top-left corner: it must have dark (text) pixels
    title = picture.crop((0, 0, 400, 50)).convert("L")
    assert title.getextrema()[0] < 100
    assert picture.getpixel((picture.width - 2, 2)) == (255, 255, 255)


def test_map_png_renders(profiles) -> None:
    image = charts.to_png_image(
        charts.segment_map(_pca(3000), profiles, THEME), "map", "Map", "alt", 640, 460
    )
    assert image.png is not None and image.svg is None
    assert charts.png_size(image.png) == (1280, 920)


def test_unsafe_svg_is_refused(monkeypatch, profiles) -> None:
    monkeypatch.setattr(
        vl_convert, "vegalite_to_svg", lambda spec, **options: '<svg width="1" height="1"><script/></svg>'
    )
    with pytest.raises(ValueError, match="script"):
        charts.to_svg_image(charts.segment_sizes_chart(profiles, THEME), "x", "x", "x", 10, 10)


# ---- the whole set -------------------------------------------------------------------------------------


def _analysis(profiles: tuple[SegmentProfile, ...], selection: KSelection) -> Analysis:
    pca = _pca(2000)
    frame = pl.DataFrame({"customer_id": [str(i) for i in range(3)]})
    quality = DataQuality(3, 3, {}, {}, 0, (), (), ())
    table = LoadedTable(Path("x.csv"), "0" * 64, frame, FEATURES, 3)
    matrix = FeatureMatrix(
        frame["customer_id"],
        frame,
        FEATURES,
        FEATURES,
        (),
        (),
        "log1p",
        np.zeros((3, 4)),
        np.zeros(4),
        np.ones(4),
        quality,
    )
    segmentation = Segmentation(pca.labels, np.zeros((4, 4)), 4, 600.0, 0.25, None, None)
    return Analysis(table, matrix, selection, segmentation, profiles, (), pca)


def test_report_charts_renders_the_whole_set(profiles, selection) -> None:
    images = charts.report_charts(_analysis(profiles, selection), THEME, LABELS)
    names = [i.name for i in images]
    # in the order the report shows them, which is the order a PDF being laid out asks for them
    assert names == [
        "map",
        "heatmap",
        "segment-0",
        "segment-1",
        "segment-2",
        "segment-3",
        "elbow",
        "silhouette",
    ]
    for image in images:
        assert image.alt and image.title
        assert image.width == 640 and image.height > 100
        if image.name == "map":
            assert image.png is not None and image.svg is None
        else:
            assert image.svg is not None and image.png is None
    by = {i.name: i for i in images}
    assert "Instalment buyers" in by["segment-3"].title
    assert by["segment-1"].height >= 220


def test_markup_in_names_is_escaped_in_svg() -> None:
    hostile = '<script>alert(1)</script> & "Co"'
    profile = SegmentProfile(**{**_profile(0).__dict__, "name": hostile})
    chart = charts.segment_sizes_chart((profile,), THEME)
    image = charts.to_svg_image(chart, "sizes", "Sizes", charts.segment_sizes_alt((profile,)), 640, 200)
    assert image.svg is not None
    assert "<script" not in image.svg
    assert "&lt;script&gt;" in image.svg
    # the alt text labels the root element for screen readers, escaped as an attribute
    root = image.svg[: image.svg.index(">") + 1]
    assert 'role="img"' in root and 'aria-label="Bar chart of segment sizes: &lt;script&gt;' in root
    assert "&quot;Co&quot;" in root


def test_report_charts_adds_migration_when_there_is_history(profiles, selection) -> None:
    history = MonthOverMonth(
        from_period=Period(2026, 10),
        migration=Migration(Period(2026, 10), 0, 0, 0, tuple(Flow(f, t, n) for f, t, n in FLOWS)),
        matching=Matching(Period(2026, 10), (), ()),
        changes=(),
    )
    analysis = dataclasses.replace(_analysis(profiles, selection), history=history)
    images = {i.name: i for i in charts.report_charts(analysis, THEME, LABELS)}
    migration = images["migration"]
    assert migration.svg is not None and "Low activity kept 300 of 312" in migration.alt
    assert ">300<" in migration.svg and ">12<" in migration.svg


# ---- reviewer's fixes: lift labels, clamped axes, wrapped names, migration names, legends ---------------

LONG_NAMES = (
    "Cash-advance users · higher one-off purchase frequency",
    "Instalment buyers · higher share of months paid in full",
    "High spenders",
    "Instalment buyers · lower cash-advance transactions",
    "Moderate spenders",
    "Low activity · higher cash advance",
    "Full payers",
    "Low activity",
    "Cash-advance users · lower balance",
    "Revolvers · higher minimum payments",
)


def _named(count: int) -> tuple[SegmentProfile, ...]:
    """Return `count` profiles with long names; lifts and shares cycle through the four base segments."""
    return tuple(
        dataclasses.replace(_profile(i % 4), id=i, name=LONG_NAMES[i], share=1 / count) for i in range(count)
    )


def _svg_text(svg: str) -> str:
    """Return the visible text of an SVG, lines of a label joined by spaces."""
    return " ".join(re.findall(r">([^<>]+)<", svg.replace("</tspan><tspan", "</tspan> <tspan")))


def _letters(text: str) -> str:
    """Return the text without spaces, line breaks, hyphens and dots: what wrapping may add or move."""
    return re.sub(r"[\s\-·]", "", text)


def test_lift_labels_use_the_shared_format() -> None:
    stats = {
        f: FeatureStat(mean=1.0, median=1.0, lift=v)
        for f, v in zip(FEATURES, (0.00069, 0.037, 3.14, 0), strict=True)
    }
    traits = (
        Trait("BALANCE", "Balance", 0.00069, 0.1, 100.0, "x"),
        Trait("PURCHASES", "Purchases", 0.037, 3.7, 100.0, "x"),
    )
    profile = dataclasses.replace(_profile(0), stats=stats, traits=traits)
    cells = {
        r["feature"]: r["text"]
        for r in _values(charts.profile_heatmap((profile,), FEATURES, LABELS, THEME).to_dict())
    }
    assert cells == {
        "Balance": "<0.01x",
        "Purchases": "0.04x",
        "Cash advance": "3.1x",
        "PRC_FULL_PAYMENT": "0x",
    }
    bars = {r["trait"]: r["text"] for r in _values(charts.segment_traits_chart(profile, THEME).to_dict())}
    assert bars == {"Balance": "<0.01x", "Purchases": "0.04x"}
    assert "Balance <0.01x" in charts.segment_traits_alt(profile)
    assert [bars[t.label] for t in traits] == [formats.lift(t.lift) for t in traits]  # one implementation


def test_traits_axis_stops_at_a_sixteenth_and_sixteen_times_and_labels_clipped_bars_inside() -> None:
    traits = (
        Trait("A", "Far above", 40.0, 40.0, 1.0, "x"),
        Trait("B", "Above", 2.0, 2.0, 1.0, "x"),
        Trait("C", "Far below", 0.0005, 0.0005, 1.0, "x"),
        Trait("D", "None at all", 0.0, 0.0, 1.0, "x"),
    )
    profile = dataclasses.replace(_profile(0), traits=traits)
    spec = charts.segment_traits_chart(profile, THEME).to_dict()
    x = _layer_with(spec, "bar")[0]["encoding"]["x"]
    assert x["scale"]["domain"] == [-4, 4]
    assert x["axis"]["values"] == list(range(-4, 5))  # 1/16x .. 16x: no 1/64x or 1/128x ticks to collide
    rows = {r["trait"]: r for r in _values(spec)}
    assert rows["Far above"]["log2_lift"] == 4 and rows["Far above"]["text"] == "40.0x"
    assert rows["Far below"]["log2_lift"] == -4 and rows["Far below"]["text"] == "<0.01x"
    assert rows["None at all"]["text"] == "0x"
    assert [t for t, r in rows.items() if r["inside"]] == ["Far above", "Far below", "None at all"]
    image = charts.to_svg_image(charts.segment_traits_chart(profile, THEME), "t", "t", "t", 640, 220)
    assert image.svg is not None
    for label in ("40.0x", "2.0x", "&lt;0.01x", "0x", "1/16x", "16x"):
        assert f">{label}<" in image.svg


def test_traits_chart_has_a_layer_only_for_the_labels_and_arrows_that_occur() -> None:
    traits = (Trait("A", "Above", 2.0, 2.0, 1.0, "x"), Trait("B", "Below", 0.5, 0.5, 1.0, "x"))
    spec = charts.segment_traits_chart(dataclasses.replace(_profile(0), traits=traits), THEME).to_dict()
    # bars, the labels beside an above and a below bar, the average line: no empty layers to draw
    assert [layer["mark"]["type"] for layer in _layers(spec)] == ["bar", "text", "text", "rule"]
    image = charts.to_svg_image(
        charts.segment_traits_chart(dataclasses.replace(_profile(0), traits=traits), THEME),
        "t",
        "t",
        "t",
        640,
        200,
    )
    assert image.svg is not None and ">2.0x<" in image.svg and ">0.5x<" in image.svg


def test_wrap_breaks_before_the_qualifier_then_between_words() -> None:
    name = "Cash-advance users · higher one-off purchase frequency"
    assert charts.wrapped_label("High spenders", 200, 11) == "High spenders"
    assert charts.wrapped_label(name, 213, 11) == "Cash-advance users\n· higher one-off purchase frequency"
    assert charts.wrapped_label(name, 90, 10) == "Cash-advance users\n· higher one-off\npurchase frequency"
    # narrower than a word: after its hyphen, and a hard break only for what is still far too wide
    assert charts.wrapped_label(name, 45, 10).split("\n")[:3] == ["Cash-", "advance", "users"]
    assert charts.wrapped_label("Supercalifragilistic", 40, 10).replace("-\n", "") == "Supercalifragilistic"


@pytest.mark.parametrize("count", [8, 10])
def test_heatmap_headers_wrap_upright_with_many_long_names(count: int) -> None:
    profiles = _named(count)
    spec = charts.profile_heatmap(profiles, FEATURES, LABELS, THEME).to_dict()
    axis = _layers(spec)[0]["encoding"]["x"]["axis"]
    assert axis["labelAngle"] == 0 and axis["labelLimit"] == 0
    headers = _layers(spec)[0]["encoding"]["x"]["sort"]
    assert len({h.count("\n") for h in headers}) == 1  # padded to one height, aligned at the bottom
    assert [_letters(h) for h in headers] == [_letters(n) for n in LONG_NAMES[:count]]  # nothing cut
    legend = _layers(spec)[0]["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["type"] == "symbol"
    layout = charts.heatmap_layout(profiles, FEATURES, LABELS, THEME)
    image = charts.to_svg_image(
        charts.profile_heatmap(profiles, FEATURES, LABELS, THEME), "heatmap", "h", "h", 640, layout.height
    )
    assert image.svg is not None and "…" not in image.svg and "linearGradient" not in image.svg
    text = _svg_text(image.svg)
    for name in LONG_NAMES[:count]:
        assert _letters(name) in _letters(text)


def test_sizes_chart_wraps_long_names_instead_of_cutting_them() -> None:
    profiles = _named(10)
    spec = charts.segment_sizes_chart(profiles, THEME).to_dict()
    order = _layers(spec)[0]["encoding"]["y"]["sort"]
    assert order[0] == "Cash-advance users\n· higher one-off purchase frequency"
    assert _layers(spec)[0]["encoding"]["y"]["axis"]["labelLimit"] == 0
    image = charts.to_svg_image(
        charts.segment_sizes_chart(profiles, THEME), "sizes", "s", "s", 640, charts.sizes_height(profiles)
    )
    assert image.svg is not None and "…" not in image.svg
    text = _svg_text(image.svg)
    for name in LONG_NAMES:
        assert _letters(name) in _letters(text)


def test_migration_drops_the_empty_row_of_a_new_and_column_of_a_vanished_segment() -> None:
    # segment 4 vanished (nobody is in it now), segment 5 is new (nobody was in it before)
    flows = [*FLOWS, (4, 0, 25), (4, 5, 33), (0, 5, 20)]
    names = {**dict(enumerate(NAMES)), 4: "Moderate spenders", 5: "Full payers"}
    spec = charts.migration_chart(flows, names, THEME).to_dict()
    rows = _values(spec)
    assert {r["from"] for r in rows} == {*NAMES, "Moderate spenders"}
    assert {r["to"].replace("\n", " ").strip() for r in rows} == {*NAMES, "Full payers"}
    assert len(rows) == 5 * 5 and sum(r["customers"] for r in rows) == sum(n for _, _, n in flows)
    legend = _layers(spec)[0]["encoding"]["color"]["legend"]
    assert legend["type"] == "symbol" and legend["values"] == [300, 200, 100, 0]
    assert charts._count_swatches(280) == [0, 100, 200, 280]
    text = charts.migration_alt(flows, names)
    assert "Moderate spenders kept 0 of 58" in text and "Full payers kept" not in text


def test_report_charts_names_a_vanished_segment_in_the_migration_chart(profiles, selection) -> None:
    flows = [*FLOWS, (7, 0, 25), (7, 2, 33)]
    history = MonthOverMonth(
        from_period=Period(2026, 10),
        migration=Migration(Period(2026, 10), 0, 0, 0, tuple(Flow(f, t, n) for f, t, n in flows)),
        matching=Matching(Period(2026, 10), (), (VanishedSegment(7, "Revolvers", 58, None),)),
        changes=(),
    )
    analysis = dataclasses.replace(_analysis(profiles, selection), history=history)
    migration = {i.name: i for i in charts.report_charts(analysis, THEME, LABELS)}["migration"]
    assert migration.svg is not None
    assert "Revolvers" in migration.svg and "Revolvers kept 0 of 58" in migration.alt
    assert not re.search(r"Segment \d", migration.svg + migration.alt)
    assert "linearGradient" not in migration.svg  # swatches, not a gradient, in the legend


def test_the_project_brand_gives_five_distinct_segment_colours_without_its_text_and_tint_colours() -> None:
    from reportgen.config import DEFAULT_BRAND
    from reportgen.documents.brand import load_brand

    brand = load_brand(DEFAULT_BRAND)
    theme = charts.chart_theme(brand.colors, tuple(brand.palette.values()))
    # ink is the text colour, night looks like it, mist is too pale on white; most distinct first: the
    # slate (F27: it blurred with the navy on the map) and the coral (with the amber, for protanopes) go
    assert theme.palette == ("#14426b", "#d08c2b", "#2a9d8f", "#4d8fcc", "#2e7d4f")
    assert theme.primary == brand.colors["primary"] and theme.foreground == brand.colors["foreground"]


def _painted_cells(svg: str, layers: tuple[int, ...]) -> list[tuple[float, float, float, float, str]]:
    """Return (x, y, width, height, fill) of every rect the SVG paints in the given mark layers."""
    cells = []
    for layer in layers:
        group = re.search(rf'class="mark-rect role-mark layer_{layer}_marks"[^>]*>(.*?)</g>', svg, re.S)
        for x, y, w, h, fill in re.findall(
            r'<path d="M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+Z" fill="([^"]+)"',
            group.group(1) if group else "",
        ):
            cells.append((float(x), float(y), float(w), float(h), fill))
    return cells


def _rgb(fill: str) -> tuple[float, float, float]:
    found = re.fullmatch(r"rgb\((\d+), (\d+), (\d+)\)", fill)
    if found:
        return tuple(int(c) / 255 for c in found.groups())  # type: ignore[return-value]
    rgb = charts.srgb(fill)
    assert rgb is not None, fill
    return rgb


@pytest.mark.parametrize(
    "lifts",
    [LIFTS, ((0.0, 0.02, 0.7, 0.45), (3.0, 7.9, 1.6, 0.98), (0.06, 0.11, 2.9, 5.0), (1.0, 1.0, 1.0, 1.0))],
)
def test_heatmap_text_reaches_4_5_to_1_on_the_painted_cell(lifts: tuple[tuple[float, ...], ...]) -> None:
    profiles = []
    for i in range(4):
        p = _profile(i)
        stats = {
            f: FeatureStat(mean=100 * lifts[i][j], median=90.0, lift=lifts[i][j])
            for j, f in enumerate(FEATURES)
        }
        profiles.append(dataclasses.replace(p, stats=stats))
    chart = charts.profile_heatmap(profiles, FEATURES, LABELS, THEME)
    text_layer = len(_layers(chart.to_dict())) - 1  # the cells, the absent cells if any, the text
    image = charts.to_svg_image(chart, "heatmap", "h", "h", 640, 300)
    assert image.svg is not None
    cells = _painted_cells(image.svg, tuple(range(text_layer)))
    assert len(cells) == len(FEATURES) * 4
    texts = re.findall(
        r'<text[^>]*transform="translate\(([\d.]+),([\d.]+)\)"[^>]*fill="([^"]+)">([^<]+)</text>',
        image.svg[image.svg.index(f"layer_{text_layer}_marks") :],
    )
    measured = []
    for x, y, ink, label in texts:
        cell = next(c for c in cells if c[0] <= float(x) <= c[0] + c[2] and c[1] <= float(y) <= c[1] + c[3])
        measured.append((label, charts.contrast_ratio(_rgb(ink), _rgb(cell[4]))))
    assert len(measured) == len(cells)
    assert all(ratio >= 4.5 for _, ratio in measured), [m for m in measured if m[1] < 4.5]
    # the report's one lift format, and never "0.10x" beside "0.1x"
    shown = {html.unescape(label) for label, _ in measured}
    assert shown <= {formats.lift(v) for row in lifts for v in row} and "0.10x" not in shown


def test_heatmap_rows_go_from_most_to_least_separating(profiles) -> None:
    rows = _values(charts.profile_heatmap(profiles, FEATURES, LABELS, THEME).to_dict())
    order = list(dict.fromkeys(r["feature"] for r in rows))
    spreads = []
    for feature in order:
        logs = [
            math.log2(r_lift)
            for r_lift in (
                next(p.stats[f].lift for f in FEATURES if LABELS.get(f, f) == feature) for p in profiles
            )
        ]
        spreads.append(max(logs) - min(logs))
    assert spreads == sorted(spreads, reverse=True)


def test_every_segments_traits_chart_shares_one_axis_and_marks_cut_bars(profiles) -> None:
    domain = charts.shared_lift_domain(profiles, THEME)
    specs = [charts.segment_traits_chart(p, THEME, domain).to_dict() for p in profiles]
    axes = {tuple(_layer_with(s, "bar")[0]["encoding"]["x"]["scale"]["domain"]) for s in specs}
    assert axes == {(-domain[0], domain[1])}  # 2x is as long on every segment's page
    ticks = _layer_with(specs[0], "bar")[0]["encoding"]["x"]["axis"]
    assert "1/" in ticks["labelExpr"] and "'.3~f'" not in ticks["labelExpr"]  # "1/4x", never "0.25x"
    tiny = dataclasses.replace(_profile(0), traits=(Trait("BALANCE", "Balance", 0.0004, 0.1, 100.0, "x"),))
    spec = charts.segment_traits_chart(tiny, THEME, domain).to_dict()
    row = _values(spec)[0]
    assert row["clamped"] and row["log2_lift"] == -domain[0] and row["text"] == "<0.01x"
    assert any(layer.get("mark", {}).get("shape") == "triangle-left" for layer in _layers(spec))


def test_the_traits_legend_names_only_the_directions_drawn_in_their_fixed_colours() -> None:
    from reportgen.documents.charts import segment as segment_chart

    above = (
        Trait("PURCHASES", "Purchases", 3.0, 1.0, 1.0, "x"),
        Trait("BALANCE", "Balance", 1.5, 1.0, 1.0, "x"),
    )
    spec = charts.segment_traits_chart(
        dataclasses.replace(_profile(0), traits=above), THEME, (4, 3)
    ).to_dict()
    scale = _layer_with(spec, "bar")[0]["encoding"]["color"]["scale"]
    assert scale["domain"] == ["above average"] and scale["range"] == [segment_chart.ABOVE]
    both = (*above, Trait("CASH_ADVANCE", "Cash advance", 0.2, 1.0, 1.0, "x"))
    spec = charts.segment_traits_chart(dataclasses.replace(_profile(0), traits=both), THEME, (4, 3)).to_dict()
    scale = _layer_with(spec, "bar")[0]["encoding"]["color"]["scale"]
    assert scale["domain"] == ["above average", "below average"]
    assert scale["range"] == [segment_chart.ABOVE, segment_chart.BELOW]


def test_a_cut_bars_arrow_head_stands_clear_of_its_row_label_and_value(profiles) -> None:
    from reportgen.documents.charts.drawing import to_svg_image

    cut = (
        Trait("BALANCE", "Balance", 0.0004, 0.1, 100.0, "x"),
        Trait("PURCHASES", "Purchases", 40.0, 0.1, 1.0, "x"),
    )
    tiny = dataclasses.replace(_profile(0), traits=cut)
    svg = to_svg_image(charts.segment_traits_chart(tiny, THEME, (4, 3)), "t", "t", "t", 640, 200).svg
    texts = {
        html.unescape(text): float(x)
        for x, text in re.findall(r'<text[^>]*transform="translate\(([-\d.]+),[-\d.]+\)"[^>]*>([^<]*)<', svg)
    }
    arrows = [
        (float(x), [float(v) for v in re.findall(r"[ML](-?[\d.]+),", d)])
        for x, d in re.findall(r'<path[^>]*transform="translate\(([-\d.]+),[-\d.]+\)" d="(M[^"]*Z)"', svg)
        if d.count("L") == 2  # a triangle
    ]
    left = min(arrows)  # at the axis's left edge: the cut bar below the average
    reach = (left[0] + min(left[1]), left[0] + max(left[1]))
    assert texts["Balance"] <= reach[0] - 3  # the row label ends (text-anchor end) before the arrow head
    assert texts["<0.01x"] >= reach[1] + 3  # the value label inside the bar starts after it
    right = max(arrows)  # at the right edge: the cut bar above the average, its label ends before the arrow
    assert texts["40.0x"] <= right[0] + min(right[1]) - 3


def test_charts_call_columns_by_the_users_labels_as_the_tables_do(profiles, selection) -> None:
    from reportgen.config import DataConfig, Settings
    from reportgen.documents.brand import load_brand
    from reportgen.documents.charts.plan import job_charts
    from reportgen.model import ReportJob

    settings = Settings(data=DataConfig(features=FEATURES, labels={"BALANCE": "Money owed"}))
    job = ReportJob(
        _analysis(profiles, selection), settings, load_brand(settings.brand.file), Period(2026, 11), "t"
    )
    planned = {c.name: c for c in job_charts(job)[0]}
    heatmap = planned["heatmap"]
    rows = {v["feature"] for v in _values(heatmap.build().to_dict())}
    # the user's words, and the readable default for the others: never a raw column name
    assert "Money owed" in rows and "BALANCE" not in rows and "Balance" not in rows
    assert "Cash advance" in rows and "CASH_ADVANCE" not in rows
    assert "Money owed" in heatmap.alt


def test_a_traits_chart_beside_categories_is_drawn_short_not_shrunk() -> None:
    # review3 F10: report.css gives it 40 mm (about 151 px) on paper; drawn 240 px tall it printed its
    # 11 px labels at 5 pt. Drawn near that height, its labels keep at least 80% of their size.
    from types import SimpleNamespace

    from reportgen.documents.charts.plan import traits_height
    from reportgen.model import CategoryProfile

    traits = tuple(Trait(f"C{i}", f"Trait {i}", 2.0, 2.0, 1.0, "x") for i in range(5))
    profile = dataclasses.replace(_profile(0), traits=traits)
    plain = SimpleNamespace(categories=None)
    shares = {"Education": {"PhD": 0.4}}
    listed = SimpleNamespace(categories=CategoryProfile(("Education",), shares, {0: shares}, {}))
    assert traits_height(profile, plain) >= 220  # type: ignore[arg-type]
    box = 40 / 25.4 * 96
    assert box / traits_height(profile, listed) >= 0.8  # type: ignore[arg-type]
