"""The statistics that feed the model, computed by Spark exactly as the local steps compute them.

- Quartiles and medians: Spark's `percentile` (exact: linear interpolation between the two closest ranks,
  the same rule as Polars' `quantile(q, "linear")` and `median`), never `percentile_approx`.
- Means and standard deviations: Spark's aggregates in float64 (the local ones agree to about 1e-13).
- Skewness: Spark's `skewness` is the population (biased) skewness, Polars' `skew(bias=True)`.
- Scaling: the mean and population standard deviation of each transformed column (numpy's `X.std()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportgen.analysis.features import SKEW_THRESHOLD
from reportgen.model import ColumnStats, Imputation
from reportgen.model.columns import ENGINEERED_RATIOS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


@dataclass(frozen=True)
class Preparation:
    """What turns raw columns into the matrix K-Means sees, measured on every customer."""

    stats: tuple[ColumnStats, ...]  # per input feature, before imputation
    imputed: dict[str, Imputation]  # the columns with gaps and the median that fills them
    engineered: tuple[str, ...]  # the engineered ratios added
    constant: tuple[str, ...]  # candidate columns without variation (dropped)
    used: tuple[str, ...]  # the numeric columns of X, in order
    transformed: tuple[str, ...]  # the columns log1p is applied to
    center: tuple[float, ...]  # per used column: the mean after the transform
    scale: tuple[float, ...]  # per used column: the population standard deviation (1 where 0)


def _q(name: str) -> str:
    return f"`{name}`"


def column_stats(frame: DataFrame, columns: tuple[str, ...]) -> tuple[ColumnStats, ...]:
    """Return the data-quality statistics of each column, exact quartiles included, in one Spark job."""
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
            F.percentile(col, F.array(F.lit(0.25), F.lit(0.5), F.lit(0.75))).alias(f"q{i}"),
        ]
    row = frame.agg(*aggs).first()
    assert row is not None
    out = []
    for i, c in enumerate(columns):
        quartiles = row[f"q{i}"] or [None, None, None]
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


def engineered_columns(frame: DataFrame) -> tuple[DataFrame, tuple[str, ...]]:
    """Return the frame with every engineered ratio whose inputs are present (0 where the divisor is 0)."""
    from pyspark.sql import functions as F

    ratios = [r for r in ENGINEERED_RATIOS if r.numerator in frame.columns and r.denominator in frame.columns]
    ratios = [r for r in ratios if r.name not in frame.columns]
    for r in ratios:
        den = F.col(_q(r.denominator))
        ratio = F.when(den.isNull() | (den == 0), F.lit(0.0)).otherwise(F.col(_q(r.numerator)) / den)
        frame = frame.withColumn(r.name, ratio)
    return frame, tuple(r.name for r in ratios)


def filled(frame: DataFrame, imputed: dict[str, Imputation]) -> DataFrame:
    """Return the frame with each column's gaps filled by its median."""
    return frame.fillna({c: i.value for c, i in imputed.items()}) if imputed else frame


def preparation(
    frame: DataFrame, features: tuple[str, ...], engineer: bool, transform: str
) -> tuple[Preparation, DataFrame]:
    """Return the preparation measured on every row of `frame`, and the frame filled and engineered."""
    from pyspark.sql import functions as F

    stats = column_stats(frame, features)
    imputed = {
        s.name: Imputation(column=s.name, method="median", value=float(s.median), count=s.missing)
        for s in stats
        if s.missing and s.median is not None
    }
    ready = filled(frame, imputed)
    engineered: tuple[str, ...] = ()
    if engineer:
        ready, engineered = engineered_columns(ready)
    candidates = features + engineered
    # one job: the spread and skewness that decide which columns are used and transformed, and the moments
    # of each column both as it is and after log1p (the transform is chosen from the skewness)
    aggs = []
    for i, c in enumerate(candidates):
        col = F.col(_q(c))
        aggs += [
            F.min(col).alias(f"min{i}"),
            F.max(col).alias(f"max{i}"),
            F.skewness(col).alias(f"skew{i}"),
            F.avg(col).alias(f"m{i}"),
            F.stddev_pop(col).alias(f"s{i}"),
            F.avg(F.log1p(col)).alias(f"lm{i}"),
            F.stddev_pop(F.log1p(col)).alias(f"ls{i}"),
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
    center = tuple(float(row[f"{prefix[c]}m{index[c]}"]) for c in used)
    scale = tuple(float(row[f"{prefix[c]}s{index[c]}"]) or 1.0 for c in used)
    prep = Preparation(
        stats=stats,
        imputed=imputed,
        engineered=engineered,
        constant=constant,
        used=used,
        transformed=transformed,
        center=center,
        scale=scale,
    )
    return prep, ready
