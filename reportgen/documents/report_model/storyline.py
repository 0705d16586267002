"""The report's storyline: titles that state their message, the cover's key figures, "This month", deltas."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from reportgen.documents.formats import amount, decimal, percent, signed, thousands
from reportgen.documents.labels import value_label
from reportgen.model import Analysis, FigureChange, MonthOverMonth, SegmentChange, SegmentProfile, spend_share
from reportgen.model.columns import feature_label, in_sentence

UP, DOWN = "▲", "▼"


@dataclass(frozen=True)
class Delta:
    """A change against the previous period, ready to show: "▲ +120 (+3%)", with its direction for colour."""

    text: str
    direction: str  # "up" | "down" | "flat" | "new"


@dataclass(frozen=True)
class CoverFigure:
    value: str  # formatted: "8,950", "64%"
    label: str  # "customers analysed"
    note: str  # "+120 since October 2026", the segment's name


@dataclass(frozen=True)
class KeyFigureCell:
    value: float
    change_pct: float | None
    delta: Delta | None
    unit: str


@dataclass(frozen=True)
class KeyFigureRow:
    name: str
    size: int
    size_delta: Delta | None
    cells: tuple[KeyFigureCell | None, ...]  # one per `KeyFigureTable.labels`, None where not measured


@dataclass(frozen=True)
class KeyFigureTable:
    """Per segment, each key figure's average this month and its change against the previous period."""

    labels: tuple[str, ...]
    rows: tuple[KeyFigureRow, ...]


def _signed(value: float, text: str) -> str:
    return f"+{text}" if value > 0 else f"-{text}" if value < 0 else text


def _ratio_digits(ratio: float) -> int:
    size = abs(ratio) * 100
    return 1 if 0 < size < 1 else 0


def prints_as_zero(ratio: float) -> bool:
    """Return whether a relative change shows as 0% (under 0.05%): no news, and no arrow."""
    return round(abs(ratio) * 100, _ratio_digits(ratio)) == 0


def ratio_text(ratio: float) -> str:
    """Format a relative change: 0.043 -> '+4%', -0.004 -> '-0.4%', 0 (or under 0.05%) -> '0%'."""
    if prints_as_zero(ratio):
        return percent(0, 0)
    return _signed(ratio, percent(abs(ratio), _ratio_digits(ratio)))


def signed_count(change: int) -> str:
    """Format a change in a count: 120 -> '+120', -1234 -> '-1,234', 0 -> '0' (no sign on none)."""
    return signed(change) if change else thousands(0)


NO_CHANGE = "no change"


def count_change(change: int, before: int | None, *, noun: str = "", bracketed: bool = True) -> str:
    """Format a change in a count with its size relative to `before`: "+120 (+3%)", "no change"; the count
    alone without a base. Every channel writes a change this way: `noun` follows the count ("-8 customers
    (-4%)"), and where the text already sits in brackets the relative size follows a comma ("+15, +0.5%")."""
    if change == 0:
        return f"{NO_CHANGE} in {noun}" if noun else NO_CHANGE
    count = f"{signed_count(change)} {noun}" if noun else signed_count(change)
    if not before:
        return count
    relative = ratio_text(change / before)
    return f"{count} ({relative})" if bracketed else f"{count}, {relative}"


def count_delta(change: int | None, before: int | None) -> Delta | None:
    """Return a change in customers: "▲ +120 (+3%)", "= no change"; None when there is nothing to compare
    with."""
    if change is None:
        return None
    text = count_change(change, before)
    if change == 0:
        return Delta(f"= {text}", "flat")
    return Delta(f"{UP if change > 0 else DOWN} {text}", "up" if change > 0 else "down")


def ratio_delta(ratio: float) -> Delta:
    """Return a relative change with its arrow: "▲ +4%", "▼ -0.4%"; "= no change" when it shows as 0% (no
    arrow for a change too small to print), as a count that did not change."""
    if prints_as_zero(ratio):
        return Delta(f"= {NO_CHANGE}", "flat")
    return Delta(f"{UP if ratio > 0 else DOWN} {ratio_text(ratio)}", "up" if ratio > 0 else "down")


def points_delta(now: float, before: float | None) -> Delta | None:
    """Return a change in a share as percentage points: "▼ -1.2 pts"; None without a previous share."""
    if before is None:
        return None
    points = round((now - before) * 100, 1)
    if points == 0:
        return Delta(f"= {thousands(0)} pts", "flat")
    return Delta(
        f"{UP if points > 0 else DOWN} {_signed(points, decimal(abs(points), 1))} pts",
        "up" if points > 0 else "down",
    )


def segment_changes(history: MonthOverMonth | None) -> dict[int, SegmentChange]:
    """Return this month's segment changes by segment id (empty in a first month)."""
    return {c.id: c for c in history.changes} if history is not None else {}


def size_delta(change: SegmentChange | None) -> Delta | None:
    """Return a segment's change in customers, or "new" for a segment first found this month."""
    if change is None:
        return None
    if change.new:
        return Delta("new this month", "new")
    return count_delta(change.size_change, change.previous_size)


def share_delta(change: SegmentChange | None) -> Delta | None:
    """Return a segment's change in share of customers (points), None for a new segment or a first month."""
    if change is None or change.new:
        return None
    return points_delta(change.share, change.previous_share)


def _value_segments(profiles: Sequence[SegmentProfile]) -> list[tuple[SegmentProfile, float]]:
    valued = [(p, v) for p in profiles if (v := spend_share(p)[1]) is not None]
    # the segments that make the most value per customer first: they carry the concentration
    return sorted(valued, key=lambda pv: (-(pv[1] / pv[0].share if pv[0].share else 0.0), pv[0].id))


KEY_SEGMENTS = 3  # at most this many segments named in the key message: more is a list, not a headline


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def key_message(analysis: Analysis, spend_label: str) -> str:
    """Return the report's key message, which names its segments: "High spenders and Savers: 37% of customers
    make 79% of purchases".

    The segments that make more than their share (value per customer above the average) are taken in order of
    value per customer until they make at least 60% of the value, at most KEY_SEGMENTS of them; the sentence
    gives their combined shares of customers and of value. Without a value measure: the largest segment. The
    report, the e-mail subject and the archive all say this sentence.
    """
    valued = _value_segments(analysis.profiles)
    label = in_sentence(spend_label)
    if valued and sum(v for _, v in valued) > 0:
        customers = value = 0.0
        names: list[str] = []
        for profile, share in valued:
            if names and (share <= profile.share or len(names) == KEY_SEGMENTS):
                break  # an average or below-average segment adds customers, not concentration
            customers, value = customers + profile.share, value + share
            names.append(profile.name)
            if value >= 0.6:
                break
        return f"{_names(names)}: {percent(customers, 0)} of customers make {percent(value, 0)} of {label}"
    largest = max(analysis.profiles, key=lambda p: (p.size, -p.id))
    # "Mixed behaviour hold" and "High has cr card hold": a name need not be a plural, so no verb follows it
    return f"{largest.name}: {percent(largest.share, 0)} of customers, the largest segment"


def headline(analysis: Analysis, user_labels: Mapping[str, str]) -> str:
    """Return the key message in the value measure's words: the report's, the e-mail's and the archive's."""
    return key_message(analysis, value_label(analysis, user_labels))


def segment_message(profile: SegmentProfile, spend_label: str) -> str:
    """Return a segment page's message: its defining trait, then its shares of customers and value."""
    _, value = spend_share(profile)
    shares = f"{percent(profile.share, 0)} of customers"
    if value is not None:
        shares += f" and {percent(value, 0)} of {in_sentence(spend_label)}"
    if profile.traits:
        trait = profile.traits[0].text
        return f"{trait[0].upper()}{trait[1:]}; {shares}"
    return shares[0].upper() + shares[1:]


def cover_figures(analysis: Analysis, spend_label: str, from_label: str | None) -> tuple[CoverFigure, ...]:
    """Return the cover's three headline numbers: customers, the top-value segment, the largest segment or change."""
    changes = segment_changes(analysis.history)
    customers = analysis.features.quality.customers
    before = sum(c.previous_size or 0 for c in changes.values()) if changes else None
    customers_note = ""
    if before:
        delta = count_delta(customers - before, before)
        customers_note = f"{delta.text} since {from_label}" if delta and from_label else ""
    out = [CoverFigure(thousands(customers), "customers", customers_note)]
    valued = [(p, v) for p in analysis.profiles if (v := spend_share(p)[1]) is not None]
    top = None
    if valued:
        top, share = max(valued, key=lambda pv: (pv[1], pv[0].size, -pv[0].id))
        out.append(CoverFigure(percent(share, 0), f"of {in_sentence(spend_label)}", top.name))
    news = headline_change(tuple(changes.values()), _redefined(analysis.history))
    if news is not None:
        moved, kind = news
        if kind == "change" and (delta := size_delta(moved)) is not None:
            out.append(CoverFigure(delta.text.split(" ", 1)[-1], "largest change in customers", moved.name))
        else:
            label = (
                "of customers, in a new segment" if kind == "new" else "of customers, in a redefined segment"
            )
            out.append(CoverFigure(percent(moved.share, 0), label, moved.name))
    largest = max(analysis.profiles, key=lambda p: (p.size, -p.id))
    if largest is not top:  # the key message already gives the top-value segment's share of customers
        out.append(CoverFigure(percent(largest.share, 0), "of customers", largest.name))
    out.append(CoverFigure(str(len(analysis.profiles)), "segments", ""))
    return tuple(out[:3])


def largest_move(changes: Sequence[SegmentChange]) -> SegmentChange | None:
    """Return the matched segment whose size changed most in customers (-30 beats +20), else a new one."""
    moved = [c for c in changes if not c.new and c.size_change]
    if moved:
        return max(moved, key=lambda c: (abs(c.size_change or 0), -c.id))
    return next((c for c in changes if c.new), None)


def headline_change(
    changes: Sequence[SegmentChange], redefined: Collection[int] = ()
) -> tuple[SegmentChange, str] | None:
    """Return the month's news and its kind: the largest new segment ("new"), else the largest redefined
    one ("redefined"), else the matched segment whose size changed most in customers ("change")."""
    new = [c for c in changes if c.new and c.id not in redefined]
    if new:
        return max(new, key=lambda c: (c.size, -c.id)), "new"
    again = [c for c in changes if c.id in redefined]
    if again:
        return max(again, key=lambda c: (c.size, -c.id)), "redefined"
    moved = [c for c in changes if not c.new and c.size_change]
    if moved:
        return max(moved, key=lambda c: (abs(c.size_change or 0), -c.id)), "change"
    return None


def _redefined(history: MonthOverMonth | None) -> set[int]:
    return history.redefined_ids() if history is not None else set()


def _total_change(change: SegmentChange, key: str) -> tuple[FigureChange, float, float] | None:
    """Return a segment's figure of a value column and the change in its total (mean x customers), with the
    total before; None where it has no such figure or no earlier period."""
    figure = next((f for f in change.figures if f.feature == key), None)
    if figure is None or change.previous_size is None:
        return None
    before = figure.previous_mean * change.previous_size
    return figure, figure.mean * change.size - before, before


def _prints_as_change(diff: float, before: float) -> bool:
    """Return whether a change in a total shows as one: not "0%" against its total before (not 0 without)."""
    return not prints_as_zero(diff / before) if before else diff != 0


def this_month(
    analysis: Analysis, spend_label: str, *, locale: str | None = None, currency: str | None = None
) -> tuple[str, ...]:
    """Return the executive summary's "This month" lines: the largest change in value (per customer, in
    `currency` if given), new segments, the largest movement in customers (empty in a first month)."""
    history = analysis.history
    if history is None:
        return ()
    changes = history.changes
    lines: list[str] = []
    key = next((k for p in analysis.profiles if (k := spend_share(p)[0]) is not None), None)
    if key is not None:
        totals = [(c, *t) for c in changes if not c.new and (t := _total_change(c, key)) is not None]
        # a change that prints as 0% (a re-run of the same extract) is no news, and no "largest change"
        shown = [row for row in totals if _prints_as_change(row[2], row[3])]
        if shown:
            change, figure, diff, before = max(shown, key=lambda row: (abs(row[2]), -row[0].id))
            relative = f" ({ratio_text(diff / before)})" if before else ""
            lines.append(
                f"Largest change in total {in_sentence(spend_label)}: {change.name}, "
                f"{_signed(diff, amount(abs(diff), locale, currency))}{relative}; per customer "
                f"{amount(figure.previous_mean, locale, currency)} then, {amount(figure.mean, locale, currency)} now."
            )
        elif totals:
            lines.append(f"No segment's total {in_sentence(spend_label)} changed by 0.1% or more.")
    redefined = history.redefined_ids()
    new = [c for c in changes if c.new and c.id not in redefined]
    if new:
        listed = ", ".join(f"{c.name} ({thousands(c.size)} customers)" for c in new)
        lines.append(f"New this month: {listed}.")
    moved = largest_move([c for c in changes if not c.new and c.id not in redefined])
    if moved is not None and moved.size_change:
        word = "grew" if moved.size_change > 0 else "shrank"
        among = " among last month's segments" if new or redefined else ""
        relative = f" ({ratio_text(moved.size_change / moved.previous_size)})" if moved.previous_size else ""
        lines.append(
            f"Largest change in customers{among}: {moved.name} {word} by "
            f"{thousands(abs(moved.size_change))}{relative}."
        )
    switches = history.moves()  # the customers a redefinition carried are not moves
    if switches:
        top = switches[0]
        names = {c.id: c.name for c in changes} | history.vanished_names()
        source = names.get(top.from_id, f"segment {top.from_id}")
        target = names.get(top.to_id, f"segment {top.to_id}")
        lines.append(f"Largest move: {thousands(top.customers)} customers from {source} to {target}.")
    return tuple(lines)


def key_figure_table(
    history: MonthOverMonth,
    labels: Mapping[str, str],
    units: Mapping[str, str],
    profiles: Sequence[SegmentProfile] = (),
) -> KeyFigureTable | None:
    """Return the key-figures change table of "What changed": every segment, every key figure."""
    features: list[str] = []
    for change in history.changes:
        features += [f.feature for f in change.figures if f.feature not in features]
    if not features:
        return None
    stats = {p.id: p.stats for p in profiles}
    rows = []
    for change in history.changes:
        by_feature = {f.feature: f for f in change.figures}
        cells: list[KeyFigureCell | None] = []
        for feature in features:
            f = by_feature.get(feature)
            if change.new:
                # a new segment: this month's average is known, only the change is not
                stat = stats.get(change.id, {}).get(feature)
                unit = units.get(feature, "number")
                cells.append(KeyFigureCell(stat.mean, None, None, unit) if stat is not None else None)
                continue
            if f is None:
                cells.append(None)
                continue
            delta = ratio_delta(f.change_pct) if f.change_pct is not None else None
            cells.append(KeyFigureCell(f.mean, f.change_pct, delta, units.get(feature, "number")))
        rows.append(KeyFigureRow(change.name, change.size, size_delta(change), tuple(cells)))
    return KeyFigureTable(tuple(labels.get(f, feature_label(f)) for f in features), tuple(rows))


def amounts_note(currency: str, amounts_cover: str) -> str:
    """Return the line that says what the amounts are: "Amounts in US dollars (USD), over the last 6 months."."""
    parts = []
    if currency:
        from babel.numbers import get_currency_name

        # the report's sentences are English: the currency's English name, its amounts in the locale's format
        parts.append(f"in {get_currency_name(currency, count=2, locale='en')} ({currency})")
    if amounts_cover:
        parts.append(
            f"over {amounts_cover}"
            if not amounts_cover.lower().startswith(("over ", "for "))
            else amounts_cover
        )
    return f"Amounts {', '.join(parts)}." if parts else ""
