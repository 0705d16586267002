"""Bad input on the Spark engine: the same `error:` line and exit status 2 as on the local engine."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reportgen.cli import main

pytestmark = pytest.mark.spark

HEADER = "CUST_ID,BALANCE,PURCHASES"
CONFIG = '[data]\nid_column = "CUST_ID"\nfeatures = ["BALANCE", "PURCHASES"]\n'
GOOD_ROWS = "".join(f"C{i},{i * 10.5},{i % 7}\n" for i in range(40))


def errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: Path, config: str
) -> dict[str, tuple[int, str]]:
    """Return the exit status and stderr of `reportgen run` on each engine."""
    toml = tmp_path / "reportgen.toml"
    toml.write_text(config, encoding="utf-8")
    out: dict[str, tuple[int, str]] = {}
    for engine in ("local", "spark"):
        capsys.readouterr()
        args = ["run", "--quiet", "--data", str(data), "--config", str(toml), "--period", "2026-11"]
        code = main([*args, "--out", str(tmp_path / engine), "--engine", engine])
        out[engine] = (code, capsys.readouterr().err)
    return out


def assert_same_error(found: dict[str, tuple[int, str]], *words: str) -> None:
    (code_l, err_l), (code_s, err_s) = found["local"], found["spark"]
    lines = err_s.strip().splitlines()
    assert code_s == code_l == 2
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err_s
    assert err_s == err_l
    for word in words:
        assert word in err_s


CSV_CASES = {
    "missing column": ("CUST_ID,BALANCE\n" + "".join(f"C{i},{i}\n" for i in range(40)), ("PURCHASES",)),
    "not a number": (f"{HEADER}\n{GOOD_ROWS}C99,12.5,abc\n", ("line 42", "'abc'", "PURCHASES")),
    "decimal comma": (f'{HEADER}\nC1,10,1\nC2,"1,5",2\n{GOOD_ROWS}', ("line 3", "decimal mark")),
    "duplicate id": (f"{HEADER}\n{GOOD_ROWS}C3,1,1\n", ("C3", "line 5", "line 42")),
    "empty id": (f"{HEADER}\n{GOOD_ROWS},1,1\n", ("line 42", "customer id")),
    "header only": (f"{HEADER}\n", ("no data rows",)),
    "infinite value": (f"{HEADER}\n{GOOD_ROWS}C99,inf,1\n", ("line 42", "infinite")),
    # Spark's CSV reader drops a line's extra fields without a word; the local reader refuses the line
    "extra field": (f"{HEADER}\n{GOOD_ROWS}C99,1,2,3\n", ("line 42 has 4 fields", "header (line 1) has 3")),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_bad_csv_gets_the_local_error_on_spark(
    case: str, spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, words = CSV_CASES[case]
    data = tmp_path / "customers.csv"
    data.write_text(text, encoding="utf-8")
    assert_same_error(errors(capsys, tmp_path, data, CONFIG), str(data), *words)


DATED_HEADER = "CUST_ID,BALANCE,Since,Region"
DATED_ROWS = "".join(f"C{i},{i * 10.5},{1 + i % 28}-0{1 + i % 9}-2024,{'NS'[i % 2]}\n" for i in range(40))
DATED = (
    '[data]\nid_column = "CUST_ID"\nfeatures = ["BALANCE", "Since", "Region"]\ncategorical = ["Region"]\n'
    'dates = { Since = "%d-%m-%Y" }\n'
)
DATED_CASES = {
    "date in another format": (
        f"{DATED_HEADER}\n{DATED_ROWS}C99,1,2024-09-04,N\n",
        DATED,
        ("line 42", "'2024-09-04'", "data.dates.Since", "'09-12-2011'"),
    ),
    "date not among the features": (
        f"{DATED_HEADER}\n{DATED_ROWS}",
        DATED.replace('"Since", "Region"]', '"Region"]'),
        ("data.dates names Since", "data.features"),
    ),
    "categorical column not in the file": (
        f"{DATED_HEADER}\n{DATED_ROWS}",
        DATED.replace('categorical = ["Region"]', 'categorical = ["Region", "Tier"]'),
        ("data.categorical", "Tier"),
    ),
    "undeclared date": (
        f"{DATED_HEADER}\n{DATED_ROWS}",
        DATED.replace('dates = { Since = "%d-%m-%Y" }', ""),
        ("line 2", "'1-01-2024' is not a number", "data.dates"),
    ),
}


@pytest.mark.parametrize("case", sorted(DATED_CASES))
def test_a_bad_date_or_category_gets_the_local_error_on_spark(
    case: str, spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, config, words = DATED_CASES[case]
    data = tmp_path / "customers.csv"
    data.write_text(text, encoding="utf-8")
    assert_same_error(errors(capsys, tmp_path, data, config), str(data), *words)


def test_a_bad_parquet_gets_the_local_error_on_spark(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "customers.parquet"
    frame = pl.DataFrame({"CUST_ID": [f"C{i}" for i in range(40)], "BALANCE": [1.0] * 40})
    frame.with_columns(PURCHASES=pl.lit("twelve")).write_parquet(data)
    assert_same_error(errors(capsys, tmp_path, data, CONFIG), "row 1", "'twelve'")


def test_a_damaged_parquet_gets_the_local_error_on_spark(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "customers.parquet"
    data.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    found = errors(capsys, tmp_path, data, CONFIG)
    for code, err in found.values():  # each engine quotes its own reader's reason in the brackets
        assert code == 2 and err.startswith(f"error: {data}: unreadable or corrupt Parquet file (")
        assert err.rstrip().endswith("; export it again") and len(err.strip().splitlines()) == 1


def test_a_url_given_as_data_keeps_its_double_slash() -> None:
    from reportgen.engines.spark.read import remote_url

    assert (
        remote_url(str(Path("s3a://bucket/2026-11/customers.parquet")))
        == "s3a://bucket/2026-11/customers.parquet"
    )
    assert remote_url(str(Path("hdfs://nn:8020/x.csv"))) == "hdfs://nn:8020/x.csv"
    assert remote_url("dbfs:/mnt/x.parquet") == "dbfs:/mnt/x.parquet"
    assert remote_url("/data/customers.csv") == "/data/customers.csv"


def typed_table(n: int = 48) -> pl.DataFrame:
    """Return a Parquet-shaped table with categories and dates of every type the loader reads, gaps and odd
    spacing included, and one blank row."""
    regions = [" North", "South\u00a0", "NA", None, "Ost\t", "é", "North", "  "]
    texts = ["1-2-2026", " 15-11-2026 ", "", "NA", "30-12-2026", "07-03-2019", None, "29-02-2024"]
    frame = pl.DataFrame(
        {
            "ID": [f"C{i}" for i in range(n)],
            "Spend": [float(i % 11) * 12.5 for i in range(n)],
            "Region": [regions[i % 8] for i in range(n)],
            "Channel": [i % 3 for i in range(n)],
            "Code": [None if i % 5 == 0 else float(i % 4) for i in range(n)],
            "Grade": [float("nan") if i % 7 == 0 else (i % 4) / 2 for i in range(n)],
            "Member": [i % 2 == 0 for i in range(n)],
            "Joined": [texts[i % 8] for i in range(n)],
            "Opened": [date(2020, 1, 1 + i % 28) for i in range(n)],
            "Seen": [datetime(2026, 11, 1 + i % 30, 23, 59) for i in range(n)],
            "Stamped": [datetime(2026, 10, 1 + i % 31, 23, 59) for i in range(n)],
        },
        schema_overrides={"Channel": pl.Int32},
    ).with_columns(pl.col("Stamped").dt.replace_time_zone("America/New_York"))
    blank = {c: None for c in frame.columns}
    return pl.concat([frame, pl.DataFrame([blank], schema=frame.schema)])


def test_spark_reads_categories_and_dates_as_the_local_loader_does(spark: Any, tmp_path: Path) -> None:
    from reportgen.config import DataConfig, Settings
    from reportgen.engines.spark.engine import engine_table
    from reportgen.engines.spark.read import POS
    from reportgen.io.load import load_customers
    from reportgen.period import parse_period

    data = tmp_path / "customers.parquet"
    typed_table().write_parquet(data)
    categorical = ("Region", "Channel", "Code", "Grade", "Member")
    dates = {"Joined": "%d-%m-%Y", "Opened": "%Y-%m-%d", "Seen": "%Y-%m-%d", "Stamped": "%Y-%m-%d"}
    config = DataConfig(
        id_column="ID", features=("Spend", *dates, *categorical), categorical=categorical, dates=dates
    )
    period = parse_period("2026-11")
    table, engine = engine_table(Settings(data=config), data, period)
    local = load_customers(data, config, period.last_day)
    assert table.frame.equals(local.frame) and table.frame.height == 48  # the blank row dropped on both
    on_spark = pl.from_arrow(engine.customers.orderBy(POS).drop(POS).toArrow())
    assert isinstance(on_spark, pl.DataFrame)
    assert on_spark.equals(local.frame.select(on_spark.columns))
    assert set(on_spark.columns) == {"customer_id", "Spend", *dates, *categorical}
    # what the loader made of them, on both: trimmed text, the null tokens missing, whole floats as integers
    assert on_spark["Region"].head(8).to_list() == [
        "North", "South", "(missing)", "(missing)", "Ost", "é", "North", "(missing)"
    ]  # fmt: skip
    assert on_spark["Code"].head(3).to_list() == ["(missing)", "1", "2"]
    assert on_spark["Grade"].head(3).to_list() == ["(missing)", "0.5", "1.0"]
    assert on_spark["Joined"].head(8).to_list() == [302.0, 15.0, None, None, -30.0, 2825.0, None, 1005.0]
    assert on_spark["Seen"].head(2).to_list() == [29.0, 28.0]  # a timestamp's date (23:59 is the same day)
    # 23:59 in New York is the next day in UTC: the date is the file's own zone's, as the loader takes it
    assert on_spark["Stamped"].head(2).to_list() == [60.0, 59.0]


def test_spark_reads_quoted_category_text_as_the_local_loader_does(spark: Any, tmp_path: Path) -> None:
    from reportgen.config import DataConfig, Settings
    from reportgen.engines.spark.engine import engine_table
    from reportgen.engines.spark.read import POS
    from reportgen.io.load import load_customers
    from reportgen.period import parse_period

    data = tmp_path / "customers.csv"
    shops = ['"Big ""A"" store"', '"North, East"', "back\\slash", "\u00a0plain ", "NA"]
    data.write_text(
        "ID,Spend,Shop\n" + "".join(f"C{i},{i},{shops[i % 5]}\n" for i in range(20)) + ",,\n",
        encoding="utf-8",
    )
    config = DataConfig(id_column="ID", features=("Spend", "Shop"), categorical=("Shop",), value=())
    period = parse_period("2026-11")
    table, engine = engine_table(Settings(data=config), data, period)
    local = load_customers(data, config, period.last_day)
    on_spark = [r["Shop"] for r in engine.customers.orderBy(POS).select("Shop").collect()]
    assert table.frame.equals(local.frame) and on_spark == local.frame["Shop"].to_list()
    assert on_spark[:5] == ['Big "A" store', "North, East", "back\\slash", "plain", "(missing)"]


def test_a_quoted_line_break_is_one_field_on_both_engines(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a free-text note with a line break: Spark's reader split the record and invented a customer 'lines"'
    rows = "".join(f'C{i},{i * 10.5},{i % 7},"note {i}"\n' for i in range(40))
    data = tmp_path / "notes.csv"
    data.write_text(f'{HEADER},NOTE\nC900,5,1,"two\nlines"\n{rows}', encoding="utf-8")
    found = errors(capsys, tmp_path, data, CONFIG + "[clustering]\nk = 2\n")
    assert found["local"][0] == found["spark"][0] == 0, found
    local, spark_run = (tmp_path / e / "2026-11" / "segments.csv" for e in ("local", "spark"))
    assert spark_run.read_bytes() == local.read_bytes()
    assert len(local.read_text().splitlines()) == 42  # the header and 41 customers
