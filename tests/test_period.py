"""Period: the reporting month, parsed once at the edge."""

from __future__ import annotations

from datetime import date

import pytest

from reportgen.errors import InputError
from reportgen.period import Period, parse_period, period_of, period_or_none


def test_a_month_knows_its_first_and_last_day_and_neighbours() -> None:
    november = parse_period("2026-11")
    assert november == Period(2026, 11) and str(november) == "2026-11"
    assert (november.first_day, november.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert Period(2028, 2).last_day == date(2028, 2, 29)  # leap year
    assert Period(2026, 2).last_day == date(2026, 2, 28)
    assert november.next == Period(2026, 12) and Period(2026, 12).next == Period(2027, 1)
    assert november.previous == Period(2026, 10) and Period(2027, 1).previous == Period(2026, 12)


def test_months_order_by_time_not_by_text() -> None:
    months = [Period(2027, 1), Period(2026, 9), Period(2026, 12)]
    assert sorted(months) == [Period(2026, 9), Period(2026, 12), Period(2027, 1)]
    assert Period(2026, 9) < Period(2026, 10)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11 ", "", "November"]
)
def test_a_bad_period_is_an_input_error_naming_the_key_and_the_value(text: str) -> None:
    with pytest.raises(InputError) as failure:
        parse_period(text)
    assert str(failure.value) == f"--period: expected a month as YYYY-MM (e.g. 2026-11), got {text!r}"
    assert period_or_none(text) is None


def test_the_key_in_the_message_is_the_callers() -> None:
    with pytest.raises(InputError, match=r"^--months: "):
        parse_period("2026-13", "--months")


def test_a_period_cannot_be_built_out_of_range() -> None:
    with pytest.raises(ValueError, match="month 1-12"):
        Period(2026, 13)


def test_the_month_of_a_day() -> None:
    assert period_of(date(2026, 11, 30)) == Period(2026, 11)
