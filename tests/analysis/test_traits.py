"""Traits: each a true claim about one column, one per fact, printed as the report prints it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reportgen.analysis.evidence import naming_evidence
from reportgen.analysis.naming import MEMBER_SHARE
from reportgen.analysis.profile import segment_stats
from reportgen.analysis.traits import segment_traits, trait_text
from reportgen.config import ClusterConfig, DataConfig, Settings
from reportgen.dev.sample import generate_customers
from reportgen.pipeline import analyse
from tests.analysis.test_naming import NOV, assert_claim


def test_trait_text_reads_as_a_multiple_a_percentage_below_or_almost_none() -> None:
    assert trait_text("Purchases", 7.66, "above") == "Purchases 7.7x the average"
    assert trait_text("Balance", 0.23, "below") == "Balance 77% below the average"
    assert (
        trait_text("Cash advance", 0.01, "almost_none") == "Cash advance almost none (95%+ below the average)"
    )


def test_every_trait_is_true_of_the_mean_and_most_members_and_says_one_fact(tmp_path: Path) -> None:
    path = tmp_path / "cards.csv"
    generate_customers(900, seed=8).frame.write_csv(path)
    settings = Settings(data=DataConfig(id_column="CUST_ID"), clustering=ClusterConfig(k=5, n_init=3))
    analysis = analyse(settings, path, NOV)
    fm, fit = analysis.features, analysis.segmentation
    ev = naming_evidence(fm, fit.labels, fit.k, {})
    _, stats = segment_stats(fm.raw, fit.labels, fit.k)
    lift_columns = tuple(c for c in fm.input_features if c in ev.nonnegative)
    for seg in range(fit.k):
        traits = segment_traits(ev, seg, stats[seg], lift_columns)
        assert traits, f"segment {seg} has nothing that sets it apart"
        assert sum(t.direction == "almost_none" for t in traits) <= 1
        # "Purchases" and "One-off purchases" both low are one fact: the whole and its part, said once
        lows = {t.feature for t in traits if t.direction != "above"}
        assert not (
            {"PURCHASES", "ONEOFF_PURCHASES"} <= lows or {"PURCHASES", "INSTALLMENTS_PURCHASES"} <= lows
        )
        for t in traits:
            assert t.member_share >= MEMBER_SHARE
            assert_claim(analysis, seg, t.feature, t.direction, t.text)
            assert np.isclose(t.lift, stats[seg][t.feature].lift or 0.0)
