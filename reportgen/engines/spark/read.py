"""Read a customer table with Spark: CSV (gzip too), Parquet, a Delta folder or a Spark table name.

Spark parses the file in parallel. The driver then receives the columns the report needs, one row per
customer, and validates them with the local loader's checks, so a bad table gets the same `error:` line on
both engines (a CSV's places are named by line, as the local reader names them). The Spark frame the
statistics, the fit and the assignment run on is parsed by the same rules: trimmed text, the loader's null
tokens, numbers as float64, NaN as missing, dates as days before the period end, categories as the loader's
text, blank rows dropped.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa  # the Arrow UDFs' type hints name it (PySpark reads them at run time)

from reportgen.config import SEPARATORS, DataConfig
from reportgen.errors import InputError
from reportgen.formats import DEFAULT_LOCALE
from reportgen.io.csv_text import NULL_TOKENS, field_separator, ragged_line
from reportgen.io.dates import days_before, parsed_dates
from reportgen.io.files import detect_format, file_sha256, first_line, format_notes
from reportgen.io.load import (
    MISSING_CATEGORY,
    _check_columns,
    _extra_note,
    _required,
    category_text,
    customers_from_frame,
)
from reportgen.model import ID, LoadedTable

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

POS = "_pos"  # the data row's 0-based position in the input (file order), contiguous
# the raw text of a CSV line whose fields do not match the header (Spark's corrupt-record column)
CORRUPT = "_reportgen_corrupt_line"
_TABLE_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}")
_ROW = re.compile(r"\brow (\d+)\b")
_URL = re.compile(r"^[A-Za-z][\w+.-]+:/")  # s3a://bucket/..., hdfs://host/..., dbfs:/mnt/...


@dataclass(frozen=True)
class SparkInput:
    """The raw input as Spark reads it, with each row's position, and how its places are named."""

    frame: DataFrame
    fmt: str  # "csv" | "csv.gz" | "parquet" | "delta" | "table"
    where: str
    sha256: str
    notes: tuple[str, ...]
    # a local Parquet input's timestamp columns and their time zones (Spark reads every one as UTC)
    zones: dict[str, str] = field(default_factory=dict)


def spark_input(spark: SparkSession, source: Path, data: DataConfig) -> SparkInput:
    """Return the input table as a Spark frame (CSV cells as text) with a contiguous `_pos` column.

    `source`: a local file or folder, a URL Spark reads (s3a://, abfss://, hdfs://, dbfs:/: CSV when it ends
    in .csv or .csv.gz, else Parquet) or a table name (`db.table`).
    """
    where = remote_url(str(source))
    notes: tuple[str, ...] = ()
    digest = ""
    if _URL.match(where):
        fmt = "csv.gz" if where.endswith(".gz") else "csv" if where.endswith(".csv") else "parquet"
        line = ""
        if fmt != "parquet":
            first = _read(lambda: spark.read.text(where).first(), where)
            line = str(first[0]).lstrip("\ufeff") if first is not None else ""
        frame = _spark_frame(spark, where, fmt, line, data)
    elif source.is_dir():
        fmt = "delta" if (source / "_delta_log").is_dir() else "parquet"
        reader = spark.read.format(fmt)
        frame = _read(lambda: reader.load(where), where, parquet=fmt == "parquet")
    elif source.is_file():
        fmt = detect_format(source)
        notes = format_notes(source, fmt)
        digest = file_sha256(source)
        frame = _spark_frame(spark, where, fmt, _first_line(source, fmt) if fmt != "parquet" else "", data)
    elif _TABLE_NAME.fullmatch(where):
        fmt = "table"
        frame = _read(lambda: spark.table(where), where)
    else:
        raise InputError(f"{where}: no such file, folder or Spark table; check --data or data.path")
    renamed = frame.toDF(*[c if c == CORRUPT else c.lstrip("\ufeff").strip() for c in frame.columns])
    zones = time_zones(source) if fmt == "parquet" and source.exists() else {}
    return SparkInput(
        frame=with_positions(renamed), fmt=fmt, where=where, sha256=digest, notes=notes, zones=zones
    )


def time_zones(source: Path) -> dict[str, str]:
    """Return the time zone of each zoned timestamp column of a local Parquet file or folder.

    Spark keeps the instant and drops the zone; the local loader takes a timestamp's date in its own zone,
    so a date column is given back its zone before its date is taken (23:30 in New York is still that day).
    """
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(source) if source.is_file() else pq.ParquetDataset(source).schema
    except Exception:  # Spark read it: a schema pyarrow cannot read has no zones to give back
        return {}
    return {
        f.name.lstrip("\ufeff").strip(): str(f.type.tz)
        for f in schema
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
    }


def remote_url(text: str) -> str:
    """Return a URL as written: a Path folds "s3a://bucket" into "s3a:/bucket" (dbfs:/ has one slash)."""
    scheme = re.match(r"^([A-Za-z][\w+.-]+):/(?=[^/])", text)
    if scheme is None or scheme.group(1).lower() in ("dbfs", "file"):
        return text
    return f"{scheme.group(1)}://{text[scheme.end() :]}"


def _spark_frame(spark: SparkSession, where: str, fmt: str, line: str, data: DataConfig) -> DataFrame:
    """Return a Parquet file as Spark reads it, or a CSV with every cell as text, named by its header."""
    from pyspark.sql.types import StringType, StructField, StructType

    if fmt == "parquet":
        return _read(lambda: spark.read.parquet(where), where, parquet=True)
    if not line.strip():
        raise InputError(f"{where}: line 1 is empty; expected a header line naming the columns")
    sep = field_separator(line, set(_required(data)), data.separator, where)
    # every cell as text, named by the header: no job to infer a schema, the loader decides the types
    header = next(csv.reader([line], delimiter=sep))
    # a line with a different number of fields keeps its text in CORRUPT, which the driver table checks
    schema = StructType([StructField(name, StringType()) for name in (*header, CORRUPT)])
    # a quote inside a quoted field is doubled ("Big ""A"" store"), as the local reader and RFC 4180 read it;
    # Spark's default escape is a backslash
    reader = spark.read.options(
        header=True,
        sep=sep,
        encoding="UTF-8",
        enforceSchema=True,
        escape='"',
        columnNameOfCorruptRecord=CORRUPT,
        # a quoted field may hold a line break (a free-text note), as the local reader reads it; without
        # this Spark splits the record in two at the break (each file is then parsed by one task)
        multiLine=True,
    )
    return _read(lambda: reader.schema(schema).csv(where), where)


def _read(read: object, where: str, parquet: bool = False) -> DataFrame:
    try:
        return read()  # type: ignore[operator]
    except Exception as exc:  # Spark raises AnalysisException, Py4JJavaError, ... for unreadable input
        if parquet:  # the local loader's words
            raise InputError(
                f"{where}: unreadable or corrupt Parquet file ({first_line(exc)}); export it again"
            ) from None
        raise InputError(f"{where}: cannot read the file as a table ({first_line(exc)})") from None


def _first_line(path: Path, fmt: str) -> str:
    opener = gzip.open if fmt == "csv.gz" else open
    with opener(path, "rb") as handle:
        line = handle.readline()
    return line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")


def with_positions(frame: DataFrame, shuffled: bool = False) -> DataFrame:
    """Return the frame with `_pos`: 0..n-1 in input order, from per-partition counts (no global sort).

    `shuffled`: the frame comes out of a shuffle (a sort): it is cached first, so the partitions counted are
    the partitions numbered (adaptive execution may split a shuffle differently in each query).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    if shuffled:
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
    tagged = frame.withColumn("_part", F.spark_partition_id()).withColumn(
        "_mono", F.monotonically_increasing_id()
    )
    counts = sorted(tagged.groupBy("_part").count().collect())
    offsets, start = {}, 0
    for row in counts:
        offsets[int(row["_part"])] = start
        start += int(row["count"])
    mapping = F.create_map(*[F.lit(x) for pair in offsets.items() for x in pair]) if offsets else F.lit(None)
    # monotonically_increasing_id puts the partition id in the upper 31 bits and the row within it below
    within = F.col("_mono") - F.shiftleft(F.col("_part").cast("long"), 33)
    return tagged.withColumn(POS, (mapping[F.col("_part")] + within).cast("long")).drop("_part", "_mono")


def place_like_local(message: str, fmt: str) -> str:
    """Return a validation message with its places named as the local reader names them (CSV: by line)."""
    if not fmt.startswith("csv"):
        return message
    # the local CSV reader names a data row by its line; the header is line 1
    return _ROW.sub(lambda m: f"line {int(m.group(1)) + 1}", message)


def driver_table(
    source: SparkInput, data: DataConfig, period_end: date | None, path: Path, locale: str = DEFAULT_LOCALE
) -> LoadedTable:
    """Return the validated customer table on the driver (the local loader's checks and types)."""
    found = [c for c in source.frame.columns if c not in (POS, CORRUPT)]
    extra = _check_columns(found, data, source.where)
    needed = _required(data)
    checked = [CORRUPT] if CORRUPT in source.frame.columns else []
    arrow = source.frame.select(*needed, *checked).toArrow()  # partitions in order: rows in input order
    import polars as pl

    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    if checked:
        _refuse_ragged(frame.get_column(CORRUPT), len(found), source.where, path, data)
        frame = frame.drop(CORRUPT)
    frame = frame.with_columns(
        pl.col(c).dt.convert_time_zone(zone)
        for c, zone in source.zones.items()
        if isinstance(frame.schema.get(c), pl.Datetime)
    )
    if frame.height == 0:
        expected = "from line 2" if source.fmt.startswith("csv") else ""
        what = "a header line" if source.fmt.startswith("csv") else "columns"
        raise InputError(
            f"{source.where}: has {what} but no data rows; expected one row per customer {expected}".rstrip()
        )
    try:
        table = customers_from_frame(frame, data, source.where, period_end, locale)
    except InputError as exc:
        raise InputError(place_like_local(str(exc), source.fmt)) from None
    notes = (
        *source.notes,
        *_extra_note(extra, locale),
        *(n for n in table.notes if not n.startswith("ignored ")),
    )
    return replace(table, path=path, sha256=source.sha256 or None, notes=notes, name=path.name)


def _refuse_ragged(lines: object, width: int, where: str, path: Path, data: DataConfig) -> None:
    """Raise the local reader's error for the first CSV line with more fields than the header.

    A line with fewer fields is read with the missing ones empty, as the local reader reads it. A local
    file's line is found and named by the local reader's own function (so the message is the same); a
    remote file's by its data row.
    """
    import polars as pl

    assert isinstance(lines, pl.Series)
    corrupt = lines.drop_nulls()
    if corrupt.is_empty():
        return
    raw_first = _first_line(path, detect_format(path)) if path.is_file() else ""
    sep = field_separator(raw_first, set(_required(data)), data.separator, where) if raw_first else ","
    for row, text in zip(lines.is_not_null().arg_true().to_list(), corrupt.to_list(), strict=True):
        count = len(next(csv.reader([str(text)], delimiter=sep), []))
        if count <= width:
            continue
        if path.is_file():
            opener = gzip.open if detect_format(path) == "csv.gz" else open
            with opener(path, "rb") as handle:
                line, count = ragged_line(handle.read(), width, sep)
            place = f"line {line}"
        else:
            place = f"data row {row + 1}"
        raise InputError(
            f"{where}: {place} has {count} fields, but the header (line 1) has {width}; "
            f"expected the same number of {SEPARATORS[sep]}-separated fields on every line"
        )


def _text(column: str) -> Column:
    from pyspark.sql import functions as F

    text = F.trim(F.col(f"`{column}`").cast("string"))
    return F.when(text.isin(*NULL_TOKENS), F.lit(None)).otherwise(text)


def _number(column: str, dtype: str) -> Column:
    from pyspark.sql import functions as F

    col = F.col(f"`{column}`")
    value = (
        F.expr(f"try_cast(trim(cast(`{column}` as string)) as double)")
        if dtype == "string"
        else col.cast("double")
    )
    if dtype == "string":
        value = F.when(_text(column).isNull(), F.lit(None)).otherwise(value)
    return F.when(F.isnan(value), F.lit(None)).otherwise(value)


def spark_customers(source: SparkInput, data: DataConfig, table: LoadedTable, period_end: date) -> DataFrame:
    """Return the Spark frame of customers: `_pos`, `customer_id` (text), each numeric column (double) and
    each clustered categorical column (text).

    The rows are the driver table's rows, in the same order, parsed by the local loader's rules: a date
    column counts days before `period_end` (text parsed by the loader's own function), a categorical column
    is text normalised as the loader normalises it, and a row with nothing in any column read is dropped.
    """
    from pyspark.sql import functions as F

    types = dict(source.frame.dtypes)
    numeric = [c for c in table.features if c not in data.dates] + [
        c for c in data.value if c not in data.features and c not in data.dates
    ]
    dates = [c for c in table.features if c in data.dates]
    columns = [F.col(POS)]
    if data.id_column:
        ids = F.col(f"`{data.id_column}`")
        if types[data.id_column] in ("float", "double"):
            ids = ids.cast("long")  # the local loader reads whole-number float ids as integers
        columns.append(F.trim(ids.cast("string")).alias(ID))
    else:
        columns.append((F.col(POS) + 1).cast("string").alias(ID))
    columns += [_number(c, types[c]).alias(c) for c in dict.fromkeys(numeric)]
    columns += [_days(c, types[c], data.dates[c], period_end, source.zones.get(c)).alias(c) for c in dates]
    whole = _whole_floats(source.frame, [c for c in table.categorical if types[c] in ("float", "double")])
    columns += [_category(c, types[c], c in whole, source.zones.get(c)).alias(c) for c in table.categorical]
    frame = source.frame.select(*columns)
    # the loader's blank row: no id, no number, no date and every category missing
    blank = F.lit(True)
    for c in dict.fromkeys([*numeric, *dates]):
        blank = blank & F.col(f"`{c}`").isNull()
    for c in table.categorical:
        blank = blank & (F.col(f"`{c}`") == F.lit(MISSING_CATEGORY))
    if data.id_column:
        blank = blank & (F.col(ID).isNull() | (F.col(ID) == ""))
    # only the clustered categorical columns go on: the profiles' shares come from the driver table
    return frame.filter(~blank).drop(*[c for c in table.categorical if c not in table.encoded])


def _days(column: str, dtype: str, fmt: str, period_end: date, zone: str | None = None) -> Column:
    """Return a date column as days before the period end (double), as the local loader counts them.

    `zone`: the time zone the file gave a timestamp column; its date is taken there, else in UTC.
    """
    from pyspark.sql import functions as F

    end = F.lit(period_end)
    col = F.col(f"`{column}`")
    if dtype == "date" or dtype.startswith("timestamp"):  # the session's time zone is UTC
        stamps = F.from_utc_timestamp(col, zone) if zone and dtype == "timestamp" else col
        return F.datediff(end, F.to_date(stamps)).cast("double")
    return _days_from_text(fmt, period_end)(F.col(f"`{column}`"))


def _days_from_text(fmt: str, period_end: date) -> Any:
    """Return the Arrow UDF that parses date text with the loader's own function, a batch at a time.

    strftime formats have no exact Spark pattern (Polars' parser takes 1-digit days for %d, for one): the
    same parser on both engines gives the same day counts. The driver table has already named any cell
    that does not parse, so here such a cell cannot occur.
    """
    from pyspark.sql.functions import arrow_udf

    def days(values: pa.Array) -> pa.Array:
        import polars as pl

        series = pl.Series(values=pa.chunked_array([values]))
        return days_before(parsed_dates(series, fmt), period_end).to_arrow()

    return arrow_udf(days, "double")  # type: ignore[call-overload]  # (the stubs want a functionType)


def _whole_floats(frame: DataFrame, columns: list[str]) -> set[str]:
    """Return the float columns whose values are all whole numbers (the loader reads them as integers)."""
    from pyspark.sql import functions as F

    if not columns:
        return set()
    aggs = []
    for i, c in enumerate(columns):
        col = F.col(f"`{c}`")
        # Polars: a NaN is not whole, a null is not looked at, an all-null column is not whole
        fraction = F.when(F.isnan(col) | (col != F.round(col, 0)), 1).otherwise(0)
        aggs += [F.count(col).alias(f"n{i}"), F.sum(fraction).alias(f"f{i}")]
    row = frame.agg(*aggs).first()
    assert row is not None
    return {c for i, c in enumerate(columns) if row[f"n{i}"] and not row[f"f{i}"]}


def _category(column: str, dtype: str, whole: bool, zone: str | None = None) -> Column:
    """Return a categorical column as the loader's text: trimmed, the null tokens as MISSING_CATEGORY."""
    from pyspark.sql import functions as F

    col = F.col(f"`{column}`")
    if dtype == "string":
        # Polars' strip_chars trims Unicode white space, as Java's (?U)\s matches it (F.trim: spaces only)
        text = F.regexp_replace(col, r"(?U)^\s+|\s+\z", "")
    elif dtype in ("tinyint", "smallint", "int", "bigint", "boolean") or whole:
        # integers and booleans ("true") print as Polars prints them; whole floats as integers (1.0 -> 1)
        text = (col.cast("long") if whole else col).cast("string")
    else:  # other types (fractions, decimals, dates) through the loader's own function
        return _category_from_arrow(zone)(col)
    return F.when(text.isNull() | text.isin(*NULL_TOKENS), F.lit(MISSING_CATEGORY)).otherwise(text)


def _category_from_arrow(zone: str | None) -> Any:
    """Return the Arrow UDF that turns a batch of a categorical column into the loader's text (a timestamp
    in the file's own time zone, `zone`)."""
    from pyspark.sql.functions import arrow_udf

    def text(values: pa.Array) -> pa.Array:
        import polars as pl

        series = pl.Series(values=pa.chunked_array([values]))
        if series.dtype.is_float():  # not whole (those are cast to integers in Spark): as Polars prints them
            series = series.cast(pl.String)
        elif zone is not None and isinstance(series.dtype, pl.Datetime):
            series = series.dt.convert_time_zone(zone)
        return category_text(series).to_arrow().cast(pa.string())

    return arrow_udf(text, "string")  # type: ignore[call-overload]
