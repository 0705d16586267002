"""Bad input on the Spark engine: the same `error:` line and exit status 2 as on the local engine."""

from __future__ import annotations

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
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_bad_csv_gets_the_local_error_on_spark(
    case: str, spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, words = CSV_CASES[case]
    data = tmp_path / "customers.csv"
    data.write_text(text, encoding="utf-8")
    assert_same_error(errors(capsys, tmp_path, data, CONFIG), str(data), *words)


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
