"""What naming measures about each segment, once: means, member shares on each side of the average, and more.

Per column of the clustering (and the summed value, and each value column's share of it): the raw means, the
scaled centroid, the shares of members above, below, near the all-customer mean and with almost none; the
correlations between columns; which columns are 0/1 flags; and each categorical value's share per segment.
`naming` and `traits` read these to decide which claims hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from reportgen.analysis.features import OTHER, coded_columns, flag_columns
from reportgen.model import CategoryProfile, FeatureMatrix, IntArray
from reportgen.model.columns import FEATURE_LABELS, VALUE_SHARE_PREFIX, feature_label, value_words

ALMOST_NONE = 0.05  # "almost none": at most 5% of the all-customer mean


@dataclass(frozen=True)
class Evidence:
    """What naming needs to know about each segment, measured once."""

    columns: tuple[str, ...]  # columns with a scaled value (the clustering's columns)
    inputs: tuple[str, ...]  # the input features among them, and the summed value
    mix: tuple[str, ...]  # each value column's share of a member's summed value (SHARE + column)
    flags: frozenset[str]  # the 0/1 input columns: a mean is the share of members with the flag
    overall: dict[str, float]  # raw all-customer mean
    means: tuple[dict[str, float], ...]  # raw segment mean
    centroids: tuple[dict[str, float], ...]  # scaled segment mean (0 = all-customer mean, 1 = one SD)
    above: tuple[dict[str, float], ...]  # share of members above the all-customer mean (scaled > 0)
    below: tuple[dict[str, float], ...]
    near: tuple[dict[str, float], ...]  # share within one SD
    none: tuple[dict[str, float], ...]  # share with a raw value at most ALMOST_NONE x the overall mean
    central: tuple[float, ...]  # share within one SD of the mean, root mean square over the columns
    correlation: dict[tuple[str, str], float]
    nonnegative: frozenset[str]
    labels: Mapping[str, str]
    # per segment, each categorical value: (column, value, share of members, share of all customers, words)
    levels: tuple[tuple[tuple[str, str, float, float, str], ...], ...] = ()

    def label(self, column: str) -> str:
        """Return the readable name of a column."""
        return self.labels.get(column) or feature_label(column)


VALUE = "@value"  # the summed value columns, measured like a column when there are several
# one value column's share of a member's summed value ("@share:Fresh"): what a segment's value is made of
SHARE = VALUE_SHARE_PREFIX


def naming_evidence(
    features: FeatureMatrix,
    labels: IntArray,
    k: int,
    column_labels: Mapping[str, str],
    value: Sequence[str] = (),
    value_label: str = "value",
    categories: CategoryProfile | None = None,
) -> Evidence:
    """Measure, per segment, the mean and the member shares on each side of the all-customer mean.

    Several value columns are also summed and measured as one more column (log1p when any part was
    transformed, then standard scaling), so a segment can be named for its total value; and, when none of
    them is negative, each one's share of a member's sum is measured too (standard scaling), so a segment
    whose value leans to one part ("High fresh share") can be named for its mix rather than for what it
    buys little of.
    """
    used = tuple(c for c in features.used if c in features.raw.columns)
    index = {c: j for j, c in enumerate(features.used)}
    X = features.X
    raw_frame = features.raw
    if len(value) > 1:
        total = features.raw.select(pl.sum_horizontal(value).cast(pl.Float64).alias(VALUE)).get_column(VALUE)
        model = total.log1p() if any(c in features.transformed for c in value) else total
        values = model.to_numpy()
        spread = float(values.std()) or 1.0
        X = np.column_stack([X, (values - values.mean()) / spread])
        raw_frame = features.raw.with_columns(total)
        index[VALUE] = X.shape[1] - 1
        used = (*used, VALUE)
        column_labels = {**column_labels, VALUE: value_label}
        mix = value_mix(features.raw, value)
        if mix:
            shares_of = np.column_stack([(v - v.mean()) / (float(v.std()) or 1.0) for v in mix.values()])
            index.update({c: X.shape[1] + j for j, c in enumerate(mix)})
            X = np.column_stack([X, shares_of])
            raw_frame = raw_frame.with_columns(pl.Series(c, v) for c, v in mix.items())
            used = (*used, *mix)
            column_labels = {
                **column_labels,
                **{
                    SHARE + c: f"{column_labels.get(c) or feature_label(c)} share of {value_label}"
                    for c in value
                },
            }
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    safe = np.where(sizes > 0, sizes, 1.0)

    def shares(mask: np.ndarray) -> np.ndarray:
        return np.bincount(labels, weights=mask.astype(np.float64), minlength=k) / safe

    overall: dict[str, float] = {}
    per_seg: dict[str, list[dict[str, float]]] = {
        n: [{} for _ in range(k)] for n in ("means", "centroids", "above", "below", "near", "none")
    }
    nonnegative = set()
    for c in used:
        raw = raw_frame.get_column(c).cast(pl.Float64).fill_null(0.0).to_numpy()
        x = X[:, index[c]]
        mean = float(raw.mean()) if raw.size else 0.0
        overall[c] = mean
        if raw.size and float(raw.min()) >= 0:
            nonnegative.add(c)
        columns = {
            "means": np.bincount(labels, weights=raw, minlength=k) / safe,
            "centroids": np.bincount(labels, weights=x, minlength=k) / safe,
            "above": shares(x > 0),
            "below": shares(x < 0),
            "near": shares(np.abs(x) <= 1.0),
            "none": shares(raw <= ALMOST_NONE * mean) if c in nonnegative and mean > 0 else np.zeros(k),
        }
        for name, values in columns.items():
            for s in range(k):
                per_seg[name][s][c] = float(values[s])
    cols = [index[c] for c in used if c != VALUE and not c.startswith(SHARE)]
    rms = np.sqrt((X[:, cols] ** 2).mean(axis=1)) if cols else np.zeros(len(labels))
    central = shares(rms <= 1.0)
    corr: dict[tuple[str, str], float] = {}
    every = [index[c] for c in used]
    if len(every) > 1 and X.shape[0] > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = np.atleast_2d(np.corrcoef(X[:, every], rowvar=False))
        for a, ca in enumerate(used):
            for b, cb in enumerate(used):
                corr[(ca, cb)] = float(np.nan_to_num(matrix[a, b]))
    # a column of a few whole numbers (1, 2) is a code the loader flags: "High channel" names nothing (F29);
    # the built-in card columns (TENURE in months) are measures, however few their values in a sample
    own = tuple(c for c in features.input_features if c in used and c not in FEATURE_LABELS)
    coded = {c for c, _ in coded_columns(features.raw, own)}
    flags = frozenset(flag_columns(features.raw, own))
    return Evidence(
        columns=used,
        inputs=tuple(c for c in (*features.input_features, VALUE) if c in used and c not in coded),
        mix=tuple(c for c in used if c.startswith(SHARE)),
        flags=flags,
        levels=_levels(categories, k, column_labels),
        overall=overall,
        means=tuple(per_seg["means"]),
        centroids=tuple(per_seg["centroids"]),
        above=tuple(per_seg["above"]),
        below=tuple(per_seg["below"]),
        near=tuple(per_seg["near"]),
        none=tuple(per_seg["none"]),
        central=tuple(float(v) for v in central),
        correlation=corr,
        nonnegative=frozenset(nonnegative),
        labels=column_labels,
    )


def _levels(
    categories: CategoryProfile | None, k: int, names: Mapping[str, str]
) -> tuple[tuple[tuple[str, str, float, float, str], ...], ...]:
    if categories is None:
        return ()
    return tuple(
        tuple(
            (column, value, share, categories.overall[column][value], value_words(column, value, names))
            for column, shares in categories.shares_of(seg).items()
            for value, share in shares.items()
            if value != OTHER
        )
        for seg in range(k)
    )


def value_mix(raw: pl.DataFrame, value: Sequence[str]) -> dict[str, np.ndarray]:
    """Return each value column's share of every customer's summed value (SHARE + column -> shares).

    Empty unless there are several value columns and none holds a negative amount (a return makes a share
    meaningless); a customer with no value at all has a share of 0 in every part.
    """
    if len(value) < 2:
        return {}
    parts = raw.select(pl.col(c).cast(pl.Float64).fill_null(0.0) for c in value).to_numpy()
    if parts.size == 0 or float(parts.min()) < 0:
        return {}
    total = parts.sum(axis=1)
    out = {}
    for j, c in enumerate(value):
        share = np.zeros(total.shape, dtype=np.float64)
        np.divide(parts[:, j], total, out=share, where=total > 0)
        out[SHARE + c] = share
    return out
