"""The one preparation and the one assignment: hand-computed answers, batch independence, the fit's own X."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reportgen.analysis.cluster import segmentation
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.preparation import (
    indicator_columns,
    nearest_segments,
    prepared_matrix,
    ratio_column,
    segment_ids,
    unscaled_matrix,
)
from reportgen.config import SAMPLE_DATA, ClusterConfig, load_settings
from reportgen.model.columns import Ratio
from reportgen.model.preparation import CategoryEncoding, Preparation, SavedModel
from reportgen.period import Period
from reportgen.pipeline import loaded_table

MARKETING_TOML = """
[data]
id_column = "ID"
features = ["Income", "Recency", "MntWines", "MntFruits", "NumWebPurchases", "Dt_Customer", "Education",
            "Marital_Status"]
categorical = ["Education", "Marital_Status"]
dates = { Dt_Customer = "%d-%m-%Y" }
"""


def test_nearest_segments_hand_computed_with_ties_to_the_lowest_index() -> None:
    centroids = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    X = np.array([[0.1, 0.1], [1.9, 0.2], [0.0, 2.9], [1.0, 0.0], [-5.0, 1.5]])
    # row 3 is 1 from both centroid 0 and centroid 1: the lower index wins; row 4 ties 0 and 2 (1.5 each way)
    assert nearest_segments(X, centroids).tolist() == [0, 1, 2, 0, 0]
    assert nearest_segments(X, centroids[::-1].copy()).tolist() == [2, 1, 0, 1, 0]


def test_a_rows_segment_does_not_depend_on_its_batch() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5000, 7))
    centroids = rng.normal(size=(6, 7))
    whole = nearest_segments(X, centroids)
    assert np.array_equal(whole, nearest_segments(X, centroids, block=1))
    assert np.array_equal(whole, nearest_segments(X, centroids, block=333))
    single = [int(nearest_segments(X[i : i + 1], centroids)[0]) for i in range(0, 5000, 97)]
    assert single == whole[::97].tolist()
    assert np.bincount(whole, minlength=6).min() > 0  # every centroid is somebody's nearest: a real test


def test_missing_values_take_the_fit_median_and_ratios_are_zero_on_a_zero_denominator() -> None:
    prep = Preparation(
        inputs=("A", "B"),
        medians={"A": 5.0, "B": 2.0},
        ratios=(Ratio("A_PER_B", "A", "B", "a per b"),),
        used=("A", "A_PER_B"),
        transformed=("A",),
        categories=(),
        center=np.array([1.0, 0.5]),
        scale=np.array([2.0, 4.0]),
    )
    columns = {"A": np.array([np.nan, 3.0, -4.0]), "B": np.array([4.0, 0.0, np.nan])}
    unscaled = unscaled_matrix(columns, prep)
    # A: 5 (median), 3, -4 (log1p of a negative value: clipped to 0); A/B: 5/4, 0 (B = 0), -4/2 (B filled)
    expected = np.array([[np.log1p(5.0), 1.25], [np.log1p(3.0), 0.0], [0.0, -2.0]])
    assert np.array_equal(unscaled, expected)
    assert np.array_equal(prepared_matrix(columns, prep), (expected - prep.center) / prep.scale)
    assert ratio_column(np.array([1.0, 1.0]), np.array([np.nan, 0.0])).tolist() == [0.0, 0.0]


def test_unseen_categories_fall_into_other_or_into_no_indicator() -> None:
    grouped = CategoryEncoding("Channel", ("web", "shop", "other"), other="other")
    ungrouped = CategoryEncoding("Channel", ("web", "shop"))
    values = np.array(["shop", "phone", "web"], dtype=object)
    assert indicator_columns(values, grouped).tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert indicator_columns(values, ungrouped).tolist() == [[0, 1], [0, 0], [1, 0]]


def _case(tmp_path: Path, name: str) -> tuple[object, object]:
    if name == "sample":
        settings, path, period = load_settings(None), SAMPLE_DATA, Period(2026, 11)
    elif name == "cc_general":
        from tests.conftest import CC_GENERAL

        settings, path, period = load_settings(None), CC_GENERAL, Period(2026, 11)
    else:
        from tests.conftest import MARKETING

        config = tmp_path / "reportgen.toml"
        config.write_text(MARKETING_TOML, encoding="utf-8")
        settings, path, period = load_settings(config), MARKETING, Period(2014, 6)
    table = loaded_table(settings, path, period)
    return table, feature_matrix(table, settings.features)


@pytest.mark.parametrize("name", ["sample", "cc_general", "marketing"])
def test_the_fit_matrix_is_the_shared_preparation_of_its_own_rows(tmp_path: Path, name: str) -> None:
    table, features = _case(tmp_path, name)
    prep = features.preparation  # type: ignore[attr-defined]
    assert prep is not None
    frame = table.frame  # type: ignore[attr-defined]
    columns = {c: frame.get_column(c).to_numpy() for c in prep.columns_needed}
    assert np.array_equal(prepared_matrix(columns, prep), features.X)  # type: ignore[attr-defined]
    # a pandas batch (as Spark's mapInPandas hands it over), in pieces: the same rows, bit for bit
    pandas = frame.select(prep.columns_needed).to_pandas()
    for start in (0, 17, frame.height - 5):
        batch = pandas.iloc[start : start + 40]
        piece = prepared_matrix({c: batch[c].to_numpy() for c in prep.columns_needed}, prep)
        assert np.array_equal(piece, features.X[start : start + 40])  # type: ignore[attr-defined]
    if name == "marketing":  # gaps, dates, categories: the cases the preparation must carry
        assert prep.categories and "Dt_Customer" in prep.inputs
        assert frame.get_column("Income").null_count() > 0
        assert prep.medians["Income"] == float(frame.get_column("Income").median())


def test_the_final_assignment_is_the_shared_nearest_centroid(tmp_path: Path) -> None:
    _, features = _case(tmp_path, "sample")
    X = features.X  # type: ignore[attr-defined]
    fit = segmentation(X, 4, ClusterConfig(k=4, stability_resamples=0))
    assert np.array_equal(fit.labels, nearest_segments(X, fit.centroids))


def test_segment_ids_are_the_models_stable_ids_not_row_numbers(tmp_path: Path) -> None:
    prep = Preparation(
        inputs=("A",),
        medians={"A": 0.0},
        ratios=(),
        used=("A",),
        transformed=(),
        categories=(),
        center=np.zeros(1),
        scale=np.ones(1),
    )
    model = SavedModel(
        path=tmp_path / "model.json",
        period=Period(2026, 11),
        kind="customers",
        id_column="ID",
        rules={},
        preparation=prep,
        ids=(3, 7),  # ids kept from earlier months need not be 0..k-1
        names=("Low", "High"),
        centroids=np.array([[0.0], [10.0]]),
    )
    assert segment_ids({"A": np.array([1.0, 9.0, np.nan, 5.0])}, model).tolist() == [3, 7, 3, 3]
