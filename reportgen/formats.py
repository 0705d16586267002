"""Every number, share, lift, amount and date any output prints: the one vocabulary for numbers.

Built on Babel so a locale or a currency is a parameter, not a rewrite. The documents (report, briefing,
archive, charts; their Jinja filters in documents/formats.py), the analysis's sentences (the reason for k,
the playbook's texts) and the loaders' notes all format through here, so one figure reads the same in every
channel and a `[report] locale` changes them all. A shared module: every stage may import it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import Decimal, localcontext
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern

from reportgen.period import Period

DEFAULT_LOCALE = "en"
DASH = "–"  # shown where a number does not exist (e.g. a lift over a zero average)

Number = float | int | None


# The run's [report] locale, set once at the edges (the analysis and the documents, in whichever process
# makes them) for every number formatted without an explicit locale: a sentence built anywhere in Python
# (a page title, "this month", a chart's labels) then reads as the tables do.
_LOCALE: ContextVar[str] = ContextVar("reportgen_locale", default=DEFAULT_LOCALE)


@contextmanager
def numbers_in(locale: str) -> Iterator[None]:
    """Format every number without an explicit locale in `locale` inside the block."""
    token = _LOCALE.set(locale)
    try:
        yield
    finally:
        _LOCALE.reset(token)


def current_locale() -> str:
    """Return the locale numbers are formatted in here (the run's, else English)."""
    return _LOCALE.get()


def _locale(name: str | None) -> Locale:
    return _parsed(name or _LOCALE.get())


@cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _pattern(locale: str, kind: str, digits: int) -> NumberPattern:
    """Return the locale's own pattern for a kind of number, fixed to `digits` decimals."""
    loc = _parsed(locale)
    patterns = {"decimal": loc.decimal_formats, "percent": loc.percent_formats}
    base = loc.currency_formats["standard"] if kind == "currency" else patterns[kind][None]
    pattern = copy.copy(base)
    pattern.frac_prec = (digits, digits)
    return pattern


def _apply(
    kind: str,
    value: float | int,
    locale: str | None,
    digits: int = 0,
    currency: str | None = None,
    group: bool = True,
) -> str:
    # Decimal(float) is the float's exact binary value: Babel then rounds it half-even as Python's own
    # formatting does (Decimal(str(x)) would round 2.675 up, where every earlier report printed 2.67)
    # a precision for every float (up to 1e308): the default 28 digits make quantize() fail on e.g. a
    # Calinski-Harabasz index of 1e30 (near-duplicate customers)
    locale = locale or _LOCALE.get()
    with localcontext(prec=_FLOAT_DIGITS):
        return _pattern(locale, kind, digits).apply(
            Decimal(value), _locale(locale), currency=currency, currency_digits=False, group_separator=group
        )


_FLOAT_DIGITS = 400


def _missing(value: Number) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def thousands(value: Number, locale: str | None = None) -> str:
    """Format a count with thousands separators: 8950 -> '8,950'."""
    if value is None or _missing(value):
        return DASH
    return _apply("decimal", round(value), locale)


def signed(value: Number, locale: str | None = None) -> str:
    """Format a change in a count with its sign: 120 -> '+120', -1234 -> '-1,234', 0 -> '+0'."""
    if value is None or _missing(value):
        return DASH
    text = _apply("decimal", round(value), locale)
    return text if value < 0 else _locale(locale).number_symbols["latn"]["plusSign"] + text


def percent(value: Number, digits: int = 1, locale: str | None = None) -> str:
    """Format a fraction as a percentage: 0.0457 -> '4.6%'; a share too small to show is '<0.1%'."""
    if value is None or _missing(value):
        return DASH
    step = 10.0**-digits  # the smallest percentage shown, in percent
    # one rule in every channel: a share that rounds to zero but is not zero reads as "nothing" in a report,
    # so it says it is small instead
    if 0 < value * 100 < step / 2:
        return "<" + _apply("percent", step / 100, locale, digits)
    return _apply("percent", value, locale, digits)


def percent_compact(value: Number, locale: str | None = None) -> str:
    """Format a share for a chart label: one decimal below 10% ('4.6%'), none above ('23%')."""
    if value is None or _missing(value):
        return DASH
    return percent(value, 1 if value * 100 < 9.95 else 0, locale)


def lift(value: Number, locale: str | None = None) -> str:
    """Format a ratio to the average: 3.14 -> '3.1x', 0.034 -> '0.03x', 0.0004 -> '<0.01x'."""
    if value is None or _missing(value):
        return DASH
    if value < 0.01:
        return (
            "<" + _apply("decimal", 0.01, locale, 2) + "x"
            if value > 0
            else _apply("decimal", 0, locale) + "x"
        )
    # two decimals only where one would round to 0.1x or less: never "0.10x" beside "0.1x"
    return _apply("decimal", value, locale, 2 if round(value, 2) < 0.1 else 1, group=False) + "x"


def money(value: Number, locale: str | None = None, currency: str | None = None) -> str:
    """Format an amount without decimals and with separators: 1234.5 -> '1,234' ('€1,234' with EUR)."""
    if value is None or _missing(value):
        return DASH
    return _apply("currency" if currency else "decimal", value, locale, 0, currency)


def amount(value: Number, locale: str | None = None, currency: str | None = None) -> str:
    """Format a raw-unit figure for prose: separators, no decimals from 10 up or for whole numbers."""
    if value is None or _missing(value):
        return DASH
    size = abs(value)
    digits = 0 if size >= 10 or value == int(value) else 1 if size >= 1 else 2
    return _apply("currency" if currency else "decimal", value, locale, digits, currency)


def number(value: Number, locale: str | None = None) -> str:
    """Format a measured value with as many decimals as its size needs: 7681.6 -> '7,682', 0.49 -> '0.49'."""
    if value is None or _missing(value):
        return DASH
    size = abs(value)
    if size >= 100 or (isinstance(value, int) and not isinstance(value, bool)):
        return _apply("decimal", value, locale)
    return _apply("decimal", value, locale, 1 if size >= 10 else 2)


def decimal(value: Number, digits: int = 2, locale: str | None = None) -> str:
    """Format a score with a fixed number of decimals: 0.2104 -> '0.21'."""
    if value is None or _missing(value):
        return DASH
    return _apply("decimal", value, locale, digits)


def measure(
    value: Number, unit: str = "number", locale: str | None = None, currency: str | None = None
) -> str:
    """Format a measured value in its unit: 'percent' 0.23 -> '23.0%', 'days' 52.9 -> '53', 'amount'
    1234.5 -> '$1,234' (with a currency), else number()."""
    if unit == "percent":
        return percent(value, locale=locale)
    if unit == "days":
        return thousands(value, locale)
    if unit == "amount" and currency:
        return (
            money(value, locale, currency)
            if value is not None and abs(value) >= 100
            else amount(value, locale, currency)
        )
    return number(value, locale)


def month_label(period: Period, locale: str = DEFAULT_LOCALE) -> str:
    """Return the month's name and year: 'November 2026' (the locale's words, not the machine's)."""
    return format_date(period.first_day, "MMMM y", locale=_locale(locale))


def day_label(day: date, locale: str = DEFAULT_LOCALE) -> str:
    """Return a day as the report prints it: '30 November 2026'."""
    return format_date(day, "d MMMM y", locale=_locale(locale))


def chart_number_locale(locale: str | None = None) -> dict[str, Any]:
    """Return the d3-format locale of the charts' axis numbers, from the same Babel symbols as every other
    number (vl-convert's `format_locale`): ticks read "0,30" beside a table's "0,30" in de_DE."""
    symbols = _locale(locale).number_symbols["latn"]
    fifty = _apply("percent", 0.5, locale)  # whatever the locale writes after the digits: "%" or " %"
    return {
        "decimal": symbols["decimal"],
        "thousands": symbols["group"],
        "grouping": [3],
        "currency": ["", ""],
        "percent": fifty.split("50", 1)[-1] or "%",
    }
