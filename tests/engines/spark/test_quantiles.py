"""Exact quantiles in Spark: Polars' linear quantiles, bit for bit, with gaps, ties and groups."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from reportgen.engines.spark.quantiles import exact_quantiles, linear

pytestmark = pytest.mark.spark


def test_linear_interpolates_as_polars() -> None:
    assert linear(1.0, 2.0, 3.25) == 1.25 and linear(4.0, 4.0, 2.5) == 4.0 and linear(1.0, 9.0, 2.0) == 1.0
    s = pl.Series([1.0, 2.0, 4.0, 10.0])
    assert linear(1.0, 2.0, 0.75) == s.quantile(0.25, "linear")


def test_quartiles_and_group_medians_equal_polars(spark: Any) -> None:
    rng = np.random.default_rng(1)
    n = 30_000
    frame = pl.DataFrame(
        {
            "skewed": rng.lognormal(size=n),
            "mostly_zero": np.where(rng.random(n) < 0.6, 0.0, rng.random(n)),
            "codes": rng.integers(0, 5, n).astype(float),
            "group": rng.integers(0, 4, n),
        }
    ).with_columns(pl.when(pl.col("skewed") > 3).then(None).otherwise(pl.col("skewed")).alias("skewed"))
    columns = ["skewed", "mostly_zero", "codes"]
    on_spark = spark.createDataFrame(frame.to_pandas())
    found = exact_quantiles(on_spark, columns, (0.25, 0.5, 0.75))
    for i, c in enumerate(columns):
        values = frame.get_column(c).drop_nulls()
        assert found[(None, i)] == [values.quantile(q, "linear") for q in (0.25, 0.5, 0.75)]
    medians = exact_quantiles(on_spark, columns, (0.5,), group="group")
    for g in range(4):
        part = frame.filter(pl.col("group") == g)
        for i, c in enumerate(columns):
            assert medians[(g, i)] == [part.get_column(c).drop_nulls().median()]


def test_a_bracket_that_misses_its_rank_falls_back_to_the_exact_percentile(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen.engines.spark import quantiles

    rng = np.random.default_rng(2)
    frame = pl.DataFrame({"x": rng.normal(size=40_000), "group": rng.integers(0, 3, 40_000)})
    on_spark = spark.createDataFrame(frame.to_pandas())
    # no margin: each bracket is the sketch's one approximate value, which is rarely the exact one
    monkeypatch.setattr(quantiles, "MARGIN", 0.0)
    calls: list[int] = []
    measured = quantiles._at

    def counted(*args: Any) -> float | None:
        found = measured(*args)
        calls.append(found is None)
        return found

    monkeypatch.setattr(quantiles, "_at", counted)
    found = exact_quantiles(on_spark, ["x"], (0.25, 0.5, 0.75), group="group")
    assert any(calls)  # some bracket missed ...
    for g in range(3):  # ... and the answer is exact all the same
        values = frame.filter(pl.col("group") == g).get_column("x")
        assert found[(g, 0)] == [values.quantile(q, "linear") for q in (0.25, 0.5, 0.75)]


def test_the_callers_aggregates_come_from_the_quantiles_first_pass(spark: Any) -> None:
    from pyspark.sql import functions as F

    from reportgen.engines.spark.quantiles import measured_quantiles

    frame = pl.DataFrame({"x": [1.0, 2.0, None, 4.0, 8.0, 8.0], "group": [0, 0, 0, 1, 1, 1]})
    on_spark = spark.createDataFrame(frame.to_pandas())
    measured = measured_quantiles(on_spark, ["x"], (0.5,), "group", [F.sum("x").alias("total")])
    assert {g: row["total"] for g, row in measured.rows.items()} == {0: 3.0, 1: 20.0}
    assert measured.quantiles == {(0, 0): [1.5], (1, 0): [8.0]}
