"""The Spark engine: what runs in Spark and what the driver keeps, behind reportgen.model.Engine.

In Spark (on the executors): reading and parsing the input, aggregating a purchase log per customer, the
statistics that feed the model (exact medians, means, standard deviations, skewness), the scoring sample's
choice, Lloyd's passes on every row, the nearest-centroid assignment of every customer (the shared
`prepared_matrix` and `nearest_segments`, in `mapInPandas`) and the per-segment profile aggregates.

On the driver: the validated customer table (one row per customer: the local loader's checks, and the
per-customer work of the documents: naming evidence, the segment map, categories, month-to-month matching),
the categorical features' levels and indicator scaling (the local functions on that table, which holds every
customer), choosing k on the sample with the local code, names, advice, charts and documents.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from reportgen.analysis.cluster import SCORING_SAMPLE, numbered_segmentation
from reportgen.analysis.features import constant_notes, engineered_features
from reportgen.analysis.kinds import current_period
from reportgen.analysis.preparation import prepared_matrix
from reportgen.analysis.rfm import with_rfm_scores
from reportgen.config import ClusterConfig, FeatureConfig, Settings
from reportgen.engines.spark.fit import LABEL, assigned, lloyd_refinement, profile_aggregates, sample_ids
from reportgen.engines.spark.read import POS, driver_table, spark_customers, spark_input
from reportgen.engines.spark.session import spark_failures, spark_session
from reportgen.engines.spark.stats import Measured, preparation, with_categories
from reportgen.engines.spark.transactions import spark_transactions
from reportgen.errors import InputError
from reportgen.model import (
    ID,
    Analysis,
    DataQuality,
    FeatureMatrix,
    FeatureStat,
    IntArray,
    KSelection,
    LoadedTable,
    SavedModel,
    Segmentation,
)
from reportgen.period import Period

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass
class SparkEngine:
    """The Spark side of one run: the customers' Spark frame and what was computed on it."""

    customers: DataFrame  # _pos, customer_id, the input columns (categories as text): one row per customer
    measured: Measured | None = None
    ready: DataFrame | None = None  # filled and engineered, raw units (the profiles' values)
    labels: DataFrame | None = None  # _pos, segment (numbered as in the report) and the profiles' columns
    passes: int = 0  # Lloyd passes of the final fit (0: the scoring fit was on every row)

    def feature_matrix(self, table: LoadedTable, cfg: FeatureConfig, locale: str) -> FeatureMatrix:
        """Return the prepared matrix from statistics measured by Spark, applied to the driver table."""
        with spark_failures():
            measured, self.ready = preparation(self.customers, table.features, cfg.engineered, cfg.transform)
        self.measured = with_categories(measured, table)
        return matrix_from_measured(table, cfg, self.measured, locale)

    def scoring_rows(self, features: FeatureMatrix, seed: int) -> IntArray | None:
        """Return the driver-table rows of the customers Spark chose for scoring k (smallest id keys)."""
        n = features.X.shape[0]
        if n <= SCORING_SAMPLE:
            return None
        with spark_failures():
            chosen = sample_ids(self.customers, SCORING_SAMPLE, seed)
        rows = pl.DataFrame({ID: chosen}).join(
            pl.DataFrame({ID: features.customer_ids, "_row": np.arange(n)}), on=ID, how="inner"
        )
        return np.sort(rows.get_column("_row").to_numpy()).astype(np.int64)

    def segmentation(
        self, features: FeatureMatrix, k: int, cfg: ClusterConfig, selection: KSelection, lanes: int
    ) -> Segmentation:
        """Return the final fit: the sample's best centroids refined by Lloyd passes on every row in Spark,
        then every customer assigned to the nearest in Spark."""
        from pyspark.sql import functions as F

        assert self.measured is not None
        prep = self.measured.model
        fit = selection.fits.get(k)
        if fit is None:
            raise AssertionError(f"k={k} was not scored")
        n = features.X.shape[0]
        with spark_failures():
            if selection.scored_rows < n:
                refined = lloyd_refinement(self.customers, prep, fit[1])
                self.passes, centroids = refined.passes, refined.centroids
            else:  # the candidates were fitted on every row: that fit is the final one, as on the local engine
                centroids = fit[1]
            # the profile's columns ride along with the labels (filled and engineered, as the profiles show
            # them); the labelled rows are kept for the profile aggregates
            assert self.ready is not None
            frame = assigned(self.ready, prep, centroids, features.raw.columns).cache()
            pairs = frame.select(POS, LABEL).toArrow()
        raw = _labels_in_table_order(pairs, n)
        same = selection.scored_rows == n and np.array_equal(raw, fit[0])
        seg = numbered_segmentation(features.X, raw, centroids, cfg, selection, lanes, same)
        numbering = dict(zip(raw.tolist(), seg.labels.tolist(), strict=True))
        mapping = F.create_map(*[F.lit(x) for pair in sorted(numbering.items()) for x in pair])
        self.labels = frame.withColumn(LABEL, mapping[F.col(LABEL)])
        return seg

    def segment_stats(
        self, features: FeatureMatrix, seg: Segmentation
    ) -> list[dict[str, FeatureStat]] | None:
        """Return each segment's mean, exact median, min and max per raw column, aggregated by Spark."""
        assert self.labels is not None
        with spark_failures():
            _, stats = profile_aggregates(self.labels, tuple(features.raw.columns), seg.k)
        return stats

    def extra_files(self, analysis: Analysis) -> dict[str, bytes]:
        """Return `segments/segment_id=N/part-0.parquet`: segments.csv's rows, partitioned by segment."""
        from reportgen.analysis.summary import segments_table

        return partitioned_segments(segments_table(analysis))


def _labels_in_table_order(pairs: object, n: int) -> IntArray:
    """Return the segment of each driver-table row: the rows are the Spark rows in `_pos` order."""
    import pyarrow as pa

    assert isinstance(pairs, pa.Table)
    pos = pairs.column(POS).to_numpy()
    order = np.argsort(pos, kind="stable")
    if len(pos) != n or (len(pos) > 1 and not (np.diff(pos[order]) > 0).all()):
        raise AssertionError(f"the Spark assignment has {len(pos):,} rows, not one per customer ({n:,})")
    return np.asarray(pairs.column(LABEL).to_numpy()[order], dtype=np.int64)


def partitioned_segments(table: pl.DataFrame) -> dict[str, bytes]:
    """Return the segment table as Hive-partitioned Parquet files (one per segment id), deterministic bytes."""
    files: dict[str, bytes] = {}
    for seg in sorted(table.get_column("segment_id").unique().to_list()):
        buffer = io.BytesIO()
        part = table.filter(pl.col("segment_id") == seg).drop("segment_id")
        part.write_parquet(buffer, compression="zstd", statistics=False)
        files[f"segments/segment_id={seg}/part-0.parquet"] = buffer.getvalue()
    return files


def matrix_from_measured(
    table: LoadedTable, cfg: FeatureConfig, measured: Measured, locale: str
) -> FeatureMatrix:
    """Return the FeatureMatrix of the driver table with the preparation Spark measured."""
    prep = measured.model
    frame = table.frame.with_columns(pl.col(c).fill_null(i.value) for c, i in measured.imputed.items())
    frame, engineered, table_notes = engineered_features(frame, table, cfg)
    if engineered != measured.engineered:
        raise AssertionError(f"engineered columns differ: {engineered} vs Spark's {measured.engineered}")
    notes = [*table.notes, *table_notes, *constant_notes(measured.constant, locale)]
    X = prepared_matrix({c: table.frame.get_column(c).to_numpy() for c in prep.columns_needed}, prep)
    quality = DataQuality(
        rows=table.rows,
        customers=table.frame.height,
        missing={s.name: s.missing for s in measured.stats if s.missing},
        imputed=measured.imputed,
        dropped_rows=table.dropped_rows,
        dropped_columns=measured.constant,
        notes=tuple(notes),
        stats=measured.stats,
        rules=dict(table.rules),
    )
    return FeatureMatrix(
        customer_ids=table.frame.get_column(ID),
        raw=frame.select(table.features + engineered),
        indicators=measured.indicators,
        input_features=table.features,
        used=prep.used,
        engineered=engineered,
        transformed=prep.transformed,
        transform=cfg.transform,
        X=X,
        center=prep.center,
        scale=prep.scale,
        quality=quality,
        preparation=prep,
    )


def engine_table(
    settings: Settings, source: Path | pl.DataFrame, period: Period | None, name: str | None = None
) -> tuple[LoadedTable, SparkEngine]:
    """Return the validated customer table on the driver and the Spark engine holding its Spark frame.

    `period` None: a transaction log's period is the month of its last timestamp, a customer table's the
    current month (as on the local engine). `name`: what the report calls the input (default: its name).
    """
    if not isinstance(source, Path):
        raise InputError(
            'engine.kind = "spark" reads files, folders and Spark tables (--data or data.path); a DataFrame '
            'in memory runs on the local engine (engine.kind = "local")'
        )
    spark = spark_session(settings.engine.master)
    locale = settings.report.locale
    with spark_failures():
        spark.catalog.clearCache()  # an earlier run's frames in this process (tests, notebooks)
        if settings.data.kind == "transactions":
            end = period.last_day if period is not None else None
            loaded, customers = spark_transactions(
                spark, source, settings.transactions, end, settings.data.separator, locale
            )
            table = with_rfm_scores(loaded)
        else:
            raw = spark_input(spark, source, settings.data)
            end = (period or current_period()).last_day
            table = driver_table(raw, settings.data, end, source, locale)
            customers = spark_customers(raw, settings.data, table, end).cache()
            count = customers.count()
            if count != table.frame.height:
                raise AssertionError(
                    f"Spark read {count:,} customers, the driver table has {table.frame.height:,}"
                )
    if name is not None and table.name != name:
        table = _named(table, name)
    return table, SparkEngine(customers=customers)


def _named(table: LoadedTable, name: str) -> LoadedTable:
    from dataclasses import replace

    return replace(table, name=name)


def assigned_segments(
    model: SavedModel, settings: Settings, source: Path | pl.DataFrame, label: str = "DataFrame"
) -> pl.DataFrame:
    """Return customer_id, segment_id, segment_name for a table's customers under a saved model, in Spark.

    `settings` read the table as the model's own was read (pipeline.model_read_settings); every customer is
    prepared with the model's medians, transform and scaling and given its nearest centroid by the shared
    functions, in Spark's workers. The rows come in the table's order, as on the local engine.
    """
    prep = model.preparation
    table, engine = engine_table(settings, source, model.period, None if label == "DataFrame" else label)
    absent = [c for c in prep.columns_needed if c not in engine.customers.columns]
    if absent:
        raise InputError(
            f"{table.path}: the model {model.path} was fitted on {', '.join(absent)}, which the table does not "
            f"give; use a table with the columns of the {model.period} run"
        )
    with spark_failures():
        pairs = assigned(engine.customers, prep, model.centroids).select(POS, LABEL).toArrow()
    nearest = _labels_in_table_order(pairs, table.frame.height)
    ids = pl.Series("segment_id", model.ids, dtype=pl.Int64).gather(nearest)
    names = pl.Series("segment_name", model.names, dtype=pl.String).gather(nearest)
    return pl.DataFrame([table.frame.get_column(ID), ids, names])
