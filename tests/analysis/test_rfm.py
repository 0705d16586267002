"""RFM quintile scores and the archetype naming rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import polars as pl

from reportgen.analysis.features import feature_matrix
from reportgen.analysis.profile import segment_profiles
from reportgen.analysis.purchases import FEATURES as TRANSACTION_FEATURES
from reportgen.analysis.recommend import load_playbook, recommendations
from reportgen.analysis.rfm import RFM_ARCHETYPE_NAMES, RFM_ARCHETYPES, rfm_scores
from reportgen.config import TEMPLATES_DIR, TRANSACTIONS_PLAYBOOK, FeatureConfig
from reportgen.model import ID, LoadedTable, Segmentation
from reportgen.model.columns import feature_label


def customers(recency: list[float], frequency: list[float], monetary: list[float]) -> pl.DataFrame:
    n = len(recency)
    return pl.DataFrame(
        {
            ID: [f"c{i:02d}" for i in range(n)],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
        }
    )


def test_ten_distinct_customers_make_two_per_quintile() -> None:
    frame = customers(
        recency=[float(x) for x in range(10, 0, -1)],  # c09 bought most recently
        frequency=[float(x) for x in range(1, 11)],
        monetary=[float(x) for x in (50, 10, 90, 30, 70, 20, 100, 40, 80, 60)],
    )
    scores = rfm_scores(frame)
    assert scores.columns == [ID, "r_score", "f_score", "m_score", "rfm_score"]
    assert scores.get_column(ID).to_list() == frame.get_column(ID).to_list()  # row order kept
    assert scores.get_column("r_score").to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores.get_column("f_score").to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores.get_column("m_score").to_list() == [3, 1, 5, 2, 4, 1, 5, 2, 4, 3]
    assert scores.get_column("rfm_score").to_list()[6] == "445"
    assert scores.schema["r_score"] == pl.Int8


def test_recent_buyers_score_high_on_recency() -> None:
    scores = rfm_scores(customers([1.0, 400.0, 30.0, 90.0, 200.0], [1.0] * 5, [1.0] * 5))
    r = dict(zip(scores.get_column(ID), scores.get_column("r_score"), strict=True))
    assert r["c00"] == 5 and r["c01"] == 1
    assert r["c00"] > r["c02"] > r["c03"] > r["c04"] > r["c01"]


def test_equal_values_get_equal_scores_whatever_the_order() -> None:
    frame = customers([5.0, 5.0, 5.0, 5.0, 1.0], [1.0, 1.0, 1.0, 1.0, 7.0], [2.0, 2.0, 9.0, 9.0, 9.0])
    scores = rfm_scores(frame)
    assert scores.get_column("f_score").to_list() == [1, 1, 1, 1, 5]
    assert scores.get_column("r_score").to_list() == [1, 1, 1, 1, 5]
    assert scores.get_column("m_score").to_list() == [1, 1, 3, 3, 3]
    shuffled = rfm_scores(frame.reverse())
    assert shuffled.reverse().equals(scores)


def test_single_customer_scores_without_error() -> None:
    assert rfm_scores(customers([3.0], [1.0], [10.0])).get_column("rfm_score").to_list() == ["111"]


def rfm_profiles(groups: list[dict[str, tuple[float, float]]], n: int = 120, seed: int = 0):  # type: ignore[no-untyped-def]
    """Return profiles of planted groups: each column drawn lognormal around (median, sigma), k = groups."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[float]] = {c: [] for c in TRANSACTION_FEATURES}
    labels = []
    for g, spec in enumerate(groups):
        base = {
            "recency_days": (60.0, 0.3),
            "frequency": (4.0, 0.3),
            "monetary": (400.0, 0.3),
            "tenure_days": (300.0, 0.3),
            "avg_basket": (100.0, 0.3),
            "return_rate": (0.01, 0.1),
            "distinct_products": (20.0, 0.3),
        } | spec
        for col, (median, sigma) in base.items():
            rows[col] += list(np.round(median * np.exp(rng.normal(0, sigma, n)), 3))
        labels += [g] * n
    frame = pl.DataFrame({ID: [f"c{i}" for i in range(len(labels))], **rows})
    table = LoadedTable(
        path=Path("log.csv"), sha256="0", frame=frame, features=TRANSACTION_FEATURES, rows=frame.height
    )
    fm = feature_matrix(table, FeatureConfig(engineered=False))
    seg = Segmentation(
        labels=np.array(labels),
        centroids=np.zeros((len(groups), len(fm.used))),
        k=len(groups),
        inertia=0.0,
        silhouette=None,
        calinski_harabasz=None,
        davies_bouldin=None,
    )
    return segment_profiles(fm, seg, RFM_ARCHETYPES, RFM_ARCHETYPE_NAMES)


CHAMPIONS = {"recency_days": (8.0, 0.4), "frequency": (15.0, 0.3), "monetary": (3000.0, 0.3)}
LAPSED = {
    "recency_days": (400.0, 0.2),
    "frequency": (1.5, 0.2),
    "monetary": (60.0, 0.3),
    "tenure_days": (500.0, 0.2),
}


def test_recent_frequent_big_spenders_are_champions_and_lapsed_rare_small_ones_hibernate() -> None:
    profiles = rfm_profiles([CHAMPIONS, {}, LAPSED])
    assert profiles[0].name == "Champions" and profiles[2].name == "Hibernating"
    assert [c.feature for c in profiles[0].naming.claims] == ["recency_days", "frequency", "monetary"]  # type: ignore[union-attr]
    assert all(c.member_share >= 2 / 3 for c in profiles[0].naming.claims)  # type: ignore[union-attr]


def test_a_segment_mostly_lapsed_is_not_called_champions_for_its_mean() -> None:
    # high frequency and spend on average, but carried by a third; most members have not bought for long
    mixed = {"recency_days": (300.0, 1.5), "frequency": (6.0, 1.6), "monetary": (800.0, 1.8)}
    profiles = rfm_profiles([mixed, {}, LAPSED], seed=3)
    assert profiles[0].name != "Champions"


def test_recent_or_new_customers_are_never_told_to_be_suppressed() -> None:
    book = load_playbook(TRANSACTIONS_PLAYBOOK)
    lapsed_only = rfm_profiles([CHAMPIONS, {}, LAPSED])
    recs = recommendations(lapsed_only, book)
    hibernating = [r.text for r in recs if r.segment_id == 2]
    assert lapsed_only[2].stats["recency_days"].min > 90  # type: ignore[operator]
    assert any("suppress" in t for t in hibernating)
    # the same segment with a few who bought last week: no suppression advice
    recent = {**LAPSED, "recency_days": (400.0, 1.2)}
    mixed = rfm_profiles([CHAMPIONS, {}, recent])
    assert mixed[2].stats["recency_days"].min < 90  # type: ignore[operator]
    assert not any("suppress" in r.text for r in recommendations(mixed, book))


def test_a_segment_that_returns_much_of_its_value_is_heavy_returners() -> None:
    returners = {"return_rate": (0.45, 0.2)}
    assert rfm_profiles([CHAMPIONS, {}, returners])[2].name == "Heavy returners"
    # an above-average but small return rate does not make a segment "heavy returners"
    small = {"return_rate": (0.05, 0.2)}
    assert rfm_profiles([CHAMPIONS, {}, small])[2].name != "Heavy returners"


def test_first_basket_is_said_only_of_single_order_customers() -> None:
    new = {"tenure_days": (20.0, 0.3), "recency_days": (10.0, 0.3), "frequency": (1.0, 0.0)}
    book = load_playbook(TRANSACTIONS_PLAYBOOK)
    profiles = rfm_profiles([new, {}, LAPSED])
    assert profiles[0].name == "New customers"
    texts = [r.text for r in recommendations(profiles, book) if r.segment_id == 0]
    assert any("first basket" in t for t in texts)
    repeat = {**new, "frequency": (1.6, 0.3)}
    profiles = rfm_profiles([repeat, {}, LAPSED])
    assert not any("first basket" in r.text for r in recommendations(profiles, book))


def test_names_labels_and_playbook_cover_every_archetype() -> None:
    assert RFM_ARCHETYPE_NAMES["cant_lose_them"] == "Can't lose them"
    assert feature_label("recency_days") == "Days since last purchase"  # the one label table: model.columns
    playbook = tomllib.loads((TEMPLATES_DIR / "playbook_transactions.toml").read_text(encoding="utf-8"))
    archetypes = playbook["archetypes"]
    assert set(archetypes) == set(RFM_ARCHETYPE_NAMES)
    for key, entry in archetypes.items():
        assert entry["name"] == RFM_ARCHETYPE_NAMES[key]
        assert len(entry["name"]) <= 28
        assert entry["summary"]
        assert 2 <= len(entry["actions"]) <= 4, key
        for action in entry["actions"]:
            assert action["title"] and "{" in action["text"] and action["kpi"], (key, action["title"])


def test_playbook_placeholders_are_supported_and_name_real_columns() -> None:
    columns = set(TRANSACTION_FEATURES)
    text = (TEMPLATES_DIR / "playbook_transactions.toml").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    tokens = re.findall(r"\{([^{}]*)\}", body)
    assert len(tokens) >= 7 * 2
    for token in tokens:
        if token in ("share", "size"):
            continue
        kind, _, column = token.partition(":")
        assert kind in ("mean", "median", "lift", "value_share", "min", "max"), token
        assert column in columns, token
