"""Preparation: data-quality statistics, median imputation, engineered ratios, log1p, standard scaling."""

from __future__ import annotations

import numpy as np
import polars as pl

from reportgen.config import FeatureConfig
from reportgen.model import ID, ColumnStats, DataQuality, FeatureMatrix, Imputation, LoadedTable
from reportgen.model.columns import ENGINEERED_RATIOS

# A column is "skewed" (and gets log1p) when it is non-negative and its sample skewness exceeds this.
SKEW_THRESHOLD = 1.0


def column_stats(frame: pl.DataFrame, columns: tuple[str, ...]) -> tuple[ColumnStats, ...]:
    """Return summary statistics per column, computed before any imputation."""
    if not columns:
        return ()
    aggs: list[pl.Expr] = []
    quantiles: list[pl.Expr] = []
    for c in columns:
        col = pl.col(c)
        aggs += [
            col.count().alias(f"{c}|count"),
            col.null_count().alias(f"{c}|missing"),
            col.mean().alias(f"{c}|mean"),
            col.std(ddof=1).alias(f"{c}|std"),
            col.min().alias(f"{c}|min"),
            col.max().alias(f"{c}|max"),
            (col == 0).sum().alias(f"{c}|zeros"),
        ]
        quantiles += [
            col.quantile(0.25, "linear").alias(f"{c}|p25"),
            col.median().alias(f"{c}|median"),
            col.quantile(0.75, "linear").alias(f"{c}|p75"),
        ]
    row = frame.select(aggs).row(0, named=True)
    # Each quantile sorts its column unless the column is already sorted: sort once, then read all three
    # (the same exact values, 2.5x faster on a million rows).
    row.update(frame.select(pl.col(c).sort() for c in columns).select(quantiles).row(0, named=True))

    def num(c: str, stat: str) -> float | None:
        v = row[f"{c}|{stat}"]
        return None if v is None else float(v)

    return tuple(
        ColumnStats(
            name=c,
            count=int(row[f"{c}|count"]),
            missing=int(row[f"{c}|missing"]),
            mean=num(c, "mean"),
            std=num(c, "std"),
            min=num(c, "min"),
            p25=num(c, "p25"),
            median=num(c, "median"),
            p75=num(c, "p75"),
            max=num(c, "max"),
            zeros=int(row[f"{c}|zeros"] or 0),
        )
        for c in columns
    )


def imputed_frame(
    frame: pl.DataFrame, columns: tuple[str, ...]
) -> tuple[pl.DataFrame, dict[str, Imputation]]:
    """Return the frame with each column's gaps filled by its median, and what was filled."""
    missing = frame.select(pl.col(c).null_count() for c in columns).row(0)
    gaps = {c: int(n) for c, n in zip(columns, missing, strict=True) if n}
    if not gaps:
        return frame, {}
    medians = frame.select(pl.col(c).median() for c in gaps).row(0)
    record = {
        c: Imputation(column=c, method="median", value=float(m), count=gaps[c])
        for c, m in zip(gaps, medians, strict=True)
    }
    filled = frame.with_columns(pl.col(c).fill_null(record[c].value) for c in gaps)
    return filled, record


def engineered_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Return the frame with every engineered ratio whose inputs are present, and their names."""
    ratios = [r for r in ENGINEERED_RATIOS if r.numerator in frame.columns and r.denominator in frame.columns]
    ratios = [r for r in ratios if r.name not in frame.columns]
    exprs = [
        pl.when(pl.col(r.denominator).is_null() | (pl.col(r.denominator) == 0))
        .then(0.0)
        .otherwise(pl.col(r.numerator) / pl.col(r.denominator))
        .alias(r.name)
        for r in ratios
    ]
    return frame.with_columns(exprs), tuple(r.name for r in ratios)


def skewed_columns(frame: pl.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Return the non-negative columns whose sample skewness exceeds SKEW_THRESHOLD."""
    if not columns:
        return ()
    row = frame.select(
        [pl.col(c).skew(bias=True).alias(f"{c}|skew") for c in columns]
        + [pl.col(c).min().alias(f"{c}|min") for c in columns]
    ).row(0, named=True)
    return tuple(
        c
        for c in columns
        if (row[f"{c}|min"] or 0.0) >= 0
        and row[f"{c}|skew"] is not None
        and row[f"{c}|skew"] > SKEW_THRESHOLD
    )


def feature_matrix(table: LoadedTable, cfg: FeatureConfig) -> FeatureMatrix:
    """Return the scaled matrix K-Means sees, with the raw values and the data-quality record."""
    inputs = table.features
    stats = column_stats(table.frame, inputs)
    filled, imputations = imputed_frame(table.frame, inputs)
    engineered: tuple[str, ...] = ()
    if cfg.engineered:
        filled, engineered = engineered_frame(filled)

    candidates = inputs + engineered
    spread = filled.select((pl.col(c).max() - pl.col(c).min()).alias(c) for c in candidates).row(0)
    constant = tuple(c for c, s in zip(candidates, spread, strict=True) if not s)
    used = tuple(c for c in candidates if c not in constant)
    notes = list(table.notes)
    if constant:
        notes.append(
            f"Dropped {len(constant)} constant column{'s' if len(constant) > 1 else ''} "
            f"from clustering (no variation): {', '.join(constant)}."
        )
    transformed = skewed_columns(filled, used) if cfg.transform == "log1p" else ()
    model_input = filled.select(pl.col(c).log1p() if c in transformed else pl.col(c) for c in used)
    X = np.ascontiguousarray(model_input.to_numpy(order="c", writable=True), dtype=np.float64)
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    X -= center
    X /= scale

    quality = DataQuality(
        rows=table.rows,
        customers=table.frame.height,
        missing={s.name: s.missing for s in stats if s.missing},
        imputed=imputations,
        dropped_rows=table.dropped_rows,
        dropped_columns=constant,
        notes=tuple(notes),
        stats=stats,
        rules=dict(table.rules),
    )
    return FeatureMatrix(
        customer_ids=table.frame.get_column(ID),
        raw=filled.select(candidates),
        input_features=inputs,
        used=used,
        engineered=engineered,
        transformed=transformed,
        transform=cfg.transform,
        X=X,
        center=center,
        scale=scale,
        quality=quality,
    )
