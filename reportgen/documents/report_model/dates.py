"""The period's label and last day."""

from __future__ import annotations

import calendar
import re
from datetime import date

from reportgen.errors import InputError


def period_dates(period: str) -> tuple[str, date]:
    """Return the month's label ('November 2026') and its last day for a 'YYYY-MM' period."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"--period: expected a month as YYYY-MM, got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return f"{calendar.month_name[month]} {year}", last
