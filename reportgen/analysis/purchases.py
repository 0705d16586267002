"""The spend rule, and each customer's purchase figures from a purchase log as io read and cleaned it.

The spend rule, its one definition (the report's notes and the README describe this one):

- A line is a cancellation or return when its invoice number starts with "C" (text invoices) or its quantity
  is negative (`cancellation`). It stays in and nets against spend, whatever the sign its quantity was
  written with.
- A line's value is |quantity| x unit price (`line_value`).
- A customer's net spend is the value of their purchase lines minus the value of their cancellation lines;
  their return rate is the cancelled value over the purchased value.

After cleaning rules 1-5 (reportgen/io/transactions.py) two more apply, counted in `LoadedTable.rules`:

6. `cancellation_rows`: the lines the spend rule calls cancellations or returns (netted, not excluded).
7. `customers_non_positive_spend`: customers whose net spend is zero or less (for example a return of a
   purchase made before the log starts) are left out of the table, so out of the segmentation.

Figures per customer (Float64):

- `recency_days`: whole days from the customer's last purchase to the reference day. The reference day is the
  period's last day, or the log's last day (its latest timestamp on any row) if that is earlier: a log
  exported on the 9th of December must not make everybody look three weeks idle at the end of the month.
- `frequency`: distinct purchase invoices (cancellation invoices are not purchases).
- `monetary`: net spend.
- `tenure_days`: whole days from the customer's first purchase to the reference day.
- `avg_basket`: net spend per purchase invoice (`monetary / frequency`).
- `return_rate`: cancelled value / purchased value. It lies in [0, 1) for every customer kept, since a
  customer whose returns reach their purchases has no positive net spend.
- `distinct_products`: distinct products on purchase lines (only when a product column is mapped).

Money sums are rounded to 6 decimals so thread scheduling cannot change a result; distinct invoices and
products are counted by 64-bit hash (see `_distinct_on_sales`). The RFM scores follow in reportgen.analysis.rfm.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from reportgen.analysis.purchase_notes import log_notes, period_note
from reportgen.errors import InputError
from reportgen.model import ID, LoadedTable
from reportgen.model.data import (
    LOG_CUSTOMER,
    LOG_INVOICE,
    LOG_PRICE,
    LOG_PRODUCT,
    LOG_QUANTITY,
    LOG_TIMESTAMP,
    PurchaseLog,
    table_fingerprint,
)

FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket",
    "return_rate",
    "distinct_products",
)
CANCELLED_INVOICE = r"^\s*[Cc]"  # an invoice number that marks a cancellation: "C536401", " c12"
_MONEY_DECIMALS = 6


def cancellation(invoice_is_text: bool) -> pl.Expr:
    """Return the spend rule's test for a cancellation or return line: a "C" invoice or a negative quantity."""
    negative = pl.col(LOG_QUANTITY) < 0
    return pl.col(LOG_INVOICE).str.contains(CANCELLED_INVOICE) | negative if invoice_is_text else negative


def line_value() -> pl.Expr:
    """Return the spend rule's value of a line: |quantity| x unit price, whichever sign a return was given."""
    return pl.col(LOG_QUANTITY).abs() * pl.col(LOG_PRICE)


def purchase_table(log: PurchaseLog, locale: str | None = None) -> LoadedTable:
    """Return one validated row of purchase figures per customer with a positive net spend."""
    where = str(log.path)
    lines = log.lines.with_columns(sale=~cancellation(log.lines.schema[LOG_INVOICE] == pl.String))
    sales = int(lines.get_column("sale").sum())
    rules = {**log.rules, "cancellation_rows": lines.height - sales}
    if not sales:
        raise InputError(
            f"{where}: every sale in the log is cancelled ({rules['cancellation_rows']:,} cancellation rows, "
            "no purchases); expected at least one purchase"
        )
    reference = min(log.period_end, log.last_day)
    per_customer = customer_figures(lines, log.keys, reference)
    del lines
    positive = per_customer.filter(pl.col("monetary") > 0)
    rules["customers_non_positive_spend"] = per_customer.height - positive.height
    if positive.height == 0:
        raise InputError(
            f"{where}: no customer has a positive net spend ({per_customer.height:,} customers, all with "
            "returns at least as large as their purchases); expected purchases"
        )
    features = tuple(f for f in FEATURES if f in positive.columns)
    frame = positive.sort(ID).select(ID, *features)
    notes = log_notes(rules, reference, log.period_end, log.timestamps_read_as, frame.height, locale)
    return LoadedTable(
        path=log.path,
        sha256=log.sha256,
        frame=frame,
        features=features,
        rows=log.rows,
        kind="transactions",
        dropped_rows=sum(log.rules.values()),  # rules 1-5 exclude rows; 6 nets them, 7 drops customers
        notes=notes + period_note(log.period_end, log.last_day),
        rules=rules,
        first_day=log.first_day,
        last_day=log.last_day,
        name=log.name,
        fingerprint=table_fingerprint(frame),
    )


def customer_figures(lines: pl.DataFrame, keys: pl.DataFrame, reference: date) -> pl.DataFrame:
    """Return the purchase figures of every customer seen in `lines` (which carry the spend rule's `sale`)."""
    sale = pl.col("sale")
    value = line_value()
    has_product = LOG_PRODUCT in lines.columns
    aggs = [
        pl.when(sale).then(value).otherwise(0.0).sum().alias("gross"),
        pl.when(sale).then(0.0).otherwise(value).sum().alias("cancelled"),
        _distinct_on_sales(pl.col(LOG_INVOICE)).alias("frequency"),
        pl.when(sale).then(pl.col(LOG_TIMESTAMP)).min().alias("first"),
        pl.when(sale).then(pl.col(LOG_TIMESTAMP)).max().alias("last"),
    ]
    if has_product:
        aggs.append(_distinct_on_sales(pl.col(LOG_PRODUCT)).alias("distinct_products"))
    lazy = lines.lazy()
    if keys.get_column(ID).n_unique() < keys.height:
        # Two spellings of one id ("17850" and "17850.0"): group on the normalised text instead.
        per = lazy.join(keys.lazy(), on=LOG_CUSTOMER, how="inner").group_by(ID).agg(aggs)
    else:
        per = lazy.group_by(LOG_CUSTOMER).agg(aggs).join(keys.lazy(), on=LOG_CUSTOMER, how="inner")
    # Threads add a customer's lines in varying order, which moves the last bit of a float sum; rounding
    # money to a millionth (far below any currency's cent) makes the same log give the same numbers.
    per = per.with_columns(pl.col("gross", "cancelled").round(_MONEY_DECIMALS))
    ref = pl.lit(reference)
    net = (pl.col("gross") - pl.col("cancelled")).round(_MONEY_DECIMALS)
    features = [
        (ref - pl.col("last").dt.date()).dt.total_days().cast(pl.Float64).alias("recency_days"),
        pl.col("frequency").cast(pl.Float64),
        net.alias("monetary"),
        (ref - pl.col("first").dt.date()).dt.total_days().cast(pl.Float64).alias("tenure_days"),
        (net / pl.col("frequency")).alias("avg_basket"),
        (pl.col("cancelled") / pl.col("gross")).alias("return_rate"),
    ]
    if has_product:
        features.append(pl.col("distinct_products").cast(pl.Float64))
    # Customers with only cancellations have no purchase (gross 0): monetary <= 0 drops them later.
    return per.select(pl.col(ID), *features).collect()


def _distinct_on_sales(col: pl.Expr) -> pl.Expr:
    """Count distinct values on purchase lines, by 64-bit hash (twice as fast as on text).

    Two invoice or product codes of one customer colliding has a chance of about n^2 / 2^65 (1e-16 for a
    customer with a hundred invoices): no count in a report will ever be off.
    """
    hashed = pl.when(pl.col("sale") & col.is_not_null()).then(col.hash(seed=0))
    return hashed.n_unique() - hashed.is_null().any().cast(pl.UInt32)
