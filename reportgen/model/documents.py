"""What the documents stage is handed: the render job, the validated brand and the pre-rendered charts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportgen.model.analysis import Analysis
from reportgen.period import Period

if TYPE_CHECKING:  # annotations only: the render workers use these types without loading Polars
    from reportgen.config import Settings


@dataclass(frozen=True)
class Brand:
    """A validated brand: every colour is a safe CSS colour, the logo is sanitised bytes."""

    name: str
    logo: bytes | None
    logo_mime: str | None  # "image/png" | "image/jpeg" | "image/svg+xml"
    colors: dict[str, str]  # role -> CSS colour, every role in ROLES present
    palette: dict[str, str]  # name -> CSS colour
    font_family: str  # always a font the project ships
    requested_font: str | None = None  # what typography asked for, when it had to fall back

    @property
    def logo_src(self) -> str | None:
        """Return the logo as a data: URI (never a path), or None without a logo."""
        if self.logo is None or self.logo_mime is None:
            return None
        return f"data:{self.logo_mime};base64," + base64.b64encode(self.logo).decode("ascii")


@dataclass(frozen=True)
class ReportJob:
    """What a period's documents (PDF, HTML, briefing) are made from: picklable, for the render worker."""

    analysis: Analysis
    settings: Settings
    brand: Brand
    period: Period
    generator: str
    # the period's data files the PDF carries as PDF/A-3 attachments: (file name, bytes), e.g. summary.json
    attachments: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class ChartImage:
    """A chart rendered ahead of time (WeasyPrint runs no JavaScript): SVG text or PNG bytes, plus alt text."""

    name: str  # stable identifier, e.g. "sizes", "map", "segment-2"
    title: str
    alt: str  # text alternative written from the chart's data
    svg: str | None = None
    png: bytes | None = None
    width: float = 0.0  # CSS pixels at which it was designed
    height: float = 0.0
