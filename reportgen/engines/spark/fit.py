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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reportgen.analysis.cluster import ID_HASH_DIGITS
from reportgen.analysis.preparation import nearest_segments, prepared_matrix
from reportgen.engines.spark.quantiles import measured_quantiles
from reportgen.engines.spark.read import POS
from reportgen.model import ID, FeatureStat, FloatArray
from reportgen.model.preparation import Preparation

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
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


def _nearest_column(distances: list[Column]) -> Column:
    """Return the Spark column of each row's nearest centroid (squared Euclidean; the first of equals).

    `distances`: the columns holding each row's distance to each centroid (see `_distances`). The first
    index whose distance equals the smallest is the one a running "strictly closer" comparison keeps.
    """
    from pyspark.sql import functions as F

    k = len(distances)
    if k == 1:
        return F.lit(0)
    best = F.least(*distances)
    label = F.when(distances[0] == best, F.lit(0))
    for i in range(1, k - 1):
        label = label.when(distances[i] == best, F.lit(i))
    return label.otherwise(F.lit(k - 1))


def _distances(centroids: FloatArray, prefix: str) -> list[Column]:
    """Return the columns of each row's squared distance to each centroid, named prefix0..prefix(k-1)."""
    from pyspark.sql import functions as F

    k, d = centroids.shape
    return [
        reduce(add, [(F.col(f"x{j}") - F.lit(float(centroids[i, j]))) ** 2 for j in range(d)]).alias(
            f"{prefix}{i}"
        )
        for i in range(k)
    ]


def _pass_sums(X: DataFrame, current: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return per-segment sums and counts, and column sums and squares: one Spark job in the JVM over the
    prepared rows."""
    from pyspark.sql import functions as F

    k, d = current.shape
    xs = [F.col(f"x{j}") for j in range(d)]
    # the distances are columns of their own first: written inline, each comparison of the nearest-centroid
    # rule would repeat its k x d arithmetic
    near = X.select(*xs, *_distances(current, "_d"))
    label = _nearest_column([F.col(f"_d{i}") for i in range(k)])
    rows = (
        near.select(label.alias("_seg"), *xs)
        .groupBy("_seg")
        .agg(
            F.count(F.lit(1)).alias("n"),
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
    return sums, counts, sums.sum(axis=0), col_sq


def lloyd_refinement(frame: DataFrame, prep: Preparation, start: FloatArray) -> Refinement:
    """Return the centroids of Lloyd's algorithm on every row of `frame`, started from `start`.

    An empty segment keeps its centroid (scikit-learn moves it to a far row; from a sample's best fit on
    thousands of rows a segment does not empty). scikit-learn also stops when no row changed segment; that
    pass's centroids are the previous pass's means of the same rows, so they move by rounding alone, far
    less than tol (which is positive: every used column varies), and the shift rule stops on the same pass
    without a second nearest-centroid search per row for the previous centroids.
    """
    from pyspark import StorageLevel

    # the rows are prepared once, by the shared function in the Python workers; the passes then run in the
    # JVM on those numbers (a pass through Python would move every row through Arrow again)
    X = prepared_frame(frame, prep).persist(StorageLevel.MEMORY_AND_DISK)
    current = np.array(start, dtype=np.float64)
    tol: float | None = None
    converged = False
    passes = 0
    try:
        for passes in range(1, MAX_ITER + 1):  # noqa: B007 (the count is reported)
            sums, counts, col_sum, col_sq = _pass_sums(X, current)
            if tol is None:
                n = counts.sum()
                variances = col_sq / n - (col_sum / n) ** 2
                tol = float(np.mean(variances)) * TOL
            updated = current.copy()
            filled = counts > 0
            updated[filled] = sums[filled] / counts[filled, None]
            shift = float(((updated - current) ** 2).sum())
            current = updated
            if shift <= tol:
                converged = True
                break
    finally:
        X.unpersist()
    return Refinement(centroids=current, passes=passes, converged=converged)


def assigned(
    frame: DataFrame, prep: Preparation, centroids: FloatArray, keep: Sequence[str] = ()
) -> DataFrame:
    """Return `_pos`, each customer's nearest centroid (`segment`) and the columns `keep` as they are.

    Run on the workers by the shared `prepared_matrix` and `nearest_segments`. The kept columns pass through
    in the same Arrow batch (missing values stay missing), so what is aggregated per segment afterwards
    needs no join of the labels back onto the rows.
    """
    import pyarrow as pa
    from pyspark.sql.types import LongType, StructField, StructType

    kept = [c for c in keep if c != POS]

    def label(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            X = prepared_rows(batch.select(list(prep.columns_needed)).to_pandas(), prep)
            columns = [batch.column(POS), pa.array(nearest_segments(X, centroids), pa.int64())]
            columns += [batch.column(c) for c in kept]
            yield pa.RecordBatch.from_arrays(columns, names=[POS, LABEL, *kept])

    fields = {f.name: f for f in frame.schema.fields}
    schema = StructType(
        [StructField(POS, LongType()), StructField(LABEL, LongType()), *[fields[c] for c in kept]]
    )
    wanted = dict.fromkeys([POS, *prep.columns_needed, *kept])
    return frame.select(*[f"`{c}`" for c in wanted]).mapInArrow(label, schema)


def profile_aggregates(
    frame: DataFrame, columns: tuple[str, ...], k: int
) -> tuple[dict[str, float], list[dict[str, FeatureStat]]]:
    """Return the all-customer means and each segment's mean, exact median, min and max per raw column.

    `frame` holds the columns and each row's segment id (`segment`, numbered as in the report): two passes,
    the sums and extremes riding along with the medians' first.
    """
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("size")]
    for i, c in enumerate(columns):
        col = F.col(f"`{c}`")
        aggs += [
            F.sum(col).alias(f"sum{i}"),
            F.min(col).alias(f"min{i}"),
            F.max(col).alias(f"max{i}"),
        ]
    measured = measured_quantiles(frame, columns, (0.5,), group=LABEL, extra=aggs)
    per = {int(g): r for g, r in measured.rows.items()}
    medians = measured.quantiles
    n = sum(int(r["size"]) for r in per.values())
    totals = {c: sum(float(per[s][f"sum{i}"] or 0.0) for s in sorted(per)) for i, c in enumerate(columns)}
    overall = {c: totals[c] / max(n, 1) for c in columns}
    out: list[dict[str, FeatureStat]] = []
    for seg in range(k):
        row = per.get(seg)
        stats: dict[str, FeatureStat] = {}
        for i, c in enumerate(columns):
            size = int(row["size"]) if row is not None else 0
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
