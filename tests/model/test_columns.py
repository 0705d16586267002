"""Column labels: how the report names a column it has no `[data] labels` entry for."""

from __future__ import annotations

import pytest

from reportgen.model.columns import feature_label, readable_label


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


def test_marketing_column_names_read_as_words() -> None:
    # review2 #11: "Gold prods spend", "Web visits month", "Deals purchases", "Dt customer" (a date, held as days)
    assert readable_label("MntGoldProds") == "Gold products spend"
    assert readable_label("NumWebVisitsMonth") == "Web visits per month"
    assert readable_label("NumDealsPurchases") == "Deal purchases"
    assert readable_label("NumWebPurchases") == "Web purchases"
    assert readable_label("Dt_Customer") == "Days since customer date"
    assert readable_label("NumStorePurchases") == "Store purchases"
    assert readable_label("NumOfProducts") == "Products"  # a bank churn table's column read "Of products"


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("MRR", "MRR"),
        ("NPS_SCORE", "NPS score"),
        ("TOTAL_MRR", "Total MRR"),
        ("AGE", "Age"),
        ("SKY_HIGH", "Sky high"),
    ],
)
def test_an_abbreviation_keeps_its_capitals_in_an_all_capitals_name(column: str, label: str) -> None:
    # a SaaS table's MRR read "Mrr 7.6x the average" and "73% of mrr": a vowel-less capitalised word is an
    # abbreviation, while a word such as AGE is still a word
    assert readable_label(column) == label
