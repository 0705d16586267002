"""`reportgen assign`: new customers into a period's segments from its model.json, never refitting."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from reportgen.cli import main
from reportgen.config import SAMPLE_DATA
from reportgen.dev.sample_transactions import generate_transactions, write_transactions

FAST = "[clustering]\nk_min = 2\nk_max = 5\nn_init = 3\nstability_resamples = 0\n"
MARKETING = """
[data]
id_column = "ID"
features = ["Income", "Recency", "MntWines", "MntFruits", "MntMeatProducts", "NumWebPurchases",
            "NumStorePurchases", "Dt_Customer", "Education", "Marital_Status"]
categorical = ["Education", "Marital_Status"]
dates = { Dt_Customer = "%d-%m-%Y" }
labels = { MntWines = "Wine spend" }
value = ["MntWines", "MntFruits"]
"""
COLUMNS = ["customer_id", "segment_id", "segment_name"]


def _config(folder: Path, body: str) -> Path:
    path = folder / "reportgen.toml"
    path.write_text(FAST + body, encoding="utf-8")
    return path


def _assign(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, bytes, str]:
    capsys.readouterr()
    code = main(["assign", *args])
    captured = capsys.readouterr()
    return code, captured.out.encode("utf-8"), captured.err


def _one_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _ran(data: Path, out: Path, period: str, config: Path | None = None) -> pl.DataFrame:
    args = ["run", "--quiet", "--data", str(data), "--out", str(out), "--period", period]
    assert main([*args, *(["--config", str(config)] if config else [])]) == 0
    return pl.read_csv(out / period / "segments.csv", schema_overrides={"customer_id": pl.String})


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sample")
    config = _config(work, '[report]\nnames = { "1" = "Our best" }\n')
    _ran(SAMPLE_DATA, work / "out", "2026-11", config)
    return work


def test_the_months_own_table_goes_back_to_its_segments_byte_for_byte(
    sample_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = sample_run / "out"
    code, table, err = _assign(capsys, "--period", "2026-11", "--data", str(SAMPLE_DATA), "--out", str(out))
    assert code == 0 and err == ""
    assert table == (out / "2026-11" / "segments.csv").read_bytes()
    assert "Our best" in table.decode()  # the period's names, the user's included
    target = sample_run / "assigned" / "new.csv"
    code, printed, _ = _assign(
        capsys, "--period", "2026-11", "--data", str(SAMPLE_DATA), "--out", str(out), "--to", str(target)
    )
    assert code == 0 and printed == b"" and target.read_bytes() == table


def test_new_customers_keep_the_models_medians_and_categories(
    tmp_path: Path, marketing_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, MARKETING)
    run = _ran(marketing_path, tmp_path / "out", "2014-06", config)
    # the same table, no config: the model says how it was read (TAB, id, dates, categories)
    code, table, err = _assign(
        capsys, "--period", "2014-06", "--data", str(marketing_path), "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    assigned = pl.read_csv(table, schema_overrides={"customer_id": pl.String})
    assert assigned.equals(run.select(COLUMNS))
    # a handful of "new" customers: their own medians differ, the model's are used; an unseen category is fine
    source = pl.read_csv(marketing_path, separator="\t", infer_schema=False)
    gaps = source.filter(pl.col("Income").is_null()).head(3)
    few = pl.concat([gaps, source.filter(pl.col("Income").is_not_null()).head(5)])
    assert float(few["Income"].cast(pl.Float64).median()) != float(source["Income"].cast(pl.Float64).median())  # type: ignore[arg-type]
    new = tmp_path / "new.tsv"
    few.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("Astronaut"))
        .otherwise("Marital_Status")
        .alias("Marital_Status")
    ).write_csv(new, separator="\t")
    code, table, err = _assign(
        capsys, "--period", "2014-06", "--data", str(new), "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    placed = pl.read_csv(table, schema_overrides={"customer_id": pl.String})
    both = placed.join(run, on="customer_id", suffix="_run")
    assert both.height == 8
    # the customers with gaps got the model's median Income, not these eight's: each sits where the run put it
    same = both.filter(pl.col("customer_id") != few["ID"][0])
    assert same["segment_id"].to_list() == same["segment_id_run"].to_list()
    assert same["segment_name"].to_list() == same["segment_name_run"].to_list()
    assert set(gaps["ID"]) <= set(same["customer_id"]) | {few["ID"][0]}


def test_cc_general_goes_back_to_its_segments(
    tmp_path: Path, cc_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _ran(cc_path, tmp_path / "out", "2026-11", _config(tmp_path, ""))
    code, table, err = _assign(
        capsys, "--period", "2026-11", "--data", str(cc_path), "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    assert table == (tmp_path / "out" / "2026-11" / "segments.csv").read_bytes()
    assert run.height == 8950


def test_a_purchase_log_is_aggregated_to_the_models_period_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    write_transactions(generate_transactions(6000, 400, seed=5, period_end=date(2026, 11, 30)), log)
    config = _config(tmp_path, '[data]\nkind = "transactions"\n')
    run = _ran(log, tmp_path / "out", "2026-11", config)
    code, table, err = _assign(
        capsys, "--period", "2026-11", "--data", str(log), "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    assigned = pl.read_csv(table, schema_overrides={"customer_id": pl.String})
    assert assigned.equals(run.select(COLUMNS))


def test_missing_period_is_one_error_naming_the_run_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, table, err = _assign(
        capsys, "--period", "2026-11", "--data", str(SAMPLE_DATA), "--out", str(tmp_path)
    )
    assert code == 2 and table == b""
    assert _one_error(err) == (
        f"error: {tmp_path / '2026-11' / 'model.json'}: no model.json for period 2026-11; "
        "run `reportgen run --period 2026-11` first"
    )


def _sample_frame() -> pl.DataFrame:
    return pl.read_csv(SAMPLE_DATA, infer_schema=False)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop("TENURE"), "missing column TENURE, which the model {model} was fitted on"),
        (lambda f: f.drop("CUST_ID"), "missing column CUST_ID, which the model {model} was fitted on"),
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 4)
                .then(pl.lit("lots"))
                .otherwise("BALANCE")
                .alias("BALANCE")
            ),
            "column BALANCE",
        ),
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 2)
                .then(pl.lit("=cmd|x"))
                .otherwise("CUST_ID")
                .alias("CUST_ID")
            ),
            "=cmd|x",
        ),
    ],
)
def test_a_table_that_does_not_fit_the_model_is_refused_and_nothing_is_written(
    sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, expected: str
) -> None:
    data = tmp_path / "new.csv"
    change(_sample_frame()).write_csv(data)  # type: ignore[operator]
    target = tmp_path / "kept.csv"
    target.write_bytes(b"earlier output\n")
    out = sample_run / "out"
    code, table, err = _assign(
        capsys, "--period", "2026-11", "--data", str(data), "--out", str(out), "--to", str(target)
    )
    assert code == 2 and table == b""
    line = _one_error(err)
    assert str(data) in line and expected.format(model=out / "2026-11" / "model.json") in line, line
    assert target.read_bytes() == b"earlier output\n"


@pytest.mark.spark
def test_the_spark_engine_assigns_every_customer_as_run_did(
    sample_run: Path, spark: object, capsys: pytest.CaptureFixture[str]
) -> None:
    out = sample_run / "out"
    args = ("--period", "2026-11", "--data", str(SAMPLE_DATA), "--out", str(out), "--engine", "spark")
    code, table, err = _assign(capsys, *args)
    assert code == 0 and err == ""
    assert table == (out / "2026-11" / "segments.csv").read_bytes()


def test_bad_engine_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _assign(capsys, "--period", "2026-11", "--data", "x.csv", "--engine", "dask")
    assert code == 2 and "--engine" in _one_error(err) and "dask" in err


def test_one_new_customer_with_a_gap_gets_the_models_median(
    sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _sample_frame()
    one = tmp_path / "one.csv"
    frame.head(1).with_columns(pl.lit(None, dtype=pl.String).alias("MINIMUM_PAYMENTS")).write_csv(one)
    out = sample_run / "out"
    code, table, err = _assign(capsys, "--period", "2026-11", "--data", str(one), "--out", str(out))
    assert code == 0, err
    # the same customer with the gap filled by hand with the model's median lands in the same segment
    median = json.loads((out / "2026-11" / "model.json").read_text())["preparation"]["medians"][
        "MINIMUM_PAYMENTS"
    ]
    filled = tmp_path / "filled.csv"
    frame.head(1).with_columns(pl.lit(str(median)).alias("MINIMUM_PAYMENTS")).write_csv(filled)
    code, by_hand, err = _assign(capsys, "--period", "2026-11", "--data", str(filled), "--out", str(out))
    assert code == 0, err
    assert table == by_hand and table.count(b"\n") == 2


@pytest.mark.parametrize("form", ["parquet", "csv.gz"])
def test_parquet_and_gzip_tables_are_read_as_for_run(
    sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    import gzip

    frame = pl.read_csv(SAMPLE_DATA, schema_overrides={"CUST_ID": pl.String})
    data = tmp_path / f"customers.{form}"
    if form == "parquet":
        frame.write_parquet(data)
    else:
        data.write_bytes(gzip.compress(SAMPLE_DATA.read_bytes()))
    out = sample_run / "out"
    code, table, err = _assign(capsys, "--period", "2026-11", "--data", str(data), "--out", str(out))
    assert code == 0, err
    assert table == (out / "2026-11" / "segments.csv").read_bytes()
