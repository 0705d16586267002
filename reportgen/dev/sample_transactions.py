"""A synthetic purchase log shaped like the public "Online Retail" data set, dirt included.

The log has the Online Retail columns (InvoiceNo, StockCode, Quantity, InvoiceDate, UnitPrice, CustomerID,
Country) and the dirt real logs have: invoices without a customer id, cancellations (invoice numbers starting
with "C", negative quantities) and lines with a zero price. CustomerID is a float column, as in the original,
so a CSV copy carries ids like "17850.0". Everything is vectorised numpy, so ten million rows take seconds,
and a seed fixes every value.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

# Shares of the dirt; the Online Retail file has ~25% of rows without a customer and ~2% cancellations.
_NO_CUSTOMER_INVOICES = 0.10
_CANCELLED_INVOICES = 0.03
_ZERO_PRICE_LINES = 0.003
_HISTORY_DAYS = 730  # how far back the log reaches from the period end
_N_PRODUCTS = 4000
_COUNTRIES = ("United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Portugal")
_CSV_DATETIME = "%-m/%-d/%Y %-H:%M"  # the Online Retail spelling: "12/1/2010 8:26"


def generate_transactions(n_rows: int, n_customers: int, seed: int, period_end: date) -> pl.DataFrame:
    """Return a synthetic, deterministic purchase log of `n_rows` lines ending on `period_end`."""
    if n_customers < 1 or n_rows < n_customers:
        raise ValueError(f"n_rows={n_rows} should be >= n_customers={n_customers} >= 1.")
    rng = np.random.default_rng(seed)

    # Customers: a heavy-tailed appetite, and an active window inside the history (some have lapsed).
    appetite = rng.pareto(1.5, n_customers) + 0.2
    start = rng.uniform(0, _HISTORY_DAYS, n_customers)
    lapsed = rng.random(n_customers) < 0.35
    end = np.where(lapsed, start + rng.uniform(0, 1, n_customers) * (_HISTORY_DAYS - start), _HISTORY_DAYS)

    # Invoices: every customer has at least one, the rest go by appetite.
    lines_per_invoice = float(np.clip(n_rows / (n_customers * 4.0), 1.0, 20.0))
    n_invoices = int(min(n_rows, max(n_customers, round(n_rows / lines_per_invoice))))
    extra = rng.choice(n_customers, size=n_invoices - n_customers, p=appetite / appetite.sum())
    inv_customer = np.concatenate([np.arange(n_customers), extra])
    day = start[inv_customer] + rng.random(n_invoices) * (end[inv_customer] - start[inv_customer])
    # Shops open 8:00-18:00; whole minutes like the original file.
    minutes = np.floor(day).astype(np.int64) * 1440 + rng.integers(8 * 60, 18 * 60, n_invoices)
    order = np.argsort(minutes, kind="stable")
    inv_customer, minutes = inv_customer[order], minutes[order]

    # Lines per invoice: one each, the remainder spread with a skew (a few very long invoices).
    weights = rng.exponential(1.0, n_invoices)
    counts = 1 + rng.multinomial(n_rows - n_invoices, weights / weights.sum())
    row_invoice = np.repeat(np.arange(n_invoices), counts)

    no_customer = rng.random(n_invoices) < _NO_CUSTOMER_INVOICES
    cancelled = rng.random(n_invoices) < _CANCELLED_INVOICES
    invoice_no = 536365 + np.arange(n_invoices)

    # A few best sellers and a long tail (u**3 piles up near zero; faster than numpy's zipf).
    u = rng.random(n_rows)
    product = (u * u * u * _N_PRODUCTS).astype(np.int64)
    product_price = np.round(np.exp(rng.normal(0.8, 0.9, _N_PRODUCTS)), 2) + 0.05
    price = product_price[product]
    price[rng.random(n_rows) < _ZERO_PRICE_LINES] = 0.0
    quantity = rng.geometric(0.25, n_rows).astype(np.int64)
    quantity = np.where(cancelled[row_invoice], -quantity, quantity)

    history_start = datetime.combine(period_end, datetime.min.time()) - timedelta(days=_HISTORY_DAYS - 1)
    customer_id = (12346 + inv_customer).astype(np.float64)
    customer_id[no_customer] = np.nan
    country = rng.integers(0, len(_COUNTRIES), n_customers)
    cust_of_row = inv_customer[row_invoice]

    codes = pl.Series([f"{20000 + 7 * i}{'' if i % 5 else 'A'}" for i in range(_N_PRODUCTS)], dtype=pl.String)
    return pl.DataFrame(
        {
            "InvoiceNo": _invoice_numbers(invoice_no, cancelled).gather(row_invoice),
            "StockCode": codes.gather(product),
            "Quantity": quantity,
            "InvoiceDate": pl.Series(minutes[row_invoice] * 60_000_000, dtype=pl.Int64).cast(
                pl.Duration("us")
            )
            + history_start,
            "UnitPrice": price,
            "CustomerID": pl.Series(customer_id[row_invoice]).fill_nan(None),
            "Country": pl.Series(_COUNTRIES, dtype=pl.String).gather(country[cust_of_row]),
        }
    )


def write_transactions(log: pl.DataFrame, path: Path) -> None:
    """Write a log as Parquet (.parquet), gzip CSV (.csv.gz) or CSV with Online Retail dates (else)."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        log.write_parquet(path)
        return
    if name.endswith(".gz"):
        plain = path.with_name(path.name + ".tmp.csv")
        log.write_csv(plain, datetime_format=_CSV_DATETIME)
        # Level 1: ten million rows compress in seconds rather than a minute.
        with plain.open("rb") as src, gzip.open(path, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        plain.unlink()
        return
    log.write_csv(path, datetime_format=_CSV_DATETIME)


def _invoice_numbers(numbers: np.ndarray, cancelled: np.ndarray) -> pl.Series:
    text = pl.Series(numbers).cast(pl.String)
    return pl.select(pl.when(pl.Series(cancelled)).then("C" + text).otherwise(text)).to_series()
