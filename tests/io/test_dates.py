"""Date columns as both engines read them: text by a strftime format, dates as days before the period end."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from reportgen.io.dates import days_before, parsed_dates

END = date(2026, 11, 30)


def test_text_dates_are_trimmed_and_parsed_by_the_format_gaps_and_mismatches_missing() -> None:
    text = pl.Series(["1-2-2026", " 30-11-2026 ", "NA", "", None, "2026-11-30", "31-12-2026"])
    dates = parsed_dates(text, "%d-%m-%Y")
    assert dates.to_list() == [date(2026, 2, 1), END, None, None, None, None, date(2026, 12, 31)]
    # a date after the period end counts as negative days before it
    assert days_before(dates, END).to_list() == [302.0, 0.0, None, None, None, None, -31.0]


def test_typed_dates_keep_their_day_whatever_the_time() -> None:
    stamps = pl.Series([datetime(2026, 11, 29, 23, 59), None])
    assert days_before(parsed_dates(stamps, "%Y"), END).to_list() == [1.0, None]
    numbers = pl.Series([20261101, 20260101])  # whole numbers in a yyyymmdd format read as their text
    assert days_before(parsed_dates(numbers, "%Y%m%d"), END).to_list() == [29.0, 333.0]
