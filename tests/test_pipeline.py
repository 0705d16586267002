"""pipeline.run across months: stable ids and names, migration that matches the generator's known churn."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reportgen.config import ClusterConfig, Settings
from reportgen.dev.sample import generate_months, write_sample_csv
from reportgen.period import Period
from reportgen.pipeline import run

SETTINGS = Settings(clustering=ClusterConfig(k_min=3, k_max=7, n_init=3))


@pytest.fixture(scope="module")
def two_months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:  # type: ignore[type-arg]
    base = tmp_path_factory.mktemp("months")
    months = generate_months(2000, ["2026-10", "2026-11"], seed=11)
    for m in months:
        write_sample_csv(m.frame, base / f"{m.period}.csv")
        run(SETTINGS, m.period, base / "out", base / f"{m.period}.csv")
    return base / "out", months


def _summary(out: Path, period: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / period / "summary.json").read_text())


def test_second_month_keeps_ids_and_names(two_months) -> None:  # type: ignore[no-untyped-def]
    out, _ = two_months
    oct_, nov = _summary(out, "2026-10"), _summary(out, "2026-11")
    assert {s["id"]: s["name"] for s in oct_["segments"]} == {s["id"]: s["name"] for s in nov["segments"]}
    assert nov["segment_matching"]["new"] == [] and nov["segment_matching"]["vanished"] == []
    assert "migration" not in oct_


def test_migration_counts_match_the_generator(two_months) -> None:  # type: ignore[no-untyped-def]
    out, months = two_months
    moves = _summary(out, "2026-11")["migration"]
    nov = months[1]
    assert moves["from_period"] == "2026-10"
    assert moves["new_customers"] == len(nov.arrived)
    assert moves["lost_customers"] == len(nov.left)
    assert moves["customers_in_both"] == months[0].frame.height - len(nov.left)
    assert sum(f["customers"] for f in moves["flows"]) == moves["customers_in_both"]
    switched = sum(f["customers"] for f in moves["flows"] if f["from"] != f["to"])
    # the known behaviour changes, give or take a little K-Means boundary noise
    assert abs(switched - len(nov.switched)) <= 0.03 * moves["customers_in_both"]


def test_each_period_saves_its_model(two_months) -> None:  # type: ignore[no-untyped-def]
    out, _ = two_months
    model = json.loads((out / "2026-11" / "model.json").read_text())
    assert (
        model["period"] == "2026-11"
        and len(model["segments"]) == _summary(out, "2026-11")["k_selection"]["chosen_k"]
    )
    assert {"used", "transformed", "transform"} <= set(model["features"])


def test_default_method_recovers_the_planted_groups_of_the_bundled_sample() -> None:
    from sklearn.metrics import adjusted_rand_score

    from reportgen.config import SAMPLE_DATA
    from reportgen.dev.sample import DEFAULT_ROWS, DEFAULT_SEED, GROUP_NAMES, generate_customers
    from reportgen.pipeline import analyse

    truth = generate_customers(DEFAULT_ROWS, DEFAULT_SEED)
    analysis = analyse(Settings(), SAMPLE_DATA, "2026-11")
    assert analysis.selection.method == "auto"
    assert analysis.selection.chosen_k == len(GROUP_NAMES)  # auto-k finds the number of planted groups
    ids = analysis.features.customer_ids.to_list()
    assert ids == truth.frame["CUST_ID"].to_list()
    assert adjusted_rand_score(truth.truth, analysis.segmentation.labels) >= 0.9
    # each planted group's majority segment carries the group's name
    names = {p.id: p.name for p in analysis.profiles}
    for g, group in enumerate(GROUP_NAMES):
        members = analysis.segmentation.labels[truth.truth == g]
        majority = int(np.bincount(members).argmax())
        # the planted "moderate" group buys 1.6x the average, nearly all in one go: its name says that
        assert names[majority] == {"Moderate spenders": "One-off buyers"}.get(group, group)


def test_a_kept_name_that_no_longer_holds_is_replaced_and_said(two_months, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = two_months
    # last month's model says segment 0 was "Wine lovers": a name nothing in this table can make true
    shutil.copytree(out / "2026-10", tmp_path / "out" / "2026-10")
    model_path = tmp_path / "out" / "2026-10" / "model.json"
    model = json.loads(model_path.read_text())
    model["segments"][0]["name"] = "Wine lovers"
    model_path.write_text(json.dumps(model))
    run(SETTINGS, "2026-11", tmp_path / "out", out.parent / "2026-11.csv")

    honest = {s["id"]: s["name"] for s in _summary(out, "2026-11")["segments"]}
    renamed = _summary(tmp_path / "out", "2026-11")
    assert {s["id"]: s["name"] for s in renamed["segments"]} == honest
    matched = {m["id"]: m for m in renamed["segment_matching"]["matched"]}
    assert matched[0]["renamed"] and matched[0]["name"] == "Wine lovers"
    assert not any(m["renamed"] for i, m in matched.items() if i != 0)
    text = (tmp_path / "out" / "2026-11" / "report.html").read_text()
    assert f"Wine lovers, as it was called in October 2026, is now {honest[0]}" in text


def test_a_guessed_value_measure_says_which_columns_it_sums(tmp_path: Path) -> None:
    # a loyalty table: points, a lifetime value in micros and redemptions were summed into "combined value"
    # and printed as a share of it on every page, without the report saying what it was made of
    from reportgen.config import DataConfig
    from reportgen.pipeline import analyse

    rng = np.random.default_rng(5)
    n = 300
    rows = ["member_id,points_balance,lifetime_value_micros,visits"]
    rows += [
        f"{i},{rng.gamma(1.5, 800):.0f},{rng.gamma(2, 5e8):.0f},{rng.normal(10, 2):.3f}"
        for i in range(1, n + 1)
    ]
    path = tmp_path / "loyalty.csv"
    path.write_text("\n".join(rows) + "\n")
    features = ("points_balance", "lifetime_value_micros", "visits")
    cluster = ClusterConfig(k=3, n_init=2, stability_resamples=0)
    guessed = Settings(data=DataConfig(id_column="member_id", features=features), clustering=cluster)
    notes = analyse(guessed, path, "2026-11").features.quality.notes
    (note,) = [n for n in notes if "data.value" in n]
    assert "(combined value)" in note and "the sum of points balance and lifetime value micros" in note
    named = replace(guessed, data=replace(guessed.data, value=("points_balance",)))
    assert not any("data.value" in n for n in analyse(named, path, "2026-11").features.quality.notes)


def test_a_column_that_holds_one_value_this_month_keeps_the_segments_identities(  # type: ignore[no-untyped-def]
    two_months, tmp_path: Path
) -> None:
    # a loyalty table's monthly bonus was the same for everyone in November: dropped as constant, it changed
    # the feature set, and every segment was reported as new, redefined from one of the same name
    import polars as pl

    from reportgen.io.period_folder import load_previous_model
    from reportgen.pipeline import analyse

    out, _ = two_months
    november = tmp_path / "2026-11.csv"
    frame = pl.read_csv(out.parent / "2026-11.csv", infer_schema=False)
    frame.with_columns(pl.lit("1.0").alias("BALANCE_FREQUENCY")).write_csv(november)
    previous = load_previous_model(out, Period(2026, 11))
    assert previous is not None and "BALANCE_FREQUENCY" in previous.used
    analysis = analyse(SETTINGS, november, "2026-11", previous=previous)
    assert "BALANCE_FREQUENCY" in analysis.features.quality.dropped_columns
    assert analysis.history is not None
    matching = analysis.history.matching
    assert matching.note is None and len([m for m in matching.matches if not m.new]) >= 3
    assert analysis.selection.previous_k == len(previous.ids)
