"""The 'What changed' section: movement between segments since the previous period."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.documents.formats import month_label
from reportgen.documents.month_over_month import highlight_sentences, opening_sentence
from reportgen.documents.report_model.figures import Figure, figure
from reportgen.documents.report_model.storyline import KeyFigureTable
from reportgen.documents.report_model.tables import MoveTable, move_table
from reportgen.model import ChartImage, MonthOverMonth

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
    opening: str  # the counts in words, the same sentence the briefing opens with
    customers_in_both: int
    new_customers: int
    lost_customers: int
    flows: tuple[FlowRow, ...]
    figure: Figure | None = None
    highlights: tuple[str, ...] = ()  # the analysis' sentences on the largest movements
    sizes: tuple[SizeChangeRow, ...] = ()  # every segment, this month and last
    key_figures: KeyFigureTable | None = None  # every segment's key figures, this month against last
    moves: MoveTable | None = None  # the movement matrix as a table, for the web report


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
    for gone in history.matching.vanished:
        rows.append(SizeChangeRow(gone.name, gone.previous_size, 0, -gone.previous_size, "gone"))
    return tuple(rows)


def changes_section(
    history: MonthOverMonth,
    names: Mapping[int, str],
    chart: ChartImage | None = None,
    foreground: str = "#1F2933",
) -> Changes:
    """Return the 'What changed' section: counts, the largest moves, highlights and every segment's size."""
    moves = history.migration
    return Changes(
        from_period_label=month_label(history.from_period),
        opening=opening_sentence(history),
        customers_in_both=moves.customers_in_both,
        new_customers=moves.new_customers,
        lost_customers=moves.lost_customers,
        flows=tuple(
            FlowRow(
                names.get(f.from_id, f"Segment {f.from_id}"),
                names.get(f.to_id, f"Segment {f.to_id}"),
                f.customers,
            )
            for f in moves.moves()[:TOP_FLOWS]
        ),
        figure=figure(chart) if chart is not None else None,
        # the opening count is the section's first paragraph, not a highlight
        highlights=highlight_sentences(history),
        sizes=_size_rows(history),
        moves=move_table([(f.from_id, f.to_id, f.customers) for f in moves.flows], names, foreground)
        if moves.flows
        else None,
    )
