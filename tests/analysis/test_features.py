"""Preparation: statistics, median imputation, engineered ratios, log1p rule, scaling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from reportgen.analysis.features import (
    column_stats,
    constant_notes,
    engineered_features,
    engineered_frame,
    feature_matrix,
    imputed_frame,
    skewed_columns,
)
from reportgen.config import FeatureConfig
from reportgen.model import ID, LoadedTable


def _table(frame: pl.DataFrame, features: tuple[str, ...]) -> LoadedTable:
    ids = pl.Series(ID, [f"c{i}" for i in range(frame.height)])
    return LoadedTable(
        path=Path("t.csv"),
        sha256="0",
        frame=frame.insert_column(0, ids),
        features=features,
        rows=frame.height,
    )


def test_median_imputation_is_recorded_and_does_not_touch_the_input() -> None:
    frame = pl.DataFrame({"a": [1.0, None, 3.0, 10.0], "b": [1.0, 2.0, 3.0, 4.0]})
    filled, record = imputed_frame(frame, ("a", "b"))
    assert filled["a"].to_list() == [1.0, 3.0, 3.0, 10.0]
    assert record["a"].value == 3.0 and record["a"].count == 1 and record["a"].method == "median"
    assert "b" not in record
    assert frame["a"].null_count() == 1  # pure: the argument is unchanged


def test_engineered_ratios_guard_division_by_zero() -> None:
    frame = pl.DataFrame(
        {
            "PURCHASES": [100.0, 0.0],
            "INSTALLMENTS_PURCHASES": [25.0, 0.0],
            "PURCHASES_TRX": [4.0, 0.0],
            "TENURE": [10.0, 12.0],
        }
    )
    out, names = engineered_frame(frame)
    assert set(names) == {"MONTHLY_PURCHASES", "INSTALLMENT_SHARE", "AVG_PURCHASE_VALUE"}
    assert out["INSTALLMENT_SHARE"].to_list() == [0.25, 0.0]
    assert out["AVG_PURCHASE_VALUE"].to_list() == [25.0, 0.0]
    assert out["MONTHLY_PURCHASES"].to_list() == [10.0, 0.0]


def test_log1p_goes_to_skewed_non_negative_columns_only() -> None:
    rng = np.random.default_rng(0)
    skewed = rng.lognormal(3, 1.5, 500)
    symmetric = rng.normal(50, 5, 500)
    signed = skewed - 1000
    values = np.column_stack([skewed, symmetric, signed])
    frame = pl.DataFrame(values, schema=["skewed", "symmetric", "signed"], orient="row")
    assert skewed_columns(frame, ("skewed", "symmetric", "signed")) == ("skewed",)


def test_feature_matrix_scales_drops_constants_and_keeps_raw_units() -> None:
    rng = np.random.default_rng(1)
    frame = pl.DataFrame(
        {"amount": rng.lognormal(5, 1, 200), "flat": np.full(200, 7.0), "score": rng.normal(0, 1, 200)}
    )
    fm = feature_matrix(
        _table(frame, ("amount", "flat", "score")), FeatureConfig(engineered=True, transform="log1p")
    )
    assert fm.used == ("amount", "score")
    assert fm.quality.dropped_columns == ("flat",)
    assert any("flat" in note for note in fm.quality.notes)
    assert fm.transformed == ("amount",)
    assert np.allclose(fm.X.mean(axis=0), 0.0) and np.allclose(fm.X.std(axis=0), 1.0)
    assert fm.raw["amount"].to_list() == frame["amount"].to_list()  # profiles stay in raw units
    assert fm.engineered == ()  # none of the credit-card ratio inputs are present


def test_column_stats_before_imputation() -> None:
    frame = pl.DataFrame({"x": [0.0, 2.0, None, 4.0]})
    (s,) = column_stats(frame, ("x",))
    assert (s.count, s.missing, s.zeros) == (3, 1, 1)
    assert s.mean == pytest.approx(2.0) and s.median == 2.0 and s.max == 4.0


def test_real_table_quality_record(cc_path: Path) -> None:
    from reportgen.config import DataConfig
    from reportgen.io.load import load_customers

    fm = feature_matrix(load_customers(cc_path, DataConfig()), FeatureConfig())
    assert fm.quality.missing == {"CREDIT_LIMIT": 1, "MINIMUM_PAYMENTS": 313}
    assert fm.quality.imputed["MINIMUM_PAYMENTS"].value == pytest.approx(312.3439, abs=1e-3)
    assert fm.X.shape == (8950, 17 + 7) and not np.isnan(fm.X).any()


def test_categorical_feature_carries_one_unit_of_variance() -> None:
    # a 4-value category next to two numeric columns: its indicators together weigh what one column does
    rng = np.random.default_rng(0)
    n = 400
    frame = pl.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "G": rng.choice(["w", "x", "y", "z"], size=n, p=[0.4, 0.3, 0.2, 0.1]).tolist(),
        }
    )
    ids = pl.Series(ID, [f"c{i}" for i in range(n)])
    table = LoadedTable(
        path=Path("t.csv"),
        sha256="0",
        frame=frame.insert_column(0, ids),
        features=("a", "b"),
        rows=n,
        categorical=("G",),
        encoded=("G",),
    )
    fm = feature_matrix(table, FeatureConfig(transform="none"))
    assert fm.used == ("a", "b", "G=w", "G=x", "G=y", "G=z")
    variance = fm.X.var(axis=0)
    assert variance[:2] == pytest.approx([1.0, 1.0])
    assert variance[2:].sum() == pytest.approx(1.0)
    assert fm.clustered_frame().columns == list(fm.used)
    assert "G" not in fm.raw.columns  # profiled as shares, never averaged


def test_coded_integers_and_missing_ratios_are_noted() -> None:
    frame = pl.DataFrame(
        {"Channel": [1.0, 2.0, 1.0, 2.0], "Spend": [1.0, 5.5, 3.0, 8.0], "Flag": [0.0, 1.0, 0.0, 1.0]}
    )
    fm = feature_matrix(_table(frame, ("Channel", "Spend", "Flag")), FeatureConfig())
    notes = fm.quality.notes
    assert sum("Channel holds only 2 distinct whole numbers (1, 2)" in n for n in notes) == 1
    assert not any(n.startswith(("Spend", "Flag")) for n in notes)  # amounts and 0/1 flags are fine
    assert sum("No engineered features" in n for n in notes) == 1


def test_a_known_measure_with_few_values_in_a_small_extract_is_no_code() -> None:
    # F35: 28 card customers whose TENURE (months) happens to take 3 values: a measure, not a channel code
    frame = pl.DataFrame({"TENURE": [12.0, 11.0, 6.0, 12.0] * 7, "Region": [1.0, 2.0, 3.0, 1.0] * 7})
    fm = feature_matrix(_table(frame, ("TENURE", "Region")), FeatureConfig(engineered=False))
    assert not any(n.startswith("TENURE") for n in fm.quality.notes)
    assert sum(n.startswith("Region holds only 3 distinct whole numbers") for n in fm.quality.notes) == 1


def test_engineered_features_and_their_notes_are_one_step_for_both_engines() -> None:
    frame = pl.DataFrame({"Channel": [1.0, 2.0, 1.0, 2.0], "Spend": [1.0, 5.5, 3.0, 8.0]})
    table = _table(frame, ("Channel", "Spend"))
    out, engineered, notes = engineered_features(table.frame, table, FeatureConfig())
    assert engineered == () and out.columns == table.frame.columns
    assert notes[0].startswith("No engineered features: the ratios") and "credit-card" not in notes[0]
    assert notes[1].startswith("Channel holds only 2 distinct whole numbers")
    assert engineered_features(table.frame, table, FeatureConfig(engineered=False))[2] == notes[1:]
    assert constant_notes(()) == [] and constant_notes(("a", "b")) == [
        "Dropped 2 constant columns from clustering (no variation): a, b."
    ]
