"""Profiles in raw units, traits and the naming rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from reportgen.analysis.cluster import segmentation
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.profile import (
    ARCHETYPE_NAMES,
    card_archetype_scores,
    segment_names,
    segment_profiles,
    segment_stats,
)
from reportgen.config import ClusterConfig, DataConfig, FeatureConfig
from reportgen.io.load import load_customers
from reportgen.model import FeatureStat, Segmentation


def test_segment_stats_mean_median_lift_by_hand() -> None:
    raw = pl.DataFrame({"x": [1.0, 3.0, 10.0, 30.0]})
    overall, stats = segment_stats(raw, np.array([0, 0, 1, 1]), 2)
    assert overall["x"] == 11.0
    assert stats[0]["x"] == FeatureStat(mean=2.0, median=2.0, lift=pytest.approx(2.0 / 11.0))
    assert stats[1]["x"].lift == pytest.approx(20.0 / 11.0)


def _stats(**lifts: float) -> dict[str, FeatureStat]:
    base = {
        "PURCHASES": 1000.0,
        "CASH_ADVANCE": 1000.0,
        "INSTALLMENTS_PURCHASES": 400.0,
        "PRC_FULL_PAYMENT": 0.15,
    }
    return {
        c: FeatureStat(mean=base[c] * lifts.get(c, 1.0), median=0.0, lift=lifts.get(c, 1.0)) for c in base
    }


def test_names_are_unique_and_ties_are_told_apart_by_the_next_trait() -> None:
    segments = [
        _stats(PURCHASES=0.2, CASH_ADVANCE=0.3, INSTALLMENTS_PURCHASES=0.1),
        _stats(PURCHASES=0.25, CASH_ADVANCE=0.4, INSTALLMENTS_PURCHASES=0.5, PRC_FULL_PAYMENT=0.3),
        _stats(PURCHASES=6.0),
    ]
    named = segment_names(segments, card_archetype_scores, ARCHETYPE_NAMES)
    names = [n for _, n in named]
    assert len(set(names)) == 3
    assert names[2] == "High spenders"
    assert names[0] == "Low activity"  # the stronger fit keeps the plain name
    # told apart by a trait that also holds against all customers: it pays in full less often (0.3x)
    assert names[1] == "Low activity · lower share of months paid in full"


def test_each_archetype_is_recognised() -> None:
    cases = {
        "high_spenders": _stats(PURCHASES=5.0),
        "cash_advance_users": _stats(CASH_ADVANCE=4.0, PURCHASES=0.5),
        "instalment_buyers": _stats(PURCHASES=1.3, INSTALLMENTS_PURCHASES=2.5),
        "full_payers": _stats(PRC_FULL_PAYMENT=4.0),
        "low_activity": _stats(PURCHASES=0.2, CASH_ADVANCE=0.2, INSTALLMENTS_PURCHASES=0.2),
        "low_activity ": _stats(PURCHASES=0.05, CASH_ADVANCE=0.2, INSTALLMENTS_PURCHASES=0.12),
        "moderate_spenders": _stats(PURCHASES=1.1),
    }
    for expected, stats in cases.items():
        scores = card_archetype_scores(stats)
        assert max(scores, key=lambda a: scores[a]) == expected.strip(), (expected, scores)


def test_real_table_k4_names_match_behaviour(cc_path: Path) -> None:
    fm = feature_matrix(
        load_customers(cc_path, DataConfig()), FeatureConfig(engineered=False, transform="none")
    )
    seg = segmentation(fm.X, 4, ClusterConfig(n_init=10, random_state=42))
    profiles = segment_profiles(fm, seg)
    by_purchases = sorted(profiles, key=lambda p: p.stats["PURCHASES"].mean)
    top_cash = max(profiles, key=lambda p: p.stats["CASH_ADVANCE"].mean)
    assert by_purchases[-1].name == "High spenders"
    assert by_purchases[0].name == "Low activity"
    assert top_cash.name == "Cash-advance users"
    assert len({p.name for p in profiles}) == 4
    high = by_purchases[-1]
    assert high.size == 409 and high.stats["PURCHASES"].mean == pytest.approx(7681.6, abs=1.0)
    assert high.stats["PURCHASES"].lift == pytest.approx(7.66, abs=0.01)
    assert sum(p.share for p in profiles) == pytest.approx(1.0)
    assert sum(p.value_shares["PURCHASES"] for p in profiles) == pytest.approx(1.0)
    assert high.traits[0].lift > 5 and "x the average" in high.traits[0].text


def test_profiles_cover_every_input_feature_in_raw_units() -> None:
    raw = pl.DataFrame({"PURCHASES": [0.0, 0.0, 100.0, 300.0], "TENURE": [12.0] * 4})
    from reportgen.model import ID, LoadedTable

    table = LoadedTable(
        path=Path("t.csv"),
        sha256="0",
        frame=raw.insert_column(0, pl.Series(ID, list("abcd"))),
        features=("PURCHASES", "TENURE"),
        rows=4,
    )
    fm = feature_matrix(table, FeatureConfig(engineered=False, transform="none"))
    seg = Segmentation(
        labels=np.array([0, 0, 1, 1]),
        centroids=np.zeros((2, 1)),
        k=2,
        inertia=0.0,
        silhouette=None,
        calinski_harabasz=None,
        davies_bouldin=None,
    )
    profiles = segment_profiles(fm, seg)
    assert set(profiles[1].stats) == {"PURCHASES", "TENURE"}
    assert profiles[1].stats["PURCHASES"].mean == 200.0 and profiles[1].stats["PURCHASES"].lift == 2.0
    assert profiles[0].value_shares["PURCHASES"] == 0.0


def test_columns_without_an_archetype_are_named_by_their_most_distinctive_feature() -> None:
    from reportgen.model import ID, LoadedTable

    rng = np.random.default_rng(0)
    n = 300
    margin = np.r_[rng.normal(-20, 2, 150), rng.normal(20, 2, 150)]  # signed: a lift means nothing here
    visits = np.r_[rng.poisson(2, 150), rng.poisson(2, 150)].astype(float)
    frame = pl.DataFrame({ID: [f"c{i}" for i in range(n)], "margin": margin, "visits": visits})
    table = LoadedTable(path=Path("t.csv"), sha256="0", frame=frame, features=("margin", "visits"), rows=n)
    fm = feature_matrix(table, FeatureConfig(engineered=False, transform="none"))
    labels = (margin > 0).astype(np.int64)
    seg = Segmentation(
        labels=labels,
        centroids=np.zeros((2, 2)),
        k=2,
        inertia=0.0,
        silhouette=None,
        calinski_harabasz=None,
        davies_bouldin=None,
    )
    profiles = segment_profiles(fm, seg)
    assert [p.name for p in profiles] == ["Low margin", "High margin"]
    assert all(
        t.feature != "margin" for p in profiles for t in p.traits
    )  # no "x times the average" for signed
