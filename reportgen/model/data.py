"""The input side: the loaded table, its quality record and the feature matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reportgen.model.preparation import Preparation

if TYPE_CHECKING:  # annotations only: the render workers use these types without loading Polars
    import polars as pl


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


ID = "customer_id"  # the id column's name inside the pipeline, whatever the input calls it


@dataclass(frozen=True)
class ColumnStats:
    """Summary statistics of one input column (before imputation), for the data-quality section."""

    name: str
    count: int
    missing: int
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None
    median: float | None
    p75: float | None
    max: float | None
    zeros: int


@dataclass(frozen=True)
class Imputation:
    column: str
    method: str
    value: float
    count: int


@dataclass(frozen=True)
class LoadedTable:
    """A validated input table: the id column is `customer_id` (text), features are Float64."""

    path: Path
    sha256: str
    frame: pl.DataFrame
    features: tuple[str, ...]
    rows: int  # data rows read from the file
    kind: str = "customers"
    dropped_rows: int = 0
    notes: tuple[str, ...] = ()
    # counts of the dirty-row rules applied while loading (transaction logs), name -> rows
    rules: dict[str, int] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()  # text columns of `frame`: profiled per segment (data.categorical)
    encoded: tuple[str, ...] = ()  # the categorical columns also clustered on (listed in data.features)
    numbered: bool = False  # no id column: customer ids are data row numbers
    first_day: date | None = None  # a transaction log's first and last timestamp (the dates it covers)
    last_day: date | None = None


@dataclass(frozen=True)
class DataQuality:
    rows: int
    customers: int
    missing: dict[str, int]  # only columns with at least one gap
    imputed: dict[str, Imputation]
    dropped_rows: int
    dropped_columns: tuple[str, ...]
    notes: tuple[str, ...]
    stats: tuple[ColumnStats, ...]
    rules: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureMatrix:
    """What K-Means sees (`X`, scaled) next to the raw values it came from."""

    customer_ids: pl.Series
    raw: pl.DataFrame  # input features after imputation + engineered features, raw units
    input_features: tuple[str, ...]  # the profiled input columns (constant ones included)
    used: tuple[str, ...]  # the columns of X, in order
    engineered: tuple[str, ...]
    transformed: tuple[str, ...]  # the columns log1p was applied to
    transform: str
    X: FloatArray
    center: FloatArray
    scale: FloatArray
    quality: DataQuality
    # 0/1 columns of the categorical features (named by columns.indicator_name), after the numeric ones in X
    indicators: pl.DataFrame | None = None
    # how raw columns became X (medians, ratios, log1p, encodings, centre and scale): model.json's contract
    preparation: Preparation | None = None

    def clustered_frame(self) -> pl.DataFrame:
        """Return every column of `used` in raw units: the numeric features and the category indicators."""
        if self.indicators is None:
            return self.raw
        return self.raw.hstack(self.indicators.get_columns())
