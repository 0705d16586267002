"""The same answer on both engines: the bundled sample, a purchase log and cc_general, run end to end.

Compared: segments.csv byte for byte, summary.json with numbers to 1e-9 relative (the documented tolerance:
Spark adds in another order, so the last bits of a mean or standard deviation may differ), model.json's
centroids and scaling to 1e-9 relative, and the report's text (report.html without its markup and images).
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from reportgen.config import DataConfig, EngineConfig, Settings
from reportgen.dev.sample_transactions import generate_transactions, write_transactions
from reportgen.pipeline import run

pytestmark = pytest.mark.spark

REL = 1e-9


def close(a: Any, b: Any, where: str = "") -> list[str]:
    """Return where two JSON documents differ beyond REL for numbers (exactly for everything else)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} != {sorted(b)}"]
        return [d for key in a for d in close(a[key], b[key], f"{where}.{key}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in close(x, y, f"{where}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        ok = (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)
        )
        return [] if ok else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def report_text(path: Path) -> str:
    """Return what a reader of report.html reads: its text without markup, styles, scripts and images."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"(?s)<(style|script|svg)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page)).strip()


def both_engines(tmp_path: Path, settings: Settings, data: Path, period: str | None) -> tuple[Path, Path]:
    local = run(settings, period, tmp_path / "local", data).period_dir
    on_spark = replace(settings, engine=EngineConfig(kind="spark", master="local[2]"))
    spark = run(on_spark, period, tmp_path / "spark", data).period_dir
    return local, spark


def assert_same_answer(local: Path, spark: Path) -> None:
    assert (local / "segments.csv").read_bytes() == (spark / "segments.csv").read_bytes()
    summary_l = json.loads((local / "summary.json").read_text())
    summary_s = json.loads((spark / "summary.json").read_text())
    assert close(summary_l, summary_s) == []
    model_l = json.loads((local / "model.json").read_text())
    model_s = json.loads((spark / "model.json").read_text())
    assert close(model_l, model_s) == []
    assert report_text(local / "report.html") == report_text(spark / "report.html")
    # the Spark engine also writes the segment table partitioned by segment id, for Spark readers
    parts = pl.read_parquet(spark / "segments", hive_partitioning=True)
    csv = pl.read_csv(local / "segments.csv", schema_overrides={"customer_id": pl.String})
    joined = csv.join(parts, on="customer_id", how="full", suffix="_parquet")
    assert joined.height == csv.height == parts.height
    assert (joined["segment_id"] == joined["segment_id_parquet"].cast(pl.Int64)).all()
    assert (joined["segment_name"] == joined["segment_name_parquet"]).all()


def test_bundled_sample_gives_the_same_report_on_both_engines(spark: Any, tmp_path: Path) -> None:
    from reportgen.config import SAMPLE_DATA

    local, on_spark = both_engines(tmp_path, Settings(), SAMPLE_DATA, "2026-11")
    assert_same_answer(local, on_spark)


def test_cc_general_gives_the_same_report_on_both_engines(spark: Any, tmp_path: Path, cc_path: Path) -> None:
    local, on_spark = both_engines(tmp_path, Settings(), cc_path, "2026-11")
    assert_same_answer(local, on_spark)


def test_purchase_log_gives_the_same_report_on_both_engines(spark: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    write_transactions(generate_transactions(40_000, 2_500, 3, date(2026, 10, 31)), log)
    settings = Settings(data=DataConfig(kind="transactions", features=(), categorical=(), value=()))
    local, on_spark = both_engines(tmp_path, settings, log, None)
    assert local.name == on_spark.name == "2026-10"  # the month of the log's last timestamp on both
    assert_same_answer(local, on_spark)
