"""A purchase log on Spark: the local reader's rules, its parsing run in Spark's Python workers.

Each worker turns its Arrow batch of raw cells into typed values with the local reader's own Polars
expressions (numbers, timestamps by the documented formats and fallbacks, customer ids normalised, the
cancellation flag and the first cleaning rule that excludes the row), so both engines read every cell alike.
Spark then counts the rules, finds the first bad cell for the `error:` line, and aggregates the kept lines to
one row of behaviour features per customer (sums of money rounded to a millionth, distinct purchase invoices
and products, first and last purchase), sorted by customer id as the local table is. RFM scores are ranks over
every customer: they are computed on the driver, on the collected customer table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from reportgen.analysis.purchase_notes import log_notes, period_note
from reportgen.analysis.purchases import _MONEY_DECIMALS, FEATURES, cancellation
from reportgen.config import TransactionConfig
from reportgen.engines.spark.read import POS, with_positions
from reportgen.errors import InputError
from reportgen.formats import DEFAULT_LOCALE
from reportgen.io.files import file_sha256
from reportgen.io.transactions import (
    _CUST,
    _EXCLUDING_RULES,
    _FORMAT_NAMES,
    _INV,
    _PRICE,
    _PROD,
    _QTY,
    _TS,
    TIMESTAMP_FORMATS,
    _bad_number,
    _customer_keys,
    _file_format,
    _log_separator,
    _main_timestamp_format,
    _mapped_columns,
    _native,
    _number_expr,
    _parse,
    _row_name,
    _rule_summary,
    _text_expr,
    _timestamp_expr,
    unread_timestamp,
)
from reportgen.model import ID, LoadedTable
from reportgen.model.data import table_fingerprint
from reportgen.period import period_of

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

_SAMPLE = 2000  # the first values that choose the main timestamp format (as the local reader)
# the worker's output: one typed row per purchase line
_PARSED = (
    f"{POS} long, {ID} string, {_INV} string, {_TS} timestamp_ntz, {_QTY} double, {_PRICE} double, "
    f"{_PROD} string, sale boolean, rule byte, bad_{_QTY} boolean, bad_{_PRICE} boolean, unread_ts boolean, "
    "fmt byte"
)


def parsed_batch(
    batch: pl.DataFrame, columns: dict[str, str], main: str | None, fixed: str, end: datetime, where: str
) -> pl.DataFrame:
    """Return the typed purchase lines of one batch of raw cells (the columns of _PARSED)."""
    schema = batch.schema
    ts_col = pl.col(columns[_TS])
    stamp = _timestamp_expr(ts_col, schema[columns[_TS]], main, columns[_TS], where)
    text_ts = schema[columns[_TS]] == pl.String
    exprs = [
        pl.col(POS),
        _native(pl.col(columns[_CUST]), schema[columns[_CUST]]).alias(_CUST),
        _native(pl.col(columns[_INV]), schema[columns[_INV]]).alias(_INV),
        stamp.alias(_TS),
        (stamp.is_null() & ts_col.is_not_null() if text_ts else pl.lit(False)).alias("bad_ts"),
    ]
    for internal in (_QTY, _PRICE):
        column = columns[internal]
        exprs.append(_number_expr(pl.col(column), schema[column], column, where).alias(internal))
        flag = _bad_number(pl.col(column)) if schema[column] == pl.String else pl.lit(False)
        exprs.append(flag.alias(f"bad_{internal}"))
    if _PROD in columns:
        exprs.append(_native(pl.col(columns[_PROD]), schema[columns[_PROD]]).alias(_PROD))
    else:
        exprs.append(pl.lit(None, dtype=pl.String).alias(_PROD))
    lines = batch.select(exprs)
    stamps, fmt = _fallback(lines, batch.get_column(columns[_TS]), fixed)
    lines = lines.with_columns(stamps, fmt, unread_ts=pl.col("bad_ts") & stamps.is_null())
    keys = _customer_keys(lines.get_column(_CUST))
    lines = lines.join(keys, on=_CUST, how="left")
    cancel = cancellation(schema[columns[_INV]] == pl.String)  # the spend rule's one definition
    conditions = [
        pl.col(ID).is_null(),
        pl.any_horizontal(pl.col(_INV, _TS, _QTY, _PRICE).is_null()),
        pl.col(_PRICE) <= 0,
        pl.col(_QTY) == 0,
        pl.col(_TS) > end,
    ]
    rule = pl.lit(0, dtype=pl.Int8)
    for i, condition in reversed(list(enumerate(conditions, start=1))):  # the first rule that applies wins
        rule = pl.when(condition.fill_null(False)).then(pl.lit(i, dtype=pl.Int8)).otherwise(rule)
    return lines.select(
        pl.col(POS).cast(pl.Int64),
        pl.col(ID),
        pl.col(_INV).cast(pl.String),
        pl.col(_TS).cast(pl.Datetime("us")),
        pl.col(_QTY),
        pl.col(_PRICE),
        pl.col(_PROD).cast(pl.String),
        (~cancel).fill_null(True).alias("sale"),
        rule.alias("rule"),
        pl.col(f"bad_{_QTY}"),
        pl.col(f"bad_{_PRICE}"),
        pl.col("unread_ts"),
        pl.col("fmt").cast(pl.Int8),
    )


def _fallback(lines: pl.DataFrame, raw: pl.Series, fixed: str) -> tuple[pl.Series, pl.Series]:
    """Return the timestamps with the rows the main format missed read by the documented fallbacks, and
    per row the index of the fallback format that read it (-1: the main format, or none)."""
    failed = lines.get_column("bad_ts")
    parsed = lines.get_column(_TS)
    fmt = pl.Series("fmt", [-1] * lines.height, dtype=pl.Int8)
    if not failed.any():
        return parsed, fmt
    idx = failed.arg_true()
    text = pl.select(
        _text_expr(pl.lit(raw.gather(idx).cast(pl.String)), pl.String()).str.replace(
            r"(?:Z|[+-]\d{2}:?\d{2})$", ""
        )
    ).to_series()
    result = pl.Series(_TS, [None] * len(text), dtype=pl.Datetime("us"))
    which = pl.Series("fmt", [-1] * len(text), dtype=pl.Int8)
    formats = (fixed,) if fixed else TIMESTAMP_FORMATS
    for i, f in enumerate(formats):
        attempt = _parse(text, f)
        new = result.is_null() & attempt.is_not_null()
        which = pl.select(
            pl.when(pl.lit(new)).then(pl.lit(i, dtype=pl.Int8)).otherwise(pl.lit(which))
        ).to_series()
        result = result.fill_null(attempt)
    return parsed.scatter(idx, result).alias(_TS), fmt.scatter(idx, which).alias("fmt")


def _worker(
    columns: dict[str, str], main: str | None, fixed: str, end: datetime, where: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield from parsed_batch(frame, columns, main, fixed, end, where).to_arrow().to_batches()

    return parse


def _empty_frame(frame: DataFrame) -> pl.DataFrame:
    out = pl.from_arrow(frame.limit(0).toArrow())
    assert isinstance(out, pl.DataFrame)
    return out


def spark_transactions(
    spark: SparkSession,
    path: Path,
    tx: TransactionConfig,
    period_end: date | None,
    separator: str = "auto",
    locale: str = DEFAULT_LOCALE,
) -> tuple[LoadedTable, DataFrame]:
    """Return the per-customer table on the driver (as the local reader gives it) and its Spark frame."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    where = str(path)
    kind = "parquet" if path.is_dir() else _file_format(path)
    sep = _log_separator(path, kind, tx, separator, where)
    if kind == "parquet":
        raw = spark.read.parquet(str(path))
    else:
        # as the local reader reads a CSV: a doubled quote inside a quoted field is one quote ("12"" RULER"),
        # and a quoted field may hold a line break (Spark's defaults are a backslash escape and one line a record)
        reader = spark.read.options(
            header=True, sep=sep, inferSchema=False, encoding="UTF-8", escape='"', multiLine=True
        )
        raw = reader.csv(str(path))
    raw = raw.toDF(*[c.lstrip("\ufeff") for c in raw.columns])
    columns = _mapped_columns(pl.LazyFrame(schema=dict.fromkeys(raw.columns, pl.String)), tx, where)
    raw = with_positions(raw.select(*[f"`{c}`" for c in dict.fromkeys(columns.values())]))
    empty = _empty_frame(raw)
    fixed = tx.timestamp_format
    main: str | None = fixed or None
    if not fixed and empty.schema[columns[_TS]] == pl.String:
        first = raw.filter(F.col(POS) < _SAMPLE).select(f"`{columns[_TS]}`").toArrow()  # in input order
        main = _main_timestamp_format(pl.from_arrow(first).lazy(), columns[_TS], where)  # type: ignore[union-attr]
    end = datetime.combine(period_end or date.max, time.max)
    parsed_batch(empty, columns, main, fixed, end, where)  # a column of the wrong type: the local message
    lines = raw.mapInArrow(_worker(columns, main, fixed, end, where), _PARSED).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    kept = F.col("rule") == 0
    formats = (fixed,) if fixed else TIMESTAMP_FORMATS
    summary = lines.agg(
        F.count(F.lit(1)).alias("rows"),
        *[
            F.min(F.when(F.col(f), F.col(POS))).alias(f)
            for f in (f"bad_{_QTY}", f"bad_{_PRICE}", "unread_ts")
        ],
        *[F.sum((F.col("rule") == i).cast("long")).alias(name) for i, name in enumerate(_EXCLUDING_RULES, 1)],
        F.sum((kept & ~F.col("sale")).cast("long")).alias("cancellation_rows"),
        F.sum((kept & F.col("sale")).cast("long")).alias("kept_sales"),
        F.sum(kept.cast("long")).alias("kept"),
        F.count(F.col(ID)).alias("with_id"),
        F.max(_TS).alias("last"),
        F.min(_TS).alias("first"),
        *[F.max((F.col("fmt") == i).cast("int")).alias(f"fmt{i}") for i in range(len(formats))],
    ).first()
    assert summary is not None
    for internal in (_QTY, _PRICE):
        row = summary[f"bad_{internal}"]
        if row is not None:
            value = _raw_cell(raw, columns[internal], int(row))
            raise InputError(
                f"{where}: column '{columns[internal]}' has {value!r} in {_row_name(int(row), kind)}; expected a number"
            )
    if summary["unread_ts"] is not None:
        row = int(summary["unread_ts"])
        value = str(raw.filter(F.col(POS) == row).select(f"`{columns[_TS]}`").first()[0])  # type: ignore[index]
        column = columns[_TS]
        raise unread_timestamp(where, column, value, _row_name(row, kind), fixed)
    rows = int(summary["rows"])
    if rows == 0:
        lines.unpersist()
        raise InputError(
            f"{where}: the log has a header but no data rows; expected one row per purchase line"
        )
    if int(summary["with_id"]) == 0:
        lines.unpersist()
        raise InputError(
            f"{where}: column '{tx.customer}' (transactions.customer) has no customer id in any row; "
            "expected an id on each purchase line"
        )
    rules = {name: int(summary[name] or 0) for name in _EXCLUDING_RULES}
    rules["cancellation_rows"] = int(summary["cancellation_rows"] or 0)
    if int(summary["kept"] or 0) == 0:
        lines.unpersist()
        raise InputError(f"{where}: no purchase line is left after cleaning ({_rule_summary(rules)})")
    if int(summary["kept_sales"] or 0) == 0:
        lines.unpersist()
        raise InputError(
            f"{where}: every sale in the log is cancelled ({rules['cancellation_rows']:,} cancellation rows, "
            "no purchases); expected at least one purchase"
        )
    used: tuple[str, ...] = (main,) if main else ()
    used += tuple(f for i, f in enumerate(formats) if summary[f"fmt{i}"] and f not in used)
    last, first = summary["last"], summary["first"]
    last_day = last.date() if isinstance(last, datetime) else (period_end or date.today())
    first_day = first.date() if isinstance(first, datetime) else last_day
    if period_end is None:
        period_end = period_of(last_day).last_day
    reference = min(period_end, last_day)
    has_product = _PROD in columns
    customers = _customer_features(lines.filter(kept), reference, has_product)
    total = customers.count()
    positive = customers.filter(F.col("monetary") > 0).orderBy(ID)
    features = tuple(f for f in FEATURES if has_product or f != "distinct_products")
    frame = with_positions(positive.select(ID, *features), shuffled=True)
    table = pl.from_arrow(frame.select(ID, *features).toArrow())  # partitions in order: sorted by id
    lines.unpersist()
    assert isinstance(table, pl.DataFrame)
    rules["customers_non_positive_spend"] = total - table.height
    if table.height == 0:
        raise InputError(
            f"{where}: no customer has a positive net spend ({total:,} customers, all with "
            "returns at least as large as their purchases); expected purchases"
        )
    dropped = sum(
        rules[k] for k in _EXCLUDING_RULES
    )  # rules 1-5 exclude rows; 6 nets them, 7 drops customers
    read_as = tuple(
        dict.fromkeys(_FORMAT_NAMES.get(f, f"the format {f!r} (transactions.timestamp_format)") for f in used)
    )
    loaded = LoadedTable(
        path=path,
        sha256=file_sha256(path) if path.is_file() else None,
        frame=table,
        features=features,
        rows=rows,
        kind="transactions",
        dropped_rows=dropped,
        notes=log_notes(rules, reference, period_end, read_as, table.height, locale)
        + period_note(period_end, last_day),
        rules=rules,
        first_day=first_day,
        last_day=last_day,
        name=path.name,
        fingerprint=table_fingerprint(table),
    )
    return loaded, frame


def _raw_cell(raw: DataFrame, column: str, row: int) -> str:
    from pyspark.sql import functions as F

    found = raw.filter(F.col(POS) == row).select(f"`{column}`").first()
    text = str(found[0]) if found is not None else ""
    return text if len(text) <= 40 else text[:37] + "..."


def _customer_features(kept: DataFrame, reference: date, has_product: bool) -> DataFrame:
    """Return the behaviour features of every customer seen in the kept lines (the local reader's rules)."""
    from pyspark.sql import functions as F

    sale = F.col("sale")
    value = F.abs(F.col(_QTY)) * F.col(_PRICE)
    aggs = [
        F.sum(F.when(sale, value).otherwise(F.lit(0.0))).alias("gross"),
        F.sum(F.when(sale, F.lit(0.0)).otherwise(value)).alias("cancelled"),
        F.count_distinct(F.when(sale, F.col(_INV))).alias("frequency"),
        F.min(F.when(sale, F.col(_TS))).alias("first"),
        F.max(F.when(sale, F.col(_TS))).alias("last"),
    ]
    if has_product:
        aggs.append(F.count_distinct(F.when(sale, F.col(_PROD))).alias("distinct_products"))
    per = kept.groupBy(ID).agg(*aggs)
    # money rounded to a millionth, as the local reader does, so the order of the sums cannot show
    gross = F.round(F.col("gross"), _MONEY_DECIMALS)
    cancelled = F.round(F.col("cancelled"), _MONEY_DECIMALS)
    net = F.round(gross - cancelled, _MONEY_DECIMALS)
    ref = F.lit(reference)
    columns = [
        F.col(ID),
        F.datediff(ref, F.to_date(F.col("last"))).cast("double").alias("recency_days"),
        F.col("frequency").cast("double").alias("frequency"),
        net.alias("monetary"),
        F.datediff(ref, F.to_date(F.col("first"))).cast("double").alias("tenure_days"),
        F.try_divide(net, F.col("frequency").cast("double")).alias("avg_basket"),
        F.try_divide(cancelled, gross).alias("return_rate"),
    ]
    if has_product:
        columns.append(F.col("distinct_products").cast("double").alias("distinct_products"))
    return per.select(*columns)
