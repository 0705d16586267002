"""What naming measures per segment: the value mix and the 0/1 flags, checked by hand."""

from __future__ import annotations

import numpy as np
import polars as pl

from reportgen.analysis.evidence import SHARE, value_mix
from reportgen.analysis.features import flag_columns


def test_a_value_mix_is_each_parts_share_of_the_customers_sum() -> None:
    raw = pl.DataFrame({"Fresh": [30.0, 0.0, 5.0], "Milk": [10.0, 0.0, None]})
    mix = value_mix(raw, ("Fresh", "Milk"))
    assert list(mix) == [SHARE + "Fresh", SHARE + "Milk"]
    np.testing.assert_allclose(mix[SHARE + "Fresh"], [0.75, 0.0, 1.0])  # no value at all: a share of 0
    np.testing.assert_allclose(mix[SHARE + "Milk"], [0.25, 0.0, 0.0])  # a gap counts as nothing bought


def test_no_mix_from_one_column_or_from_amounts_with_returns() -> None:
    assert value_mix(pl.DataFrame({"Fresh": [1.0, 2.0]}), ("Fresh",)) == {}
    assert value_mix(pl.DataFrame({"Fresh": [1.0, 2.0], "Refunds": [-3.0, 0.0]}), ("Fresh", "Refunds")) == {}


def test_a_flag_holds_only_0_and_1() -> None:
    frame = pl.DataFrame(
        {
            "Exited": [0, 1, 1, None],
            "Tier": [1, 2, 3, 1],
            "Always": [1, 1, 1, 1],
            "Rate": [0.0, 0.5, 1.0, 1.0],
        }
    )
    assert flag_columns(frame, ("Exited", "Tier", "Always", "Rate")) == ("Exited",)
