"""Exact quantiles in Spark without sorting a column or holding it in memory.

Spark's exact `percentile` keeps every distinct value of a column in a hash map (minutes on a million rows
and seventeen columns); `percentile_approx` is approximate. This module finds the exact order statistics in
three small jobs: (1) the count and an approximate quantile a little below and above each wanted one
(Greenwald-Khanna, rank error at most n / ACCURACY), (2) how many values lie below each lower bound, (3) the
distinct values between the bounds with their counts (a few hundred rows). The driver then walks those counts
to the wanted ranks and interpolates as Polars does (`quantile(q, "linear")`): index q x (n - 1), value
lower + (upper - lower) x (index - floor(index)). Should a bound miss (it cannot, by the sketch's guarantee),
the column falls back to Spark's exact `percentile`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

ACCURACY = 10_000  # percentile_approx's accuracy: rank error at most n / ACCURACY
MARGIN = 3.0 / ACCURACY  # how far below and above each wanted quantile the bounds are taken

Key = tuple[Any, int]  # (group value or None, column index)


def linear(lower: float, upper: float, index: float) -> float:
    """Return Polars' linear interpolation between the values at floor(index) and ceil(index)."""
    if lower == upper or index == math.floor(index):
        return lower
    return lower + (upper - lower) * (index - math.floor(index))


def exact_quantiles(
    frame: DataFrame, columns: Sequence[str], qs: Sequence[float], group: str | None = None
) -> dict[Key, list[float | None]]:
    """Return, per (group, column index), the exact quantiles `qs` of the column's non-missing values."""
    from pyspark.sql import functions as F

    keys = [F.col(group)] if group else []
    cols = [F.col(f"`{c}`") for c in columns]
    bounds = sorted({max(0.0, q - MARGIN) for q in qs} | {min(1.0, q + MARGIN) for q in qs})
    first = _rows(
        frame,
        keys,
        [F.count(c).alias(f"n{i}") for i, c in enumerate(cols)]
        + [
            F.percentile_approx(c, F.array(*map(F.lit, bounds)), ACCURACY).alias(f"a{i}")
            for i, c in enumerate(cols)
        ],
        group,
    )
    # per (group, column, quantile): the bracket [lo, hi] around the wanted ranks
    brackets: dict[tuple[Any, int, int], tuple[float, float]] = {}
    for g, row in first.items():
        for i in range(len(cols)):
            approx = dict(zip(bounds, row[f"a{i}"] or [], strict=False))
            for j, q in enumerate(qs):
                lo, hi = approx.get(max(0.0, q - MARGIN)), approx.get(min(1.0, q + MARGIN))
                if lo is not None and hi is not None:
                    brackets[(g, i, j)] = (float(lo), float(hi))

    def bound(i: int, j: int, side: int) -> Column:
        values = {g: brackets[(g, i, j)][side] for g in first if (g, i, j) in brackets}
        if group is None:
            return F.lit(values.get(None))
        pairs = [x for g, v in values.items() for x in (F.lit(g), F.lit(v))]
        return F.create_map(*pairs)[F.col(group)] if pairs else F.lit(None)

    below_aggs = [
        F.sum(F.when(c < bound(i, j, 0), 1).otherwise(0)).alias(f"b{i}_{j}")
        for i, c in enumerate(cols)
        for j in range(len(qs))
    ]
    below = _rows(frame, keys, below_aggs, group)
    inside = [
        F.when(
            reduce(or_, [(c >= bound(i, j, 0)) & (c <= bound(i, j, 1)) for j in range(len(qs))]),
            F.struct(F.lit(i).alias("i"), c.alias("v")),
        )
        for i, c in enumerate(cols)
    ]
    long = frame.select(*keys, F.explode(F.array(*inside)).alias("e")).where(F.col("e").isNotNull())
    counts: dict[Key, list[tuple[float, int]]] = {}
    for r in long.groupBy(*keys, F.col("e.i").alias("i"), F.col("e.v").alias("v")).count().collect():
        counts.setdefault((r[group] if group else None, int(r["i"])), []).append(
            (float(r["v"]), int(r["count"]))
        )
    out: dict[Key, list[float | None]] = {}
    missing: list[Key] = []
    for g, row in first.items():
        for i in range(len(cols)):
            n = int(row[f"n{i}"])
            found: list[float | None] = []
            for j, q in enumerate(qs):
                lo = brackets.get((g, i, j), (math.inf, math.inf))[0]
                values = [
                    (v, c) for v, c in sorted(counts.get((g, i), [])) if v >= lo
                ]  # this bracket onwards
                value = _at(values, int(below[g][f"b{i}_{j}"] or 0), n, q)
                found.append(value)
            if n and any(v is None for v in found):
                missing.append((g, i))
            out[(g, i)] = found if n else [None] * len(qs)
    for g, i in missing:  # a bound missed the wanted rank: Spark's exact percentile for this column
        where = frame if group is None else frame.where(F.col(group) == g)
        exact = where.agg(F.percentile(cols[i], F.array(*map(F.lit, qs)))).first()
        out[(g, i)] = (
            [float(v) for v in exact[0]] if exact is not None and exact[0] is not None else [None] * len(qs)
        )
    return out


def _rows(frame: DataFrame, keys: list[Column], aggs: list[Column], group: str | None) -> dict[Any, Any]:
    rows = frame.groupBy(*keys).agg(*aggs).collect() if keys else [frame.agg(*aggs).first()]
    return {(r[group] if group else None): r for r in rows if r is not None}


def _at(histogram: list[tuple[float, int]], below: int, n: int, q: float) -> float | None:
    """Return the interpolated quantile from the counts of the values from a bracket's lower bound on
    (`below` values lie under it), or None if the bracket misses the wanted ranks."""
    if n == 0:
        return None
    index = q * (n - 1)
    ranks = (math.floor(index), math.ceil(index))
    values: list[float | None] = [None, None]
    seen = below
    for value, count in histogram:
        for k, rank in enumerate(ranks):
            if values[k] is None and seen <= rank < seen + count:
                values[k] = value
        seen += count
    if values[0] is None or values[1] is None or below > ranks[0]:
        return None
    return linear(values[0], values[1], index)
