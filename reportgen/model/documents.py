"""What the documents stage is handed: the render job and the pre-rendered charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportgen.model.analysis import Analysis
from reportgen.period import Period

if TYPE_CHECKING:  # annotations only: the render workers use these types without loading Polars
    from reportgen.config import Settings
    from reportgen.documents.brand import Brand


@dataclass(frozen=True)
class ReportJob:
    """What a period's documents (PDF, HTML, briefing) are made from: picklable, for the render worker."""

    analysis: Analysis
    settings: Settings
    brand: Brand
    period: Period
    generator: str


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
