"""Names, traits and advice checked as claims: true of each segment's mean and of two thirds of its members."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from reportgen.analysis.evidence import naming_evidence
from reportgen.analysis.naming import (
    MAINSTREAM_SD,
    MAX_NAME_LENGTH,
    MEMBER_SHARE,
    NAME_WORDS,
    name_candidates,
    segment_names,
)
from reportgen.analysis.profile import ARCHETYPE_NAMES, CARD_ARCHETYPES
from reportgen.analysis.recommend import action_words
from reportgen.analysis.summary import summary_document
from reportgen.config import ClusterConfig, DataConfig, ReportConfig, Settings, TransactionConfig
from reportgen.dev.sample import generate_customers
from reportgen.dev.sample_transactions import generate_transactions, write_transactions
from reportgen.model import Analysis
from reportgen.model.columns import feature_label
from reportgen.period import parse_period
from reportgen.pipeline import analyse

NOV = parse_period("2026-11")

# What each archetype's name says, written out here apart from the code: (column, direction) pairs.
NAME_MEANS: dict[str, tuple[tuple[str, str], ...]] = {
    "High spenders": (("PURCHASES", "above"),),
    "Everyday spenders": (("PURCHASES", "above"), ("PURCHASES_FREQUENCY", "above")),
    "Spenders with cash advance": (("PURCHASES", "above"), ("CASH_ADVANCE", "above")),
    "Heavy cash-advance users": (("CASH_ADVANCE", "above"),),
    "Cash advance, no purchases": (("CASH_ADVANCE", "above"), ("PURCHASES", "almost_none")),
    # more often than average, or in larger tickets: the name's own claims say which (checked below)
    "One-off buyers": (("INSTALLMENTS_PURCHASES", "below"),),
    "Instalment buyers": (("PURCHASES_INSTALLMENTS_FREQUENCY", "above"),),
    "Full payers": (("PRC_FULL_PAYMENT", "above"),),
    "Low activity": (("PURCHASES", "below"), ("CASH_ADVANCE", "below")),
    "Champions": (("recency_days", "below"), ("frequency", "above"), ("monetary", "above")),
    "Loyal customers": (("frequency", "above"), ("tenure_days", "above")),
    "New customers": (("tenure_days", "below"), ("recency_days", "below")),
    "At risk": (("recency_days", "above"), ("tenure_days", "above")),
    "Can't lose them": (("recency_days", "above"), ("frequency", "above"), ("monetary", "above")),
    "Hibernating": (("recency_days", "above"), ("frequency", "below"), ("monetary", "below")),
    "Recent buyers": (("recency_days", "below"),),
    "Lapsed buyers": (("recency_days", "above"),),
    "Frequent buyers": (("frequency", "above"),),
    "Big spenders": (("monetary", "above"),),
    "Heavy returners": (("return_rate", "above"),),
}
TRAIT = re.compile(
    r"^(?P<label>.+?)(?: (?P<lift>[0-9.]+)x the average| (?P<pct>[0-9]+)% below the average| almost none"
    r"|: (?P<flag><?[0-9]+)% of the segment, <?[0-9]+% overall)"
)


def _settings(tmp: Path, kind: str, k: int, features: tuple[str, ...] | None = None) -> Settings:
    data = DataConfig(kind=kind, id_column="CUST_ID", features=features or DataConfig().features)
    return Settings(data=data, clustering=ClusterConfig(k=k, n_init=3), transactions=TransactionConfig())


def planted_table(seed: int, n: int = 400) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Return a table of unnamed columns (some skewed amounts, some scores) with four planted groups."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 4, n)
    centres = rng.normal(0, 1.2, (4, 4))
    cols = {}
    for j, name in enumerate(("MntGadgets", "annual_income", "VisitScore", "basket_value")):
        latent = centres[groups, j] + rng.normal(0, 0.5, n)
        cols[name] = np.round(np.exp(latent + 4), 2) if j % 2 == 0 else np.round(50 + 10 * latent, 2)
    frame = pl.DataFrame({"CUST_ID": [f"P{i:04d}" for i in range(n)], **cols})
    return frame, tuple(cols)


def run_case(tmp_path: Path, case: str, seed: int, k: int) -> Analysis:
    path = tmp_path / f"{case}-{seed}.csv"
    if case == "cards":
        generate_customers(700, seed=seed).frame.write_csv(path)
        return analyse(_settings(tmp_path, "customers", k), path, NOV)
    if case == "log":
        log = generate_transactions(9000, 500, seed=seed, period_end=date(2011, 12, 31))
        write_transactions(log, path)
        return analyse(_settings(tmp_path, "transactions", k), path, parse_period("2011-12"))
    frame, features = planted_table(seed)
    frame.write_csv(path)
    return analyse(_settings(tmp_path, "customers", k, features), path, NOV)


def value_share(analysis: Analysis, column: str) -> np.ndarray:
    """Recompute one value column's share of each customer's summed value (0 where the sum is 0)."""
    v = analysis.profiles[0].value
    assert v is not None and column in v.columns
    parts = analysis.features.raw.select(v.columns).to_numpy().astype(float)
    total = parts.sum(axis=1)
    part = parts[:, list(v.columns).index(column)]
    return np.where(total > 0, part / np.where(total > 0, total, 1.0), 0.0)


def scaled(analysis: Analysis, column: str) -> np.ndarray:
    """Recompute a column on the clustering's scale from the raw values (log1p where applied, then z)."""
    fm = analysis.features
    if column.startswith("@share:"):
        raw = value_share(analysis, column.removeprefix("@share:"))
    elif column == "@value":
        v = analysis.profiles[0].value
        assert v is not None
        raw = fm.raw.select(pl.sum_horizontal(v.columns)).to_series().to_numpy()
        if any(c in fm.transformed for c in v.columns):
            raw = np.log1p(raw)
    else:
        raw = fm.raw.get_column(column).to_numpy()
        if column in fm.transformed:
            raw = np.log1p(raw)
    return (raw - raw.mean()) / (raw.std() or 1.0)


def raw_values(analysis: Analysis, column: str) -> np.ndarray:
    if column.startswith("@share:"):
        return value_share(analysis, column.removeprefix("@share:"))
    if column == "@value":
        v = analysis.profiles[0].value
        assert v is not None
        return analysis.features.raw.select(pl.sum_horizontal(v.columns)).to_series().to_numpy()
    return analysis.features.raw.get_column(column).to_numpy()


def assert_claim(analysis: Analysis, seg: int, feature: str, direction: str, where: str) -> None:
    """Check one claim from the data: it holds for the segment mean and for two thirds of the members."""
    members = analysis.segmentation.labels == seg
    raw, z = raw_values(analysis, feature), scaled(analysis, feature)
    mean, overall = raw[members].mean(), raw.mean()
    if direction == "above":
        assert mean > overall and (z[members] > 0).mean() >= MEMBER_SHARE, where
    elif direction == "below":
        assert mean < overall and (z[members] < 0).mean() >= MEMBER_SHARE, where
    else:
        assert direction == "almost_none", where
        assert mean <= 0.05 * overall and (raw[members] <= 0.05 * overall).mean() >= MEMBER_SHARE, where


def name_label(column: str) -> str:
    if column.startswith("@share:"):
        return f"{name_label(column.removeprefix('@share:'))} share"
    if column in NAME_WORDS:
        return NAME_WORDS[column]
    label = feature_label(column)
    label = label[0].lower() + label[1:] if label[1:2].islower() else label
    return re.sub(r"\s*\([^)]*\)", "", label).strip()


def check_summary(analysis: Analysis, document: dict[str, Any]) -> None:
    segments = document["segments"]
    names = [s["name"] for s in segments]
    assert len(set(names)) == len(names) and all(len(n) <= MAX_NAME_LENGTH for n in names), names
    words = [action_words(a["text"]) for s in segments for a in s["actions"]]
    assert len(set(words)) == len(words), "two segments got the same action text"
    X = analysis.features.X
    for s in segments:
        seg, name, naming = s["id"], s["name"], s["naming"]
        where = f"{name}: {naming}"
        assert naming["member_share_required"] == pytest.approx(MEMBER_SHARE)
        if naming["rule"] == "mainstream":
            members = X[analysis.segmentation.labels == seg]
            assert np.abs(members.mean(axis=0)).max() <= MAINSTREAM_SD, where
            assert (np.sqrt((members**2).mean(axis=1)) <= 1).mean() >= MEMBER_SHARE, where
        elif naming["rule"] == "archetype":
            assert name in NAME_MEANS, where
            for feature, direction in NAME_MEANS[name]:
                assert_claim(analysis, seg, feature, direction, where)
        elif naming["claims"][0]["direction"] == "level":
            # "Mostly retail channel": two thirds of the members hold the value, more than all customers do
            column, value = naming["claims"][0]["feature"].split("=", 1)
            held = analysis.table.frame.get_column(column).cast(pl.String).str.strip_chars() == value
            members = analysis.segmentation.labels == seg
            share = held.to_numpy()[members].mean()
            assert share >= MEMBER_SHARE and share > held.mean(), where
            assert name.startswith("Mostly ") and value.lower() in name.lower(), where
        else:
            # a plain name is read back from its words: "High x", "High x and y", "High x, low y"
            assert naming["rule"] == "generic", where
            m = re.match(
                r"^(High|Low|Many|Few|Mostly not|Mostly)(?:-value customers| spenders| (.+?))"
                r"(?:(?: and |, (high|low|many|few|mostly not|mostly) )(.+))?$",
                name,
            )
            assert m is not None, where
            claims = naming["claims"]
            first = "above" if m.group(1) in ("High", "Many", "Mostly") else "below"
            second = {
                "high": "above",
                "many": "above",
                "mostly": "above",
                "low": "below",
                "few": "below",
                "mostly not": "below",
                None: first,
            }[m.group(3)]
            assert claims[0]["direction"] == first, where
            if m.group(2):
                assert name_label(claims[0]["feature"]) == m.group(2), where
            else:
                assert claims[0]["feature"] == "@value", where
            if m.group(4):
                assert claims[1]["direction"] == second and name_label(claims[1]["feature"]) == m.group(4), (
                    where
                )
        for c in naming["claims"]:
            if c["direction"] in ("above", "below", "almost_none"):
                assert_claim(analysis, seg, c["feature"], c["direction"], where)
        for text, detail in zip(s["traits"], naming["traits"], strict=True):
            m = TRAIT.match(text)
            assert m is not None, text
            direction = "above" if m.group("lift") else "below" if m.group("pct") else "almost_none"
            if m.group("flag"):  # a 0/1 column's shares: the claim's direction is the detail's, checked below
                direction = detail["direction"]
            assert detail["direction"] == direction, (text, detail)
            assert_claim(analysis, seg, detail["feature"], direction, f"{name}: trait {text}")
        assert sum(1 for t in naming["traits"] if t["direction"] == "almost_none") <= 1
        for a in s["actions"]:
            assert a["title"] and a["text"] and a["kpi"] and a["value_at_stake"], a
            if re.search(r"\bonly [0-9.]+% of", a["text"]):
                assert s["value_share"] < s["share"], a["text"]
            if "first basket" in a["text"]:
                assert (
                    s["profile"]["frequency"]["median"] <= 1
                    and analysis.profiles[seg].stats["frequency"].max == 1
                )
            if "suppress" in a["text"]:
                stats = analysis.profiles[seg].stats
                assert (stats["recency_days"].min or 0) > 90 and (stats["tenure_days"].min or 0) > 90, a[
                    "text"
                ]


@pytest.mark.parametrize("case", ["cards", "log", "planted"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_name_trait_and_action_holds_for_the_segment_and_most_members(
    tmp_path: Path, case: str, seed: int
) -> None:
    analysis = run_case(tmp_path, case, seed, k=3 + seed % 3)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)


def test_cc_general_default_run_names_the_top_spenders_for_their_spend(cc_path: Path) -> None:
    analysis = analyse(Settings(), cc_path, NOV)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)
    segments = document["segments"]
    top = max(segments, key=lambda s: s["value_shares"]["PURCHASES"])
    assert any(c["feature"] == "PURCHASES" and c["direction"] == "above" for c in top["naming"]["claims"])
    assert re.search(r"spend|buy", top["name"], re.IGNORECASE) and not re.search(
        r"moderate|low", top["name"], re.I
    )
    archetypes = [s["archetype"] for s in segments]
    assert len(set(archetypes)) == len(archetypes)  # each its own archetype, so each its own true claims
    assert all(len(s["actions"]) >= 2 for s in segments)
    # F1: a plain name sets its segment apart (true of at most half the segments), and two absences
    # never read as "Low balance and cash advance" (as if they used cash advance)
    for s in segments:
        assert not re.match(r"^Low .+ and ", s["name"]), s["name"]
        if s["naming"]["rule"] == "generic":
            assert any(
                sum(claim_true(analysis, seg, c["feature"], c["direction"]) for seg in range(len(segments)))
                <= len(segments) / 2
                for c in s["naming"]["claims"]
            ), s
    # the segment putting most of its purchases into instalments is named for it
    share = {s["name"]: s["profile"]["INSTALLMENT_SHARE"]["lift"] for s in segments}
    assert max(share, key=lambda n: share[n]) == "Instalment buyers" and share["Instalment buyers"] >= 1.5
    # and the one putting almost none of them into instalments, with tickets well above average, for that:
    # a segment is named for what it does, not only for what it does not do ("Low instalment purchases")
    buyers = [s for s in segments if s["name"] == "One-off buyers"]
    assert len(buyers) == 1 and buyers[0]["profile"]["INSTALLMENT_SHARE"]["lift"] <= 0.5
    assert buyers[0]["profile"]["AVG_PURCHASE_VALUE"]["lift"] >= 1.25
    # the page leads with the figure the name rests on, then what they hardly do (two facts, both shown)
    assert buyers[0]["traits"][0].startswith("Average purchase value") and any(
        t.startswith("Instalment purchases") and "below" in t for t in buyers[0]["traits"]
    )
    assert not any(
        s["naming"]["claims"]
        and all(c["direction"] != "above" for c in s["naming"]["claims"])
        and s["name"].startswith("Low ")
        and s["value_share"] > 0.05
        for s in segments
    )


def claim_true(analysis: Analysis, seg: int, feature: str, direction: str) -> bool:
    try:
        assert_claim(analysis, seg, feature, direction, "")
    except AssertionError:
        return False
    return True


def _own_table(tmp_path: Path, source: Path, separator: str, keep: re.Pattern[str]) -> tuple[Path, Settings]:
    """Write the numeric columns of a public table with an id, as a user without the new loader would."""
    frame = pl.read_csv(source, separator=separator)
    features = tuple(c for c in frame.columns if keep.match(c))
    path = tmp_path / f"{source.stem}.csv"
    frame.select(features).with_row_index("CUST_ID").with_columns(pl.col("CUST_ID").cast(pl.Utf8)).write_csv(
        path
    )
    return path, Settings(data=DataConfig(id_column="CUST_ID", features=features))


@pytest.mark.parametrize(
    ("table", "separator", "keep"),
    [
        ("wholesale_customers.csv", ",", r"^(Fresh|Milk|Grocery|Frozen|Detergents_Paper|Delicassen)$"),
        ("marketing_campaign.csv", "\t", r"^(Income|Recency|Mnt.*|Num.*)$"),
    ],
)
def test_users_own_tables_get_readable_names_and_sized_different_actions(
    tmp_path: Path, cc_path: Path, table: str, separator: str, keep: str
) -> None:
    path, settings = _own_table(tmp_path, cc_path.parent / table, separator, re.compile(keep))
    analysis = analyse(settings, path, NOV)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)
    for s in document["segments"]:
        assert re.fullmatch(r"[A-Z][a-z]+(?:[ ,-]+[a-z]+)*", s["name"]), s["name"]  # words, not column names
        assert len({a["title"] for a in s["actions"]}) >= 2, s["name"]
        for a in s["actions"]:
            assert a["kpi"] and re.match(
                r"the segment's [0-9.]+% of [a-z ]+ \([0-9,]+\)$", a["value_at_stake"]
            )
        assert s["value_share"] is not None


def test_the_users_names_replace_the_rules_by_segment_id(tmp_path: Path) -> None:
    path = tmp_path / "cards.csv"
    generate_customers(600, seed=5).frame.write_csv(path)
    settings = _settings(tmp_path, "customers", 4)
    auto = analyse(settings, path, NOV)
    named = analyse(replace(settings, report=ReportConfig(names={"1": "Transactors"})), path, NOV)
    assert named.profiles[1].name == "Transactors" and named.profiles[1].naming.rule == "configured"  # type: ignore[union-attr]
    assert [p.name for i, p in enumerate(named.profiles) if i != 1] == [
        p.name for i, p in enumerate(auto.profiles) if i != 1
    ]
    # an automatic name the user gave to another segment is told apart by its id
    clash = replace(settings, report=ReportConfig(names={"1": auto.profiles[0].name}))
    names = [p.name for p in analyse(clash, path, NOV).profiles]
    assert names[1] == auto.profiles[0].name and names[0] == f"{auto.profiles[0].name} (segment 0)"


def test_a_coded_column_never_names_a_segment_nor_is_a_trait(wholesale_path: Path) -> None:
    # F29: Channel (1 = Horeca, 2 = Retail) in features without data.categorical gave "High milk and channel"
    # and traits such as "Channel 1.5x the average"
    settings = Settings(data=DataConfig(id_column="", features=("Fresh", "Milk", "Channel")))
    analysis = analyse(settings, wholesale_path, NOV)
    assert any("Channel holds only 2 distinct whole numbers" in n for n in analysis.features.quality.notes)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    for s in document["segments"]:
        assert "channel" not in s["name"].lower(), s["name"]
        assert all(c["feature"] != "Channel" for c in s["naming"]["claims"]), s["naming"]
        assert not any("channel" in trait.lower() for trait in s["traits"]), s["traits"]
        assert all(c["feature"] != "Channel" for c in s["naming"]["traits"]), s["naming"]
    # the code is still clustered on and shown in the appendix as the user asked: only the words skip it
    assert "Channel" in analysis.features.used and all("Channel" in p.stats for p in analysis.profiles)


def test_a_matched_segment_keeps_last_months_name_only_while_it_is_true(tmp_path: Path) -> None:
    analysis = run_case(tmp_path, "cards", 3, 4)
    fm, fit = analysis.features, analysis.segmentation
    ev = naming_evidence(fm, fit.labels, fit.k, {})
    fresh = [name for _, name, _ in segment_names(ev, CARD_ARCHETYPES, ARCHETYPE_NAMES, [None] * fit.k)]
    # a name that is true of segment 0 but lost to a better-scoring one: last month's, it is kept
    others = [c.name for c in name_candidates(ev, 0, CARD_ARCHETYPES, ARCHETYPE_NAMES) if c.name not in fresh]
    assert others, "the planted segment should have more than one true name"
    kept = segment_names(ev, CARD_ARCHETYPES, ARCHETYPE_NAMES, [None] * fit.k, {0: others[0]})
    assert kept[0][1] == others[0]
    assert all(c.mean_holds and c.member_share >= MEMBER_SHARE for c in kept[0][2].claims)
    assert [name for _, name, _ in kept[1:]] == fresh[1:]
    # a name no rule finds true of it (no wine column at all) is not kept: the segment gets its true name
    stale = segment_names(ev, CARD_ARCHETYPES, ARCHETYPE_NAMES, [None] * fit.k, {0: "Wine lovers"})
    assert [name for _, name, _ in stale] == fresh


def mix_table(seed: int, n: int = 600) -> tuple[pl.DataFrame, np.ndarray]:
    """Return four spend columns with three planted groups: big buyers of everything, small accounts that buy
    mostly fresh, and mid-sized accounts whose spend leans to detergents and grocery, with little fresh."""
    rng = np.random.default_rng(seed)
    centres = {0: (3000, 3000, 3000, 3000), 1: (900, 80, 80, 60), 2: (300, 2500, 2200, 150)}
    groups = rng.integers(0, 3, n)
    cols = {}
    for j, name in enumerate(("Fresh", "Detergents", "Grocery", "Frozen")):
        base = np.array([centres[int(g)][j] for g in groups], dtype=float)
        cols[name] = np.round(base * rng.lognormal(0, 0.35, n), 2)
    return pl.DataFrame({"CUST_ID": [f"M{i:04d}" for i in range(n)], **cols}), groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_segment_is_named_for_what_its_spend_leans_to_not_for_what_it_lacks(
    tmp_path: Path, seed: int
) -> None:
    frame, groups = mix_table(seed)
    path = tmp_path / "mix.csv"
    frame.write_csv(path)
    spend = ("Fresh", "Detergents", "Grocery", "Frozen")
    settings = Settings(
        data=DataConfig(id_column="CUST_ID", features=spend, value=spend),
        clustering=ClusterConfig(k=3, n_init=3),
    )
    analysis = analyse(settings, path, NOV)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)  # every name, share claim and trait holds for the mean and most members
    for profile in analysis.profiles:
        members = analysis.segmentation.labels == profile.id
        planted = int(np.bincount(groups[members], minlength=3).argmax())
        assert profile.naming is not None
        directions = {c.direction for c in profile.naming.claims}
        if planted == 2:
            # it buys little fresh, but what it does is spend mostly on detergents: the name says that
            assert directions == {"above"} and profile.naming.claims[0].feature == "@share:Detergents", (
                profile.name
            )
            assert profile.name == "High detergents share"
            assert profile.traits[0].text.startswith("Detergents share of combined value")
        if planted == 1:
            assert profile.name == "Low-value customers"


def test_a_yes_no_column_reads_as_shares_of_customers(tmp_path: Path) -> None:
    # a bank's churn flag and card flag: "High exited" / "Exited 2.7x the average" said nothing a reader can use
    rng = np.random.default_rng(0)
    n = 3000
    groups = rng.integers(0, 3, n)
    frame = pl.DataFrame(
        {
            "CustomerId": np.arange(15600000, 15600000 + n),
            "Age": np.round(rng.normal(np.array([35, 48, 40])[groups], 6)),
            "Balance": np.where(groups == 0, 0.0, np.round(rng.lognormal(11, 0.4, n), 2)),
            "Exited": (rng.random(n) < np.array([0.05, 0.85, 0.1])[groups]).astype(int),
            "HasCrCard": (rng.random(n) < np.array([0.7, 0.7, 0.03])[groups]).astype(int),
        }
    )
    path = tmp_path / "churn.csv"
    frame.write_csv(path)
    features = ("Age", "Balance", "Exited", "HasCrCard")
    settings = Settings(
        data=DataConfig(id_column="CustomerId", features=features), clustering=ClusterConfig(k=3, n_init=3)
    )
    analysis = analyse(settings, path, NOV)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)  # "Mostly exited" holds: two thirds of its members have the flag
    churners = next(p for p in analysis.profiles if p.name == "Mostly exited")
    exited = analysis.features.raw.get_column("Exited").to_numpy()
    members = analysis.segmentation.labels == churners.id
    trait = next(t for t in churners.traits if t.feature == "Exited")
    assert trait.flag and trait.text == (
        f"Exited: {round(100 * exited[members].mean())}% of the segment, {round(100 * exited.mean())}% overall"
    )
    for p in analysis.profiles:
        assert all(" the average" not in t.text for t in p.traits if t.feature in ("Exited", "HasCrCard"))
        assert not re.search(r"\b(High|Low) (exited|has cr card)", p.name, re.IGNORECASE), p.name


def test_a_segment_most_of_whose_members_hold_one_category_value_may_be_named_for_it(tmp_path: Path) -> None:
    # a SaaS export: the Team plan's accounts stand apart on every number, and what they are is "Team"
    rng = np.random.default_rng(0)
    n = 3000
    plan = rng.choice(["Free", "Pro", "Team"], n, p=[0.6, 0.3, 0.1])
    group = np.searchsorted(["Free", "Pro", "Team"], plan)
    frame = pl.DataFrame(
        {
            "account": [f"A{i}" for i in range(n)],
            "plan": plan,
            "mrr": np.where(group == 0, 0.0, np.round(rng.lognormal(np.array([0, 4, 6])[group], 0.3), 2)),
            "logins_last_30d": np.round(rng.lognormal(np.array([1, 2.5, 3])[group], 0.5)),
            "seats": np.where(group == 2, rng.integers(5, 50, n), 1),
        }
    )
    path = tmp_path / "saas.csv"
    frame.write_csv(path)
    data = DataConfig(
        id_column="account", features=("mrr", "logins_last_30d", "seats", "plan"), categorical=("plan",)
    )
    analysis = analyse(Settings(data=data, clustering=ClusterConfig(k=3, n_init=3)), path, NOV)
    document = summary_document(analysis, period=NOV, generator="t", input_label="t.csv")
    check_summary(analysis, document)  # every "Mostly <value>" is read back from the table
    named = [p.name for p in analysis.profiles]
    assert "Mostly plan Team" in named, named
