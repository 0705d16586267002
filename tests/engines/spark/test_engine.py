"""The same answer on both engines: the bundled sample, a purchase log, cc_general and marketing_campaign (text
categories and dates clustered), run end to end, and a planted table with a category and a date.

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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from reportgen.analysis.cluster import SCORING_SAMPLE
from reportgen.config import ClusterConfig, DataConfig, EngineConfig, Settings, load_settings
from reportgen.dev.sample_transactions import generate_transactions, write_transactions
from reportgen.pipeline import analyse, assignments, assignments_csv, run
from tests.conftest import readme_config

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


MARKETING = readme_config("marketing_campaign.csv")


@pytest.fixture(scope="module")
def marketing_runs(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, marketing_path: Path
) -> tuple[Path, Path]:
    """Return the period folders of marketing_campaign.csv run on each engine, with the README's config."""
    work = tmp_path_factory.mktemp("marketing")
    config = work / "reportgen.toml"
    config.write_text(MARKETING, encoding="utf-8")
    return both_engines(work, load_settings(config), marketing_path, "2026-11")


def test_marketing_campaign_gives_the_same_report_on_both_engines(marketing_runs: tuple[Path, Path]) -> None:
    local, on_spark = marketing_runs
    assert_same_answer(local, on_spark)
    model = json.loads((on_spark / "model.json").read_text())
    # the Spark run clustered the enrolment date and the education levels, as the local one did
    assert "Dt_Customer" in model["features"]["used"] and "Education=PhD" in model["features"]["used"]
    assert model["preparation"]["categorical"][0]["levels"][0] == "Graduation"
    summary = json.loads((on_spark / "summary.json").read_text())
    assert summary["data_quality"]["imputed"]["Income"]["count"] == 24


def test_assign_on_spark_puts_every_marketing_customer_back(
    marketing_runs: tuple[Path, Path], marketing_path: Path
) -> None:
    _, on_spark = marketing_runs
    settings = Settings(engine=EngineConfig(kind="spark", master="local[2]"))
    frame = assignments(settings, "2026-11", on_spark.parent, marketing_path)
    assert assignments_csv(frame) == (on_spark / "segments.csv").read_bytes()


def planted_table(path: Path, n: int = SCORING_SAMPLE + 1_500, seed: int = 5) -> np.ndarray:
    """Write a customer table of three planted groups told apart by a channel, an enrolment date and spend,
    with rare channels, odd spacing, gaps and blank dates; return each row's group.

    Larger than the scoring sample, so the final fit refines on every row in Spark.
    """
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    channel = np.array(["Web", " Store", "Catalog "])[group].astype(object)
    rare = rng.random(n)
    channel[rare < 0.004] = "Phone"
    channel[(rare >= 0.004) & (rare < 0.007)] = "Fax"
    channel[(rare >= 0.007) & (rare < 0.009)] = "NA"
    days = np.array([100, 2500, 1000])[group] + rng.integers(-80, 80, n)
    joined = [
        "" if r > 0.995 else (date(2026, 11, 30) - timedelta(days=int(d))).strftime("%d/%m/%Y")
        for d, r in zip(days, rng.random(n), strict=True)
    ]
    spend = np.array([40.0, 900.0, 300.0])[group] * rng.lognormal(0, 0.25, n)
    frame = pl.DataFrame(
        {
            "id": [f"P{i:06d}" for i in range(n)],
            "Spend": [
                None if r > 0.99 else round(float(s), 2) for s, r in zip(spend, rng.random(n), strict=True)
            ],
            "Visits": rng.poisson(np.array([9, 3, 5])[group]).astype(np.float64),
            "Joined": joined,
            "Channel": channel.tolist(),
        }
    )
    frame.write_csv(path)
    return group


def test_a_planted_table_with_a_category_and_a_date_gives_the_same_fit_on_both_engines(
    spark: Any, tmp_path: Path
) -> None:
    data = tmp_path / "customers.csv"
    planted = planted_table(data)
    config = DataConfig(
        id_column="id",
        features=("Spend", "Visits", "Joined", "Channel"),
        categorical=("Channel",),
        dates={"Joined": "%d/%m/%Y"},
        value=(),
    )
    cluster = ClusterConfig(k_min=2, k_max=4, n_init=3, stability_resamples=0, silhouette_sample=2_000)
    settings = Settings(data=config, clustering=cluster)
    local = analyse(settings, data, "2026-11")
    on_spark = analyse(
        replace(settings, engine=EngineConfig(kind="spark", master="local[2]")), data, "2026-11"
    )
    for a in (local, on_spark):
        assert a.selection.scored_rows == SCORING_SAMPLE < a.features.X.shape[0]  # refined on every row
        assert a.selection.chosen_k == 3  # the three planted groups
        assert adjusted_rand_score(planted, a.segmentation.labels) > 0.99
    prep_l, prep_s = local.features.preparation, on_spark.features.preparation
    assert prep_l is not None and prep_s is not None
    # the rare channels grouped as "other" (the null token is "(missing)", rare too), levels by count
    assert prep_s.categories == prep_l.categories
    assert prep_s.categories[0].levels[-1] == "other" and set(prep_s.categories[0].levels[:3]) == {
        "Web", "Store", "Catalog"
    }  # fmt: skip
    assert prep_s.used == prep_l.used and prep_s.medians == prep_l.medians
    np.testing.assert_allclose(prep_s.center, prep_l.center, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(prep_s.scale, prep_l.scale, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        on_spark.segmentation.centroids, local.segmentation.centroids, rtol=1e-9, atol=1e-12
    )
    assert np.array_equal(on_spark.segmentation.labels, local.segmentation.labels)
    for p, q in zip(on_spark.profiles, local.profiles, strict=True):
        assert (p.name, p.size) == (q.name, q.size)
        assert p.stats["Joined"].median == q.stats["Joined"].median  # days before the period end, exact
