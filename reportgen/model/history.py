"""Month-over-month: what changed since the previous period."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.model.data import FloatArray
from reportgen.period import Period

if TYPE_CHECKING:  # annotations only: the render workers use these types without loading Polars
    import polars as pl


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
class Flow:
    """Customers in both months who were in segment `from_id` and are now in `to_id` (stayers included)."""

    from_id: int
    to_id: int
    customers: int


@dataclass(frozen=True)
class Migration:
    """Customers in both months, arrivals, departures and the flows between segments (ids are stable)."""

    from_period: Period
    customers_in_both: int
    new_customers: int
    lost_customers: int
    flows: tuple[Flow, ...]  # every (from, to) pair with customers, so they add up to customers_in_both

    def moves(self) -> tuple[Flow, ...]:
        """Return the flows between different segments, largest first (ties: by ids)."""
        moved = (f for f in self.flows if f.from_id != f.to_id and f.customers > 0)
        return tuple(sorted(moved, key=lambda f: (-f.customers, f.from_id, f.to_id)))

    def as_dict(self) -> dict[str, Any]:
        """Return the migration as JSON-ready values: summary.json's "migration"."""
        return {
            "from_period": str(self.from_period),
            "customers_in_both": self.customers_in_both,
            "new_customers": self.new_customers,
            "lost_customers": self.lost_customers,
            "flows": [{"from": f.from_id, "to": f.to_id, "customers": f.customers} for f in self.flows],
        }


@dataclass(frozen=True)
class SegmentMatch:
    """What became of one of this month's segments: it kept a previous segment's id and name, or is new."""

    label: int  # the new fit's label
    id: int  # the kept (or fresh) segment id
    name: str | None  # the kept name; None for a new segment or one whose old name no longer holds
    distance: float | None  # to the partner's previous centroid, scaled units; None when unmatched
    tolerance: float | None  # the partner's acceptance radius
    new: bool
    renamed_from: str | None = None  # last period's name, when it is no longer true of the segment


@dataclass(frozen=True)
class VanishedSegment:
    """A previous segment no segment of this month matched."""

    id: int
    name: str
    previous_size: int
    nearest_distance: float | None  # to the closest new centroid, scaled units


@dataclass(frozen=True)
class Matching:
    """Which segments kept their identity since the previous period, which are new, which vanished."""

    from_period: Period
    matches: tuple[SegmentMatch, ...]  # one per new label, in label order
    vanished: tuple[VanishedSegment, ...]
    note: str | None = None
    rule: str = ""  # the acceptance rule in words, for summary.json

    @property
    def ids(self) -> dict[int, int]:
        """Return new label -> stable segment id."""
        return {m.label: m.id for m in self.matches}

    @property
    def new_ids(self) -> tuple[int, ...]:
        """Return the ids of segments that did not exist last period."""
        return tuple(m.id for m in self.matches if m.new)

    def as_dict(self) -> dict[str, Any]:
        """Return the matching as JSON-ready values: summary.json's "segment_matching"."""
        return {
            "from_period": str(self.from_period),
            "tolerance_rule": self.rule,
            "matched": [
                {
                    "id": m.id,
                    "name": m.name if m.renamed_from is None else m.renamed_from,  # the name it had then
                    "renamed": m.renamed_from is not None,
                    "distance": rounded(m.distance),
                    "tolerance": rounded(m.tolerance),
                }
                for m in self.matches
                if not m.new
            ],
            "new": [m.id for m in self.matches if m.new],
            "vanished": [
                {"id": v.id, "name": v.name, "previous_size": v.previous_size} for v in self.vanished
            ],
            "note": self.note,
        }


@dataclass(frozen=True)
class Redefinition:
    """A segment that took in most of the staying customers of previous segments with other ids."""

    id: int
    sources: tuple[int, ...]  # the previous segment ids redefined into it (merged, or mapped onto it)
    customers: int  # the customers who came with them: a change of definitions, not moves

    def as_dict(self) -> dict[str, Any]:
        """Return the redefinition as JSON-ready values for summary.json's "segment_matching"."""
        return {"id": self.id, "from": list(self.sources), "customers": self.customers}


@dataclass(frozen=True)
class MonthOverMonth:
    """What changed since the latest earlier period in the same output folder, built by one analysis step."""

    from_period: Period
    migration: Migration
    matching: Matching
    changes: tuple[SegmentChange, ...]  # per current segment: previous size, key-figure deltas
    redefined: tuple[Redefinition, ...] = ()  # segments whose definition changed (matching.redefinitions)

    def redefined_ids(self) -> set[int]:
        """Return the ids of this month's redefined segments."""
        return {r.id for r in self.redefined}

    def merged_ids(self) -> set[int]:
        """Return the ids of last month's segments that were redefined into another one."""
        return {a for r in self.redefined for a in r.sources}

    def moves(self) -> tuple[Flow, ...]:
        """Return the flows between segments, largest first, without the customers a redefinition carried."""
        carried = {(a, r.id) for r in self.redefined for a in r.sources}
        return tuple(f for f in self.migration.moves() if (f.from_id, f.to_id) not in carried)

    def vanished_names(self) -> dict[int, str]:
        """Return id -> name of last month's segments that no segment of this month matched."""
        return {v.id: v.name for v in self.matching.vanished}


@dataclass(frozen=True)
class PreviousModel:
    """The model and assignments an earlier run saved in DIR/<period>/."""

    period: Period
    folder: Path
    config_hash: str
    used: tuple[str, ...]
    transformed: tuple[str, ...]
    transform: str
    center: FloatArray
    scale: FloatArray
    ids: tuple[int, ...]
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    centroids: FloatArray  # row i belongs to ids[i], in the previous scaled space
    assignments: pl.DataFrame  # customer_id (text), segment_id (Int64)
    summary_segments: tuple[dict[str, Any], ...]  # the previous summary.json "segments", if readable
