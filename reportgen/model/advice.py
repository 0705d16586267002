"""What the report recommends for a segment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recommendation:
    segment_id: int
    archetype: str
    title: str
    text: str
