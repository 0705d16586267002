"""The columns reportgen knows: readable labels, the engineered ratios, which column counts as spend.

Plain data and text, no table library: the render workers use these without loading Polars.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# the column whose share of the all-customer total is "share of spend" (cards, then transaction logs)
SPEND_COLUMNS: tuple[str, ...] = ("PURCHASES", "monetary")


@dataclass(frozen=True)
class Ratio:
    """An engineered feature: numerator / denominator, 0 where the denominator is 0 or missing."""

    name: str
    numerator: str
    denominator: str
    label: str


ENGINEERED_RATIOS: tuple[Ratio, ...] = (
    Ratio("MONTHLY_PURCHASES", "PURCHASES", "TENURE", "Monthly purchases"),
    Ratio("MONTHLY_CASH_ADVANCE", "CASH_ADVANCE", "TENURE", "Monthly cash advance"),
    Ratio("LIMIT_USAGE", "BALANCE", "CREDIT_LIMIT", "Limit usage (balance / limit)"),
    Ratio("PAYMENT_TO_MINIMUM", "PAYMENTS", "MINIMUM_PAYMENTS", "Payments / minimum payments"),
    Ratio("INSTALLMENT_SHARE", "INSTALLMENTS_PURCHASES", "PURCHASES", "Instalment share of purchases"),
    Ratio("AVG_PURCHASE_VALUE", "PURCHASES", "PURCHASES_TRX", "Average purchase value"),
    Ratio("AVG_CASH_ADVANCE_VALUE", "CASH_ADVANCE", "CASH_ADVANCE_TRX", "Average cash-advance value"),
)

FEATURE_LABELS: dict[str, str] = {
    "BALANCE": "Balance",
    "BALANCE_FREQUENCY": "Balance update frequency",
    "PURCHASES": "Purchases",
    "ONEOFF_PURCHASES": "One-off purchases",
    "INSTALLMENTS_PURCHASES": "Instalment purchases",
    "CASH_ADVANCE": "Cash advance",
    "PURCHASES_FREQUENCY": "Purchase frequency",
    "ONEOFF_PURCHASES_FREQUENCY": "One-off purchase frequency",
    "PURCHASES_INSTALLMENTS_FREQUENCY": "Instalment purchase frequency",
    "CASH_ADVANCE_FREQUENCY": "Cash-advance frequency",
    "CASH_ADVANCE_TRX": "Cash-advance transactions",
    "PURCHASES_TRX": "Purchase transactions",
    "CREDIT_LIMIT": "Credit limit",
    "PAYMENTS": "Payments",
    "MINIMUM_PAYMENTS": "Minimum payments",
    "PRC_FULL_PAYMENT": "Share of months paid in full",
    "TENURE": "Tenure (months)",
    "recency_days": "Days since last purchase",
    "frequency": "Orders",
    "monetary": "Net spend",
    "tenure_days": "Customer for (days)",
    "avg_basket": "Average basket value",
    "return_rate": "Return rate",
    "distinct_products": "Distinct products",
    **{r.name: r.label for r in ENGINEERED_RATIOS},
}


def indicator_name(column: str, value: str) -> str:
    """Return the name of the 0/1 column that marks one value of a categorical column."""
    return f"{column}={value}"


def value_words(column: str, value: str, names: Mapping[str, str], bare: bool = False) -> str:
    """Return how one value of a categorical column reads: its own label ("Channel=2" in `names`), else the
    column's label and the value (`bare`: the value alone, where the column is named beside it)."""
    own = names.get(indicator_name(column, value))
    if own:
        return own
    # a bare code ("3") says nothing beside other values' labels: it keeps its column's name
    coded = value.replace(".", "", 1).lstrip("-").isdigit()
    return value if bare and not coded else f"{names.get(column) or feature_label(column)} {value}"


# money columns: shown in the report's currency (`[report] currency`) and over `[report] amounts_cover`
AMOUNT_COLUMNS = frozenset(
    {
        "BALANCE",
        "PURCHASES",
        "ONEOFF_PURCHASES",
        "INSTALLMENTS_PURCHASES",
        "CASH_ADVANCE",
        "CREDIT_LIMIT",
        "PAYMENTS",
        "MINIMUM_PAYMENTS",
        "MONTHLY_PURCHASES",
        "MONTHLY_CASH_ADVANCE",
        "AVG_PURCHASE_VALUE",
        "AVG_CASH_ADVANCE_VALUE",
        "monetary",
        "avg_basket",
    }
)
# A value column's share of a customer's summed value, as naming measures it ("@share:Fresh"): a fraction of a whole.
VALUE_SHARE_PREFIX = "@share:"
# the card table's "frequency" columns are the share of months with the activity (0 = never, 1 = every month)
MONTH_SHARE_COLUMNS = frozenset(
    {
        "BALANCE_FREQUENCY",
        "PURCHASES_FREQUENCY",
        "ONEOFF_PURCHASES_FREQUENCY",
        "PURCHASES_INSTALLMENTS_FREQUENCY",
        "CASH_ADVANCE_FREQUENCY",
    }
)


# Column names that say "an amount spent" (MntWines, total_spend, Sales): summed into the value by default.
SPEND_NAME = re.compile(r"^mnt(?=[A-Z_])|spend|amount|sales|revenue", re.IGNORECASE)


def in_sentence(label: str) -> str:
    """Return a label as it reads mid-sentence: 'Purchases' -> 'purchases'; 'MRR' and 'RFM score' kept."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def feature_label(name: str) -> str:
    """Return the readable label of a column, falling back to a tidied column name."""
    return FEATURE_LABELS.get(name) or readable_label(name)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Prefixes common in marketing tables: MntWines = amount spent on wines, NumWebPurchases = how many, Dt_Customer =
# a date (which the report holds as days before the period end).
_PREFIXES = {"mnt": "{} spend", "num": "{}", "dt": "Days since {} date"}
# Abbreviations spelled out: "MntGoldProds" reads "Gold products spend"
_WORDS = {"prods": "products", "prod": "product"}
# A capitalised word without a vowel is an abbreviation even in an all-capitals name (MRR, LTV, NPS): lowered,
# "mrr" reads as a typo
_ACRONYM = re.compile(r"^[B-DF-HJ-NP-TV-XZ]{2,}$")


def readable_label(name: str) -> str:
    """Return a column name split into words: 'MntFishProducts' -> 'Fish products spend', 'avg_basket' ->
    'Avg basket', 'CASH_ADVANCE' -> 'Cash advance', 'NumWebVisitsMonth' -> 'Web visits per month'."""
    shouting = name.isupper()
    words = [w for part in re.split(r"[_\s]+", name.strip()) for w in _CAMEL.split(part) if w]
    if not words:
        return name.strip() or name
    if [w.lower() for w in words] == ["recency"]:
        # "high recency" reads as "bought recently" but means the opposite: say what the number measures
        return "Time since last purchase"
    pattern = "{}"
    if len(words) > 1 and words[0].lower() in _PREFIXES:
        pattern = _PREFIXES[words[0].lower()]
        words = words[1:]
        if len(words) > 1 and words[0].lower() == "of":  # NumOfProducts: "Products", not "Of products"
            words = words[1:]
    kept = [
        w if (w.isupper() and len(w) > 1 and (not shouting or _ACRONYM.match(w))) else w.lower()
        for w in words
    ]
    kept = [_WORDS.get(w, w) for w in kept]
    if len(kept) > 1 and kept[-1] == "month":  # NumWebVisitsMonth: visits in a month
        kept[-1] = "per month"
    if len(kept) > 1 and kept[-1] == "purchases" and kept[-2].endswith("s") and not kept[-2].endswith("ss"):
        kept[-2] = kept[-2][
            :-1
        ]  # NumDealsPurchases: a noun before "purchases" reads singular ("deal purchases")
    text = pattern.format(" ".join(kept))
    return text[:1].upper() + text[1:]
