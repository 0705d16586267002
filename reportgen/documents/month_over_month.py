"""What changed since the previous period, in words: the sentences the report and the briefing share."""

from __future__ import annotations

from reportgen.documents.formats import month_label, thousands
from reportgen.model import MonthOverMonth


def opening_sentence(history: MonthOverMonth) -> str:
    """Return how many customers are in both extracts, new in this one and no longer in it."""
    moves = history.migration
    # absent from an extract is not churn, present is not acquisition: say only what the files show
    return (
        f"Compared with {month_label(history.from_period)}, {thousands(moves.customers_in_both)} customers "
        f"appear in both months, {thousands(moves.new_customers)} are new and "
        f"{thousands(moves.lost_customers)} are no longer in the extract."
    )


def highlight_sentences(history: MonthOverMonth) -> tuple[str, ...]:
    """Return the sentences on redefinitions, the largest move, a size change, new, gone and renamed segments."""
    changes = history.changes
    names = {c.id: c.name for c in changes} | history.vanished_names()
    sentences = [redefined_sentence(history, r.id, r.sources, r.customers, names) for r in history.redefined]
    switches = history.moves()  # the customers a redefinition carried are not moves
    if switches:
        top = switches[0]
        source = names.get(top.from_id, f"segment {top.from_id}")
        target = names.get(top.to_id, f"segment {top.to_id}")
        sentences.append(
            f"The largest move was {thousands(top.customers)} customers from {source} to {target}."
        )
    grown = [c for c in changes if c.size_change is not None and c.id not in history.redefined_ids()]
    if grown:
        big = max(grown, key=lambda c: (abs(c.size_change or 0), -c.id))
        if big.size_change:
            verb = "grew" if big.size_change > 0 else "shrank"
            sentences.append(
                f"{big.name} {verb} by {thousands(abs(big.size_change))} customers to {thousands(big.size)}."
            )
    news = [c.name for c in changes if c.new and c.id not in history.redefined_ids()]
    gone = [v.name for v in history.matching.vanished if v.id not in history.merged_ids()]
    if news or gone:
        parts = []
        if news:
            parts.append(f"new this month: {', '.join(news)}")
        if gone:
            parts.append(f"no longer found: {', '.join(gone)}")
        sentences.append("Segments " + "; ".join(parts) + ".")
    sentences += renamed_sentences(history, names)
    return tuple(sentences)


def renamed_sentences(history: MonthOverMonth, names: dict[int, str]) -> list[str]:
    """Return that a segment kept its id but not its name, because the old name no longer holds."""
    month = month_label(history.from_period)
    return [
        f"{m.renamed_from}, as it was called in {month}, is now {names.get(m.id, f'segment {m.id}')}: "
        "its figures no longer bear out the old name."
        for m in history.matching.matches
        if m.renamed_from is not None
    ]


def redefined_sentence(
    history: MonthOverMonth, target: int, sources: tuple[int, ...], customers: int, names: dict[int, str]
) -> str:
    """Return that a segment was redefined: whose customers it took in, and that they are not moves."""
    taken = " and ".join(names.get(a, f"segment {a}") for a in sources)
    return (
        f"{names.get(target, f'segment {target}')} was redefined: it now holds most of the customers of "
        f"{taken} ({thousands(customers)}; not counted as moves, since the segment definitions changed, not "
        "their behaviour)."
    )


def change_sentences(history: MonthOverMonth) -> tuple[str, ...]:
    """Return the opening count and the highlights: two to four plain sentences for the briefing."""
    return (opening_sentence(history), *highlight_sentences(history))
