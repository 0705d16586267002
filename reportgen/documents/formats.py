"""Number formats shared by prose, tables and charts, so one figure reads the same everywhere."""

from __future__ import annotations

import math

from reportgen.period import Period

DASH = "–"


def lift_text(value: float | None) -> str:
    """Format a ratio to the average: 3.14 -> '3.1x', 0.034 -> '0.03x', 0.0004 -> '<0.01x'."""
    if value is None or not math.isfinite(value):
        return DASH
    if value < 0.01:
        return "<0.01x" if value > 0 else "0x"
    return f"{value:.2f}x" if value < 0.1 else f"{value:.1f}x"


def amount_text(value: float) -> str:
    """Format a raw-unit figure for prose: separators, no decimals from 10 up or for whole numbers."""
    if not math.isfinite(value):
        return DASH
    if abs(value) >= 10 or value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.1f}"
    return f"{value:.2f}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_label(period: Period) -> str:
    """Return "November 2026" for 2026-11 (English, independent of the machine's locale)."""
    return f"{MONTHS[period.month - 1]} {period.year}"
