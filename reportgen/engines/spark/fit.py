"""The model on every row with Spark: the scoring sample, Lloyd passes, the assignment, the profile aggregates.

Spark never fits K-Means itself (Spark ML's KMeans has no multiple starts: with k-means|| it lands in worse
solutions than scikit-learn's best of n_init). Instead k is chosen on the driver, on a sample that is the same
customers on both engines (the smallest sha256 keys of the ids, `analysis.cluster.id_sample_rows`), and the
sample's best centroids are refined on every row by Lloyd's algorithm: the Python workers prepare every row
once with the shared `prepared_matrix`, then each pass is one Spark job in the JVM on those numbers (each row's
nearest centroid, per-segment sums and counts), which the driver adds up. The stopping rule is scikit-learn's (`_kmeans_single_lloyd`): stop
when no row changes segment, or when the centroids move less than tol = 1e-4 x the mean column variance, at
most 300 passes; then every row goes to its nearest final centroid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reportgen.analysis.cluster import ID_HASH_DIGITS
from reportgen.analysis.preparation import nearest_segments, prepared_matrix
from reportgen.engines.spark.quantiles import exact_quantiles
from reportgen.engines.spark.read import POS
from reportgen.model import ID, FeatureStat, FloatArray
from reportgen.model.preparation import Preparation

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame

# scikit-learn's KMeans defaults, which the local refinement uses
TOL = 1e-4
MAX_ITER = 300
LABEL = "segment"


def hash_key(seed: int) -> Column:
    """Return the Spark column of each customer's sampling key (the same number as `id_hash`)."""
    from pyspark.sql import functions as F

    digest = F.sha2(F.concat(F.lit(f"{seed}:"), F.col(ID)), 256)
    return F.conv(F.substring(digest, 1, ID_HASH_DIGITS), 16, 10).cast("long")


def sample_ids(frame: DataFrame, size: int, seed: int) -> list[str]:
    """Return the ids of the `size` customers with the smallest sampling keys (ties by input order)."""
    from pyspark.sql import functions as F

    keyed = frame.select(ID, POS, hash_key(seed).alias("_key"))
    rows = keyed.orderBy(F.col("_key"), F.col(POS)).limit(size).select(ID).collect()
    return [str(r[ID]) for r in rows]


def prepared_rows(batch: pd.DataFrame, prep: Preparation) -> FloatArray:
    """Return a batch's rows as K-Means sees them, by the shared preparation (model.json's).

    The numeric inputs come as float64 with NaN for a gap, the clustered categorical columns as text.
    """
    columns: dict[str, npt.ArrayLike] = {
        c: batch[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in prep.inputs
    }
    columns.update({e.column: batch[e.column].to_numpy(dtype=object) for e in prep.categories})
    return prepared_matrix(columns, prep)


@dataclass(frozen=True)
class Refinement:
    centroids: FloatArray  # k x used, row j started from the sample's centroid j
    passes: int
    converged: bool


def prepared_frame(frame: DataFrame, prep: Preparation) -> DataFrame:
    """Return every row as K-Means sees it, columns x0..x(d-1), prepared by the shared function once."""
    d = len(prep.used)

    def prepare(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        for batch in batches:
            X = prepared_rows(batch, prep)
            yield pd.DataFrame({f"x{j}": X[:, j] for j in range(d)})

    schema = ", ".join(f"x{j} double" for j in range(d))
    return frame.select(*[f"`{c}`" for c in prep.columns_needed]).mapInPandas(prepare, schema)


def _nearest_column(centroids: FloatArray) -> Column:
    """Return the Spark column of each row's nearest centroid (squared Euclidean; the first of equals)."""
    from pyspark.sql import functions as F

    k, d = centroids.shape
    distances = [
        reduce(add, [(F.col(f"x{j}") - F.lit(float(centroids[i, j]))) ** 2 for j in range(d)])
        for i in range(k)
    ]
    label, best = F.lit(0), distances[0]
    for i in range(1, k):
        closer = distances[i] < best
        label = F.when(closer, F.lit(i)).otherwise(label)
        best = F.when(closer, distances[i]).otherwise(best)
    return label


def _pass_sums(
    X: DataFrame, current: FloatArray, previous: FloatArray | None
) -> tuple[FloatArray, FloatArray, int, FloatArray, FloatArray]:
    """Return per-segment sums and counts, the rows that changed segment, and column sums and squares:
    one Spark job in the JVM over the prepared rows."""
    from pyspark.sql import functions as F

    k, d = current.shape
    label = _nearest_column(current)
    changed = F.lit(1) if previous is None else (label != _nearest_column(previous)).cast("int")
    rows = (
        X.select(label.alias("_seg"), changed.alias("_moved"), *[F.col(f"x{j}") for j in range(d)])
        .groupBy("_seg")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum("_moved").alias("moved"),
            *[F.sum(f"x{j}").alias(f"s{j}") for j in range(d)],
            *[F.sum(F.col(f"x{j}") ** 2).alias(f"q{j}") for j in range(d)],
        )
        .collect()
    )
    sums, counts = np.zeros((k, d)), np.zeros(k)
    col_sq = np.zeros(d)
    for r in sorted(rows, key=lambda r: int(r["_seg"])):
        seg = int(r["_seg"])
        counts[seg] = float(r["n"])
        sums[seg] = [float(r[f"s{j}"]) for j in range(d)]
        col_sq += [float(r[f"q{j}"]) for j in range(d)]
    return sums, counts, int(sum(int(r["moved"]) for r in rows)), sums.sum(axis=0), col_sq


def lloyd_refinement(frame: DataFrame, prep: Preparation, start: FloatArray) -> Refinement:
    """Return the centroids of Lloyd's algorithm on every row of `frame`, started from `start`.

    An empty segment keeps its centroid (scikit-learn moves it to a far row; from a sample's best fit on
    thousands of rows a segment does not empty).
    """
    from pyspark import StorageLevel

    # the rows are prepared once, by the shared function in the Python workers; the passes then run in the
    # JVM on those numbers (a pass through Python would move every row through Arrow again)
    X = prepared_frame(frame, prep).persist(StorageLevel.MEMORY_AND_DISK)
    current = np.array(start, dtype=np.float64)
    previous: FloatArray | None = None
    tol: float | None = None
    converged = False
    passes = 0
    try:
        for passes in range(1, MAX_ITER + 1):  # noqa: B007 (the count is reported)
            sums, counts, changed, col_sum, col_sq = _pass_sums(X, current, previous)
            if tol is None:
                n = counts.sum()
                variances = col_sq / n - (col_sum / n) ** 2
                tol = float(np.mean(variances)) * TOL
            updated = current.copy()
            filled = counts > 0
            updated[filled] = sums[filled] / counts[filled, None]
            if previous is not None and changed == 0:
                current, converged = updated, True
                break
            shift = float(((updated - current) ** 2).sum())
            previous, current = current, updated
            if shift <= tol:
                converged = True
                break
    finally:
        X.unpersist()
    return Refinement(centroids=current, passes=passes, converged=converged)


def assigned(frame: DataFrame, prep: Preparation, centroids: FloatArray) -> DataFrame:
    """Return `_pos`, `customer_id` and each customer's nearest centroid (`segment`), run on the workers."""

    def label(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        import pandas as pd

        for batch in batches:
            X = prepared_rows(batch, prep)
            yield pd.DataFrame(
                {POS: batch[POS].to_numpy(), ID: batch[ID], LABEL: nearest_segments(X, centroids)}
            )

    columns = [POS, ID, *[f"`{c}`" for c in prep.columns_needed]]
    return frame.select(*columns).mapInPandas(label, f"{POS} long, {ID} string, {LABEL} long")


def profile_aggregates(
    frame: DataFrame, labels: DataFrame, columns: tuple[str, ...], k: int
) -> tuple[dict[str, float], list[dict[str, FeatureStat]]]:
    """Return the all-customer means and each segment's mean, exact median, min and max per raw column.

    `labels` holds `_pos` and the segment id (numbered as in the report) of every row of `frame`.
    """
    from pyspark.sql import functions as F

    joined = frame.join(labels, on=POS, how="inner")
    aggs = []
    for i, c in enumerate(columns):
        col = F.col(f"`{c}`")
        aggs += [
            F.sum(col).alias(f"sum{i}"),
            F.min(col).alias(f"min{i}"),
            F.max(col).alias(f"max{i}"),
        ]
    joined = joined.cache()
    per = {
        int(r[LABEL]): r for r in joined.groupBy(LABEL).agg(F.count(F.lit(1)).alias("_n"), *aggs).collect()
    }
    medians = exact_quantiles(joined, columns, (0.5,), group=LABEL)
    joined.unpersist()
    n = sum(int(r["_n"]) for r in per.values())
    totals = {c: sum(float(per[s][f"sum{i}"] or 0.0) for s in sorted(per)) for i, c in enumerate(columns)}
    overall = {c: totals[c] / max(n, 1) for c in columns}
    out: list[dict[str, FeatureStat]] = []
    for seg in range(k):
        row = per.get(seg)
        stats: dict[str, FeatureStat] = {}
        for i, c in enumerate(columns):
            size = int(row["_n"]) if row is not None else 0
            mean = float(row[f"sum{i}"]) / size if row is not None and size else 0.0
            stats[c] = FeatureStat(
                mean=mean,
                median=_median(medians.get((seg, i))),
                lift=(mean / overall[c]) if overall[c] != 0 else None,
                min=float(row[f"min{i}"]) if row is not None else None,
                max=float(row[f"max{i}"]) if row is not None else None,
            )
        out.append(stats)
    return overall, out


def _median(found: list[float | None] | None) -> float:
    value = found[0] if found else None
    return float("nan") if value is None else float(value)
