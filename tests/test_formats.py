"""The one number vocabulary: numbers, shares, lifts, amounts and dates for every channel and stage."""

from __future__ import annotations

from datetime import date

import pytest

from reportgen import formats
from reportgen.formats import (
    amount,
    day_label,
    decimal,
    lift,
    measure,
    money,
    month_label,
    number,
    percent,
    percent_compact,
    signed,
    thousands,
)
from reportgen.period import Period


def test_counts_and_signed_changes() -> None:
    assert thousands(8950) == "8,950" and thousands(1234567.4) == "1,234,567"
    assert signed(120) == "+120" and signed(-1234) == "-1,234" and signed(0) == "+0"
    assert thousands(None) == signed(float("nan")) == formats.DASH


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.0457, "4.6%"), (0.23, "23.0%"), (0.0, "0.0%"), (0.0004, "<0.1%"), (0.0006, "0.1%"), (1.0, "100.0%")],
)
def test_a_share_reads_the_same_in_the_text_and_on_the_chart(share: float, text: str) -> None:
    assert percent(share) == text
    # the chart label drops the decimal from 10% up, never the small-share rule
    compact = percent_compact(share)
    assert compact == (text if share < 0.0995 else text.replace(".0%", "%"))


def test_a_tiny_share_is_never_printed_as_zero() -> None:
    assert percent(0.00001) == "<0.1%" and percent(0.00001, 0) == "<1%" and percent(0.004, 0) == "<1%"
    assert percent(0.006, 0) == "1%"


def test_lifts() -> None:
    assert [lift(v) for v in (3.14, 0.034, 0.0004, 0.0, -1.0, None)] == [
        "3.1x",
        "0.03x",
        "<0.01x",
        "0x",
        "0x",
        "–",
    ]


def test_rounding_is_that_of_the_float_itself_as_before_babel() -> None:
    # 2.675 is stored as 2.67499999...: Python's formatting, and so every earlier report, printed 2.67
    assert decimal(2.675) == f"{2.675:,.2f}" == "2.67"
    assert number(7681.6) == "7,682" and number(0.493) == "0.49" and number(12.345) == "12.3"
    assert money(1234.5) == f"{1234.5:,.0f}"


def test_amounts_in_prose_keep_the_decimals_their_size_needs() -> None:
    assert [amount(v) for v in (1234.5, 12.0, 3.25, 0.456)] == ["1,234", "12", "3.2", "0.46"]


def test_measures_pick_their_unit() -> None:
    assert measure(0.23, "percent") == "23.0%" and measure(52.9, "days") == "53" and measure(7.5) == "7.50"


def test_locale_and_currency_are_parameters() -> None:
    assert thousands(8950, locale="de") == "8.950"
    assert percent(0.0457, locale="de") == "4,6\u00a0%"
    assert lift(3.14, locale="de") == "3,1x"
    assert money(1234.5, currency="EUR") == "€1,234"
    assert money(1234.5, locale="de", currency="EUR") == "1.234\u00a0€"
    assert month_label(Period(2026, 11), locale="de") == "November 2026"
    assert month_label(Period(2026, 3), locale="fr") == "mars 2026"


def test_the_runs_locale_reaches_every_number_left_without_one() -> None:
    with formats.numbers_in("de_DE"):
        # a sentence built anywhere in Python (a page title, "this month", a chart label) reads as the tables
        got = (thousands(8950), percent(0.123), lift(2.5), decimal(0.2456))
        assert got == ("8.950", "12,3\u00a0%", "2,5x", "0,25")
        assert thousands(8950, locale="en") == "8,950"  # an explicit locale still wins
        with formats.numbers_in("fr_FR"):
            assert thousands(8950) == "8\u202f950"
        assert formats.current_locale() == "de_DE"
        # the charts' axis numbers use the same symbols
        assert formats.chart_number_locale() == {
            "decimal": ",",
            "thousands": ".",
            "grouping": [3],
            "currency": ["", ""],
            "percent": "\u00a0%",
        }
        assert month_label(Period(2026, 11)) == "November 2026"  # the words stay those of the English prose
    assert thousands(8950) == "8,950" and formats.chart_number_locale()["decimal"] == "."


def test_dates() -> None:
    assert month_label(Period(2026, 11)) == "November 2026"
    assert day_label(date(2026, 11, 30)) == "30 November 2026"
