"""The documents' side of the one number vocabulary (reportgen/formats.py): the one Jinja environment, with
every number filter in the run's locale and currency, and the CSS widths of in-table bars.

The report (HTML and PDF), the briefing (HTML and text), the archive index and the chart labels format
through here, so one figure reads the same in every channel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from reportgen.config import TEMPLATES_DIR
from reportgen.formats import (
    DASH,
    DEFAULT_LOCALE,
    Number,
    amount,
    chart_number_locale,
    current_locale,
    day_label,
    decimal,
    lift,
    measure,
    money,
    month_label,
    number,
    numbers_in,
    percent,
    percent_compact,
    signed,
    thousands,
)

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "DASH",
    "DEFAULT_LOCALE",
    "Number",
    "amount",
    "bar_width",
    "chart_number_locale",
    "current_locale",
    "day_label",
    "decimal",
    "environment",
    "lift",
    "measure",
    "money",
    "month_label",
    "number",
    "numbers_in",
    "percent",
    "percent_compact",
    "signed",
    "thousands",
]


def bar_width(value: Number) -> str:
    """Return a share as a CSS width for an in-table bar: 0.527 -> '52.7%' (0% when missing, at most 100%)."""
    if value is None or not math.isfinite(value):
        return "0%"
    return f"{min(max(value, 0.0), 1.0) * 100:.1f}%"  # CSS syntax, not a figure to read: never localised


def _escaped(name: str | None) -> bool:
    # secure by default: everything is HTML-escaped but the plain-text templates (the briefing's text part)
    return name is None or not name.endswith((".txt.j2", ".txt"))


def environment(locale: str = DEFAULT_LOCALE, currency: str | None = None) -> Environment:
    """Return the Jinja2 environment of every template: HTML autoescaped, strict on undefined names, and the
    number filters of this module in one locale (and currency, for amounts)."""
    # one environment per (locale, currency) however the call is written: its templates are compiled once
    # (a worker compiles them while it waits for the analysis, see rendering.warm_up)
    return _environment(locale, currency)


@cache
def _environment(locale: str, currency: str | None) -> Environment:
    # imported here: the analysis formats its playbook texts with this module and needs no templates
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=_escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters: dict[str, Callable[..., Any]] = {
        "thousands": partial(thousands, locale=locale),
        "signed": partial(signed, locale=locale),
        "percent": partial(percent, locale=locale),
        "lift": partial(lift, locale=locale),
        "money": partial(money, locale=locale, currency=currency),
        "number": partial(number, locale=locale),
        "decimal": partial(decimal, locale=locale),
        "measure": partial(measure, locale=locale, currency=currency),
        "bar_width": bar_width,
    }
    env.filters.update(filters)
    return env
