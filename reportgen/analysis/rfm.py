"""RFM scores per customer and the naming rules for RFM archetypes (champions, at risk, hibernating, ...).

Scores: recency, frequency and monetary each get a quintile score from 1 to 5, where 5 is best (most recent,
most frequent, highest spend). A customer's score is 1 + floor(5 x (rank - 1) / n), with rank the 1-based
position of the value in ascending order of "better" and n the number of customers. Equal values share the
lowest rank of their group, so two customers who behave the same always get the same score, whatever their ids
or row order: deterministic, at the price of uneven quintiles when many values tie (a log where most customers
bought once puts them all at F = 1).

Archetypes: each is a prototype pattern of above- or below-average recency, frequency, spend and tenure. A
segment's position is its lift on each (segment mean / all-customer mean) on a log scale, squashed by tanh so a
lift of 2 reads +0.76, 0.5 reads -0.76 and extremes saturate near +-1; recency is negated so +1 means "bought
recently". The fit score of an archetype is minus the weighted squared distance between the segment's position
and the prototype: 0 is a perfect fit, larger negative numbers are worse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from reportgen.model import ID, FeatureStat, LoadedTable

SCORE_COLUMNS: tuple[str, ...] = ("r_score", "f_score", "m_score", "rfm_score")

RFM_ARCHETYPE_NAMES: dict[str, str] = {
    "champions": "Champions",
    "loyal_customers": "Loyal customers",
    "potential_loyalists": "Potential loyalists",
    "new_customers": "New customers",
    "at_risk": "At risk",
    "cant_lose_them": "Can't lose them",
    "hibernating": "Hibernating",
    "heavy_returners": "Heavy returners",
}

# Prototype positions on (recent, frequency, monetary, tenure); +1 = far above average, -1 = far below.
# None = the archetype does not care about that axis.
_AXES = ("recent", "frequency", "monetary", "tenure", "returns")
_PROTOTYPES: dict[str, tuple[float | None, float | None, float | None, float | None, float | None]] = {
    "champions": (1.0, 1.0, 1.0, None, None),
    "loyal_customers": (0.3, 0.7, 0.5, 0.5, None),
    "potential_loyalists": (0.7, 0.0, 0.0, -0.3, None),
    "new_customers": (1.0, -0.8, -0.6, -1.0, None),
    "at_risk": (-0.6, 0.2, 0.2, 0.3, None),
    "cant_lose_them": (-0.7, 1.0, 1.0, 0.5, None),
    "hibernating": (-1.0, -1.0, -1.0, None, None),
    # returns dominate whatever else they do: only the return rate places them
    "heavy_returners": (None, None, None, None, 1.0),
}
# Recency, frequency and money define RFM; tenure only separates the new from the established.
_WEIGHTS = {"recent": 1.0, "frequency": 1.0, "monetary": 1.0, "tenure": 0.5, "returns": 2.0}
# A segment is "heavy returners" only when returns are a real part of its value, not just above a tiny average.
HEAVY_RETURN_RATE = 0.15
_SQUASH = 0.7  # log-lift scale: tanh(ln(2) / 0.7) = 0.76


def rfm_scores(frame: pl.DataFrame) -> pl.DataFrame:
    """Return customer_id with r/f/m quintile scores (Int8, 5 = best) and the rfm_score text like "545"."""
    n = frame.height
    scores = frame.select(
        pl.col(ID),
        _quintile(-pl.col("recency_days"), n).alias("r_score"),
        _quintile(pl.col("frequency"), n).alias("f_score"),
        _quintile(pl.col("monetary"), n).alias("m_score"),
    )
    return scores.with_columns(
        pl.concat_str(pl.col("r_score", "f_score", "m_score").cast(pl.String)).alias("rfm_score")
    )


def with_rfm_scores(table: LoadedTable) -> LoadedTable:
    """Return a customer table from a transaction log with its R, F, M and RFM scores beside the features."""
    frame = pl.concat([table.frame, rfm_scores(table.frame).drop(ID)], how="horizontal")
    return replace(table, frame=frame)


def _quintile(values: pl.Expr, n: int) -> pl.Expr:
    # rank("min"): ties share the lowest rank of their group, so equal values get equal scores.
    rank = values.rank("min").cast(pl.Int64)
    return ((rank - 1) * 5 // max(n, 1) + 1).cast(pl.Int8)


def rfm_archetype_scores(stats: Mapping[str, FeatureStat]) -> dict[str, float]:
    """Return how well a segment fits each RFM archetype (0 = perfect, more negative = worse)."""
    position = _position(stats)
    scores: dict[str, float] = {}
    for key, prototype in _PROTOTYPES.items():
        distance = 0.0
        for axis, target in zip(_AXES, prototype, strict=True):
            value = position.get(axis)
            if target is None or value is None:
                continue
            distance += _WEIGHTS[axis] * (value - target) ** 2
        scores[key] = -distance
    returns = stats.get("return_rate")
    if returns is None or returns.mean < HEAVY_RETURN_RATE:
        scores["heavy_returners"] = -100.0  # out of the running, whatever the lift
    return scores


def _position(stats: Mapping[str, FeatureStat]) -> dict[str, float | None]:
    """Return the segment's squashed log-lift on each axis; None where it cannot be measured."""

    def axis(feature: str, sign: float) -> float | None:
        stat = stats.get(feature)
        if stat is None:
            return None
        # No lift (the all-customer mean is 0) means nobody differs on it: average.
        if stat.lift is None:
            return 0.0
        # A zero segment mean (every member bought today, say) is as extreme as the scale goes.
        if stat.lift <= 0:
            return -sign
        return math.tanh(sign * math.log(stat.lift) / _SQUASH)

    return {
        "recent": axis("recency_days", -1.0),
        "frequency": axis("frequency", 1.0),
        "monetary": axis("monetary", 1.0),
        "tenure": axis("tenure_days", 1.0),
        "returns": axis("return_rate", 1.0),
    }
