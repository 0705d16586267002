"""Categorical columns per segment: shares by hand, over-representations in words, rare values grouped."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from reportgen.analysis.categories import category_highlights, category_shares

# 10 customers: segment 0 is rows 0-3 (three retail), segment 1 rows 4-9 (one retail)
FRAME = pl.DataFrame(
    {
        "Channel": ["2", "2", "2", "1", "1", "1", "1", "1", "1", "2"],
        "Region": ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b"],
    }
)
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])


def test_shares_per_segment_and_overall() -> None:
    profile = category_shares(FRAME, ("Channel", "Region"), LABELS, (0, 1))
    assert profile.overall["Channel"] == {"1": 0.6, "2": 0.4}
    assert profile.segments[0]["Channel"] == {"1": 0.25, "2": 0.75}
    assert profile.segments[1]["Channel"] == pytest.approx({"1": 5 / 6, "2": 1 / 6})
    assert profile.segments[0]["Region"] == {"a": 0.5, "b": 0.5}


def test_over_representations_in_words() -> None:
    profile = category_highlights(category_shares(FRAME, ("Channel", "Region"), LABELS, (0, 1)), {})
    # 75% retail against 40% overall: lift 1.9; Region is even (50% vs 50%) and is not called out
    assert [h.text for h in profile.highlights[0]] == ["75% Channel 2 vs 40% overall"]
    assert [h.text for h in profile.highlights[1]] == ["83% Channel 1 vs 60% overall"]
    named = category_highlights(profile, {"Channel=2": "retail channel"})
    assert named.highlights[0][0].text == "75% retail channel vs 40% overall"
    # the percentages read as the report's locale does
    german = category_highlights(profile, {"Channel=2": "retail channel"}, "de_DE")
    assert german.highlights[0][0].text == "75\u00a0% retail channel vs 40\u00a0% overall"


def test_a_share_just_under_all_or_just_over_none_never_reads_as_all_or_none() -> None:
    frame = pl.DataFrame({"G": ["x"] * 999 + ["y"] + ["y"] * 1000})
    labels = np.array([0] * 1000 + [1] * 1000)
    profile = category_highlights(category_shares(frame, ("G",), labels, (0, 1)), {})
    # 99.9% x in segment 0 against 50% overall: "99%", never "100%" of customers
    assert profile.highlights[0][0].text == "99% G x vs 50% overall"


def test_small_or_weak_differences_are_not_called_out() -> None:
    # 52% against 50%: more common, but by two points only
    frame = pl.DataFrame({"G": ["x"] * 52 + ["y"] * 48 + ["x"] * 48 + ["y"] * 52})
    labels = np.array([0] * 100 + [1] * 100)
    profile = category_highlights(category_shares(frame, ("G",), labels, (0, 1)), {})
    assert profile.highlights == {0: (), 1: ()}


def test_rare_values_are_grouped_as_other() -> None:
    values = ["a"] * 500 + ["b"] * 494 + ["odd1"] * 3 + ["odd2"] * 3
    frame = pl.DataFrame({"G": values})
    profile = category_shares(frame, ("G",), np.zeros(len(values), dtype=np.int64), (0,))
    assert profile.overall["G"] == pytest.approx({"a": 0.5, "b": 0.494, "other": 0.006})
