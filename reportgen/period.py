"""The reporting month: parsed once at the edge (CLI, config, API), then handed down as a value."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from reportgen.errors import InputError

# ASCII digits only (\d also takes other scripts' digits, which would name folders oddly); fullmatch, as "$"
# also matches before a final line break
_TEXT = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
YEARS = (1900, 9998)  # a period's next month (the briefing's date) must exist too


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month; orders by time and prints as 'YYYY-MM' (its folder name and JSON value).

    Its label ('November 2026') depends on the locale, so `documents.formats.month_label` writes it.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"Period: expected a year 1-9999 and a month 1-12, got {self.year}-{self.month}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """Return the month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """Return the month's last day."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous(self) -> Period:
        """Return the month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    @property
    def next(self) -> Period:
        """Return the month after."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)


def parse_period(text: str, key: str = "--period") -> Period:
    """Return the Period a 'YYYY-MM' string names; raise InputError naming `key` if it names none."""
    match = _TEXT.fullmatch(text)
    if match is None:
        raise InputError(f"{key}: expected a month as YYYY-MM (e.g. 2026-11), got {text!r}")
    year = int(match.group(1))
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(f"{key}: expected a year from {YEARS[0]} to {YEARS[1]}, got {text!r}")
    return Period(year, int(match.group(2)))


def period_or_none(text: str) -> Period | None:
    """Return the Period a 'YYYY-MM' string names, or None (e.g. for a folder that is not a period's)."""
    try:
        return parse_period(text)
    except InputError:
        return None


def period_of(day: date) -> Period:
    """Return the month a day falls in (the CLI's default: today's month)."""
    return Period(day.year, day.month)
