"""Profiles in raw units, traits and the naming rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from reportgen.analysis.cluster import segmentation
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.profile import segment_profiles, segment_stats, value_columns, value_label
from reportgen.config import ClusterConfig, DataConfig, FeatureConfig
from reportgen.errors import InputError
from reportgen.io.load import load_customers
from reportgen.model import ID, FeatureMatrix, FeatureStat, LoadedTable, Segmentation


def test_segment_stats_mean_median_lift_by_hand() -> None:
    raw = pl.DataFrame({"x": [1.0, 3.0, 10.0, 30.0]})
    overall, stats = segment_stats(raw, np.array([0, 0, 1, 1]), 2)
    assert overall["x"] == 11.0
    assert stats[0]["x"] == FeatureStat(
        mean=2.0, median=2.0, lift=pytest.approx(2.0 / 11.0), min=1.0, max=3.0
    )
    assert stats[1]["x"].lift == pytest.approx(20.0 / 11.0)


def test_real_table_k4_names_match_behaviour(cc_path: Path) -> None:
    fm = feature_matrix(
        load_customers(cc_path, DataConfig()), FeatureConfig(engineered=False, transform="none")
    )
    seg = segmentation(fm.X, 4, ClusterConfig(n_init=10, random_state=42))
    profiles = segment_profiles(fm, seg)
    by_purchases = sorted(profiles, key=lambda p: p.stats["PURCHASES"].mean)
    top_cash = max(profiles, key=lambda p: p.stats["CASH_ADVANCE"].mean)
    assert by_purchases[-1].name == "High spenders"
    assert top_cash.name == "Heavy cash-advance users"
    assert len({p.name for p in profiles}) == 4
    high = by_purchases[-1]
    assert high.size == 409 and high.stats["PURCHASES"].mean == pytest.approx(7681.6, abs=1.0)
    assert high.stats["PURCHASES"].lift == pytest.approx(7.66, abs=0.01)
    assert sum(p.share for p in profiles) == pytest.approx(1.0)
    assert sum(p.value_shares["PURCHASES"] for p in profiles) == pytest.approx(1.0)
    # the name's column leads the traits
    assert high.traits[0].feature == "PURCHASES" and "7.7x the average" in high.traits[0].text
    assert top_cash.traits[0].feature == "CASH_ADVANCE"
    assert all(p.value is not None and p.value.columns == ("PURCHASES",) for p in profiles)


def test_profiles_cover_every_input_feature_in_raw_units() -> None:
    raw = pl.DataFrame({"PURCHASES": [0.0, 0.0, 100.0, 300.0], "TENURE": [12.0] * 4})

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


def _matrix(columns: dict[str, np.ndarray], transform: str = "log1p") -> FeatureMatrix:
    n = len(next(iter(columns.values())))
    frame = pl.DataFrame({ID: [f"c{i}" for i in range(n)], **columns})
    table = LoadedTable(path=Path("t.csv"), sha256="0", frame=frame, features=tuple(columns), rows=n)
    return feature_matrix(table, FeatureConfig(engineered=False, transform=transform))


def _fixed(labels: np.ndarray, k: int) -> Segmentation:
    return Segmentation(labels, np.zeros((k, 1)), k, 0.0, None, None, None)


def five_groups(seed: int = 0) -> tuple[FeatureMatrix, np.ndarray]:
    """Return the two-column income / spending-score table with its five famous groups (middle one largest)."""
    rng = np.random.default_rng(seed)
    centres = [(55, 50, 80), (88, 17, 35), (86, 82, 39), (26, 20, 22), (26, 78, 23)]
    income, score, labels = [], [], []
    for g, (i, s, n) in enumerate(centres):
        income += list(i + rng.normal(0, 6, n))
        score += list(np.clip(s + rng.normal(0, 6, n), 1, 99))
        labels += [g] * n
    fm = _matrix({"Annual Income (k$)": np.array(income), "Spending Score (1-100)": np.array(score)})
    return fm, np.array(labels)


def test_a_segment_near_the_mean_on_every_feature_is_the_mainstream() -> None:
    fm, labels = five_groups()
    profiles = segment_profiles(fm, _fixed(labels, 5))
    assert profiles[0].name == "Mainstream customers" and profiles[0].naming.rule == "mainstream"  # type: ignore[union-attr]
    names = [p.name for p in profiles]
    assert len(set(names)) == 5 and all(len(n) <= 28 for n in names)
    assert not any("(k$)" in n for n in names)  # units stay in the tables, not in names
    # the two low-income groups are told apart by a true, different column, not "low income · lower income"
    assert {names[3], names[4]} == {"Low spending score", "Low annual income"}


def test_user_labels_name_the_columns() -> None:
    fm, labels = five_groups()
    profiles = segment_profiles(
        fm,
        _fixed(labels, 5),
        column_labels={"Annual Income (k$)": "Income", "Spending Score (1-100)": "Spending"},
    )
    names = [p.name for p in profiles]
    # short labels leave room for both columns in a name, strongest difference first
    assert names[4] == "Low income, high spending" and names[3] == "Low income, low spending"
    assert all("income" in n.lower() and "spending" in n for n in names[1:])
    assert any(t.label == "Spending" for p in profiles for t in p.traits)


def test_the_segment_with_most_value_is_never_named_low_or_moderate() -> None:
    rng = np.random.default_rng(2)
    # a large group of modest buyers holds most of the spend; a small group buys a lot more each
    spend = np.r_[rng.lognormal(5, 0.3, 900), rng.lognormal(6, 0.3, 100)]
    visits = np.r_[rng.normal(10, 1, 900), rng.normal(2, 0.5, 100)]
    fm = _matrix({"MntAll": spend, "visits": visits})
    profiles = segment_profiles(fm, _fixed(np.r_[np.zeros(900, int), np.ones(100, int)], 2))
    top = max(profiles, key=lambda p: p.value.share)  # type: ignore[union-attr]
    assert top.id == 0 and not top.name.startswith("Low") and "oderate" not in top.name


def test_almost_none_is_said_once_and_only_where_most_members_have_almost_none() -> None:
    rng = np.random.default_rng(1)
    n = 200
    buys = np.r_[np.zeros(n), rng.lognormal(6, 0.5, n)]
    oneoff = buys * 0.6
    inst = buys - oneoff
    cash = np.r_[rng.lognormal(7, 0.5, n), np.zeros(n)]
    fm = _matrix(
        {"PURCHASES": buys, "ONEOFF_PURCHASES": oneoff, "INSTALLMENTS_PURCHASES": inst, "CASH_ADVANCE": cash}
    )
    profiles = segment_profiles(fm, _fixed(np.r_[np.zeros(n, int), np.ones(n, int)], 2))
    cash_users = profiles[0]
    assert cash_users.traits[0].feature == "CASH_ADVANCE"  # leads with what defines it, not an absence
    nones = [t for t in cash_users.traits if t.direction == "almost_none"]
    assert len(nones) == 1 and nones[0].member_share == 1.0
    # purchases = one-off + instalments: one fact, said once
    assert (
        sum(
            t.feature in ("PURCHASES", "ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES")
            for t in cash_users.traits
        )
        == 1
    )


def test_value_columns_default_per_kind_and_follow_the_config() -> None:
    cards = _matrix({"PURCHASES": np.arange(10.0), "BALANCE": np.arange(10.0)})
    assert value_columns(cards) == ("PURCHASES",)
    rng = np.random.default_rng(0)
    shop = _matrix(
        {
            "MntWines": rng.lognormal(3, 1, 50),
            "MntFish": rng.lognormal(3, 1, 50),
            "NumVisits": rng.lognormal(1, 1, 50),
        }
    )
    assert value_columns(shop) == ("MntWines", "MntFish")
    assert value_columns(shop, ("MntFish",)) == ("MntFish",)
    with pytest.raises(InputError, match=r"data\.value: column Profit is not among the features"):
        value_columns(shop, ("Profit",))


def test_default_value_leaves_out_a_count_beside_amounts_with_cents() -> None:
    rng = np.random.default_rng(1)
    crm = _matrix(
        {
            "Umsatz": np.round(rng.lognormal(6, 1, 200), 2),  # euros and cents
            "Bestellungen": np.round(rng.lognormal(1.5, 1, 200)),  # orders: whole numbers, a German name
        }
    )
    assert value_columns(crm) == ("Umsatz",)
    # whole amounts (the wholesale table's annual spend) are still amounts when nothing has cents
    whole = _matrix({"Fresh": np.round(rng.lognormal(8, 1, 200)), "Milk": np.round(rng.lognormal(7, 1, 200))})
    assert value_columns(whole) == ("Fresh", "Milk")


def test_a_count_with_gaps_and_an_average_are_not_summed_into_the_value() -> None:
    # a loyalty table: whole points with 5% gaps filled by their median (1013.5) were summed with an amount in
    # euros and cents into "combined value", because the filled median has a fraction
    rng = np.random.default_rng(5)
    points = [None if i % 20 == 0 else float(v) for i, v in enumerate(np.round(rng.gamma(1.5, 800, 400)))]
    frame = pl.DataFrame(
        {
            ID: [f"c{i}" for i in range(400)],
            "points_balance": pl.Series(points, dtype=pl.Float64),
            "charged": np.round(rng.lognormal(4, 1, 400), 2),
        }
    )
    table = LoadedTable(Path("t.csv"), "0", frame, ("points_balance", "charged"), 400)
    fm = feature_matrix(table, FeatureConfig(engineered=False))
    filled = fm.quality.imputed["points_balance"].value
    assert filled != round(filled)  # the median of an even count of whole numbers, halfway between two
    assert value_columns(fm) == ("charged",)
    # beside a total, an average per purchase is not summed into what a customer is worth
    spend = np.round(rng.lognormal(6, 1, 400), 2)
    shop = _matrix({"total_charged": spend, "avg_ticket": np.round(rng.gamma(3, 10, 400), 2)})
    assert value_columns(shop) == ("total_charged",)


def test_a_segment_at_half_the_raw_average_is_not_called_mainstream() -> None:
    # a long-tailed spend column: after log1p the bulk sits within half an SD of the mean, but its raw mean is
    # about half the all-customer mean, which the report prints beside the name
    rng = np.random.default_rng(3)
    bulk = rng.lognormal(6.0, 0.4, 600)
    tail = rng.lognormal(8.5, 0.4, 150)
    fm = _matrix({"spend": np.concatenate([bulk, tail]), "visits": rng.normal(10, 1, 750)})
    labels = np.array([0] * 600 + [1] * 150)
    profiles = segment_profiles(fm, _fixed(labels, 2))
    lift = profiles[0].stats["spend"].lift
    assert lift is not None and lift < 1 / 1.5
    assert abs(float(fm.X[labels == 0, fm.used.index("spend")].mean())) <= 0.5  # near 0 on the fit's scale
    assert profiles[0].name != "Mainstream customers"
    assert profiles[0].naming is not None and profiles[0].naming.rule != "mainstream"


def test_total_spend_names_only_the_sum_of_every_spend_column() -> None:
    spend = ["MntWines", "MntMeatProducts", "MntFish"]
    assert value_label(spend, spend, {}) == "total spend"
    assert value_label(["MntWines", "MntMeatProducts"], spend, {}) == "wines and meat spend"
    assert value_label(["MntWines", "MntFish"], spend, {"MntWines": "Wine spend"}) == "wine and fish spend"
    assert value_label(["PURCHASES"], ["PURCHASES"], {}) == "purchases"
    assert value_label(["Fresh", "Milk"], [], {}) == "combined value"
    many = [f"Mnt{x}" for x in ("A", "B", "C", "D")]
    assert value_label(many, [*many, "MntE"], {}) == "spend on 4 of 5 spend columns"


def test_marketing_wine_and_meat_value_is_not_called_total_spend(marketing_path: Path) -> None:
    data = DataConfig(
        id_column="ID",
        features=(
            "Income",
            "MntWines",
            "MntFruits",
            "MntMeatProducts",
            "MntFishProducts",
            "MntSweetProducts",
            "MntGoldProds",
        ),
        labels={"MntWines": "Wine spend"},
        value=("MntWines", "MntMeatProducts"),
    )
    fm = feature_matrix(load_customers(marketing_path, data), FeatureConfig(engineered=False))
    profiles = segment_profiles(
        fm,
        segmentation(fm.X, 3, ClusterConfig(n_init=4, random_state=1)),
        column_labels=data.labels,
        value=data.value,
    )
    source = pl.read_csv(marketing_path, separator="\t")
    wine_meat = float(source.select(pl.col("MntWines") + pl.col("MntMeatProducts")).sum().item())
    assert all(p.value is not None and p.value.label == "wine and meat spend" for p in profiles)
    # the amounts are the two columns' sum, which is less than all the spend the table holds
    assert sum(p.value.amount for p in profiles if p.value) == pytest.approx(wine_meat)
    everything = float(source.select(pl.sum_horizontal(pl.col("^Mnt.*$"))).sum().item())
    assert wine_meat < 0.85 * everything
    # with every spend column as the value, the same table's sum is its total spend
    whole = segment_profiles(
        fm,
        segmentation(fm.X, 3, ClusterConfig(n_init=4, random_state=1)),
        value=tuple(c for c in data.features if c.startswith("Mnt")),
    )
    assert whole[0].value is not None and whole[0].value.label == "total spend"
    assert sum(p.value.amount for p in whole if p.value) == pytest.approx(everything)


def test_a_segment_named_by_a_count_has_many_or_few_of_it() -> None:
    rng = np.random.default_rng(3)
    deals = np.r_[rng.poisson(1, 150), rng.poisson(6, 150)].astype(float)
    spend = rng.lognormal(3, 0.3, 300)
    fm = _matrix({"NumDealsPurchases": deals, "MntFish": spend}, transform="none")
    labels = (np.arange(300) >= 150).astype(np.int64)
    profiles = segment_profiles(fm, _fixed(labels, 2), value=("MntFish",))
    names = [p.name for p in profiles]
    assert names == ["Few deal purchases", "Many deal purchases"]
    # the name is true of the numbers: the "many" segment's mean is above the overall mean, the "few" below
    assert (
        profiles[1].stats["NumDealsPurchases"].mean
        > deals.mean()
        > profiles[0].stats["NumDealsPurchases"].mean
    )


def test_card_cash_names_do_not_rank_the_cash_they_draw(cc_path: Path) -> None:
    # review2 #9: "Cash-advance only" drew less cash (2.0x) than "Cash-advance users" (2.5x, purchases 1.2x):
    # the names now say what sets each apart, and each is true of its segment
    fm = feature_matrix(load_customers(cc_path, DataConfig()), FeatureConfig())
    profiles = {p.name: p for p in segment_profiles(fm, segmentation(fm.X, 5, ClusterConfig()))}
    heavy, none = profiles["Heavy cash-advance users"], profiles["Cash advance, no purchases"]
    assert (heavy.stats["CASH_ADVANCE"].lift or 0.0) >= 1.5
    assert (none.stats["CASH_ADVANCE"].lift or 0.0) > 1 and (none.stats["PURCHASES"].lift or 1.0) < 0.05
    assert not any("only" in name.lower() for name in profiles)
