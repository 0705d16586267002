"""The synthetic sample: byte-for-byte rebuild, realistic invariants, recoverable planted groups, monthly churn."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from reportgen.config import CC_FEATURES, SAMPLE_DATA
from reportgen.dev.sample import (
    COLUMNS,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    GROUP_NAMES,
    NEW_GROUP_NAME,
    generate_customers,
    generate_months,
    main,
    month_csv_name,
    parse_periods,
    write_sample_csv,
)
from reportgen.errors import InputError

AMOUNTS = ("BALANCE", "PURCHASES", "ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES", "CASH_ADVANCE", "PAYMENTS")
FREQUENCIES = (
    "BALANCE_FREQUENCY",
    "PURCHASES_FREQUENCY",
    "ONEOFF_PURCHASES_FREQUENCY",
    "PURCHASES_INSTALLMENTS_FREQUENCY",
    "CASH_ADVANCE_FREQUENCY",
    "PRC_FULL_PAYMENT",
)


def log_features(frame: pl.DataFrame) -> np.ndarray:
    """The stand-in for the product's default method: median fill, then log1p on all 17 columns."""
    X = frame.select(CC_FEATURES).to_numpy().astype(np.float64)
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    return np.log1p(X)


def stand_in_matrix(frame: pl.DataFrame) -> np.ndarray:
    return StandardScaler().fit_transform(log_features(frame))


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    return generate_customers(8000, seed=7).frame


# --- the committed sample ---------------------------------------------------------------------------------------


def test_committed_sample_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    write_sample_csv(generate_customers(DEFAULT_ROWS, seed=DEFAULT_SEED).frame, out)
    assert out.read_bytes() == SAMPLE_DATA.read_bytes()


def test_command_line_defaults_rebuild_the_committed_sample(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "customers.csv"
    assert main(["--out", str(out)]) == 0
    assert out.read_bytes() == SAMPLE_DATA.read_bytes()


def test_committed_sample_is_plain_csv_with_empty_cells_for_gaps() -> None:
    data = SAMPLE_DATA.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("ascii").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == DEFAULT_ROWS + 1
    body = "\n".join(lines[1:])
    assert not re.search(r"e[+-]?\d|nan|inf|-0(,|$)|null", body, flags=re.IGNORECASE | re.MULTILINE)
    # at most 6 decimals anywhere, like the real file
    assert not re.search(r"\.\d{7,}", body)
    table = pl.read_csv(SAMPLE_DATA, infer_schema_length=0)
    assert table["MINIMUM_PAYMENTS"].str.len_chars().eq(0).sum() == 0  # gaps are nulls, not empty strings
    assert 50 <= table["MINIMUM_PAYMENTS"].null_count() <= 160
    assert table["CREDIT_LIMIT"].null_count() == 1


# --- schema and invariants --------------------------------------------------------------------------------------


def test_columns_and_ids() -> None:
    sample = generate_customers(500, seed=3)
    frame = sample.frame
    assert tuple(frame.columns) == COLUMNS == ("CUST_ID", *CC_FEATURES)
    assert frame["CUST_ID"].to_list()[:3] == ["C10001", "C10002", "C10003"]
    assert frame["CUST_ID"].n_unique() == 500
    assert sample.truth.shape == (500,) and set(np.unique(sample.truth)) <= set(range(5))
    assert sample.group_names == GROUP_NAMES and len(GROUP_NAMES) == 5
    for name in ("CASH_ADVANCE_TRX", "PURCHASES_TRX", "TENURE"):
        assert frame[name].dtype == pl.Int64


def test_same_seed_same_table_other_seed_other_table() -> None:
    a, b, c = (
        generate_customers(300, seed=11),
        generate_customers(300, seed=11),
        generate_customers(300, seed=12),
    )
    assert a.frame.equals(b.frame) and np.array_equal(a.truth, b.truth)
    assert not a.frame.equals(c.frame)


def test_purchase_columns_are_consistent(big: pl.DataFrame) -> None:
    gap = big["PURCHASES"] - big["ONEOFF_PURCHASES"] - big["INSTALLMENTS_PURCHASES"]
    assert gap.abs().max() < 1e-6
    bought = big["PURCHASES"] > 0
    assert ((big["PURCHASES_TRX"] > 0) == bought).all()
    assert ((big["PURCHASES_FREQUENCY"] > 0) == bought).all()
    assert ((big["ONEOFF_PURCHASES_FREQUENCY"] > 0) == (big["ONEOFF_PURCHASES"] > 0)).all()
    assert ((big["PURCHASES_INSTALLMENTS_FREQUENCY"] > 0) == (big["INSTALLMENTS_PURCHASES"] > 0)).all()
    assert (big["ONEOFF_PURCHASES_FREQUENCY"] <= big["PURCHASES_FREQUENCY"]).all()
    assert (big["PURCHASES_INSTALLMENTS_FREQUENCY"] <= big["PURCHASES_FREQUENCY"]).all()
    # every purchase month is a one-off or an instalment month
    union = big["ONEOFF_PURCHASES_FREQUENCY"] + big["PURCHASES_INSTALLMENTS_FREQUENCY"]
    assert (big["PURCHASES_FREQUENCY"] <= union + 2e-6).all()  # each is rounded to 6 decimals
    # at least one transaction per month with a purchase
    months = (big["PURCHASES_FREQUENCY"] * big["TENURE"]).round(0)
    assert (big["PURCHASES_TRX"] >= months).all()


def test_cash_advance_columns_are_consistent(big: pl.DataFrame) -> None:
    took = big["CASH_ADVANCE"] > 0
    assert ((big["CASH_ADVANCE_TRX"] > 0) == took).all()
    assert ((big["CASH_ADVANCE_FREQUENCY"] > 0) == took).all()
    assert (big["CASH_ADVANCE_TRX"] >= (big["CASH_ADVANCE_FREQUENCY"] * big["TENURE"]).round(0)).all()


def test_value_ranges(big: pl.DataFrame) -> None:
    for name in FREQUENCIES:
        assert big[name].min() >= 0 and big[name].max() <= 1, name
    for name in (*AMOUNTS, "CASH_ADVANCE_TRX", "PURCHASES_TRX", "MINIMUM_PAYMENTS"):
        assert big[name].min() >= 0, name
    assert set(big["TENURE"].unique().to_list()) <= set(range(6, 13))
    assert (big["TENURE"] == 12).mean() >= 0.7
    assert big["CREDIT_LIMIT"].drop_nulls().min() > 0
    assert big["CREDIT_LIMIT"].null_count() == 1
    assert ((big["BALANCE"] == 0) == (big["BALANCE_FREQUENCY"] == 0)).all()


def test_amounts_are_heavy_tailed_and_zero_inflated(big: pl.DataFrame) -> None:
    for name in ("PURCHASES", "ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES", "CASH_ADVANCE"):
        zeros = (big[name] == 0).mean()
        assert 0.15 <= zeros <= 0.85, (name, zeros)
    for name in ("BALANCE", "PURCHASES", "PAYMENTS", "CREDIT_LIMIT"):
        values = big[name].drop_nulls()
        assert values.mean() > values.median(), name  # right skew
        assert values.quantile(0.99) > 4 * values.median(), name


def test_a_few_hundred_minimum_payments_are_missing(big: pl.DataFrame) -> None:
    missing = big["MINIMUM_PAYMENTS"].null_count()
    assert 200 <= missing <= 400  # about 3-4% of 8,000, like the real table's 313 of 8,950
    assert big["MINIMUM_PAYMENTS"].drop_nulls().min() > 0
    # as in the real table, nothing paid means no minimum payment recorded
    assert (
        big.filter(pl.col("PAYMENTS") == 0)["MINIMUM_PAYMENTS"].null_count() == (big["PAYMENTS"] == 0).sum()
    )


def test_groups_have_their_planted_behaviour() -> None:
    sample = generate_customers(6000, seed=5)
    f = sample.frame.with_columns(group=pl.Series(sample.truth))
    med = f.group_by("group").agg(pl.exclude("CUST_ID").median()).sort("group")
    low, high, moderate, instal, cash = (med.row(i, named=True) for i in range(5))
    assert low["PURCHASES"] == 0 and low["CASH_ADVANCE"] == 0 and low["PAYMENTS"] < moderate["PAYMENTS"]
    assert high["ONEOFF_PURCHASES"] > 3 * moderate["ONEOFF_PURCHASES"]
    assert high["CREDIT_LIMIT"] == max(r["CREDIT_LIMIT"] for r in (low, high, moderate, instal, cash))
    assert high["PRC_FULL_PAYMENT"] > 0.3 and moderate["PRC_FULL_PAYMENT"] == 0
    assert instal["ONEOFF_PURCHASES"] == 0 and instal["INSTALLMENTS_PURCHASES"] > 300
    assert instal["PURCHASES_INSTALLMENTS_FREQUENCY"] >= 0.75
    assert cash["CASH_ADVANCE"] > 1000 and cash["PURCHASES"] == 0
    assert cash["BALANCE"] == max(r["BALANCE"] for r in (low, high, moderate, instal, cash))


def test_weights_set_the_group_shares() -> None:
    only_cash = generate_customers(200, seed=1, weights=(0, 0, 0, 0, 1))
    assert (only_cash.truth == 4).all()
    halves = generate_customers(1000, seed=1, weights=(1, 1, 0, 0, 0))
    assert np.bincount(halves.truth, minlength=5).tolist() == [500, 500, 0, 0, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "rows: expected an integer >= 1"),
        ({"n": 10, "weights": (1, 2)}, "weights: expected 5 non-negative numbers"),
        ({"n": 10, "weights": (1, -1, 1, 1, 1)}, "weights: expected 5 non-negative numbers"),
        ({"n": 10, "limit_gaps": -1}, "limit_gaps: expected an integer >= 0"),
    ],
)
def test_bad_arguments_raise_input_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        generate_customers(**kwargs)  # type: ignore[arg-type]


def test_a_million_rows_are_made_whole() -> None:
    # how fast is `make bench`'s concern (its 1M-customer scenario generates them), not a timed test's
    frame = generate_customers(1_000_000, seed=1).frame
    assert frame.height == 1_000_000
    assert frame.get_column(frame.columns[0]).n_unique() == 1_000_000  # one row per customer id


# --- planted groups are recoverable by the product's default method ---------------------------------------------


def test_default_sample_groups_are_recovered_and_silhouette_peaks_at_five() -> None:
    sample = generate_customers(DEFAULT_ROWS, seed=DEFAULT_SEED)
    X = stand_in_matrix(sample.frame)
    scores: dict[int, float] = {}
    for k in range(2, 11):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(X)
        scores[k] = float(silhouette_score(X, labels))
        if k == 5:
            assert adjusted_rand_score(sample.truth, labels) >= 0.9
    best_other = max(v for k, v in scores.items() if k != 5)
    assert scores[5] >= best_other + 0.02, scores


@pytest.mark.parametrize("seed", [1, 99])
def test_groups_are_recovered_for_other_seeds(seed: int) -> None:
    sample = generate_customers(3000, seed=seed)
    labels = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(stand_in_matrix(sample.frame))
    assert adjusted_rand_score(sample.truth, labels) >= 0.9


# --- monthly extracts -------------------------------------------------------------------------------------------

PERIODS = ("2026-09", "2026-10", "2026-11")


@pytest.fixture(scope="module")
def months() -> tuple:
    return generate_months(3000, PERIODS, seed=4)


def test_months_have_known_churn_arrivals_and_switches(months: tuple) -> None:
    assert [m.period for m in months] == list(PERIODS)
    first = months[0]
    assert not first.left and not first.arrived and not first.switched
    for prev, cur in itertools.pairwise(months):
        prev_ids = set(prev.frame["CUST_ID"].to_list())
        cur_ids = set(cur.frame["CUST_ID"].to_list())
        assert cur.left <= prev_ids and not (cur.left & cur_ids)
        assert cur.arrived <= cur_ids and not (cur.arrived & prev_ids)
        assert cur_ids == (prev_ids - cur.left) | cur.arrived
        assert len(cur.left) == round(0.03 * len(prev_ids))
        assert len(cur.arrived) == round(0.035 * len(prev_ids))
        stayed = len(prev_ids) - len(cur.left)
        assert len(cur.switched) == round(0.05 * stayed)

        before = dict(zip(prev.frame["CUST_ID"].to_list(), prev.truth.tolist(), strict=True))
        after = dict(zip(cur.frame["CUST_ID"].to_list(), cur.truth.tolist(), strict=True))
        for cid, (old, new) in cur.switched.items():
            assert before[cid] == old and after[cid] == new and old != new
        # everyone else in both months keeps their group
        kept = [cid for cid in cur_ids & prev_ids if cid not in cur.switched]
        assert all(before[cid] == after[cid] for cid in kept)


def test_month_to_month_noise_is_small_but_real(months: tuple) -> None:
    prev, cur = months[0], months[1]
    joined = prev.frame.join(cur.frame, on="CUST_ID", suffix="_next")
    joined = joined.filter(~pl.col("CUST_ID").is_in(list(cur.switched)))
    a = np.log1p(joined["BALANCE"].to_numpy())
    b = np.log1p(joined["BALANCE_next"].to_numpy())
    assert np.corrcoef(a, b)[0, 1] > 0.9
    assert (joined["BALANCE"] != joined["BALANCE_next"]).mean() > 0.9
    assert (joined["TENURE_next"] >= joined["TENURE"]).all()


def test_months_are_reproducible(months: tuple) -> None:
    again = generate_months(3000, PERIODS, seed=4)
    for a, b in zip(months, again, strict=True):
        assert (
            a.frame.equals(b.frame)
            and a.left == b.left
            and a.arrived == b.arrived
            and a.switched == b.switched
        )


def test_new_group_month_has_a_segment_with_no_close_match() -> None:
    prev, last = generate_months(3000, ("2026-10", "2026-11"), seed=2026, new_group=True)
    assert prev.group_names == GROUP_NAMES
    assert last.group_names == (*GROUP_NAMES, NEW_GROUP_NAME)
    assert 200 <= (last.truth == 5).sum() <= 400
    into_new = [cid for cid, (_, new) in last.switched.items() if new == 5]
    assert len(into_new) == round(0.10 * (prev.frame.height - len(last.left)))
    full = last.frame.filter(pl.Series(last.truth == 5))
    assert full["PRC_FULL_PAYMENT"].median() >= 0.9 and full["CASH_ADVANCE"].median() == 0

    # Refit on the shifted month in last month's scale: one new centroid is far from every old one.
    scaler = StandardScaler().fit(log_features(prev.frame))
    old = KMeans(n_clusters=5, n_init=10, random_state=0).fit(scaler.transform(log_features(prev.frame)))
    new = KMeans(n_clusters=6, n_init=10, random_state=0).fit(scaler.transform(log_features(last.frame)))
    gaps = np.linalg.norm(new.cluster_centers_[:, None] - old.cluster_centers_[None], axis=2).min(axis=1)
    order = np.sort(gaps)
    assert order[-1] > 3 * order[-2]
    far = int(np.argmax(gaps))
    assert (last.truth[new.labels_ == far] == 5).mean() > 0.9


def test_month_arguments_are_checked() -> None:
    with pytest.raises(InputError, match="churn: expected a monthly rate"):
        generate_months(100, PERIODS, seed=1, churn=1.5)
    with pytest.raises(InputError, match="periods: expected at least one month"):
        generate_months(100, (), seed=1)
    with pytest.raises(InputError, match="new_group: expected at least two months"):
        generate_months(100, ("2026-11",), seed=1, new_group=True)


# --- command line -----------------------------------------------------------------------------------------------


def test_command_line_writes_one_csv_per_month(tmp_path: Path) -> None:
    argv = ["--months", "2026-09,2026-10,2026-11", "--out-dir", str(tmp_path), "--rows", "400", "--seed", "3"]
    assert main([*argv, "--new-group"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [month_csv_name(p) for p in PERIODS] == ["customers-2026-09.csv", *names[1:]]
    expected = generate_months(400, PERIODS, seed=3, new_group=True)
    for month in expected:
        table = pl.read_csv(tmp_path / month_csv_name(month.period))
        assert table["CUST_ID"].to_list() == month.frame["CUST_ID"].to_list()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "0", "--out", "x.csv"], "error: --rows: expected an integer >= 1, got 0"),
        ([], "error: --out: expected the CSV file to write"),
        (["--months", "2026-09,2026-11", "--out-dir", "d"], "error: --months: '2026-11' does not follow"),
        (["--months", "2026-13", "--out-dir", "d"], "error: --months: '2026-13' is not a month"),
        (["--months", "2026-09"], "error: --out-dir: expected the folder"),
        (["--months", "2026-09", "--out-dir", "d", "--new-group"], "error: new_group: expected at least two"),
        (["--out", "x.csv", "--new-group"], "error: --out-dir and --new-group: only valid with --months"),
    ],
)
def test_command_line_errors_are_one_line(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_parse_periods_accepts_consecutive_months_across_a_year() -> None:
    assert parse_periods("2026-11, 2026-12,2027-01") == ("2026-11", "2026-12", "2027-01")
