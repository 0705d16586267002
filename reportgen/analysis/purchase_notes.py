"""A purchase log's cleaning, period and timestamp reading, as the sentences the report's notes show."""

from __future__ import annotations

from datetime import date

from reportgen.formats import thousands


def log_notes(
    rules: dict[str, int],
    reference: date,
    period_end: date,
    read_as: tuple[str, ...],
    kept_customers: int,
    locale: str | None = None,
) -> tuple[str, ...]:
    """Return one sentence per cleaning rule that applied, then the recency day and how timestamps were read."""
    notes: list[str] = []

    def rows(n: int) -> str:
        return f"{thousands(n, locale)} row{'s' if n != 1 else ''}"

    sentences = {
        "rows_without_customer": "without a customer id {were} excluded.",
        "rows_missing_values": "without an invoice number, timestamp, quantity or unit price {were} excluded.",
        "non_positive_price_rows": "with a zero or negative unit price {were} excluded.",
        "zero_quantity_rows": "with a quantity of zero {were} excluded.",
        "rows_after_period_end": f"dated after the period end ({period_end.isoformat()}) {{were}} excluded.",
    }
    for key, sentence in sentences.items():
        n = rules.get(key, 0)
        if n:
            notes.append(f"{rows(n)} {sentence.format(were='were' if n != 1 else 'was')}")
    n = rules.get("cancellation_rows", 0)
    if n:
        notes.append(
            f"{rows(n)} {'are cancellations or returns' if n != 1 else 'is a cancellation or return'} "
            '(invoice number starting with "C" or a negative quantity); '
            "they were netted against spend and count towards the return rate."
        )
    n = rules.get("customers_non_positive_spend", 0)
    if n:
        notes.append(
            f"{thousands(n, locale)} customer{'s' if n != 1 else ''} with zero or negative net spend "
            f"{'were' if n != 1 else 'was'} left out of the segmentation "
            f"({thousands(kept_customers, locale)} customers remain)."
        )
    if reference < period_end:
        notes.append(
            f"Recency is counted from {reference.isoformat()}, the log's last day, which is earlier than the "
            f"period end ({period_end.isoformat()})."
        )
    else:
        notes.append(f"Recency is counted from the period end, {reference.isoformat()}.")
    if read_as:
        notes.append(f"Timestamps were read as {' and '.join(read_as)}.")
    return tuple(notes)


def period_note(period_end: date, last_day: date) -> tuple[str, ...]:
    """Return a note when the period starts after the log's last purchase (the report then describes less)."""
    start = period_end.replace(day=1)
    if last_day >= start:
        return ()
    return (
        f"The period ({period_end.strftime('%Y-%m')}) starts after the log's last purchase "
        f"({last_day.isoformat()}); the report describes the log up to that day. Run with --period "
        f"{last_day.strftime('%Y-%m')} (the default) to date it by the data.",
    )
