"""A purchase log on Spark: the local reader's table, rules and notes, and its errors."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reportgen.analysis.purchases import purchase_table
from reportgen.cli import main
from reportgen.config import TransactionConfig
from reportgen.engines.spark.transactions import spark_transactions
from reportgen.io.transactions import read_purchase_log

pytestmark = pytest.mark.spark

HAND = importlib.import_module("tests.io.test_transactions")  # the hand-computed log and its answers


def test_the_hand_log_gives_the_local_table_rules_and_notes(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(HAND.HAND_LOG, encoding="utf-8")
    local = purchase_table(read_purchase_log(path, TransactionConfig(), HAND.PERIOD_END))
    table, frame = spark_transactions(spark, path, TransactionConfig(), HAND.PERIOD_END)
    assert table.frame.equals(local.frame)  # every customer's figures, bit for bit, in the same order
    assert table.rules == local.rules and table.notes == local.notes
    assert (table.rows, table.dropped_rows, table.first_day, table.last_day) == (
        local.rows,
        local.dropped_rows,
        local.first_day,
        local.last_day,
    )
    assert table.frame.get_column("customer_id").to_list() == ["12346", "13000", "17850"]
    assert frame.count() == table.frame.height


LOG_HEADER = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
LINES = "".join(
    f"5{i:05d},A,{1 + i % 3},12/{1 + i % 28}/2011 10:00,2.50,{17000 + i % 9},UK\n" for i in range(60)
)
LOG_CASES = {
    "missing column": (LINES, "UnitPrice", ("missing column 'UnitPrice'", "transactions.unit_price")),
    "bad quantity": (
        LINES + "599999,A,abc,12/3/2011 10:00,2.50,17001,UK\n",
        "",
        ("'abc'", "row 61 (line 62)"),
    ),
    "day first": (
        LINES + "599999,A,1,25/12/2011 10:00,2.50,17001,UK\n",
        "",
        ("'25/12/2011 10:00'", "row 61"),
    ),
    "all cancelled": ("".join(f"C{line}" for line in LINES.splitlines(keepends=True)), "", ("every sale",)),
    "header only": ("", "", ("no data rows",)),
}


@pytest.mark.parametrize("case", sorted(LOG_CASES))
def test_a_bad_log_gets_the_local_error_on_spark(
    case: str, spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines, drop, words = LOG_CASES[case]
    header = LOG_HEADER.replace(drop, "Price") if drop else LOG_HEADER
    path = tmp_path / "log.csv"
    path.write_text(f"{header}\n{lines}", encoding="utf-8")
    config = tmp_path / "reportgen.toml"
    config.write_text(
        '[data]\nkind = "transactions"\n[transactions]\nproduct = "StockCode"\n', encoding="utf-8"
    )
    found = {}
    for engine in ("local", "spark"):
        capsys.readouterr()
        args = [
            "run",
            "--quiet",
            "--data",
            str(path),
            "--config",
            str(config),
            "--out",
            str(tmp_path / engine),
        ]
        found[engine] = (main([*args, "--engine", engine]), capsys.readouterr().err)
    (code_l, err_l), (code_s, err_s) = found["local"], found["spark"]
    assert code_l == code_s == 2
    assert err_s == err_l and len(err_s.strip().splitlines()) == 1 and err_s.startswith(f"error: {path}")
    for word in words:
        assert word in err_s


def test_a_parquet_log_with_datetimes_gives_the_local_table(spark: Any, tmp_path: Path) -> None:
    from reportgen.dev.sample_transactions import generate_transactions, write_transactions

    path = tmp_path / "log.parquet"
    write_transactions(generate_transactions(6_000, 400, 11, date(2026, 9, 30)), path)
    local = purchase_table(read_purchase_log(path, TransactionConfig(), None))
    table, _ = spark_transactions(spark, path, TransactionConfig(), None)
    assert table.frame.equals(local.frame)
    assert table.rules == local.rules and table.notes == local.notes and table.last_day == local.last_day


def test_quotes_and_line_breaks_in_a_description_read_as_on_the_local_engine(
    spark: Any, tmp_path: Path
) -> None:
    # Online Retail's descriptions hold doubled quotes ("12"" RULER"); a note may hold a line break
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    lines = "".join(
        f'5{i:05d},A,"{i}"" RULER",{1 + i % 3},12/{1 + i % 28}/2011 10:00,2.50,{17000 + i % 9},UK\n'
        for i in range(60)
    )
    path = tmp_path / "log.csv"
    path.write_text(
        f'{header}\n{lines}599999,B,"TWO\nLINES",2,12/5/2011 10:00,1.25,17003,UK\n', encoding="utf-8"
    )
    local = purchase_table(read_purchase_log(path, TransactionConfig(), date(2011, 12, 31)))
    table, _ = spark_transactions(spark, path, TransactionConfig(), date(2011, 12, 31))
    assert table.frame.equals(local.frame) and table.rows == local.rows == 61
