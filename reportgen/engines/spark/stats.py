"""The statistics that feed the model, computed by Spark exactly as the local steps compute them.

- Quartiles and medians: exact, by `quantiles.exact_quantiles` (an approximate sketch only brackets the
  wanted ranks; the values are then counted exactly), interpolated as Polars' `quantile(q, "linear")`.
- Means and standard deviations: Spark's aggregates in float64 (the local ones agree to about 1e-13).
- Skewness: Spark's `skewness` is the population (biased) skewness, Polars' `skew(bias=True)`.
- Scaling: the mean and population standard deviation of each transformed column (numpy's `X.std()`).
- Categorical features: their levels, the rare ones' grouping and the indicators' centre and scale come from
  the driver table, which holds every customer (the engine checks it has as many rows as Spark), by the local
  functions themselves: counts of whole numbers and their shares are exact whoever computes them, and the
  level order (count, then text) and the grouping rule are then the local code's by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from reportgen.analysis.features import SKEW_THRESHOLD, indicator_frame, indicator_scale
from reportgen.engines.spark.quantiles import measured_quantiles
from reportgen.model import ColumnStats, Imputation, LoadedTable
from reportgen.model.columns import ENGINEERED_RATIOS
from reportgen.model.preparation import Preparation

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


@dataclass(frozen=True)
class Measured:
    """What Spark measured on every customer: the data-quality record and the model's preparation."""

    stats: tuple[ColumnStats, ...]  # per input feature, before imputation
    imputed: dict[str, Imputation]  # the columns with gaps and the median that fills them
    engineered: tuple[str, ...]  # the engineered ratios added
    constant: tuple[str, ...]  # candidate columns without variation (dropped)
    model: Preparation  # the shared preparation (model.json's), which the workers apply to raw columns
    indicators: pl.DataFrame | None = None  # the clustered categories' 0/1 columns, in driver-table order


def _q(name: str) -> str:
    return f"`{name}`"


def column_stats(frame: DataFrame, columns: tuple[str, ...]) -> tuple[ColumnStats, ...]:
    """Return the data-quality statistics of each column, exact quartiles included, in two Spark jobs."""
    from pyspark.sql import functions as F

    if not columns:
        return ()
    aggs: list[Column] = []
    for i, c in enumerate(columns):
        col = F.col(_q(c))
        aggs += [
            F.count(col).alias(f"n{i}"),
            F.sum(F.when(col.isNull(), 1).otherwise(0)).alias(f"miss{i}"),
            F.avg(col).alias(f"mean{i}"),
            F.stddev_samp(col).alias(f"std{i}"),
            F.min(col).alias(f"min{i}"),
            F.max(col).alias(f"max{i}"),
            F.sum(F.when(col == 0, 1).otherwise(0)).alias(f"zeros{i}"),
        ]
    # the counts, means and extremes ride along with the quartiles' first pass: two passes in all
    exact = measured_quantiles(frame, columns, (0.25, 0.5, 0.75), extra=aggs)
    row = exact.rows[None]
    out = []
    for i, c in enumerate(columns):
        quartiles = exact.quantiles[(None, i)]
        count = int(row[f"n{i}"])
        out.append(
            ColumnStats(
                name=c,
                count=count,
                missing=int(row[f"miss{i}"] or 0),
                mean=_num(row[f"mean{i}"]),
                std=_num(row[f"std{i}"]) if count > 1 else None,
                min=_num(row[f"min{i}"]),
                p25=_num(quartiles[0]),
                median=_num(quartiles[1]),
                p75=_num(quartiles[2]),
                max=_num(row[f"max{i}"]),
                zeros=int(row[f"zeros{i}"] or 0),
            )
        )
    return tuple(out)


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def filled(frame: DataFrame, imputed: dict[str, Imputation]) -> DataFrame:
    """Return the frame with each column's gaps filled by its median."""
    return frame.fillna({c: i.value for c, i in imputed.items()}) if imputed else frame


def preparation(
    frame: DataFrame, features: tuple[str, ...], engineer: bool, transform: str
) -> tuple[Measured, DataFrame]:
    """Return what Spark measured on every row of `frame`, and the frame filled and engineered (raw units).

    The same rules as analysis.features: each feature's gaps filled by its median; the engineered ratios
    whose inputs are present (a value column a ratio divides is read and filled as an input too); constant
    columns dropped; log1p on the non-negative columns skewed beyond SKEW_THRESHOLD; then each matrix column
    centred on its mean and divided by its population standard deviation.
    """
    from pyspark.sql import functions as F

    ratios = tuple(
        r
        for r in ENGINEERED_RATIOS
        if engineer
        and r.numerator in frame.columns
        and r.denominator in frame.columns
        and r.name not in frame.columns
    )
    extra = tuple(dict.fromkeys(c for r in ratios for c in (r.numerator, r.denominator) if c not in features))
    measured = column_stats(frame, features + extra)
    stats = measured[: len(features)]
    medians = {s.name: 0.0 if s.median is None else s.median for s in measured}
    imputed = {
        s.name: Imputation(column=s.name, method="median", value=float(s.median), count=s.missing)
        for s in stats
        if s.missing and s.median is not None
    }
    ready = filled(frame, imputed)
    engineered = tuple(r.name for r in ratios)
    for r in ratios:
        ready = ready.withColumn(r.name, _ratio(F.col(_q(r.numerator)), F.col(_q(r.denominator))))
    # the matrix's own columns: every input filled (extra ones too), as prepared_matrix fills them
    full = {c: F.coalesce(F.col(_q(c)), F.lit(medians[c])) for c in features + extra}
    for r in ratios:
        full[r.name] = _ratio(full[r.numerator], full[r.denominator])
    candidates = features + engineered
    # one job: the spread and skewness that decide which columns are used and transformed, and the moments
    # of each matrix column both as it is and after log1p (the transform is chosen from the skewness)
    aggs = []
    for i, c in enumerate(candidates):
        col, matrix = F.col(_q(c)), full[c]
        logged = F.log1p(F.greatest(matrix, F.lit(0.0)))
        aggs += [
            F.min(col).alias(f"min{i}"),
            F.max(col).alias(f"max{i}"),
            F.skewness(col).alias(f"skew{i}"),
            F.avg(matrix).alias(f"m{i}"),
            F.stddev_pop(matrix).alias(f"s{i}"),
            F.avg(logged).alias(f"lm{i}"),
            F.stddev_pop(logged).alias(f"ls{i}"),
        ]
    row = ready.agg(*aggs).first()
    assert row is not None
    spread = {c: (row[f"min{i}"], row[f"max{i}"]) for i, c in enumerate(candidates)}
    constant = tuple(c for c, (lo, hi) in spread.items() if lo is None or hi is None or not hi - lo)
    used = tuple(c for c in candidates if c not in constant)
    transformed: tuple[str, ...] = ()
    if transform == "log1p":
        transformed = tuple(
            c
            for i, c in enumerate(candidates)
            if c in used
            and (row[f"min{i}"] or 0.0) >= 0
            and row[f"skew{i}"] is not None
            and row[f"skew{i}"] > SKEW_THRESHOLD
        )
    index = {c: i for i, c in enumerate(candidates)}
    prefix = {c: "l" if c in transformed else "" for c in used}
    center = np.array([float(row[f"{prefix[c]}m{index[c]}"]) for c in used], dtype=np.float64)
    scale = np.array([float(row[f"{prefix[c]}s{index[c]}"]) for c in used], dtype=np.float64)
    scale[scale == 0] = 1.0
    model = Preparation(
        inputs=(*features, *extra),
        medians=medians,
        ratios=ratios,
        used=used,
        transformed=transformed,
        categories=(),
        center=center,
        scale=scale,
    )
    return Measured(
        stats=stats, imputed=imputed, engineered=engineered, constant=constant, model=model
    ), ready


def _ratio(numerator: Column, denominator: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(denominator.isNull() | (denominator == 0), F.lit(0.0)).otherwise(numerator / denominator)


def with_categories(measured: Measured, table: LoadedTable) -> Measured:
    """Return the preparation with the clustered categorical columns' indicators after the numeric columns.

    As analysis.features does: rare values grouped as "other", one indicator per level, each centred on its
    share and scaled so that a column's indicators carry one unit of variance; a column with a single value
    is dropped as constant.
    """
    if not table.encoded:
        return measured
    indicators, owners, encodings = indicator_frame(table.frame, table.encoded)
    constant = (*measured.constant, *(c for c in table.encoded if c not in owners))
    if not encodings:
        return replace(measured, constant=constant)
    prep = measured.model
    scale = indicator_scale(indicators, owners)
    scale[scale == 0] = 1.0
    model = replace(
        prep,
        used=(*prep.used, *indicators.columns),
        categories=encodings,
        center=np.concatenate([prep.center, indicators.to_numpy().mean(axis=0)]),
        scale=np.concatenate([prep.scale, scale]),
    )
    return replace(measured, constant=constant, model=model, indicators=indicators)
