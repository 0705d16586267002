"""The 'What changed' section: movement between segments since the previous period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reportgen.documents.report_model.dates import period_dates
from reportgen.documents.report_model.figures import Figure, figure
from reportgen.model import (
    ChartImage,
    MonthOverMonth,
)

TOP_FLOWS = 6  # the largest moves listed under "What changed": the chart shows them all


@dataclass(frozen=True)
class FlowRow:
    from_segment: str
    to_segment: str
    customers: int


@dataclass(frozen=True)
class SizeChangeRow:
    name: str
    previous: int | None  # None: new this month
    current: int  # 0: no longer found
    change: int | None
    status: str  # "" | "new" | "gone"


@dataclass(frozen=True)
class Changes:
    """Month-over-month movement (the optional 'What changed' section); built by the migration step."""

    from_period_label: str
    customers_in_both: int
    new_customers: int
    lost_customers: int
    flows: tuple[FlowRow, ...]
    figure: Figure | None = None
    highlights: tuple[str, ...] = ()  # the analysis' sentences on the largest movements
    sizes: tuple[SizeChangeRow, ...] = ()  # every segment, this month and last


def _size_rows(history: MonthOverMonth) -> tuple[SizeChangeRow, ...]:
    rows = [
        SizeChangeRow(
            c.name,
            c.previous_size,
            c.size,
            c.size if c.new and c.size_change is None else c.size_change,
            "new" if c.new else "",
        )
        for c in history.changes
    ]
    for gone in history.matching.get("vanished", ()):
        previous = int(gone.get("previous_size") or 0)
        rows.append(SizeChangeRow(str(gone["name"]), previous, 0, -previous, "gone"))
    return tuple(rows)


def with_history(changes: Changes, history: MonthOverMonth | None) -> Changes:
    """Return the 'What changed' section completed with the analysis' highlight sentences and size table."""
    if history is None:
        return changes
    # the opening count of stayers, joiners and leavers is already the section's first paragraph
    highlights = tuple(t for t in history.sentences if not t.startswith("Since "))
    return replace(changes, highlights=highlights, sizes=_size_rows(history))


def changes_section(
    migration: Mapping[str, Any], names: Mapping[int, str], chart: ChartImage | None = None
) -> Changes:
    """Return the 'What changed' section from summary.json's `migration` block and the segment names."""
    label, _ = period_dates(str(migration["from_period"]))
    flows = sorted(
        (f for f in migration.get("flows", ()) if f["from"] != f["to"] and f["customers"] > 0),
        key=lambda f: (-int(f["customers"]), int(f["from"]), int(f["to"])),
    )
    return Changes(
        from_period_label=label,
        customers_in_both=int(migration["customers_in_both"]),
        new_customers=int(migration["new_customers"]),
        lost_customers=int(migration["lost_customers"]),
        flows=tuple(
            FlowRow(
                names.get(f["from"], f"Segment {f['from']}"),
                names.get(f["to"], f"Segment {f['to']}"),
                int(f["customers"]),
            )
            for f in flows[:TOP_FLOWS]
        ),
        figure=figure(chart) if chart is not None else None,
    )
