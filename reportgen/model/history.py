"""Month-over-month: what changed since the previous period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FigureChange:
    feature: str
    previous_mean: float
    mean: float
    change: float
    change_pct: float | None  # None where the previous mean is 0


@dataclass(frozen=True)
class SegmentChange:
    id: int
    name: str
    size: int
    share: float
    new: bool
    previous_size: int | None
    previous_share: float | None
    size_change: int | None
    figures: tuple[FigureChange, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready values for a summary.json segment."""
        return {
            "new": self.new,
            "previous_size": self.previous_size,
            "previous_share": rounded(self.previous_share),
            "size_change": self.size_change,
            "key_figures": {
                f.feature: {
                    "previous_mean": rounded(f.previous_mean),
                    "mean": rounded(f.mean),
                    "change": rounded(f.change),
                    "change_pct": rounded(f.change_pct),
                }
                for f in self.figures
            },
        }


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Return a float rounded for JSON output (None stays None)."""
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class MonthOverMonth:
    """What changed since the latest earlier period in the same output folder."""

    from_period: str
    migration: dict[str, Any]  # summary.json "migration"
    matching: dict[str, Any]  # which segments kept their identity, which are new or vanished
    changes: tuple[SegmentChange, ...]  # per current segment: previous size, key-figure deltas
    sentences: tuple[str, ...]  # two or three sentences on the largest movements
