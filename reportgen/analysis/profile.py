"""Per-segment statistics in raw units, key traits, and the rules that name each segment.

Naming: every archetype scores each segment from its profile (lifts against all customers); each segment takes
its best-scoring archetype. When several segments take the same archetype, the best fit keeps the plain name and
the others are told apart by their next strongest trait ("Low activity · high balance").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import polars as pl

from reportgen.model import FeatureMatrix, FeatureStat, Segmentation, SegmentProfile, Trait
from reportgen.model.columns import feature_label

# Amount columns whose share of the all-customer total each segment holds ("share of spend").
VALUE_COLUMNS: tuple[str, ...] = ("PURCHASES", "BALANCE", "CASH_ADVANCE", "monetary")
# Traits need at least this lift away from 1 (x or 1/x) to be called out.
TRAIT_MIN_LIFT = 1.25
MAX_TRAITS = 5

ARCHETYPE_NAMES: dict[str, str] = {
    "high_spenders": "High spenders",
    "cash_advance_users": "Cash-advance users",
    "instalment_buyers": "Instalment buyers",
    "full_payers": "Full payers",
    "low_activity": "Low activity",
    "moderate_spenders": "Moderate spenders",
}

Scorer = Callable[[Mapping[str, FeatureStat]], dict[str, float]]


def _segment_sums(raw: pl.DataFrame, cols: list[str], labels: np.ndarray, k: int) -> np.ndarray:
    """Return per-segment sums (k x columns) added in row order.

    numpy's bincount adds in row order; a polars group_by sum adds in thread order, so its last bit varies
    from run to run, and that would change chart coordinates and so the report's bytes.
    """
    sums = np.empty((k, len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        values = raw.get_column(c).cast(pl.Float64).fill_null(0.0).to_numpy()
        sums[:, j] = np.bincount(labels, weights=values, minlength=k)
    return sums


def segment_stats(
    raw: pl.DataFrame, labels: np.ndarray, k: int
) -> tuple[dict[str, float], list[dict[str, FeatureStat]]]:
    """Return the all-customer means and, per segment id, each column's mean, median and lift."""
    cols = raw.columns
    sums = _segment_sums(raw, cols, labels, k)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    totals = sums.sum(axis=0)
    overall = {c: float(totals[j] / max(len(labels), 1)) for j, c in enumerate(cols)}
    medians = (
        raw.with_columns(pl.Series("_seg", labels))
        .group_by("_seg")
        .agg(pl.col(c).median() for c in cols)
        .sort("_seg")
    )
    median_rows = {r[0]: r[1:] for r in medians.iter_rows()}
    out: list[dict[str, FeatureStat]] = []
    for seg in range(k):
        stats = {}
        for j, c in enumerate(cols):
            mean = float(sums[seg, j] / sizes[seg]) if sizes[seg] else 0.0
            stats[c] = FeatureStat(
                mean=mean,
                median=float(median_rows[seg][j]),
                lift=(mean / overall[c]) if overall[c] != 0 else None,
            )
        out.append(stats)
    return overall, out


def value_shares(raw: pl.DataFrame, labels: np.ndarray, k: int) -> list[dict[str, float]]:
    """Return, per segment, its share of the all-customer total of each amount column present."""
    cols = [c for c in VALUE_COLUMNS if c in raw.columns]
    if not cols:
        return [{} for _ in range(k)]
    sums = _segment_sums(raw, cols, labels, k)
    totals = sums.sum(axis=0)
    return [
        {c: (float(sums[seg, j] / totals[j]) if totals[j] else 0.0) for j, c in enumerate(cols)}
        for seg in range(k)
    ]


# Columns of one family say the same thing twice ("cash advance", "cash-advance transactions"): a segment's
# traits name each family once, strongest first.
TRAIT_FAMILIES: tuple[str, ...] = (
    "CASH_ADVANCE",
    "INSTALLMENT",
    "ONEOFF",
    "PURCHASE",
    "MINIMUM",
    "PAYMENT",
    "BALANCE",
    "CREDIT_LIMIT",
    "LIMIT_USAGE",
    "PRC_FULL",
    "TENURE",
)
# Lifts are clamped to 1/16x..16x in log2 terms before scoring, so a near-zero mean cannot dominate a name.
LOG2_CLAMP = 4.0


def _family(col: str) -> str:
    upper = col.upper()
    return next((f for f in TRAIT_FAMILIES if f in upper), upper)


def key_traits(
    stats: Mapping[str, FeatureStat], overall: Mapping[str, float], columns: tuple[str, ...] | None = None
) -> tuple[Trait, ...]:
    """Return the features that most set a segment apart from the average, strongest first, one per family."""
    found = []
    for col in columns or tuple(stats):
        st = stats[col]
        if st.lift is None or st.lift <= 0 or overall[col] <= 0:
            continue
        if max(st.lift, 1 / st.lift) < TRAIT_MIN_LIFT:
            continue
        found.append((min(abs(math.log2(st.lift)), LOG2_CLAMP), col, st))
    found.sort(key=lambda t: (-t[0], t[1]))
    seen: set[str] = set()
    picked = []
    for item in found:
        family = _family(item[1])
        if family not in seen:
            seen.add(family)
            picked.append(item)
    return tuple(
        Trait(
            feature=col,
            label=feature_label(col),
            lift=float(st.lift or 0.0),
            segment_mean=st.mean,
            overall_mean=overall[col],
            text=_trait_text(feature_label(col), float(st.lift or 0.0)),
        )
        for _, col, st in picked[:MAX_TRAITS]
    )


def _trait_text(label: str, lift: float) -> str:
    if lift >= 1:
        return f"{label} {lift:.1f}x the average"
    if lift < 0.05:
        return f"{label} almost none (95%+ below the average)"
    return f"{label} {(1 - lift):.0%} below the average"


def _log2_lift(stats: Mapping[str, FeatureStat], col: str) -> float | None:
    st = stats.get(col)
    if st is None or st.lift is None:
        return None
    return max(-LOG2_CLAMP, min(LOG2_CLAMP, math.log2(max(st.lift, 1e-9))))


def card_archetype_scores(stats: Mapping[str, FeatureStat]) -> dict[str, float]:
    """Score how well a segment fits each credit-card archetype (positive = fits)."""
    scores: dict[str, float] = {}
    purchases = _log2_lift(stats, "PURCHASES")
    cash = _log2_lift(stats, "CASH_ADVANCE")
    inst = _log2_lift(stats, "INSTALLMENTS_PURCHASES")
    full = _log2_lift(stats, "PRC_FULL_PAYMENT")
    if purchases is not None:
        scores["high_spenders"] = purchases - 1.0
        # Amounts are right-skewed, so a typical spender sits a little below the mean: centre on 0.84x.
        scores["moderate_spenders"] = 0.5 - abs(purchases + 0.25)
        quiet_cash = -cash + 2.0 if cash is not None else LOG2_CLAMP
        scores["low_activity"] = min(-purchases, quiet_cash) - 1.5
    if cash is not None:
        dominance = 0.0
        if "PURCHASES" in stats:
            total = stats["CASH_ADVANCE"].mean + stats["PURCHASES"].mean
            dominance = stats["CASH_ADVANCE"].mean / total - 0.5 if total > 0 else 0.0
        scores["cash_advance_users"] = cash - 1.0 + dominance
    if inst is not None and "PURCHASES" in stats and stats["PURCHASES"].mean > 0:
        share = stats["INSTALLMENTS_PURCHASES"].mean / stats["PURCHASES"].mean
        share = min(share, 1.0)
        # Mostly-instalment purchases make instalment buyers only when there is real purchase activity.
        fit = inst + 2.0 * (share - 0.5) - 0.5 if share > 0.5 else -1.0
        scores["instalment_buyers"] = min(fit, (purchases if purchases is not None else 0.0) + 1.0)
    if full is not None:
        paid_in_full = stats["PRC_FULL_PAYMENT"].mean
        scores["full_payers"] = min(full - 1.0, 3.0 * (paid_in_full - 0.4))
    return scores


def segment_names(
    all_stats: list[dict[str, FeatureStat]],
    scorer: Scorer,
    names: Mapping[str, str],
    columns: tuple[str, ...] | None = None,
    standardized: list[dict[str, float]] | None = None,
) -> list[tuple[str, str]]:
    """Return (archetype, unique name) per segment: best archetype, ties told apart by the next trait."""
    picks: list[tuple[str, float]] = []
    for i, stats in enumerate(all_stats):
        scores = scorer(stats)
        if scores:
            key = max(sorted(scores), key=lambda a: scores[a])
            picks.append((key, scores[key]))
        else:
            picks.append((_generic_archetype(stats, standardized[i] if standardized else None), 0.0))
    out: list[tuple[str, str]] = [("", "")] * len(all_stats)
    taken: set[str] = set()
    for key in sorted({p[0] for p in picks}):
        members = sorted((i for i, p in enumerate(picks) if p[0] == key), key=lambda i: (-picks[i][1], i))
        base = names.get(key) or _generic_name(key)
        leader = members[0]
        out[leader] = (key, base)
        taken.add(base)
        for i in members[1:]:
            # the strongest distinguishing trait whose name is still free (a third namesake takes the next one)
            options = [
                f"{base} · {t}" for t in _distinguishing_traits(all_stats[i], all_stats[leader], columns)
            ]
            name = next((o for o in options if o not in taken), None)
            n = 2
            while name is None or name in taken:  # every trait taken: number the variants
                name = f"{base} ({n})"
                n += 1
            out[i] = (key, name)
            taken.add(name)
    return out


def _distinguishing_traits(
    stats: Mapping[str, FeatureStat], other: Mapping[str, FeatureStat], columns: tuple[str, ...] | None = None
) -> list[str]:
    """Name the features that set a segment apart from its namesake, strongest first ("higher balance").

    Readers take "higher balance" against the average customer, so features that also lean that way against
    everyone (lift above 1 for "higher", below 1 for "lower") come first; the sibling alone decides the rest.
    """
    candidates = []
    for col in columns or tuple(stats):
        mine, theirs = stats[col].lift, other[col].lift if col in other else None
        if mine is None or theirs is None or mine <= 0 or theirs <= 0:
            continue
        gap = _clamped(math.log2(mine)) - _clamped(math.log2(theirs))
        if gap == 0:
            continue
        agrees = (gap > 0 and mine > 1) or (gap < 0 and mine < 1)
        candidates.append((agrees, abs(gap), col, "higher" if gap > 0 else "lower"))
    candidates.sort(key=lambda c: (not c[0], -c[1], c[2]))
    return [f"{word} {feature_label(col).lower()}" for _, _, col, word in candidates]


def _clamped(value: float) -> float:
    return max(-LOG2_CLAMP, min(LOG2_CLAMP, value))


def _generic_archetype(stats: Mapping[str, FeatureStat], standardized: Mapping[str, float] | None) -> str:
    """Name a segment by its most distinctive feature when no archetype applies to the data's columns.

    With the standardized differences at hand ((segment mean - overall mean) / overall standard deviation)
    every column compares fairly, signed ones included; lifts are the fallback.
    """
    if standardized:
        col = max(sorted(standardized), key=lambda c: abs(standardized[c]))
        return f"{'high' if standardized[col] >= 0 else 'low'}:{col}"
    lifted = [(abs(math.log2(s.lift)), c, s.lift) for c, s in stats.items() if s.lift and s.lift > 0]
    if not lifted:
        return "typical"
    _, col, lift = max(lifted, key=lambda t: (t[0], t[1]))
    return f"{'high' if lift >= 1 else 'low'}:{col}"


def _generic_name(key: str) -> str:
    if ":" not in key:
        return key.replace("_", " ").capitalize()
    level, col = key.split(":", 1)
    return f"{level.capitalize()} {feature_label(col).lower()}"


def segment_profiles(
    features: FeatureMatrix,
    seg: Segmentation,
    scorer: Scorer = card_archetype_scores,
    names: Mapping[str, str] = ARCHETYPE_NAMES,
) -> tuple[SegmentProfile, ...]:
    """Return each segment's statistics, traits and unique business name, in segment-id order."""
    overall, all_stats = segment_stats(features.raw, seg.labels, seg.k)
    shares = value_shares(features.raw, seg.labels, seg.k)
    inputs = features.input_features
    spread = features.raw.select(pl.col(c).std(ddof=0) for c in inputs).row(0)
    standardized = [
        {c: (st[c].mean - overall[c]) / sd for c, sd in zip(inputs, spread, strict=True) if sd}
        for st in all_stats
    ]
    named = segment_names(all_stats, scorer, names, inputs, standardized)
    # a lift says "x times the average" only for amounts that cannot be negative
    lift_columns = tuple(c for c in inputs if (features.raw.get_column(c).min() or 0.0) >= 0)  # type: ignore[operator]
    sizes = np.bincount(seg.labels, minlength=seg.k)
    n = int(sizes.sum())
    return tuple(
        SegmentProfile(
            id=i,
            name=named[i][1],
            archetype=named[i][0],
            size=int(sizes[i]),
            share=float(sizes[i]) / n,
            stats=all_stats[i],
            value_shares=shares[i],
            traits=key_traits(all_stats[i], overall, lift_columns),
        )
        for i in range(seg.k)
    )
