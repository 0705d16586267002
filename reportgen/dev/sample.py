"""Seeded synthetic customer tables in the credit-card schema, with planted behaviour groups.

`generate_customers` draws one extract; `generate_months` draws consecutive monthly extracts of one customer base
with known churn, arrivals and behaviour changes. Every column is a deterministic function of a customer's group,
tenure and a row of standard-normal latents, so a month's small noise is an AR(1) step on the latents and a
behaviour change is a new group with the same latents. `write_sample_csv` writes the bytes the bundled sample holds.

Run `python -m reportgen.dev.sample --out data/sample/customers.csv` to rebuild the bundled sample byte for byte.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import ndtr

from reportgen.config import CC_FEATURES
from reportgen.errors import InputError
from reportgen.period import Period, period_or_none

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_ROWS = 3000
DEFAULT_SEED = 2026
ID_COLUMN = "CUST_ID"
COLUMNS: tuple[str, ...] = (ID_COLUMN, *CC_FEATURES)

GROUP_NAMES: tuple[str, ...] = (
    "Low activity",
    "High spenders",
    "Moderate spenders",
    "Instalment buyers",
    "Heavy cash-advance users",
)
NEW_GROUP_NAME = "Full payers"  # the sixth group a deliberately shifted month introduces
DEFAULT_WEIGHTS: tuple[float, ...] = (0.24, 0.11, 0.25, 0.22, 0.18)

# --- Group parameters: one entry per group, in GROUP_NAMES order, then the "Full payers" group. ---------------
# Amounts are lognormal: median in currency units and sigma of the log. `*_on` is the share of the group with a
# non-zero amount (zero inflation). Frequencies are logistic curves of a normal latent: `*_at` is the logit of
# the group's typical value. Separation between groups is what the planted-truth tests rely on.
_P: dict[str, tuple[float, ...]] = {
    # each tuple: low activity, high spenders, moderate, instalment buyers, cash-advance users, full payers
    "balance_on": (0.96, 1.0, 1.0, 1.0, 1.0, 0.97),
    "balance_med": (110.0, 2200.0, 850.0, 320.0, 3900.0, 45.0),
    "balance_sd": (1.0, 0.75, 0.8, 0.85, 0.7, 0.9),
    "balfreq_at": (0.3, 4.5, 3.8, 3.2, 5.0, 0.8),
    "buy_on": (0.12, 1.0, 1.0, 1.0, 0.3, 1.0),  # share with any purchase; buyers have one-off or instalments
    "oneoff_on": (0.6, 0.98, 0.95, 0.05, 0.7, 0.96),
    "oneoff_med": (60.0, 4000.0, 420.0, 120.0, 150.0, 1100.0),
    "inst_on": (0.5, 0.93, 0.06, 1.0, 0.4, 0.75),
    "inst_med": (55.0, 1300.0, 280.0, 950.0, 150.0, 500.0),
    "cash_on": (0.05, 0.08, 0.2, 0.1, 0.98, 0.02),
    "cash_med": (250.0, 700.0, 350.0, 250.0, 3100.0, 200.0),
    "purfreq_at": (-1.6, 2.6, 0.3, 2.3, -1.3, 2.2),
    "oneoff_share_at": (0.0, 0.5, -0.3, -1.5, 0.0, 0.9),
    "inst_share_at": (0.0, 0.3, 0.1, 3.0, 0.0, 0.0),
    "cashfreq_at": (-2.0, -2.0, -2.0, -2.0, -0.6, -2.2),
    "ptrx_rate": (0.4, 4.5, 1.0, 1.3, 0.4, 2.8),  # extra purchase transactions per active month (median)
    "ctrx_rate": (0.3, 0.3, 0.3, 0.3, 1.6, 0.2),
    "limit_med": (1900.0, 10500.0, 4000.0, 2700.0, 5600.0, 6500.0),
    "pay_on": (0.975, 1.0, 0.998, 0.998, 0.995, 1.0),
    "pay_med": (320.0, 5600.0, 1000.0, 850.0, 3100.0, 2300.0),
    "minpay_ratio": (0.25, 0.2, 0.3, 0.35, 0.3, 0.03),  # minimum payment per unit of balance (median)
    "minpay_floor": (110.0, 180.0, 150.0, 140.0, 200.0, 40.0),
    "full_on": (0.12, 0.9, 0.3, 0.3, 0.04, 1.0),
    "full_at": (-2.2, 0.8, -1.8, -1.5, -2.5, 3.5),
    # share with tenure < 12: low-activity accounts are mostly newer ones
    "short_tenure": (0.7, 0.03, 0.03, 0.03, 0.03, 0.03),
    "churn_weight": (2.0, 0.7, 1.0, 0.9, 1.5, 0.6),  # relative monthly churn propensity
}
_PARAMS: dict[str, FloatArray] = {k: np.asarray(v, dtype=np.float64) for k, v in _P.items()}

# Latent columns: each customer has one standard normal per entry; month-to-month noise is an AR(1) step on them.
_LATENTS = (
    "wealth",  # shared factor: richer customers have higher limits, balances, purchases and payments
    "balance",
    "balance_on",
    "balfreq",
    "buy_on",
    "oneoff",
    "oneoff_on",
    "inst",
    "inst_on",
    "cash",
    "cash_on",
    "purfreq",
    "oneoff_share",
    "inst_share",
    "cashfreq",
    "ptrx",
    "ctrx",
    "limit",
    "pay",
    "pay_on",
    "minpay",
    "minpay_gap",
    "full",
    "full_on",
)
_L = {name: i for i, name in enumerate(_LATENTS)}
_WEALTH_LOADING = 0.45
_MINPAY_GAP_SHARE = 0.028  # missing MINIMUM_PAYMENTS besides rows with no payments (real table: 313 of 8,950)
_TENURE_VALUES = np.arange(6, 13)
_TENURE_PROBS = np.array([0.15, 0.14, 0.14, 0.13, 0.18, 0.26])  # tenure 6..11 among the shorter accounts
_MONTH_RHO = 0.97  # month-to-month correlation of each latent: small noise for customers who keep their group


@dataclass(frozen=True, eq=False)
class Sample:
    """A synthetic customer table and the planted group of every row."""

    frame: pl.DataFrame  # CUST_ID + the 17 credit-card columns, in cc_general.csv's order
    truth: IntArray  # group index per row, into group_names
    group_names: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Month:
    """One monthly extract of a customer base and what changed since the previous month."""

    period: str
    frame: pl.DataFrame
    truth: IntArray
    group_names: tuple[str, ...]
    left: frozenset[str]  # ids in the previous month, gone now
    arrived: frozenset[str]  # ids new this month
    # id -> (previous group, this month's group), for customers in both months whose group changed
    switched: dict[str, tuple[int, int]]


def generate_customers(
    n: int,
    seed: int = DEFAULT_SEED,
    weights: Sequence[float] | None = None,
    *,
    limit_gaps: int = 1,
) -> Sample:
    """Return n synthetic customers with planted behaviour groups (group shares from `weights`)."""
    _check_rows(n)
    shares = _group_shares(weights)
    rng = np.random.default_rng(seed)
    groups = _planted_groups(rng, n, shares)
    tenure = _tenures(rng, groups)
    latents = rng.standard_normal((n, len(_LATENTS)))
    ids = np.arange(n, dtype=np.int64)
    gaps = _limit_gap_rows(rng, n, limit_gaps)
    frame = customer_frame(ids, groups, tenure, latents, gaps)
    return Sample(frame=frame, truth=groups, group_names=GROUP_NAMES)


def generate_months(
    n: int,
    periods: Sequence[str],
    seed: int = DEFAULT_SEED,
    churn: float = 0.03,
    arrivals: float = 0.035,
    switch: float = 0.05,
    *,
    new_group: bool = False,
    new_group_share: float = 0.10,
    weights: Sequence[float] | None = None,
    limit_gaps: int = 1,
) -> tuple[Month, ...]:
    """Return consecutive monthly extracts of one customer base with known churn, arrivals and group switches.

    `new_group` moves `new_group_share` of the last month's customers (and of its arrivals) into a sixth group,
    "Full payers", so a refit on that month finds a segment with no close match in the month before.
    """
    _check_rows(n)
    if not periods:
        raise InputError("periods: expected at least one month")
    for name, rate in (("churn", churn), ("arrivals", arrivals), ("switch", switch)):
        if not 0.0 <= rate < 1.0:
            raise InputError(f"{name}: expected a monthly rate in [0, 1), got {rate}")
    if new_group and len(periods) < 2:
        raise InputError("new_group: expected at least two months (the new group appears in the last one)")
    if new_group and not 0.0 < new_group_share < 1.0:
        raise InputError(f"new_group_share: expected a share in (0, 1), got {new_group_share}")
    shares = _group_shares(weights)
    rng = np.random.default_rng(seed)
    k = len(GROUP_NAMES)

    ids = np.arange(n, dtype=np.int64)
    groups = _planted_groups(rng, n, shares)
    tenure = _tenures(rng, groups)
    latents = rng.standard_normal((n, len(_LATENTS)))
    next_id = n
    months: list[Month] = []
    for index, period in enumerate(periods):
        last = index == len(periods) - 1
        left: IntArray = np.empty(0, dtype=np.int64)
        arrived: IntArray = np.empty(0, dtype=np.int64)
        switched: dict[str, tuple[int, int]] = {}
        if index > 0:
            size = ids.size
            # Churn: weighted sampling without replacement (Efraimidis-Spirakis keys), O(n).
            n_left = min(round(churn * size), size - 1)
            keys = np.log(rng.random(size)) / _PARAMS["churn_weight"][groups]
            gone = np.zeros(size, dtype=bool)
            if n_left > 0:
                gone[np.argpartition(-keys, n_left - 1)[:n_left]] = True
            left = ids[gone]
            ids, groups, tenure, latents = ids[~gone], groups[~gone], tenure[~gone], latents[~gone]
            stay = ids.size

            # Everyone who stays drifts a little; tenure grows up to the 12-month window.
            eps = rng.standard_normal(latents.shape)
            latents = _MONTH_RHO * latents + np.sqrt(1.0 - _MONTH_RHO**2) * eps
            tenure = np.minimum(tenure + 1, 12)

            old = groups.copy()
            n_switch = round(switch * stay)
            movers = rng.permutation(stay)[:n_switch]
            groups = groups.copy()
            groups[movers] = (groups[movers] + rng.integers(1, k, size=n_switch)) % k
            if new_group and last:
                others = np.setdiff1d(np.arange(stay), movers)
                shifted = rng.permutation(others)[: round(new_group_share * stay)]
                groups[shifted] = k
            changed = np.flatnonzero(groups != old)
            switched = {_cust_id(int(ids[i])): (int(old[i]), int(groups[i])) for i in changed}

            n_new = round(arrivals * size)
            arrived = np.arange(next_id, next_id + n_new, dtype=np.int64)
            next_id += n_new
            new_groups = _planted_groups(rng, n_new, shares)
            if new_group and last:
                new_groups[rng.random(n_new) < new_group_share] = k
            ids = np.concatenate([ids, arrived])
            groups = np.concatenate([groups, new_groups])
            tenure = np.concatenate([tenure, rng.integers(6, 9, size=n_new)])
            latents = np.concatenate([latents, rng.standard_normal((n_new, len(_LATENTS)))])

        gaps = _limit_gap_rows(rng, ids.size, limit_gaps)
        names = (*GROUP_NAMES, NEW_GROUP_NAME) if (new_group and last) else GROUP_NAMES
        months.append(
            Month(
                period=period,
                frame=customer_frame(ids, groups, tenure, latents, gaps),
                truth=groups.copy(),
                group_names=names,
                left=frozenset(_cust_id(int(i)) for i in left),
                arrived=frozenset(_cust_id(int(i)) for i in arrived),
                switched=switched,
            )
        )
    return tuple(months)


def customer_frame(
    ids: IntArray, groups: IntArray, tenure: IntArray, latents: FloatArray, limit_gaps: IntArray
) -> pl.DataFrame:
    """Return the credit-card columns for customers given their group, tenure and latent normals."""
    p = {name: values[groups] for name, values in _PARAMS.items()}
    z = {name: latents[:, i] for name, i in _L.items()}
    wealth = z["wealth"]
    t = tenure.astype(np.float64)

    def amount(
        median: FloatArray, sd: float | FloatArray, latent: FloatArray, wealthy: bool = True
    ) -> FloatArray:
        mix = _WEALTH_LOADING * wealth + np.sqrt(1 - _WEALTH_LOADING**2) * latent if wealthy else latent
        return np.asarray(median * np.exp(sd * mix), dtype=np.float64)

    def gate(share: FloatArray, latent: FloatArray) -> BoolArray:
        # A normal latent below the share's quantile switches the amount on; AR noise flips few gates a month.
        return np.asarray(_std_normal_cdf(latent) < share, dtype=bool)

    def months_of(logit_at: FloatArray, latent: FloatArray, sd: float, active: BoolArray) -> IntArray:
        share = _sigmoid(logit_at + sd * latent)
        count = np.clip(np.ceil(share * t - 0.5), 1, t).astype(np.int64)
        return np.where(active, count, 0)

    balance_on = gate(p["balance_on"], z["balance_on"])
    balance = np.where(balance_on, _money(amount(p["balance_med"], p["balance_sd"], z["balance"])), 0.0)
    balfreq_steps = np.clip(np.rint(11 * _sigmoid(p["balfreq_at"] + 1.1 * z["balfreq"])), 1, 11)
    balance_frequency = np.where(balance > 0, _ratio(balfreq_steps, 11.0), 0.0)

    buy_on = gate(p["buy_on"], z["buy_on"])
    oneoff_on = buy_on & gate(p["oneoff_on"], z["oneoff_on"])
    inst_on = buy_on & gate(p["inst_on"], z["inst_on"])
    # A buyer with neither kind drawn buys the kind the group favours.
    neither = buy_on & ~oneoff_on & ~inst_on
    favours_oneoff = p["oneoff_on"] >= p["inst_on"]
    oneoff_on |= neither & favours_oneoff
    inst_on |= neither & ~favours_oneoff
    oneoff = np.where(oneoff_on, _money(amount(p["oneoff_med"], 0.85, z["oneoff"])), 0.0)
    inst = np.where(inst_on, _money(amount(p["inst_med"], 0.8, z["inst"])), 0.0)
    oneoff_on, inst_on = oneoff > 0, inst > 0
    purchases = _money(oneoff + inst)
    bought = purchases > 0

    # Months with a purchase; one-off and instalment months lie within them and together cover them.
    m_p = months_of(p["purfreq_at"], z["purfreq"], 0.9, bought)
    m_o = np.clip(np.rint(m_p * _sigmoid(p["oneoff_share_at"] + 0.8 * z["oneoff_share"])), 1, m_p)
    m_i = np.clip(np.rint(m_p * _sigmoid(p["inst_share_at"] + 0.8 * z["inst_share"])), 1, m_p)
    m_o = np.where(oneoff_on, np.where(inst_on, m_o, m_p), 0)
    m_i = np.where(inst_on, np.where(oneoff_on, np.maximum(m_i, m_p - m_o), m_p), 0)
    rate_p = p["ptrx_rate"] * np.exp(0.6 * z["ptrx"])
    purchases_trx = m_p + np.floor(m_p * rate_p).astype(np.int64)

    cash_on = gate(p["cash_on"], z["cash_on"])
    cash = np.where(cash_on, _money(amount(p["cash_med"], 0.85, z["cash"])), 0.0)
    m_c = months_of(p["cashfreq_at"], z["cashfreq"], 0.8, cash > 0)
    rate_c = p["ctrx_rate"] * np.exp(0.6 * z["ctrx"])
    cash_trx = m_c + np.floor(m_c * rate_c).astype(np.int64)

    limit_raw = amount(p["limit_med"], 0.45, z["limit"])
    credit_limit = np.maximum(50.0, np.rint(limit_raw / 50.0) * 50.0)
    credit_limit[limit_gaps] = np.nan

    pay_on = gate(p["pay_on"], z["pay_on"])
    payments = np.where(pay_on, _money(amount(p["pay_med"], 0.7, z["pay"])), 0.0)
    minpay_raw = p["minpay_floor"] * np.exp(0.4 * z["minpay"]) + balance * p["minpay_ratio"] * np.exp(
        0.3 * z["minpay"]
    )
    # Like the real table: no minimum payment is recorded where nothing was paid, plus a few other gaps.
    minpay_missing = (payments == 0) | (_std_normal_cdf(z["minpay_gap"]) < _MINPAY_GAP_SHARE)
    minimum_payments = np.where(minpay_missing, np.nan, _money(minpay_raw))

    full_on = gate(p["full_on"], z["full_on"])
    full_steps = np.clip(np.rint(12 * _sigmoid(p["full_at"] + 1.4 * z["full"])), 1, 12)
    prc_full = np.where(full_on & (payments > 0), _ratio(full_steps, 12.0), 0.0)

    columns: dict[str, pl.Series] = {
        ID_COLUMN: pl.Series(ID_COLUMN, ids + 10001, dtype=pl.Int64),
        "BALANCE": pl.Series(balance),
        "BALANCE_FREQUENCY": pl.Series(balance_frequency),
        "PURCHASES": pl.Series(purchases),
        "ONEOFF_PURCHASES": pl.Series(oneoff),
        "INSTALLMENTS_PURCHASES": pl.Series(inst),
        "CASH_ADVANCE": pl.Series(cash),
        "PURCHASES_FREQUENCY": pl.Series(_ratio(m_p, t)),
        "ONEOFF_PURCHASES_FREQUENCY": pl.Series(_ratio(m_o, t)),
        "PURCHASES_INSTALLMENTS_FREQUENCY": pl.Series(_ratio(m_i, t)),
        "CASH_ADVANCE_FREQUENCY": pl.Series(_ratio(m_c, t)),
        "CASH_ADVANCE_TRX": pl.Series(cash_trx.astype(np.int64)),
        "PURCHASES_TRX": pl.Series(purchases_trx.astype(np.int64)),
        "CREDIT_LIMIT": pl.Series(credit_limit, nan_to_null=True),
        "PAYMENTS": pl.Series(payments),
        "MINIMUM_PAYMENTS": pl.Series(minimum_payments, nan_to_null=True),
        "PRC_FULL_PAYMENT": pl.Series(prc_full),
        "TENURE": pl.Series(tenure.astype(np.int64)),
    }
    frame = pl.DataFrame({name: columns[name].alias(name) for name in COLUMNS})
    return frame.with_columns(pl.format("C{}", pl.col(ID_COLUMN)).alias(ID_COLUMN))


def write_sample_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write a customer table as CSV: shortest exact decimals, LF endings, missing values as empty cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # Shortest round-trip digits are a pure function of each double, so the bytes do not depend on the machine.
    frame.write_csv(tmp, line_terminator="\n", null_value="", float_scientific=False, include_header=True)
    os.replace(tmp, path)


def month_csv_name(period: str) -> str:
    """Return the file name of one month's extract, e.g. customers-2026-09.csv."""
    return f"customers-{period}.csv"


def _cust_id(index: int) -> str:
    return f"C{index + 10001}"


def _check_rows(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"rows: expected an integer >= 1, got {n!r}")


def _group_shares(weights: Sequence[float] | None) -> FloatArray:
    if weights is None:
        weights = DEFAULT_WEIGHTS
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(GROUP_NAMES),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InputError(
            f"weights: expected {len(GROUP_NAMES)} non-negative numbers with a positive sum "
            f"(one per group: {', '.join(GROUP_NAMES)}), got {list(weights)!r}"
        )
    return np.asarray(w / w.sum(), dtype=np.float64)


def _planted_groups(rng: np.random.Generator, n: int, shares: FloatArray) -> IntArray:
    # Exact group sizes (largest remainder), then shuffled: the shares hold even for small n.
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    short = n - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    groups = np.repeat(np.arange(shares.size, dtype=np.int64), counts)
    return np.asarray(rng.permutation(groups), dtype=np.int64)


def _tenures(rng: np.random.Generator, groups: IntArray) -> IntArray:
    # Most accounts have a full 12-month window; newer ones (shorter tenure) are more often low-activity.
    short = rng.random(groups.size) < _PARAMS["short_tenure"][groups]
    months = rng.choice(_TENURE_VALUES[:-1], size=groups.size, p=_TENURE_PROBS)
    return np.where(short, months, 12).astype(np.int64)


def _limit_gap_rows(rng: np.random.Generator, n: int, gaps: int) -> IntArray:
    if gaps < 0:
        raise InputError(f"limit_gaps: expected an integer >= 0, got {gaps}")
    return np.sort(rng.permutation(n)[: min(gaps, n)]).astype(np.int64)


def _money(x: FloatArray) -> FloatArray:
    # Cents, like a ledger; + 0.0 turns -0.0 into 0.0 so it never prints as "-0".
    return np.asarray(np.round(x, 2) + 0.0, dtype=np.float64)


def _ratio(num: FloatArray | IntArray, den: FloatArray | float) -> FloatArray:
    return np.asarray(np.round(num / den, 6) + 0.0, dtype=np.float64)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _std_normal_cdf(x: FloatArray) -> FloatArray:
    return np.asarray(ndtr(x), dtype=np.float64)


# --- Command line -----------------------------------------------------------------------------------------------


def parse_periods(text: str) -> tuple[str, ...]:
    """Parse a comma-separated list of consecutive YYYY-MM months."""
    periods = tuple(part.strip() for part in text.split(",") if part.strip())
    if not periods:
        raise InputError(f"--months: expected consecutive YYYY-MM months separated by commas, got {text!r}")
    previous: Period | None = None
    for text_month in periods:
        month = period_or_none(text_month)
        if month is None:
            raise InputError(f"--months: {text_month!r} is not a month; expected YYYY-MM, e.g. 2026-09")
        if previous is not None and month != previous.next:
            raise InputError(
                f"--months: {text_month!r} does not follow the month before it; expected consecutive months"
            )
        previous = month
    return periods


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reportgen.dev.sample",
        description="Write a seeded synthetic customer table (credit-card schema) with planted behaviour groups.",
    )
    parser.add_argument("--out", type=Path, help="CSV file to write (one extract)")
    parser.add_argument(
        "--months", help="consecutive months YYYY-MM,YYYY-MM,...: write one extract per month"
    )
    parser.add_argument("--out-dir", type=Path, help="folder for the monthly extracts (with --months)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"customers (default {DEFAULT_ROWS})")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--new-group", action="store_true", help="add a sixth behaviour group (full payers) in the last month"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sample generator's command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.rows < 1:
            raise InputError(f"--rows: expected an integer >= 1, got {args.rows}")
        if args.seed < 0:
            raise InputError(f"--seed: expected an integer >= 0, got {args.seed}")
        if args.months is None:
            if args.out is None:
                raise InputError("--out: expected the CSV file to write (or --months with --out-dir)")
            if args.out_dir is not None or args.new_group:
                raise InputError("--out-dir and --new-group: only valid with --months")
            write_sample_csv(generate_customers(args.rows, seed=args.seed).frame, args.out)
            return 0
        if args.out_dir is None:
            raise InputError("--out-dir: expected the folder for the monthly extracts (with --months)")
        if args.out is not None:
            raise InputError("--out: not valid with --months; use --out-dir")
        months = generate_months(
            args.rows, parse_periods(args.months), seed=args.seed, new_group=args.new_group
        )
        for month in months:
            write_sample_csv(month.frame, args.out_dir / month_csv_name(month.period))
        return 0
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: cannot write ({exc.strerror})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
