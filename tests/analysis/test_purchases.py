"""The spend rule and the per-customer figures, on purchase lines built by hand (no file is read)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from reportgen.analysis.purchases import cancellation, line_value, purchase_table
from reportgen.errors import InputError
from reportgen.model import ID
from reportgen.model.data import PurchaseLog, table_fingerprint

DEC = date(2011, 12, 31)


def log_of(rows: list[tuple[str, str, str, float, float]], period_end: date = DEC) -> PurchaseLog:
    """Return a cleaned log of (customer, invoice, day, quantity, unit price) lines."""
    lines = pl.DataFrame(
        {
            "cust": [r[0] for r in rows],
            "inv": [r[1] for r in rows],
            "ts": [datetime.fromisoformat(r[2]) for r in rows],
            "qty": [r[3] for r in rows],
            "price": [r[4] for r in rows],
        },
        schema_overrides={"ts": pl.Datetime("us")},
    )
    custs = sorted({r[0] for r in rows})
    days = [datetime.fromisoformat(r[2]).date() for r in rows]
    return PurchaseLog(
        path=Path("log.csv"),
        sha256="0" * 64,
        name="log.csv",
        lines=lines,
        keys=pl.DataFrame({"cust": custs, ID: custs}),
        rows=len(rows),
        rules={"rows_without_customer": 0},
        first_day=min(days),
        last_day=max(days),
        period_end=period_end,
        timestamps_read_as=("ISO 8601 dates",),
    )


def test_the_spend_rule_line_by_line() -> None:
    lines = pl.DataFrame({"inv": ["1", "C2", "3", " c4"], "qty": [2.0, 1.0, -3.0, -1.0], "price": [5.0] * 4})
    flags = lines.select(cancellation(invoice_is_text=True)).to_series().to_list()
    # a "C" invoice is a return whatever the sign of its quantity; so is a negative quantity
    assert flags == [False, True, True, True]
    assert lines.select(line_value()).to_series().to_list() == [10.0, 5.0, 15.0, 5.0]
    numeric = pl.DataFrame({"inv": [1, 2], "qty": [1.0, -1.0], "price": [2.0, 2.0]})
    assert numeric.select(cancellation(invoice_is_text=False)).to_series().to_list() == [False, True]


def test_net_spend_frequency_and_return_rate_by_hand() -> None:
    # a: buys 4 x 5 and 2 x 10 on two invoices (40), returns 1 x 10 on a C invoice written positive (10)
    table = purchase_table(
        log_of(
            [
                ("a", "1", "2011-12-01", 4, 5.0),
                ("a", "2", "2011-12-10", 2, 10.0),
                ("a", "C3", "2011-12-11", 1, 10.0),
                ("b", "4", "2011-12-20", 1, 7.0),
            ]
        )
    )
    a = table.frame.filter(pl.col(ID) == "a").row(0, named=True)
    assert a["monetary"] == 30.0 and a["frequency"] == 2 and a["avg_basket"] == 15.0
    assert a["return_rate"] == pytest.approx(10 / 40)
    # the log ends on the 20th, before the period end: recency counts from the log's last day
    assert (a["recency_days"], a["tenure_days"]) == (10, 19)
    assert table.rules == {
        "rows_without_customer": 0,
        "cancellation_rows": 1,
        "customers_non_positive_spend": 0,
    }
    assert table.fingerprint == table_fingerprint(table.frame) and table.kind == "transactions"


def test_customers_whose_returns_reach_their_purchases_are_left_out() -> None:
    table = purchase_table(
        log_of(
            [
                ("a", "1", "2011-12-01", 1, 5.0),
                ("a", "C2", "2011-12-02", -1, 5.0),
                ("b", "3", "2011-12-03", 1, 2.0),
            ]
        )
    )
    assert table.frame.get_column(ID).to_list() == ["b"]
    assert table.rules["customers_non_positive_spend"] == 1
    assert "1 customer with zero or negative net spend was left out of the segmentation" in " ".join(
        table.notes
    )


def test_notes_follow_the_report_locale() -> None:
    rows = [(f"c{i}", f"C{i}", "2011-12-01", 1, 1.0) for i in range(1200)] + [
        ("z", "1", "2011-12-02", 1, 1.0)
    ]
    notes = " ".join(purchase_table(log_of(rows), locale="de_DE").notes)
    assert "1.200 rows are cancellations or returns" in notes
    assert "1.200 customers with zero or negative net spend were left out" in notes


def test_a_log_of_only_cancellations_is_an_error_naming_the_file() -> None:
    with pytest.raises(
        InputError, match=r"log\.csv: every sale in the log is cancelled \(1 cancellation rows"
    ):
        purchase_table(log_of([("a", "C1", "2011-12-01", 1, 5.0)]))
