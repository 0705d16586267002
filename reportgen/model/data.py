"""The input side: the loaded table, its quality record and the feature matrix."""

from __future__ import annotations

import hashlib
import json
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


def table_fingerprint(frame: pl.DataFrame) -> str:
    """Return the sha256 of a loaded table's content: its column names and types, then its rows as CSV.

    Taken after loading (ids as text, numbers as Float64, categories as text, dates as days before the period
    end), so the same data gives the same fingerprint from a file or from a DataFrame.
    """
    digest = hashlib.sha256(json.dumps([[n, str(t)] for n, t in frame.schema.items()]).encode("utf-8"))
    digest.update(frame.write_csv(include_header=False).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class LoadedTable:
    """A validated input table: the id column is `customer_id` (text), features are Float64.

    `path` is the file read, or a DataFrame's name (then `sha256` is None: there is no file to hash).
    """

    path: Path
    sha256: str | None  # of the file's bytes; None for a table that came as a DataFrame
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
    name: str = ""  # what the report calls its input: the file's name, or the name given to a DataFrame
    fingerprint: str = ""  # table_fingerprint(frame) of the table as loaded, before the analysis adds columns

    @property
    def input_name(self) -> str:
        """Return the name the report gives its input (the file's name unless another was given)."""
        return self.name or self.path.name

    @property
    def is_file(self) -> bool:
        """Return whether the table was read from a file (not handed over as a DataFrame)."""
        return self.sha256 is not None


# A purchase log's columns inside the pipeline (PurchaseLog.lines), whatever the log calls them.
LOG_CUSTOMER, LOG_INVOICE, LOG_TIMESTAMP = "cust", "inv", "ts"
LOG_QUANTITY, LOG_PRICE, LOG_PRODUCT = "qty", "price", "prod"


@dataclass(frozen=True)
class PurchaseLog:
    """A purchase log as read and cleaned, before anything is added up (io's answer, analysis's input).

    `lines` holds the purchase lines no cleaning rule excluded, in the LOG_* columns: the customer and the
    invoice as stored, the timestamp (Datetime), quantity and unit price (Float64), the product if mapped.
    """

    path: Path  # the file read, or a DataFrame's name (then `sha256` is None)
    sha256: str | None
    name: str
    lines: pl.DataFrame
    keys: pl.DataFrame  # each distinct stored customer value (LOG_CUSTOMER) with its id as text (ID)
    rows: int  # data rows read
    rules: dict[str, int]  # rows excluded by each cleaning rule, in the documented order
    first_day: date  # the first and last timestamp on any row, excluded or not: what the log covers
    last_day: date
    period_end: date  # the period's last day (the month of `last_day` when no period was given)
    timestamps_read_as: tuple[str, ...]  # how the text timestamps were read, in words ("ISO 8601 dates")


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
