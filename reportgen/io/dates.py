"""Date columns: cells as dates by a strftime format, and dates as days before the period end.

The local loader (io.load) and the Spark engine's workers call the same functions, so both engines read a
date column alike.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from reportgen.io.csv_text import NULL_TOKENS


def date_text(values: pl.Series) -> pl.Series:
    """Return a date column's cells as trimmed text, the null tokens as missing."""
    text = values.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(pl.lit(text).is_in(NULL_TOKENS)).then(None).otherwise(pl.lit(text))).to_series()


def parsed_dates(values: pl.Series, fmt: str) -> pl.Series:
    """Return a date column as dates: Date as it is, a timestamp's date, text parsed by `fmt` (null where
    missing or not matching; the loader names the first such cell). The Spark engine's workers call it too."""
    if values.dtype == pl.Date:
        return values
    if isinstance(values.dtype, pl.Datetime):
        return values.dt.date()
    return text_dates(date_text(values), fmt)


def text_dates(text: pl.Series, fmt: str) -> pl.Series:
    """Return trimmed date text parsed by the strftime format `fmt` (null where it does not match)."""
    return text.str.strptime(pl.Datetime("us"), fmt, strict=False, exact=True).dt.date()


def days_before(dates: pl.Series, period_end: date) -> pl.Series:
    """Return whole days from each date to the period end as Float64 (a later date gives a negative number)."""
    return pl.select((pl.lit(period_end) - pl.lit(dates)).dt.total_days().cast(pl.Float64)).to_series()
