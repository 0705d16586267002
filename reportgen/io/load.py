"""Read and validate input tables (CSV, gzip-compressed CSV, Parquet) into a LoadedTable."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from reportgen.config import CC_FEATURES, DataConfig
from reportgen.errors import InputError
from reportgen.formats import thousands
from reportgen.io.csv_text import (
    NULL_TOKENS,
    as_utf8,
    check_data_delimiter,
    csv_as_text,
    csv_header,
    csv_lines,
    field_separator,
    is_utf8,
    line1,
    line_place,
    number_format_hint,
    read_csv,
)
from reportgen.io.dates import date_text, days_before, parsed_dates, text_dates
from reportgen.io.files import (
    BOM,
    SNIFF,
    check_text,
    detect_format,
    file_sha256,
    first_line,
    format_notes,
    show,
)
from reportgen.io.guards import check_id_text, check_magnitude, guarded_csv, gunzip_capped
from reportgen.model import ID, LoadedTable
from reportgen.model.columns import ENGINEERED_RATIOS
from reportgen.model.data import table_fingerprint

__all__ = [
    "NULL_TOKENS",
    "customers_from_frame",
    "detect_format",
    "field_separator",
    "file_sha256",
    "load_customers",
    "require_customers",
]

_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?$")
MISSING_CATEGORY = "(missing)"


def load_customers(
    path: Path, data: DataConfig, period_end: date | None = None, locale: str | None = None
) -> LoadedTable:
    """Read a customer table and return it validated: `customer_id` text, numeric columns Float64, date
    columns as days before `period_end`, categorical columns text. `locale`: the report's, for the notes."""
    where = str(path)
    fmt = detect_format(path)
    notes = format_notes(path, fmt)
    if fmt == "parquet":
        frame = _parquet_frame(path, where)
        out, rows, more = _frame_customers(frame, data, where, period_end, locale)
    else:
        raw = path.read_bytes()
        if fmt == "csv.gz":
            raw = gunzip_capped(raw, where)
            check_text(raw[:SNIFF], where, inside_gzip=True)
        raw, guarded = guarded_csv(raw, where)
        notes = (*notes, *guarded)
        out, rows, more = _csv_customers(raw, data, where, period_end, locale)
    return _table(path, file_sha256(path), out, rows, data, (*notes, *more), path.name)


def customers_from_frame(
    frame: pl.DataFrame,
    data: DataConfig,
    name: str,
    period_end: date | None = None,
    locale: str | None = None,
) -> LoadedTable:
    """Validate a DataFrame already in memory like a file of the same columns (`name` in messages and the
    report). It has no file hash; its fingerprint is the loaded table's, as a file of the same data has."""
    out, rows, notes = _frame_customers(frame, data, name, period_end, locale)
    return _table(Path(name), None, out, rows, data, notes, name)


def _table(
    path: Path,
    sha256: str | None,
    frame: pl.DataFrame,
    rows: int,
    data: DataConfig,
    notes: tuple[str, ...],
    name: str,
) -> LoadedTable:
    categorical = tuple(c for c in _categorical(data) if c in frame.columns)
    if not data.id_column:
        notes = (
            *notes,
            'The table has no id column (data.id_column = ""): customers are numbered by their data row, '
            "1 to n, in segments.csv.",
        )
    return LoadedTable(
        path=path,
        sha256=sha256,
        frame=frame,
        features=_numeric_features(data),
        rows=rows,
        kind="customers",
        notes=notes,
        categorical=categorical,
        encoded=tuple(c for c in data.features if c in categorical),
        numbered=not data.id_column,
        name=name,
        fingerprint=table_fingerprint(frame),
    )


def _categorical(data: DataConfig) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*data.categorical,)))


def _numeric_features(data: DataConfig) -> tuple[str, ...]:
    return tuple(c for c in data.features if c not in data.categorical)


def _value_only(data: DataConfig) -> tuple[str, ...]:
    """Return the value columns that are not also features (read as numbers all the same)."""
    return tuple(c for c in data.value if c not in data.features)


def _numeric_columns(data: DataConfig) -> tuple[str, ...]:
    """Return every column read as numbers (dates become numbers too): features then value columns."""
    return (*_numeric_features(data), *_value_only(data))


def _text_columns(data: DataConfig) -> tuple[str, ...]:
    """Return the columns read as text and kept so: the categorical ones not among the features first."""
    return tuple(c for c in _categorical(data))


# A fixed k must leave this many customers per segment on average: fewer, and segments are individuals.
MIN_CUSTOMERS_PER_SEGMENT = 10


def require_customers(table: LoadedTable, k_needed: int, where: str, per_segment: int = 1) -> None:
    """Raise InputError unless the table has more customers than `k_needed` segments (named by `where`).

    `per_segment`: customers each segment needs on average (a k the user fixed needs groups, not individuals).
    """
    n = table.frame.height
    need = max(
        k_needed + 1, per_segment * k_needed
    )  # silhouette and K-Means need more customers than segments
    if n < need:
        noun = "customer" if n == 1 else "customers"
        why = f" ({per_segment} per segment on average)" if need > k_needed + 1 else ""
        raise InputError(
            f"{table.path}: {n} {noun}, but {where}={k_needed} needs at least {need}{why}; "
            f"lower {where} or add data"
        )


# --- checks shared by every format -----------------------------------------------------------------


_ENGINEERED = frozenset(r.name for r in ENGINEERED_RATIOS)  # labels may name these computed columns


def _required(data: DataConfig) -> list[str]:
    names = [data.id_column] if data.id_column else []
    names += [*data.features, *data.value, *_categorical(data)]
    return list(dict.fromkeys(names))


def _check_columns(found: list[str], data: DataConfig, where: str) -> list[str]:
    required = _required(data)
    found_text = ", ".join(found[:40]) + (f", ... ({len(found)} columns)" if len(found) > 40 else "")
    missing = [c for c in required if c not in found]
    if missing and data.fitted_by is not None:  # reportgen assign: the model, not the config, names them
        s = "s" if len(missing) > 1 else ""
        raise InputError(
            f"{where}: missing column{s} {', '.join(missing)}, which the model {data.fitted_by} was fitted on; "
            f"expected the columns of the table that period was run on; found: {found_text}"
        )
    id_fix = 'set data.id_column to the column that identifies customers, or "" if there is none'
    if data.id_column in missing and len(missing) > 1:
        default = " (the default credit-card columns)" if data.features == CC_FEATURES else ""
        raise InputError(
            f"{where}: missing required columns {', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}"
            f"{default}; {id_fix}, and data.features to the columns to segment on; found: {found_text}"
        )
    if data.id_column in missing:
        raise InputError(
            f"{where}: id column {data.id_column} (data.id_column) is not in the file; {id_fix}; "
            f"found: {found_text}"
        )
    for key, names in (("features", data.features), ("categorical", data.categorical), ("value", data.value)):
        absent = [c for c in names if c not in found]
        if absent:
            s = "s" if len(absent) > 1 else ""
            verb = "are" if len(absent) > 1 else "is"
            raise InputError(
                f"{where}: data.{key} names column{s} {', '.join(absent)} that {verb} not in the file; "
                f"set data.{key} to columns of the file; found: {found_text}"
            )
    for name in data.labels:
        # "Col=value" names one category of a column; the column must be there either way
        column = name.split("=", 1)[0].strip() if name not in found else name
        if column not in found and column not in _ENGINEERED:
            config = f"{data.source}: " if data.source is not None else ""
            raise InputError(
                f"{config}data.labels.{name} names column {column}, which is not in {where}; "
                f"rename the key to a column of the file or remove it; found: {found_text}"
            )
    unused = [c for c in data.dates if c not in data.features]
    if unused:
        raise InputError(
            f"{where}: data.dates names {', '.join(unused)}, which data.features does not list; "
            "add it to data.features or remove it from data.dates"
        )
    for name in required:
        if found.count(name) > 1:
            places = [str(i + 1) for i, f in enumerate(found) if f == name]
            raise InputError(
                f"{where}: column {name} appears more than once in the header (columns {', '.join(places)}); "
                "expected each column once: rename or remove the repeated one in the export"
            )
    return [c for c in found if c not in required]


def _extra_note(extra: list[str], locale: str | None) -> tuple[str, ...]:
    if not extra:
        return ()
    names = list(dict.fromkeys(extra))  # a repeated unused header is one column to the reader
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else ".")
    s = "s" if len(names) > 1 else ""
    return (f"Ignored {thousands(len(names), locale)} column{s} the configuration does not use: {shown}",)


# --- CSV ----------------------------------------------------------------------------------------------


def _csv_customers(
    raw: bytes, data: DataConfig, where: str, period_end: date | None, locale: str | None
) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    notes: list[str] = []
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    latin1 = not is_utf8(line1(raw))
    if latin1:
        raw = as_utf8(raw)
    sep = _separator(raw, data, where)
    header = csv_header(raw, sep)
    if header is None or not any(header):
        raise InputError(f"{where}: line 1 is empty; expected a header line naming the columns")
    check_data_delimiter(raw, sep, where)
    extra = _check_columns(header, data, where)
    notes.extend(_extra_note(extra, locale))

    numeric = _numeric_columns(data)
    texts = _text_columns(data)
    floats = tuple(c for c in numeric if c not in data.dates)
    names = [f"c{i}" for i in range(len(header))]
    key = {c: names[header.index(c)] for c in (*numeric, *texts)}
    id_name = names[header.index(data.id_column)] if data.id_column else None
    read = [header.index(c) for c in ((data.id_column,) if data.id_column else ()) + tuple(key)]
    while True:
        try:
            frame = read_csv(raw, names, sorted(set(read)), {key[c]: pl.Float64 for c in floats}, sep)
            frame = frame.with_columns(pl.col(key[c]).fill_nan(None) for c in floats)
        except pl.exceptions.PolarsError:
            # Validating UTF-8 costs a full pass, so it is done only once the fast read has failed.
            if not latin1 and not is_utf8(raw):
                raw, latin1 = as_utf8(raw), True
                continue
            # Slow path, only for files the typed read rejects: read text, then find the first bad cell.
            frame = csv_as_text(raw, names, sorted(set(read)), header, where, sep)
            frame = _numbers_from_text(frame, [key[c] for c in floats], floats, line_place(raw, sep), where)
            notes.append("trimmed spaces around cell values")
        break
    if latin1:
        notes.append("the file is not valid UTF-8: decoded ids and names as Latin-1")
    place = line_place(raw, sep)
    frame = _typed(frame, id_name, key, data, where, place, period_end, notes)
    frame, blank = _drop_blank_rows(frame)
    if blank.len():
        lines = ", ".join(str(n) for n in csv_lines(raw, [int(r) for r in blank[:5]], sep))
        s = "s" if blank.len() > 1 else ""
        notes.append(
            f"skipped {thousands(blank.len(), locale)} blank line{s} (line{s} {lines}{', ...' if blank.len() > 5 else ''})"
        )
    if frame.height == 0:
        raise InputError(
            f"{where}: has a header line but no data rows; expected one row per customer from line 2"
        )
    frame = _numbered(frame, data)
    _validate(frame, data, where, place)
    return frame.drop("_row"), frame.height, tuple(notes)


def _typed(
    frame: pl.DataFrame,
    id_name: str | None,
    key: dict[str, str],
    data: DataConfig,
    where: str,
    place: Callable[[int], str],
    period_end: date | None,
    notes: list[str],
) -> pl.DataFrame:
    """Return `_row`, the id as text (when there is one), numbers, dates as days, categories as text."""
    columns = [frame["_row"]]
    if id_name is not None:
        columns.append(_id_text(frame[id_name]).alias(ID))
    for name in _numeric_columns(data):
        s = frame[key[name]]
        if name in data.dates:
            s = _days_before(s, name, data.dates[name], where, place, frame["_row"], period_end, notes)
        columns.append(s.alias(name))
    for name in _text_columns(data):
        columns.append(category_text(frame[key[name]]).alias(name))
    return pl.DataFrame(columns)


def _id_text(ids: pl.Series) -> pl.Series:
    if ids.dtype.is_float():
        whole = ids.drop_nulls()
        if whole.len() and bool((whole.round(0) == whole).all()):
            ids = ids.cast(pl.Int64)
    return ids.cast(pl.String).str.strip_chars()


def category_text(values: pl.Series) -> pl.Series:
    """Return category values as trimmed text; whole-number floats (1.0, from a table with gaps) read as 1.

    The null tokens read as MISSING_CATEGORY. The Spark engine's workers call it too (read.spark_customers).
    """
    if values.dtype.is_float():
        present = values.drop_nulls()
        if present.len() and bool((present.round(0) == present).all()):
            values = values.cast(pl.Int64)
    if values.dtype == pl.Boolean:
        values = values.cast(pl.String).str.to_lowercase()
    text = values.cast(pl.String).str.strip_chars()
    text = pl.select(pl.when(pl.lit(text).is_in(NULL_TOKENS)).then(None).otherwise(pl.lit(text))).to_series()
    return text.fill_null(MISSING_CATEGORY)


def _days_before(
    values: pl.Series,
    name: str,
    fmt: str,
    where: str,
    place: Callable[[int], str],
    rows: pl.Series,
    period_end: date | None,
    notes: list[str],
) -> pl.Series:
    """Return whole days from each date to the period end (a later date gives a negative number)."""
    if period_end is None:
        raise ValueError("date columns need the period end")
    if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
        dates = parsed_dates(values, fmt)
    else:
        text = date_text(values)
        dates = text_dates(text, fmt)
        bad = text.is_not_null() & dates.is_null()
        if bad.any():
            i = int(bad.arg_true()[0])
            raise InputError(
                f"{where}: column {name}, {place(int(rows[i]))}: {show(str(text[i]))} does not match the "
                f"format {fmt!r} (data.dates.{name}); expected a date such as "
                f"{date(2011, 12, 9).strftime(fmt)!r}"
            )
    present = dates.drop_nulls()
    if present.len():
        latest = present.max()
        assert isinstance(latest, date)
        start = period_end.replace(day=1)
        if latest > period_end:
            notes.append(
                f"{name} has dates after the period end ({latest.isoformat()} > {period_end.isoformat()}): "
                "they count as negative days before the period end."
            )
        elif (start - latest).days > 366:
            notes.append(
                f"{name}'s latest date is {latest.isoformat()}, more than a year before the period "
                f"({period_end.strftime('%Y-%m')}); days are counted to the period end, "
                f"{period_end.isoformat()}."
            )
    return days_before(dates, period_end).alias(name)


def _numbered(frame: pl.DataFrame, data: DataConfig) -> pl.DataFrame:
    """Without an id column, number the customers by their data row, 1..n (the header is not counted)."""
    if data.id_column:
        return frame
    return frame.with_columns((pl.col("_row") + 1).cast(pl.String).alias(ID)).select(
        "_row", ID, *[c for c in frame.columns if c != "_row"]
    )


def _separator(raw: bytes, data: DataConfig, where: str) -> str:
    return field_separator(line1(raw).decode("utf-8"), set(_required(data)), data.separator, where)


def _numbers_from_text(
    frame: pl.DataFrame,
    cols: list[str],
    features: tuple[str, ...],
    place: Callable[[int], str],
    where: str,
) -> pl.DataFrame:
    out = []
    for col, name in zip(cols, features, strict=True):
        s = frame[col]
        text = s.cast(pl.String).str.strip_chars() if s.dtype != pl.String else s.str.strip_chars()
        text = pl.select(pl.when(text.is_in(NULL_TOKENS)).then(None).otherwise(text)).to_series()
        numbers = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & numbers.is_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            value = str(text[row])
            raise InputError(
                f"{where}: column {name}, {place(int(frame['_row'][row]))}: {show(value)} is not a number"
                f"{_number_hint(name, value)}"
            )
        out.append(numbers.fill_nan(None).alias(col))
    return frame.with_columns(out)


def _number_hint(name: str, value: str) -> str:
    """Return what to change when a cell of a numeric column is not a number."""
    if hint := number_format_hint(value):
        return hint
    if _DATE_LIKE.match(value):
        return f'; if {name} is a date, add it to data.dates with its format, e.g. {{ {name} = "%d-%m-%Y" }}'
    return f"; if {name} holds categories, list it in data.categorical (or remove it from data.features)"


# --- Parquet and DataFrames ---------------------------------------------------------------------------


def _parquet_frame(path: Path, where: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # polars / arrow raise many types for damaged files
        raise InputError(
            f"{where}: unreadable or corrupt Parquet file ({first_line(exc)}); export it again"
        ) from None


def _frame_customers(
    source: pl.DataFrame, data: DataConfig, where: str, period_end: date | None, locale: str | None
) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    """Validate a typed table (Parquet, or a DataFrame): the same columns and checks as a CSV file."""
    original = list(source.columns)
    found = [str(name).strip() for name in original]
    extra = _check_columns(found, data, where)
    notes = list(_extra_note(extra, locale))
    if source.height == 0:
        raise InputError(f"{where}: has columns but no rows; expected one row per customer")
    frame = source.select(pl.col(original[found.index(c)]).alias(c) for c in _required(data))
    frame = frame.with_row_index("_row")
    place = lambda r: f"row {r + 1}"  # noqa: E731
    if data.id_column:
        ids = frame[data.id_column]
        if ids.dtype not in (pl.String, pl.Categorical, pl.Enum) and not ids.dtype.is_integer():
            raise InputError(
                f"{where}: id column {data.id_column} has type {ids.dtype}, expected text or integers"
            )
    nans = 0
    converted = []
    for name in _numeric_columns(data):
        s = frame[name]
        if name in data.dates:
            continue
        if s.dtype == pl.String:
            s = _numbers_from_text(frame.select("_row", name), [name], (name,), place, where)[name]
        elif s.dtype.is_numeric() or s.dtype in (pl.Boolean, pl.Null):
            s = s.cast(pl.Float64)
            nans += int(s.is_nan().sum())
        else:
            raise InputError(
                f"{where}: column {name} has type {s.dtype}, expected numbers"
                f"{_number_hint(name, '1-1-2000') if s.dtype.is_temporal() else ''}"
            )
        converted.append(s.fill_nan(None).alias(name))
    frame = frame.with_columns(converted)
    if nans:
        notes.append(f"treated {thousands(nans, locale)} NaN value{'s' if nans > 1 else ''} as missing")
    key = {c: c for c in (*_numeric_columns(data), *_text_columns(data))}
    out = _typed(frame, data.id_column or None, key, data, where, place, period_end, notes)
    out, _ = _drop_blank_rows(out)
    out = _numbered(out, data)
    _validate(out, data, where, place)
    return out.drop("_row"), out.height, tuple(notes)


# --- validation common to every format ----------------------------------------------------------------


def _drop_blank_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    values = [c for c in frame.columns if c != "_row"]
    blank = pl.all_horizontal(
        *[
            pl.col(c).is_null() | (pl.col(c) == "")
            if c == ID
            else (pl.col(c) == MISSING_CATEGORY)
            if frame.schema[c] == pl.String
            else pl.col(c).is_null()
            for c in values
        ]
    )
    rows = frame.filter(blank)["_row"]
    return (frame.filter(~blank) if rows.len() else frame), rows


def _validate(frame: pl.DataFrame, data: DataConfig, where: str, place: Callable[[int], str]) -> None:
    if data.id_column:
        _validate_ids(frame, data, where, place)
    for name in _numeric_columns(data):
        col = frame[name]
        infinite = col.is_infinite()
        if infinite.any():
            row = int(infinite.arg_true()[0])
            raise InputError(
                f"{where}: column {name}, {place(int(frame['_row'][row]))}: infinite value {col[row]}; "
                "expected a finite number"
            )
        check_magnitude(frame, name, where, lambda r: place(int(frame["_row"][r])))
        # reportgen assign fills gaps with the model's medians: a one-customer extract may lack a value
        if col.null_count() == col.len() and data.fitted_by is None:
            key = "data.features" if name in data.features else "data.value"
            raise InputError(
                f"{where}: column {name} is empty on every row; expected numbers: remove it from {key}"
            )


def _validate_ids(frame: pl.DataFrame, data: DataConfig, where: str, place: Callable[[int], str]) -> None:
    ids = frame[ID]
    check_id_text(frame, data.id_column, where, lambda r: place(int(frame["_row"][r])))
    empty = ids.is_null() | (ids == "")
    if empty.any():
        row = int(frame["_row"][int(empty.arg_true()[0])])
        raise InputError(
            f"{where}: empty customer id in column {data.id_column}, {place(row)}; every row needs an id"
        )
    if ids.n_unique() < ids.len():
        dup = ids.is_duplicated()
        later = ~ids.is_first_distinct() & dup
        i = int(later.arg_true()[0])
        value = ids[i]
        first = int((ids == value).arg_true()[0])
        count = int(ids.filter(dup).n_unique())
        more = f" ({count - 1} more id{'s repeat' if count > 2 else ' repeats'})" if count > 1 else ""
        rows = frame["_row"]
        raise InputError(
            f"{where}: customer id {show(value)} appears more than once, on {place(int(rows[first]))} "
            f"and {place(int(rows[i]))}{more}; expected one row per customer in column {data.id_column}"
        )
