"""RFM scores per customer and the naming rules for RFM archetypes (champions, at risk, hibernating, ...).

Scores: recency, frequency and monetary each get a quintile score from 1 to 5, where 5 is best (most recent,
most frequent, highest spend). A customer's score is 1 + floor(5 x (rank - 1) / n), with rank the 1-based
position of the value in ascending order of "better" and n the number of customers. Equal values share the
lowest rank of their group, so two customers who behave the same always get the same score, whatever their ids
or row order: deterministic, at the price of uneven quintiles when many values tie (a log where most customers
bought once puts them all at F = 1).

Archetypes: each names what most of a segment's customers do, as conditions on recency, frequency, spend,
tenure and returns (see `naming`: every condition holds for the segment mean and for two thirds of its members).
Champions bought recently, buy often and spend more than the average; Hibernating are lapsed, rare, low
spenders. The playbook never tells a segment holding recent or new customers to suppress their addresses.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from reportgen.analysis.naming import Archetype, Condition
from reportgen.model import ID, LoadedTable

SCORE_COLUMNS: tuple[str, ...] = ("r_score", "f_score", "m_score", "rfm_score")

# A segment is "heavy returners" only when returns are a real part of its value, not just above a tiny average.
HEAVY_RETURN_RATE = 0.15
_c = Condition
# Each segment takes the true name with the largest total strength, so three true conditions beat one.
RFM_ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "champions", "Champions", (_c("recency_days", "low"), _c("frequency", "high"), _c("monetary", "high"))
    ),
    Archetype("loyal_customers", "Loyal customers", (_c("frequency", "high"), _c("tenure_days", "high"))),
    Archetype(
        "potential_loyalists", "Potential loyalists", (_c("recency_days", "low"), _c("frequency", "near"))
    ),
    Archetype("new_customers", "New customers", (_c("tenure_days", "low"), _c("recency_days", "low"))),
    Archetype("at_risk", "At risk", (_c("recency_days", "high"), _c("tenure_days", "high"))),
    Archetype(
        "cant_lose_them",
        "Can't lose them",
        (_c("recency_days", "high"), _c("frequency", "high"), _c("monetary", "high")),
    ),
    Archetype(
        "hibernating",
        "Hibernating",
        (_c("recency_days", "high"), _c("frequency", "low"), _c("monetary", "low")),
        low_rank=True,
    ),
    # returns dominate whatever else they do, but only when they are a real part of the value
    Archetype("heavy_returners", "Heavy returners", (_c("return_rate", "high", min_mean=HEAVY_RETURN_RATE),)),
    Archetype("recent_buyers", "Recent buyers", (_c("recency_days", "low"),)),
    Archetype("lapsed_buyers", "Lapsed buyers", (_c("recency_days", "high"),), low_rank=True),
    Archetype("frequent_buyers", "Frequent buyers", (_c("frequency", "high"),)),
    Archetype("big_spenders", "Big spenders", (_c("monetary", "high", min_lift=2.0),)),
)
RFM_ARCHETYPE_NAMES: dict[str, str] = {a.key: a.name for a in RFM_ARCHETYPES}


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
