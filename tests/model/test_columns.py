"""Column labels: how the report names a column it has no `[data] labels` entry for."""

from __future__ import annotations

import pytest

from reportgen.model.columns import feature_label


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("MntFishProducts", "Fish products spend"),
        ("avg_basket", "Average basket value"),
        ("days_since", "Days since"),
        ("CASH_ADVANCE", "Cash advance"),
        ("NumStorePurchases", "Store purchases"),
        ("recency_days", "Days since last purchase"),
    ],
)
def test_a_column_name_reads_as_words(column: str, label: str) -> None:
    assert feature_label(column) == label


@pytest.mark.parametrize("column", ["Recency", "recency", "RECENCY", " Recency "])
def test_a_recency_column_says_what_it_measures(column: str) -> None:
    # "High recency" would read as "bought recently" to a manager, when it means the last purchase is long ago
    assert feature_label(column) == "Time since last purchase"
