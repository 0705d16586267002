"""The executive summary: headline figures, segment paragraphs and the top actions."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.documents.report_model.storyline import headline_change, size_delta
from reportgen.model import (
    Analysis,
    spend_share,
    top_actions,
)
from reportgen.model.columns import in_sentence
from reportgen.period import Period, period_of

# Which value share is "share of spend", in order of preference (customers table, transaction log).
TOP_ACTIONS = 3


@dataclass(frozen=True)
class Headline:
    label: str
    value: float
    kind: str  # "count" | "percent" | "decimal" | "change": picks the filter in the template
    note: str
    text: str = ""  # the figure already formatted (kind "change": "▼ -30 (-4%)")


@dataclass(frozen=True)
class SegmentParagraph:
    anchor: str
    name: str
    text: str


@dataclass(frozen=True)
class Action:
    segment: str
    anchor: str
    title: str
    text: str
    kpi: str = ""
    value_at_stake: str = ""


def is_monthly(analysis: Analysis, period: Period | None) -> bool:
    """Return whether the data is known to be the period's month: a log whose dates all fall in it, or a
    customer table run for an earlier month into the same folder."""
    table = analysis.table
    if table.kind == "transactions":
        if table.first_day is None or table.last_day is None:
            return False
        return period_of(table.first_day) == period == period_of(table.last_day)
    return analysis.history is not None


def _scope(analysis: Analysis, period: Period | None) -> str:
    words = analysis.wording
    return words.headline_note if is_monthly(analysis, period) else words.headline_note_any


def headline_figures(
    analysis: Analysis, spend_label: str, period: Period | None = None
) -> tuple[Headline, ...]:
    profiles = analysis.profiles
    largest = max(profiles, key=lambda p: (p.size, -p.id))
    out = [
        Headline(
            "Customers analysed", analysis.features.quality.customers, "count", _scope(analysis, period)
        ),
        Headline("Largest segment", largest.share, "percent", largest.name),
    ]
    valued = [p for p in profiles if spend_share(p)[1] is not None]
    if valued:
        top = max(valued, key=lambda p: (spend_share(p)[1] or 0.0, p.size, -p.id))
        out.append(
            Headline(
                f"Top share of {in_sentence(spend_label)}", spend_share(top)[1] or 0.0, "percent", top.name
            )
        )
    # in a second month the fourth figure is the news: the segment whose size moved most
    history = analysis.history
    news = headline_change(history.changes, history.redefined_ids()) if history is not None else None
    if news is not None:
        moved, kind = news
        if kind == "change" and (delta := size_delta(moved)) is not None:
            out.append(
                Headline(
                    "Largest change in customers",
                    float(moved.size_change or 0),
                    "change",
                    moved.name,
                    delta.text,
                )
            )
        elif kind != "change":
            out.append(Headline(f"{kind.capitalize()} segment", moved.share, "percent", moved.name))
    return tuple(out)


def action_items(analysis: Analysis) -> tuple[Action, ...]:
    return tuple(
        Action(profile.name, f"segment-{profile.id}", rec.title, rec.text, rec.kpi, rec.value_at_stake)
        for profile, rec in top_actions(analysis.profiles, analysis.recommendations, TOP_ACTIONS)
    )
