"""How a customer's raw values become a row of the matrix K-Means saw: the contract model.json carries.

Plain data (NumPy arrays and tuples, no table library): a Spark executor rebuilds it from model.json and
prepares its batch with the same arithmetic as the local fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reportgen.model.columns import Ratio

if TYPE_CHECKING:
    from reportgen.period import Period

FloatArray = npt.NDArray[np.float64]

# what an engineered ratio is where its denominator is 0 or missing (model.json states it in words too)
RATIO_RULE = "numerator / denominator; 0 where the denominator is 0 or missing"


@dataclass(frozen=True)
class CategoryEncoding:
    """One categorical feature's 0/1 indicators: its values in column order, and the group of rare ones.

    `other` is the value rare values were grouped under at the fit ("other"), or None when none were grouped;
    a value the fit never saw falls into that group, or, without one, into no indicator (all 0).
    """

    column: str
    levels: tuple[str, ...]
    other: str | None = None


@dataclass(frozen=True)
class Preparation:
    """Everything that turns raw input columns into the scaled matrix, fixed at the fit.

    Steps, in order: fill each numeric input's gaps with its `medians` value; add the `ratios`; take the
    `used` columns (numeric first, then the category indicators); log1p of the `transformed` ones (negative
    values clipped to 0); indicators per `categories`; subtract `center`, divide by `scale`.
    """

    inputs: tuple[str, ...]  # the numeric input columns read, in order
    medians: dict[str, float]  # the fill value of every numeric input (its median at the fit)
    ratios: tuple[Ratio, ...]  # the engineered features added after filling
    used: tuple[str, ...]  # the matrix's columns, in order
    transformed: tuple[str, ...]  # the used numeric columns log1p is applied to
    categories: tuple[CategoryEncoding, ...]  # the clustered categorical columns, in matrix order
    center: FloatArray
    scale: FloatArray

    @property
    def numeric(self) -> tuple[str, ...]:
        """Return the used columns that are numbers (inputs or ratios), in matrix order."""
        return self.used[: len(self.used) - sum(len(c.levels) for c in self.categories)]

    @property
    def columns_needed(self) -> tuple[str, ...]:
        """Return the raw columns a batch must hold: the numeric inputs, then the categorical ones."""
        return (*self.inputs, *(c.column for c in self.categories))


@dataclass(frozen=True)
class SavedModel:
    """A period's model.json as `reportgen assign` (on any engine) uses it: read rules, preparation, centroids."""

    path: Path  # the model.json file, named in messages
    period: Period
    kind: str  # "customers" | "transactions"
    id_column: str  # "" = customers numbered by row
    rules: dict[str, Any]  # model.json's "data": features, categorical, dates / the transaction columns
    preparation: Preparation
    ids: tuple[int, ...]  # stable segment ids, row i of `centroids`
    names: tuple[str, ...]  # the names the period's report shows (the user's where configured)
    centroids: FloatArray
