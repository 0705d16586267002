"""RFM quintile scores and the archetype naming rules."""

from __future__ import annotations

import re
import tomllib

import polars as pl
import pytest

from reportgen.analysis.rfm import RFM_ARCHETYPE_NAMES, rfm_archetype_scores, rfm_scores
from reportgen.config import TEMPLATES_DIR
from reportgen.io.transactions import FEATURES as TRANSACTION_FEATURES
from reportgen.model import ID, FeatureStat
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


def stats(
    recency: float, frequency: float, monetary: float, tenure: float | None = None
) -> dict[str, FeatureStat]:
    """Segment statistics given as lifts (segment mean / all-customer mean)."""
    out = {
        "recency_days": FeatureStat(mean=90 * recency, median=90 * recency, lift=recency),
        "frequency": FeatureStat(mean=4 * frequency, median=4 * frequency, lift=frequency),
        "monetary": FeatureStat(mean=500 * monetary, median=500 * monetary, lift=monetary),
        "return_rate": FeatureStat(mean=0.02, median=0.0, lift=1.0),
    }
    if tenure is not None:
        out["tenure_days"] = FeatureStat(mean=300 * tenure, median=300 * tenure, lift=tenure)
    return out


def best(scores: dict[str, float]) -> str:
    return max(scores, key=lambda k: scores[k])


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (stats(0.2, 4.0, 5.0, 1.3), "champions"),
        (stats(0.8, 2.0, 1.6, 1.6), "loyal_customers"),
        (stats(0.5, 1.0, 0.9, 0.7), "potential_loyalists"),
        (stats(0.25, 0.4, 0.45, 0.2), "new_customers"),
        (stats(2.0, 1.2, 1.1, 1.4), "at_risk"),
        (stats(2.2, 3.0, 3.5, 1.5), "cant_lose_them"),
        (stats(2.5, 0.4, 0.3, 1.0), "hibernating"),
        (stats(2.5, 0.4, 0.3), "hibernating"),  # without tenure
    ],
)
def test_each_archetype_fits_its_textbook_segment_best(
    segment: dict[str, FeatureStat], expected: str
) -> None:
    scores = rfm_archetype_scores(segment)
    assert set(scores) == set(RFM_ARCHETYPE_NAMES)
    assert best(scores) == expected


def test_champion_fit_grows_with_recency_frequency_and_money() -> None:
    strong = rfm_archetype_scores(stats(0.2, 4.0, 5.0))["champions"]
    weaker = rfm_archetype_scores(stats(0.9, 1.2, 1.3))["champions"]
    opposite = rfm_archetype_scores(stats(3.0, 0.3, 0.2))["champions"]
    assert strong > weaker > opposite


def test_lapsed_low_value_segment_is_hibernating_not_a_champion() -> None:
    scores = rfm_archetype_scores(stats(3.0, 0.3, 0.2, 1.0))
    assert scores["hibernating"] > scores["at_risk"] > scores["champions"]


def test_missing_lifts_count_as_average_and_zero_recency_as_most_recent() -> None:
    segment = stats(1.0, 3.0, 4.0)
    segment["recency_days"] = FeatureStat(mean=0.0, median=0.0, lift=0.0)
    assert best(rfm_archetype_scores(segment)) == "champions"
    segment["frequency"] = FeatureStat(mean=0.0, median=0.0, lift=None)
    assert all(isinstance(v, float) for v in rfm_archetype_scores(segment).values())


def test_names_labels_and_playbook_cover_every_archetype() -> None:
    assert RFM_ARCHETYPE_NAMES["cant_lose_them"] == "Can't lose them"
    assert feature_label("recency_days") == "Days since last purchase"  # the one label table: model.columns
    playbook = tomllib.loads((TEMPLATES_DIR / "playbook_transactions.toml").read_text(encoding="utf-8"))
    archetypes = playbook["archetypes"]
    assert set(archetypes) == set(RFM_ARCHETYPE_NAMES)
    for key, entry in archetypes.items():
        assert entry["name"] == RFM_ARCHETYPE_NAMES[key]
        assert entry["summary"]
        assert 2 <= len(entry["actions"]) <= 3, key
        for action in entry["actions"]:
            assert action["title"] and "{" in action["text"], (key, action["title"])


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
        assert kind in ("mean", "median", "lift", "value_share"), token
        assert column in columns, token


def test_a_segment_that_returns_much_of_its_value_is_heavy_returners() -> None:
    segment = stats(1.0, 1.2, 0.8, 1.0)
    segment["return_rate"] = FeatureStat(mean=0.45, median=0.4, lift=9.0)
    assert best(rfm_archetype_scores(segment)) == "heavy_returners"
    # an above-average but small return rate does not make a segment "heavy returners"
    segment["return_rate"] = FeatureStat(mean=0.05, median=0.0, lift=4.0)
    assert best(rfm_archetype_scores(segment)) != "heavy_returners"
