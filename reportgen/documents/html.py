"""ReportModel + Jinja2 templates -> one HTML document: self-contained for the web, print-ready for PDF."""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reportgen.config import TEMPLATES_DIR
from reportgen.documents.fonts import font_face_css
from reportgen.documents.formats import lift_text

if TYPE_CHECKING:
    from reportgen.documents.report_model import ReportModel

Target = Literal["html", "pdf"]
DASH = "–"  # shown where a number does not exist (e.g. a lift over a zero average)


def thousands(value: float | int | None) -> str:
    """Format a count with thousands separators: 8950 -> '8,950'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{round(value):,}"


def percent(value: float | None, digits: int = 1) -> str:
    """Format a fraction as a percentage: 0.0457 -> '4.6%'."""
    if value is None or not math.isfinite(value):
        return DASH
    step = 10.0**-digits
    # a share that rounds to zero but is not zero reads as "nothing" in a report: say it is small instead
    if 0 < value * 100 < step / 2:
        return f"<{step:.{digits}f}%"
    return f"{value * 100:.{digits}f}%"


def lift(value: float | None) -> str:
    """Format a ratio to the average: 3.14 -> '3.1x'."""
    return lift_text(value)


def money(value: float | None) -> str:
    """Format an amount without decimals and with separators: 1234.5 -> '1,235'."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:,.0f}"


def number(value: float | int | None) -> str:
    """Format a measured value with as many decimals as its size needs: 7681.6 -> '7,682', 0.49 -> '0.49'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    size = abs(value)
    if size >= 100 or (isinstance(value, int) and not isinstance(value, bool)):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def decimal(value: float | None, digits: int = 2) -> str:
    """Format a score with a fixed number of decimals: 0.2104 -> '0.21'."""
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:,.{digits}f}"


def measure(value: float | None, unit: str = "number") -> str:
    """Format a measured value in its unit: 'percent' 0.23 -> '23.0%', 'days' 52.9 -> '53', else number()."""
    if unit == "percent":
        return percent(value)
    if unit == "days":
        return thousands(value)
    return number(value)


def bar_width(value: float | None) -> str:
    """Return a share as a CSS width for an in-table bar: 0.527 -> '52.7%' (0% when missing, at most 100%)."""
    if value is None or not math.isfinite(value):
        return "0%"
    return f"{min(max(value, 0.0), 1.0) * 100:.1f}%"


@cache
def environment() -> Environment:
    """Return the report's Jinja2 environment: autoescaped, strict on undefined names, number filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        thousands=thousands,
        percent=percent,
        lift=lift,
        money=money,
        number=number,
        decimal=decimal,
        measure=measure,
        bar_width=bar_width,
    )
    return env


def _brand_css(colors: dict[str, str]) -> str:
    # colours were validated by brand.load_brand, so they cannot close the rule or the <style> element
    props = "".join(f"  --{role}: {value};\n" for role, value in sorted(colors.items()))
    return ":root {\n" + props + "}\n"


def render_html(model: ReportModel, *, target: Target) -> str:
    """Render the report: 'html' is one self-contained file, 'pdf' is the same content for WeasyPrint."""
    if target not in ("html", "pdf"):
        raise ValueError(f"target must be 'html' or 'pdf', got {target!r}")
    css = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
    # the web file carries its fonts as data: URIs; WeasyPrint reads the packaged files directly (faster)
    fonts = font_face_css(embed=target == "html")
    template = environment().get_template("report.html.j2")
    return template.render(
        model=model,
        target=target,
        styles=Markup(fonts + _brand_css(model.brand.colors) + css),
    )
