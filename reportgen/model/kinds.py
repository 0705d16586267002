"""How the documents speak of each kind of input table: a customer extract or a transaction log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindWording:
    """The words that differ between kinds of table; `{rows}`, `{customers}` and `{used}` are filled in."""

    noun: str  # what the input is: "customer table", "transaction log"
    headline_note: str  # under "Customers analysed", where the data is known to be the period's month
    headline_note_any: str  # under "Customers analysed" otherwise
    source: str  # the methodology's first sentence: what was read
    features_intro: str  # what describes each customer
    settings_sections: tuple[str, ...] = ()  # settings sections that matter only for this kind
    unused_data_keys: tuple[
        str, ...
    ] = ()  # [data] keys that do not shape this kind (left out of the appendix)


CUSTOMERS_WORDING = KindWording(
    noun="customer table",
    headline_note="in this month's extract",
    headline_note_any="in this extract",
    source="The extract held {rows} rows for {customers} customers.",
    features_intro="{used} features from the {table} describe each customer.",
)
TRANSACTIONS_WORDING = KindWording(
    noun="transaction log",
    headline_note="buying in this month's log",
    headline_note_any="buying in this log",
    source="The transaction log held {rows} order lines from {customers} customers.",
    features_intro=(
        "{used} measures describe each customer's buying: recency (days since the last purchase), "
        "frequency (orders) and monetary value (net spend), the classic RFM measures, plus the others "
        "listed below."
    ),
    settings_sections=("transactions",),
    unused_data_keys=("id_column", "features", "categorical", "dates"),
)
WORDING = {"customers": CUSTOMERS_WORDING, "transactions": TRANSACTIONS_WORDING}
KIND_SECTIONS = frozenset(s for w in WORDING.values() for s in w.settings_sections)


def kind_wording(kind: str) -> KindWording:
    """Return the wording of a kind of table (a customer table's for a kind without its own)."""
    return WORDING.get(kind, CUSTOMERS_WORDING)
