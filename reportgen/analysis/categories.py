"""Categorical columns per segment: the share of each value, and the values a segment over-represents.

A value is called out for a segment when at least MIN_SHARE of the segment holds it, it is at least
MIN_LIFT times as common as among all customers and MIN_POINTS percentage points more common; the strongest
lifts come first, at most MAX_HIGHLIGHTS per segment, one per column. Values held by fewer than 1% of all
customers are grouped as "other" (as for clustering), so a handful of odd entries cannot headline a segment.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from reportgen.analysis.features import category_levels, grouped_categories
from reportgen.formats import percent
from reportgen.model import CategoryHighlight, CategoryProfile, IntArray
from reportgen.model.columns import value_words

MIN_SHARE = 0.10
MIN_LIFT = 1.2
MIN_POINTS = 0.05
MAX_HIGHLIGHTS = 3


def category_shares(
    frame: pl.DataFrame, columns: tuple[str, ...], labels: IntArray, ids: tuple[int, ...]
) -> CategoryProfile:
    """Return, per categorical column, each value's share among all customers and within each segment."""
    overall: dict[str, dict[str, float]] = {}
    segments: dict[int, dict[str, dict[str, float]]] = {i: {} for i in ids}
    n = max(len(labels), 1)
    for column in columns:
        values = grouped_categories(frame.get_column(column))
        levels = category_levels(values)
        codes = values.replace_strict(
            list(levels), list(range(len(levels))), return_dtype=pl.Int64
        ).to_numpy()
        totals = np.bincount(codes, minlength=len(levels))
        overall[column] = {v: float(totals[j]) / n for j, v in enumerate(levels)}
        for segment in ids:
            member = labels == segment
            size = max(int(member.sum()), 1)
            counts = np.bincount(codes[member], minlength=len(levels))
            segments[segment][column] = {v: float(counts[j]) / size for j, v in enumerate(levels)}
    return CategoryProfile(columns=columns, overall=overall, segments=segments, highlights={})


def category_highlights(
    profile: CategoryProfile, names: Mapping[str, str], locale: str | None = None
) -> CategoryProfile:
    """Return the profile with, per segment, the values it over-represents, strongest first, in words.

    `names` maps a column, or "column=value" for one value, to the words the report uses for it; `locale`
    is the report's, for the percentages.
    """
    highlights: dict[int, tuple[CategoryHighlight, ...]] = {}
    for segment, columns in profile.segments.items():
        found = []
        for column, shares in columns.items():
            best = None
            for value, share in shares.items():
                base = profile.overall[column][value]
                if share < MIN_SHARE or base <= 0 or share - base < MIN_POINTS or share / base < MIN_LIFT:
                    continue
                if best is None or share / base > best[2] / best[3]:
                    best = (column, value, share, base)
            if best is not None:
                found.append(best)
        found.sort(key=lambda b: (-b[2] / b[3], b[0], b[1]))
        highlights[segment] = tuple(
            CategoryHighlight(
                column, value, share, base, _sentence(column, value, share, base, names, locale)
            )
            for column, value, share, base in found[:MAX_HIGHLIGHTS]
        )
    return CategoryProfile(profile.columns, profile.overall, profile.segments, highlights)


def _sentence(
    column: str, value: str, share: float, base: float, names: Mapping[str, str], locale: str | None
) -> str:
    # whole percentages: "84% Channel 2 vs 32% overall"
    words = value_words(column, value, names)
    return f"{_percent(share, locale)} {words} vs {_percent(base, locale)} overall"


def _percent(share: float, locale: str | None) -> str:
    # a share that rounds to 100 while below it says 99: "100%" would claim every customer
    # (one under a half percent reads "<1%", the formatter's rule for a share that is not nothing)
    return percent(0.99 if share < 1 and round(share * 100) == 100 else share, 0, locale)
