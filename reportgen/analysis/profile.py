"""Per-segment statistics in raw units, the value each segment holds, and its traits and name.

The naming rules (conditions true of the mean and of two thirds of the members) live in `naming`; this module
measures the segments and puts each profile together. Credit-card archetypes are defined here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from reportgen.analysis.evidence import VALUE, naming_evidence
from reportgen.analysis.naming import Archetype, Condition, segment_names
from reportgen.analysis.traits import segment_traits
from reportgen.errors import InputError
from reportgen.model import (
    CategoryProfile,
    Claim,
    FeatureMatrix,
    FeatureStat,
    Segmentation,
    SegmentProfile,
    ValueStake,
)
from reportgen.model.columns import SPEND_NAME, feature_label

# Amount columns whose share of the all-customer total each segment holds ("share of spend").
VALUE_COLUMNS: tuple[str, ...] = ("PURCHASES", "BALANCE", "CASH_ADVANCE", "monetary")

CARD_ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("high_spenders", "High spenders", (Condition("PURCHASES", "high", min_lift=2.0),)),
    Archetype(
        "everyday_spenders",
        "Everyday spenders",
        (Condition("PURCHASES", "high"), Condition("PURCHASES_FREQUENCY", "high", min_lift=1.25)),
    ),
    Archetype(
        "spenders_with_cash",
        "Spenders with cash advance",
        (Condition("PURCHASES", "high"), Condition("CASH_ADVANCE", "high")),
    ),
    Archetype(
        "cash_advance_users", "Heavy cash-advance users", (Condition("CASH_ADVANCE", "high", min_lift=1.5),)
    ),
    Archetype(
        "cash_advance_only",
        "Cash advance, no purchases",
        (Condition("CASH_ADVANCE", "high"), Condition("PURCHASES", "none")),
    ),
    Archetype(
        "one_off_buyers",
        "One-off buyers",
        (Condition("ONEOFF_PURCHASES_FREQUENCY", "high"), Condition("INSTALLMENTS_PURCHASES", "low")),
    ),
    # the same buyers seen through their tickets: few purchases, but large ones, and hardly in instalments
    Archetype(
        "one_off_buyers",
        "One-off buyers",
        (
            Condition("AVG_PURCHASE_VALUE", "high"),
            Condition("INSTALLMENTS_PURCHASES", "low"),
            Condition("INSTALLMENT_SHARE", "low", max_lift=0.5),
        ),
    ),
    Archetype(
        "instalment_buyers",
        "Instalment buyers",
        (
            Condition("INSTALLMENTS_PURCHASES", "high", min_lift=1.5),
            Condition("PURCHASES_INSTALLMENTS_FREQUENCY", "high"),
        ),
    ),
    # the same buyers where most of what they buy goes into instalments, though the amount is near average
    Archetype(
        "instalment_buyers",
        "Instalment buyers",
        (
            Condition("INSTALLMENT_SHARE", "high", min_lift=1.5),
            Condition("PURCHASES_INSTALLMENTS_FREQUENCY", "high", min_lift=1.25),
        ),
    ),
    # "full payers" pay in full in most months: on average at least two thirds of them
    Archetype(
        "full_payers", "Full payers", (Condition("PRC_FULL_PAYMENT", "high", min_lift=2.0, min_mean=2 / 3),)
    ),
    Archetype(
        "low_activity",
        "Low activity",
        (Condition("PURCHASES", "low"), Condition("CASH_ADVANCE", "low")),
        low_rank=True,
    ),
    Archetype("moderate_spenders", "Moderate spenders", (Condition("PURCHASES", "near"),), low_rank=True),
)
ARCHETYPE_NAMES: dict[str, str] = {a.key: a.name for a in CARD_ARCHETYPES}

# The default value column per kind of table: card purchases, a purchase log's net spend.
KIND_VALUE: tuple[str, ...] = ("PURCHASES", "monetary")
# Skewed amounts that are counts, rates, times or averages rather than money: never summed into the value (a
# segment's "share of avg ticket" measures nothing)
NOT_MONEY = re.compile(
    r"^num|count|freq|trx|visit|days|age|year|recency|tenure|score|rate|id$|avg|average|mean", re.IGNORECASE
)


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
        .agg(
            [pl.col(c).median().alias(f"{c}|median") for c in cols]
            + [pl.col(c).min().alias(f"{c}|min") for c in cols]
            + [pl.col(c).max().alias(f"{c}|max") for c in cols]
        )
        .sort("_seg")
    )
    median_rows = {r[0]: r[1:] for r in medians.iter_rows()}
    width = len(cols)
    out: list[dict[str, FeatureStat]] = []
    for seg in range(k):
        stats = {}
        for j, c in enumerate(cols):
            mean = float(sums[seg, j] / sizes[seg]) if sizes[seg] else 0.0
            stats[c] = FeatureStat(
                mean=mean,
                median=float(median_rows[seg][j]),
                lift=(mean / overall[c]) if overall[c] != 0 else None,
                min=float(median_rows[seg][width + j]),
                max=float(median_rows[seg][2 * width + j]),
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


def value_columns(features: FeatureMatrix, configured: Sequence[str] = ()) -> tuple[str, ...]:
    """Return the column(s) summed into what a customer is worth.

    `[data] value` when set; else PURCHASES (card tables) or monetary (purchase logs); else the columns named
    like amounts spent (Mnt*, *spend*, *sales*, ...); else the skewed non-negative features that are not counts,
    rates, times or averages (by name, and whole-number columns beside ones with cents). Empty when none fits.
    """
    raw = features.raw.columns
    if configured:
        missing = [c for c in configured if c not in raw]
        if missing:
            raise InputError(
                f"data.value: column {missing[0]} is not among the features; add it to data.features "
                f"or choose from {', '.join(features.input_features)}"
            )
        return tuple(configured)
    for col in KIND_VALUE:
        if col in raw:
            return (col,)
    named = tuple(c for c in features.input_features if SPEND_NAME.search(c) and c in features.transformed)
    if named:
        return named
    skewed = tuple(
        c for c in features.input_features if c in features.transformed and not NOT_MONEY.search(c)
    )
    # names in another language escape NOT_MONEY ("Bestellungen"): beside amounts with cents, a column of
    # whole numbers is a count, and orders added to euros measure nothing
    imputed = features.quality.imputed
    amounts = tuple(
        c
        for c in skewed
        if not _whole_numbers(features.raw.get_column(c), imputed[c].value if c in imputed else None)
    )
    return amounts or skewed


def _whole_numbers(column: pl.Series, filled: float | None = None) -> bool:
    """Return whether every present value of a column is a whole number, leaving out the median that
    `filled` its gaps (1013.5 in a column of whole loyalty points is not a value of the table)."""
    present = column.drop_nulls()
    if filled is not None:
        present = present.filter(present != filled)
    return bool((present == present.round(0)).all())


# more parts than this and a joined label ("wines, fruits, meat and fish spend") stops reading as one measure
MAX_LABEL_PARTS = 3
# "Meat products spend" joins as "meat": the parts of a joined label keep the word that tells them apart
_SPEND_WORD = re.compile(r"\s*\b(products?\s+)?spend(ing)?$", re.IGNORECASE)


def _mid_sentence(label: str) -> str:
    """Return a label as it reads mid-sentence: 'Meat products spend' -> 'meat products spend'; 'RFM' kept."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def value_label(
    columns: Sequence[str], spend_columns: Sequence[str], column_labels: Mapping[str, str]
) -> str:
    """Return what the summed value columns are called: one column's label; "total spend" only where they are
    every spend column among the features; else the spend parts named ("wines and meat products spend")."""
    labels = [_mid_sentence(column_labels.get(c) or feature_label(c)) for c in columns]
    if len(columns) == 1:
        return labels[0]
    if not all(SPEND_NAME.search(c) for c in columns):
        return "combined value"
    if set(spend_columns) <= set(columns):
        return "total spend"
    parts = [_SPEND_WORD.sub("", label) or label for label in labels]
    if len(parts) > MAX_LABEL_PARTS:
        return f"spend on {len(columns)} of {len(set(spend_columns) | set(columns))} spend columns"
    return f"{', '.join(parts[:-1])} and {parts[-1]} spend"


def guessed_value_note(
    columns: Sequence[str], configured: Sequence[str], column_labels: Mapping[str, str]
) -> str | None:
    """Return the note that says which columns the value measure was guessed from, where nothing named it:
    no `[data] value`, no purchases or net spend, and columns not all named like amounts spent."""
    if (
        configured
        or not columns
        or set(columns) & set(KIND_VALUE)
        or all(SPEND_NAME.search(c) for c in columns)
    ):
        return None
    labels = [_mid_sentence(column_labels.get(c) or feature_label(c)) for c in columns]
    parts = labels[0] if len(labels) == 1 else f"the sum of {', '.join(labels[:-1])} and {labels[-1]}"
    name = value_label(columns, (), column_labels)
    return (
        f"What a customer is worth ({name}) was not named, so it was taken as {parts} (skewed amounts "
        "not named like counts, rates or times); set data.value to the column(s) that measure it."
    )


def value_stakes(
    raw: pl.DataFrame, labels: np.ndarray, k: int, columns: Sequence[str], label: str
) -> list[ValueStake | None]:
    """Return each segment's share and amount of the value column(s), summed, under the value's label."""
    if not columns:
        return [None] * k
    sums = _segment_sums(raw, list(columns), labels, k).sum(axis=1)
    total = float(sums.sum())
    return [
        ValueStake(
            columns=tuple(columns),
            label=label,
            share=(float(sums[s]) / total) if total else 0.0,
            amount=float(sums[s]),
        )
        for s in range(k)
    ]


def _with_named(
    columns: tuple[str, ...], claims: Sequence[Claim], nonnegative: frozenset[str]
) -> tuple[str, ...]:
    """Return the trait columns plus the engineered ones a segment's name rests on.

    "One-off buyers" by their average purchase value: the page leads with the figure the name claims, not
    only with the input columns around it.
    """
    extra = tuple(
        c.feature for c in claims if c.feature not in (*columns, VALUE) and c.feature in nonnegative
    )
    return (*columns, *extra)


def _with_value(shares: dict[str, float], stake: ValueStake | None) -> dict[str, float]:
    """Return the value shares with the summed value under its label ("total spend") when it has parts."""
    if stake is None or len(stake.columns) < 2:
        return shares
    return {**shares, stake.label: stake.share}


def segment_profiles(
    features: FeatureMatrix,
    seg: Segmentation,
    archetypes: Sequence[Archetype] = CARD_ARCHETYPES,
    names: Mapping[str, str] = ARCHETYPE_NAMES,
    column_labels: Mapping[str, str] | None = None,
    value: Sequence[str] | None = None,
    kept: Mapping[int, str] | None = None,
    measured: Sequence[dict[str, FeatureStat]] | None = None,
    categories: CategoryProfile | None = None,
) -> tuple[SegmentProfile, ...]:
    """Return each segment's statistics, value, traits and unique business name, in segment-id order.

    `kept`: per segment, the name a matching carried over from last period (kept where still true).
    `measured`: each segment's column statistics when an engine aggregated them (else measured here).
    `categories`: the categorical values' shares per segment (by segment index), which a name may state.
    """
    labels_of = dict(column_labels or {})
    all_stats = list(measured) if measured is not None else segment_stats(features.raw, seg.labels, seg.k)[1]
    shares = value_shares(features.raw, seg.labels, seg.k)
    value_cols = value_columns(features) if value is None else tuple(value)
    spend_cols = [c for c in features.input_features if SPEND_NAME.search(c)]
    label = value_label(value_cols, spend_cols, labels_of) if value_cols else "value"
    stakes = value_stakes(features.raw, seg.labels, seg.k, value_cols, label)
    evidence = naming_evidence(features, seg.labels, seg.k, labels_of, value_cols, label, categories)
    named = segment_names(evidence, archetypes, names, [s.share if s else None for s in stakes], kept)
    # a lift says "x times the average" only for amounts that cannot be negative, and never of a code
    # (naming's inputs leave out the columns of a few whole numbers: "Channel 1.5x the average", F29)
    lift_columns = tuple(
        c for c in features.input_features if c in evidence.nonnegative and c in evidence.inputs
    )
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
            value_shares=_with_value(shares[i], stakes[i]),
            traits=segment_traits(
                evidence,
                i,
                all_stats[i],
                _with_named(lift_columns, named[i][2].claims, evidence.nonnegative),
                tuple(c.feature for c in named[i][2].claims),
            ),
            naming=named[i][2],
            value=stakes[i],
        )
        for i in range(seg.k)
    )
