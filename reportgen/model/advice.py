"""What the report recommends for a segment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recommendation:
    segment_id: int
    archetype: str
    title: str
    text: str
    kpi: str = ""  # the measure to watch
    value_at_stake: str = ""  # "70.2% of purchases (6.3M)"
