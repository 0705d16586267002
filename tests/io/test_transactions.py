"""Transaction logs -> one row per customer: hand-computed answers, every cleaning rule, every bad input.

The log is read and cleaned by reportgen/io/transactions.py and added up by reportgen/analysis/purchases.py
(tests/analysis/test_purchases.py tests the spend rule on its own); here the two run together, as a run does.
"""

from __future__ import annotations

import gzip
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reportgen.analysis.purchases import FEATURES, purchase_table
from reportgen.analysis.rfm import with_rfm_scores
from reportgen.config import TransactionConfig
from reportgen.dev.sample_transactions import generate_transactions, write_transactions
from reportgen.errors import InputError
from reportgen.io.transactions import purchase_log_from_frame, read_purchase_log
from reportgen.model import ID, LoadedTable

PERIOD_END = date(2011, 12, 31)
TX = TransactionConfig()
HEADER = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"

# Answers by hand. The log runs past the period end (a January line), so recency and tenure count from the
# period end, 2011-12-31.
#   17850: sales 6x2.55 + 2x3.00 (invoice 536365) + 4x2.50 (536400) = 31.30 gross; C536401 returns 2x2.50 = 5.00
#          -> monetary 26.30, frequency 2, return rate 5/31.3, last 12/5 (recency 26), first 12/1 (tenure 30),
#          basket 13.15, products {A, B}. Its zero-quantity line is excluded.
#   12346: 1x10 (536500) + 3x10 (536501) + 5x1 (536503) = 45 gross; a -1 line on 536503 returns 1.00 (negative
#          quantity, no "C") -> monetary 44, frequency 3, return rate 1/45, last 11/30 (recency 31), first
#          11/20 (tenure 41), products {C, E}: D is a zero-price line, excluded. Its blank-quantity line too.
#   13000: 1x7 on 12/8 (recency 23); its January 2012 line is after the period end.
#   99999: only a cancellation; 55555: bought 5, returned 10 -> net spend <= 0, left out.
HAND_LOG = f"""{HEADER}
536365,A,6,12/1/2011 8:26,2.55,17850.0,United Kingdom
536365,B,2,12/1/2011 8:26,3.00,17850.0,United Kingdom
536400,A,4,12/5/2011 10:00,2.50,17850.0,United Kingdom
C536401,A,-2,12/6/2011 11:00,2.50,17850.0,United Kingdom
536402,B,0,12/6/2011 11:05,3.00,17850.0,United Kingdom
536500,C,1,11/20/2011 9:00,10.00,12346.0,France
536501,C,3,11/25/2011 9:00,10.00,12346.0,France
536502,D,1,11/25/2011 9:30,0.00,12346.0,France
536503,E,5,11/30/2011 9:00,1.00,12346.0,France
536503,E,-1,11/30/2011 9:00,1.00,12346.0,France
536504,E,,11/30/2011 9:10,1.00,12346.0,France
536600,A,-3,12/2/2011 9:00,2.00,99999,Spain
536601,F,1,12/3/2011 9:00,5.00,55555,Spain
C536602,F,-2,12/4/2011 9:00,5.00,55555,Spain
536700,G,1,12/8/2011 15:00,7.00,13000,EIRE
536701,G,1,1/2/2012 10:00,7.00,13000,EIRE
536800,H,1,12/9/2011 12:00,4.00,,United Kingdom
C536801,H,-1,12/9/2011 12:30,4.00,,United Kingdom
"""
HAND_ROWS = 18


def load_transactions(path: Path, tx: TransactionConfig, period_end: date | None) -> LoadedTable:
    """Return the per-customer table of a log file, read and added up as a run does."""
    return purchase_table(read_purchase_log(path, tx, period_end))


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def customer(frame: pl.DataFrame, cid: str) -> dict[str, Any]:
    rows = frame.filter(pl.col(ID) == cid).to_dicts()
    assert len(rows) == 1, f"customer {cid} not found once in {frame.get_column(ID).to_list()}"
    return rows[0]


def load(path: Path, tx: TransactionConfig = TX) -> pl.DataFrame:
    return load_transactions(path, tx, PERIOD_END).frame


@pytest.fixture
def hand(tmp_path: Path) -> LoadedTable:
    return load_transactions(write(tmp_path, HAND_LOG), TX, PERIOD_END)


# --- known answers -------------------------------------------------------------------------------------------


def test_hand_log_features_match_hand_computation(hand: LoadedTable) -> None:
    a = customer(hand.frame, "17850")
    assert a["recency_days"] == 26
    assert a["frequency"] == 2
    assert a["monetary"] == pytest.approx(26.30)
    assert a["tenure_days"] == 30
    assert a["avg_basket"] == pytest.approx(13.15)
    assert a["return_rate"] == pytest.approx(5.0 / 31.30)
    assert a["distinct_products"] == 2

    b = customer(hand.frame, "12346")
    assert (b["recency_days"], b["frequency"], b["tenure_days"]) == (31, 3, 41)
    assert b["monetary"] == pytest.approx(44.0)
    assert b["return_rate"] == pytest.approx(1.0 / 45.0)
    assert b["distinct_products"] == 2

    c = customer(hand.frame, "13000")
    assert (c["recency_days"], c["frequency"], c["monetary"], c["return_rate"]) == (23, 1, 7.0, 0.0)


def test_hand_log_keeps_only_customers_with_positive_spend(hand: LoadedTable) -> None:
    assert sorted(hand.frame.get_column(ID).to_list()) == ["12346", "13000", "17850"]


def test_every_cleaning_rule_is_counted_once(hand: LoadedTable) -> None:
    assert hand.rows == HAND_ROWS
    assert hand.rules == {
        "rows_without_customer": 2,
        "rows_missing_values": 1,
        "non_positive_price_rows": 1,
        "zero_quantity_rows": 1,
        "rows_after_period_end": 1,
        "cancellation_rows": 4,
        "customers_non_positive_spend": 2,
    }
    assert hand.dropped_rows == 6


def test_notes_say_what_was_excluded_in_plain_sentences(hand: LoadedTable) -> None:
    text = " ".join(hand.notes)
    assert "2 rows without a customer id were excluded." in hand.notes
    assert "1 row with a zero or negative unit price was excluded." in hand.notes
    assert "4 rows are cancellations or returns" in text
    assert "2 customers with zero or negative net spend were left out" in text
    assert "Recency is counted from the period end, 2011-12-31." in hand.notes
    assert "month-first" in text


def test_frame_layout_ids_features_then_scores(hand: LoadedTable) -> None:
    assert hand.kind == "transactions"
    assert hand.features == FEATURES
    assert hand.frame.columns == [ID, *FEATURES]
    assert hand.frame.schema[ID] == pl.String
    assert all(hand.frame.schema[f] == pl.Float64 for f in FEATURES)
    assert len(hand.sha256) == 64
    # the analysis adds the scores beside the features (the transactions kind's loader does it)
    scored = with_rfm_scores(hand)
    assert scored.frame.columns == [ID, *FEATURES, "r_score", "f_score", "m_score", "rfm_score"]
    assert scored.frame.schema["r_score"] == pl.Int8 and scored.features == hand.features
    # The most recent buyer gets the best recency score.
    assert customer(scored.frame, "13000")["r_score"] > customer(scored.frame, "12346")["r_score"]


def test_without_product_column_there_is_no_distinct_products(tmp_path: Path) -> None:
    tx = TransactionConfig(product=None)
    table = load_transactions(write(tmp_path, HAND_LOG), tx, PERIOD_END)
    assert "distinct_products" not in table.frame.columns
    assert "distinct_products" not in table.features


def test_recency_counts_from_the_logs_last_day_when_it_ends_early(tmp_path: Path) -> None:
    # The last line has no customer: it still shows how far the log reaches (2011-12-09).
    log = f"{HEADER}\n1,A,1,2011-12-01,2.0,1,UK\n2,A,1,2011-12-08 18:00,2.0,2,UK\n3,A,1,2011-12-09 08:00,2.0,,UK\n"
    table = load_transactions(write(tmp_path, log), TX, PERIOD_END)
    assert customer(table.frame, "1")["recency_days"] == 8
    assert customer(table.frame, "2")["recency_days"] == 1
    assert customer(table.frame, "2")["tenure_days"] == 1
    assert any("counted from 2011-12-09, the log's last day" in n for n in table.notes)


def test_return_with_positive_quantity_and_c_invoice_still_nets(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,4,2011-12-01,5.0,7,UK\nC2,A,1,2011-12-02,5.0,7,UK\n"
    row = customer(load(write(tmp_path, log)), "7")
    assert row["monetary"] == 15.0
    assert row["return_rate"] == 0.25
    assert row["frequency"] == 1  # a cancellation invoice is not a purchase


def test_customer_id_spellings_are_one_customer(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01,5.0,17850.0,UK\n2,A,1,2011-12-02,5.0,17850,UK\n3,A,1,2011-12-02,5.0, 17850 ,UK\n"
    frame = load(write(tmp_path, log))
    assert frame.get_column(ID).to_list() == ["17850"]
    assert customer(frame, "17850")["frequency"] == 3


def test_text_customer_ids_are_kept_as_written(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01,5.0,AB-001,UK\n2,A,1,2011-12-02,5.0,007,UK\n"
    assert sorted(load(write(tmp_path, log)).get_column(ID).to_list()) == ["007", "AB-001"]


def test_padded_numbers_are_read(tmp_path: Path) -> None:
    log = f'{HEADER}\n1,A, 4 ,2011-12-01,"2.5 ",9,UK\n'
    assert customer(load(write(tmp_path, log)), "9")["monetary"] == 10.0


# --- timestamps ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [
        "2011-12-05",
        "2011-12-05 10:00",
        "2011-12-05 10:00:00",
        "2011-12-05T10:00:00",
        "2011-12-05T10:00:00.250",
        "2011-12-05T10:00:00Z",
        "2011-12-05T10:00:00+01:00",
        "12/5/2011 10:00",
        "12/05/2011 10:00:00",
        "12/5/2011",
    ],
)
def test_common_timestamp_formats_are_read(tmp_path: Path, stamp: str) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01 09:00,2.0,5,UK\n2,A,1,{stamp},2.0,5,UK\n"
    row = customer(load(write(tmp_path, log)), "5")
    assert (row["recency_days"], row["tenure_days"]) == (0, 4)


def test_a_time_zone_offset_keeps_the_day_as_written(tmp_path: Path) -> None:
    # 23:30 at -05:00 is 04:30 the next day in UTC: the README says the time is taken as written
    log = f"{HEADER}\n1,A,1,2011-12-01T09:00:00-05:00,2.0,5,UK\n2,A,1,2011-12-05T23:30:00-05:00,2.0,5,UK\n"
    row = customer(load(write(tmp_path, log)), "5")
    assert (row["recency_days"], row["tenure_days"]) == (0, 4)


def test_mixed_formats_in_one_column_are_each_read(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,12/1/2011 9:00,2.0,5,UK\n2,A,1,2011-12-05T10:00,2.0,5,UK\n"
    table = load_transactions(write(tmp_path, log), TX, PERIOD_END)
    assert customer(table.frame, "5")["tenure_days"] == 4
    assert any("month-first" in n and "ISO 8601" in n for n in table.notes)


def test_iso_wins_and_day_first_is_refused_with_its_row(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,12/1/2011 9:00,2.0,5,UK\n2,A,1,25/12/2011 10:00,2.0,5,UK\n"
    with pytest.raises(InputError) as err:
        load(write(tmp_path, log))
    message = str(err.value)
    assert "'InvoiceDate'" in message and "'25/12/2011 10:00'" in message
    assert "row 2 (line 3)" in message and "\n" not in message


def test_blank_timestamp_is_a_missing_value_not_an_error(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01,2.0,5,UK\n2,A,1,  ,2.0,5,UK\n"
    table = load_transactions(write(tmp_path, log), TX, PERIOD_END)
    assert table.rules["rows_missing_values"] == 1


# --- formats -------------------------------------------------------------------------------------------------


def hand_as_parquet(tmp_path: Path) -> Path:
    frame = pl.read_csv(write(tmp_path, HAND_LOG, "src.csv"), infer_schema=False).with_columns(
        pl.col("Quantity").cast(pl.Int64),
        pl.col("UnitPrice").cast(pl.Float64),
        pl.col("CustomerID").cast(pl.Float64),
        pl.col("InvoiceDate").str.strptime(pl.Datetime("us"), "%m/%d/%Y %H:%M"),
    )
    path = tmp_path / "log.parquet"
    frame.write_parquet(path)
    return path


def test_csv_gzip_and_parquet_give_the_same_table(tmp_path: Path, hand: LoadedTable) -> None:
    gz = tmp_path / "log.data"  # the name says nothing: the first bytes decide
    gz.write_bytes(gzip.compress(HAND_LOG.encode()))
    for path in (gz, hand_as_parquet(tmp_path)):
        table = load_transactions(path, TX, PERIOD_END)
        assert table.frame.equals(hand.frame), path.name
        assert table.rules == hand.rules, path.name
        assert table.rows == HAND_ROWS
        # the same purchases, whatever the file's format: the same fingerprint, another file hash
        assert table.fingerprint == hand.fingerprint and table.sha256 != hand.sha256, path.name


def test_a_log_in_memory_is_the_files_log_without_a_file_hash(tmp_path: Path, hand: LoadedTable) -> None:
    frame = pl.read_parquet(hand_as_parquet(tmp_path))
    table = purchase_table(purchase_log_from_frame(frame, TX, PERIOD_END, "orders"))
    assert table.frame.equals(hand.frame) and table.fingerprint == hand.fingerprint
    assert table.sha256 is None and table.name == "orders" and hand.name == "log.csv"
    with pytest.raises(InputError, match=r"^orders: missing column 'InvoiceNo'"):
        purchase_log_from_frame(frame.drop("InvoiceNo"), TX, PERIOD_END, "orders")


def test_every_missing_column_is_named_with_the_log_column_it_plainly_means(tmp_path: Path) -> None:
    # the UCI "Online Retail II" names: one error per run named only CustomerID, then InvoiceNo, then UnitPrice
    log = (
        "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID,Country\n1,A,1,2011-12-01 09:00,2.0,5,UK\n"
    )
    with pytest.raises(InputError) as err:
        load(write(tmp_path, log))
    message = str(err.value)
    for column, key in (("CustomerID", "customer"), ("InvoiceNo", "invoice"), ("UnitPrice", "unit_price")):
        assert f"'{column}' (transactions.{key})" in message
    assert 'set transactions.customer = "Customer ID", transactions.invoice = "Invoice", ' in message
    assert 'transactions.unit_price = "Price"' in message and "\n" not in message
    # nothing close: no guess ("Qty" is too short to stand for Quantity)
    odd = "InvoiceNo,StockCode,Qty,InvoiceDate,UnitPrice,CustomerID\n1,A,1,2011-12-01 09:00,2.0,5\n"
    with pytest.raises(
        InputError, match=r"missing column 'Quantity' \(transactions\.quantity\); the file has: "
    ):
        load(write(tmp_path, odd))
    with pytest.raises(InputError) as err:
        load(write(tmp_path, odd))
    assert "set transactions" not in str(err.value)


def test_parquet_timezone_aware_and_date_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["A", "B"],
            "Quantity": [1, 2],
            "InvoiceDate": [datetime(2011, 12, 1, 9), datetime(2011, 12, 5, 9)],
            "UnitPrice": [2.0, 3.0],
            "CustomerID": [12, 12],
        }
    )
    aware = tmp_path / "aware.parquet"
    frame.with_columns(pl.col("InvoiceDate").dt.replace_time_zone("UTC")).write_parquet(aware)
    dated = tmp_path / "dated.parquet"
    frame.with_columns(pl.col("InvoiceDate").dt.date()).write_parquet(dated)
    for path in (aware, dated):
        row = customer(load(path), "12")
        assert (row["recency_days"], row["tenure_days"], row["monetary"]) == (0, 4, 8.0)


# --- bad input: one clear line each --------------------------------------------------------------------------


def one_line_error(path: Path, tx: TransactionConfig = TX) -> str:
    with pytest.raises(InputError) as err:
        load_transactions(path, tx, PERIOD_END)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_missing_mapped_column_is_named_with_its_key(tmp_path: Path) -> None:
    message = one_line_error(write(tmp_path, HAND_LOG), TransactionConfig(unit_price="Price"))
    assert "'Price'" in message and "transactions.unit_price" in message and "UnitPrice" in message


def test_missing_product_column_explains_how_to_switch_it_off(tmp_path: Path) -> None:
    message = one_line_error(write(tmp_path, HAND_LOG), TransactionConfig(product="SKU"))
    assert "'SKU'" in message and 'transactions.product = ""' in message


@pytest.mark.parametrize("column", ["Quantity", "UnitPrice"])
def test_text_in_a_number_column_names_the_row(tmp_path: Path, column: str) -> None:
    lines = HAND_LOG.splitlines()
    fields = lines[3].split(",")
    fields[HEADER.split(",").index(column)] = "three"
    lines[3] = ",".join(fields)
    message = one_line_error(write(tmp_path, "\n".join(lines) + "\n"))
    assert f"'{column}'" in message and "'three'" in message
    assert "row 3 (line 4)" in message and "expected a number" in message


def test_text_in_a_parquet_number_column_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame(
        {
            "InvoiceNo": ["1", "2"],
            "StockCode": ["A", "B"],
            "Quantity": ["1", "n/a"],
            "InvoiceDate": ["2011-12-01", "2011-12-02"],
            "UnitPrice": [2.0, 3.0],
            "CustomerID": ["1", "2"],
        }
    ).write_parquet(path)
    message = one_line_error(path)
    assert "'n/a'" in message and "row 2" in message and "line" not in message


def test_log_without_any_customer_id(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01,2.0,,UK\n2,A,1,2011-12-02,2.0, ,UK\n"
    message = one_line_error(write(tmp_path, log))
    assert "'CustomerID'" in message and "no customer id" in message


def test_log_whose_every_sale_is_cancelled(tmp_path: Path) -> None:
    log = f"{HEADER}\nC1,A,-1,2011-12-01,2.0,1,UK\nC2,A,-3,2011-12-02,2.0,2,UK\n2,B,-1,2011-12-02,2.0,2,UK\n"
    message = one_line_error(write(tmp_path, log))
    assert "every sale in the log is cancelled" in message and "3 cancellation rows" in message


def test_log_left_empty_by_cleaning(tmp_path: Path) -> None:
    log = f"{HEADER}\n1,A,1,2011-12-01,0,1,UK\n"
    message = one_line_error(write(tmp_path, log))
    assert "no purchase line is left" in message and "non positive price rows: 1" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "file not found"), ("", "file is empty"), (HEADER + "\n", "no data rows")],
)
def test_missing_empty_and_header_only_files(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "log.csv"
    if content is not None:
        path.write_text(content)
    assert expected in one_line_error(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert "is a directory" in one_line_error(tmp_path)


# --- the synthetic log ---------------------------------------------------------------------------------------


def test_generated_log_is_deterministic_and_dirty() -> None:
    a = generate_transactions(5000, 300, seed=4, period_end=PERIOD_END)
    assert a.equals(generate_transactions(5000, 300, seed=4, period_end=PERIOD_END))
    assert not a.equals(generate_transactions(5000, 300, seed=5, period_end=PERIOD_END))
    assert a.height == 5000
    assert a.get_column("CustomerID").null_count() > 0
    assert a.get_column("InvoiceNo").str.starts_with("C").sum() > 0
    assert (a.get_column("UnitPrice") == 0).sum() > 0
    assert a.select(pl.col("InvoiceDate").max()).item() <= datetime(2011, 12, 31, 23, 59)


def test_generated_log_loads_the_same_from_every_format(tmp_path: Path) -> None:
    log = generate_transactions(20000, 800, seed=1, period_end=PERIOD_END)
    tables = []
    for name in ("g.csv", "g.csv.gz", "g.parquet"):
        write_transactions(log, tmp_path / name)
        tables.append(load_transactions(tmp_path / name, TX, PERIOD_END))
    assert (tmp_path / "g.csv").read_text().splitlines()[1].count("/") == 2  # Online Retail style dates
    first = tables[0]
    for other in tables[1:]:
        assert other.frame.equals(first.frame)
        assert other.rules == first.rules
    assert first.rows == 20000
    assert first.rules["rows_without_customer"] > 0 and first.rules["cancellation_rows"] > 0
    assert 700 < first.frame.height <= 800
    assert first.frame.select(pl.col("return_rate").max()).item() < 1.0
    assert first.frame.select(pl.col("monetary").min()).item() > 0


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ('"2,55"', "expected a number; use '.' as the decimal mark (and no thousands separators)"),
        ('"1,234.50"', "expected a number; export numbers without thousands separators (',')"),
    ],
)
def test_a_spreadsheet_formatted_price_says_how_to_export_it(tmp_path: Path, cell: str, hint: str) -> None:
    lines = HAND_LOG.splitlines()
    fields = lines[3].split(",")
    fields[HEADER.split(",").index("UnitPrice")] = cell
    lines[3] = ",".join(fields)
    message = one_line_error(write(tmp_path, "\n".join(lines) + "\n"))
    assert message.endswith(f"column 'UnitPrice' has {cell.strip(chr(34))!r} in row 3 (line 4); {hint}")
