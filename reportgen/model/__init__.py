"""The typed objects that cross module boundaries, in the order the data flows through them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reportgen.model.columns import SPEND_COLUMNS

if TYPE_CHECKING:  # annotations only: the render workers use these types without loading Polars
    import polars as pl

    from reportgen.config import Settings
    from reportgen.documents.brand import Brand

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ID = "customer_id"  # the id column's name inside the pipeline, whatever the input calls it


@dataclass(frozen=True)
class ColumnStats:
    """Summary statistics of one input column (before imputation), for the data-quality section."""

    name: str
    count: int
    missing: int
    mean: float | None
    std: float | None
    min: float | None
    p25: float | None
    median: float | None
    p75: float | None
    max: float | None
    zeros: int


@dataclass(frozen=True)
class Imputation:
    column: str
    method: str
    value: float
    count: int


@dataclass(frozen=True)
class LoadedTable:
    """A validated input table: the id column is `customer_id` (text), features are Float64."""

    path: Path
    sha256: str
    frame: pl.DataFrame
    features: tuple[str, ...]
    rows: int  # data rows read from the file
    kind: str = "customers"
    dropped_rows: int = 0
    notes: tuple[str, ...] = ()
    # counts of the dirty-row rules applied while loading (transaction logs), name -> rows
    rules: dict[str, int] = field(default_factory=dict)
    categorical: tuple[str, ...] = ()  # text columns of `frame`: profiled per segment (data.categorical)
    encoded: tuple[str, ...] = ()  # the categorical columns also clustered on (listed in data.features)
    numbered: bool = False  # no id column: customer ids are data row numbers
    first_day: date | None = None  # a transaction log's first and last timestamp (the dates it covers)
    last_day: date | None = None


@dataclass(frozen=True)
class DataQuality:
    rows: int
    customers: int
    missing: dict[str, int]  # only columns with at least one gap
    imputed: dict[str, Imputation]
    dropped_rows: int
    dropped_columns: tuple[str, ...]
    notes: tuple[str, ...]
    stats: tuple[ColumnStats, ...]
    rules: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureMatrix:
    """What K-Means sees (`X`, scaled) next to the raw values it came from."""

    customer_ids: pl.Series
    raw: pl.DataFrame  # input features after imputation + engineered features, raw units
    input_features: tuple[str, ...]  # the profiled input columns (constant ones included)
    used: tuple[str, ...]  # the columns of X, in order
    engineered: tuple[str, ...]
    transformed: tuple[str, ...]  # the columns log1p was applied to
    transform: str
    X: FloatArray
    center: FloatArray
    scale: FloatArray
    quality: DataQuality
    # 0/1 columns of the categorical features (named by columns.indicator_name), after the numeric ones in X
    indicators: pl.DataFrame | None = None

    def clustered_frame(self) -> pl.DataFrame:
        """Return every column of `used` in raw units: the numeric features and the category indicators."""
        if self.indicators is None:
            return self.raw
        return self.raw.hstack(self.indicators.get_columns())


@dataclass(frozen=True)
class KCandidate:
    k: int
    inertia: float
    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None


@dataclass(frozen=True)
class KSelection:
    method: str  # "auto" or "fixed"
    chosen_k: int
    reason: str
    candidates: tuple[KCandidate, ...]
    elbow_k: int | None
    scored_rows: int  # rows the candidates were fitted on
    silhouette_rows: int  # rows the silhouette was computed on
    sampled: bool
    # K-Means fits made while scoring (k -> labels, centroids), reused or refined by the final fit
    fits: dict[int, tuple[IntArray, FloatArray]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Segmentation:
    labels: IntArray  # segment id per customer, ids numbered by the documented rule
    centroids: FloatArray  # k x len(used), in scaled space, row i = segment id i
    k: int
    inertia: float
    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None


@dataclass(frozen=True)
class FeatureStat:
    mean: float
    median: float
    lift: float | None  # segment mean / all-customer mean; None where the overall mean is 0


@dataclass(frozen=True)
class Trait:
    feature: str
    label: str  # readable feature name
    lift: float
    segment_mean: float
    overall_mean: float
    text: str  # "Purchases 7.7x the average"


@dataclass(frozen=True)
class SegmentProfile:
    id: int
    name: str
    archetype: str
    size: int
    share: float
    stats: dict[str, FeatureStat]
    value_shares: dict[str, float]  # e.g. {"PURCHASES": 0.31}: share of the all-customer total
    traits: tuple[Trait, ...]


def spend_share(profile: SegmentProfile) -> tuple[str | None, float | None]:
    """Return the column that counts as spend and the segment's share of its total (first value share else)."""
    for key in (*SPEND_COLUMNS, *profile.value_shares):
        if key in profile.value_shares:
            return key, profile.value_shares[key]
    return None, None


@dataclass(frozen=True)
class CategoryHighlight:
    """A value a segment holds more often than all customers do ("84% Channel 2 vs 32% overall")."""

    column: str
    value: str
    share: float  # of the segment's customers
    overall: float  # of all customers
    text: str


@dataclass(frozen=True)
class CategoryProfile:
    """The categorical columns per segment: the share of each value, overall and within each segment id."""

    columns: tuple[str, ...]
    overall: dict[str, dict[str, float]]  # column -> value -> share of all customers
    segments: dict[int, dict[str, dict[str, float]]]  # segment id -> column -> value -> share
    highlights: dict[int, tuple[CategoryHighlight, ...]]  # segment id -> strongest over-representations


@dataclass(frozen=True)
class Recommendation:
    segment_id: int
    archetype: str
    title: str
    text: str


@dataclass(frozen=True)
class PcaMap:
    x: FloatArray
    y: FloatArray
    labels: IntArray
    explained_variance: tuple[float, float]
    loadings: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class FigureChange:
    feature: str
    previous_mean: float
    mean: float
    change: float
    change_pct: float | None  # None where the previous mean is 0


@dataclass(frozen=True)
class SegmentChange:
    id: int
    name: str
    size: int
    share: float
    new: bool
    previous_size: int | None
    previous_share: float | None
    size_change: int | None
    figures: tuple[FigureChange, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready values for a summary.json segment."""
        return {
            "new": self.new,
            "previous_size": self.previous_size,
            "previous_share": rounded(self.previous_share),
            "size_change": self.size_change,
            "key_figures": {
                f.feature: {
                    "previous_mean": rounded(f.previous_mean),
                    "mean": rounded(f.mean),
                    "change": rounded(f.change),
                    "change_pct": rounded(f.change_pct),
                }
                for f in self.figures
            },
        }


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Return a float rounded for JSON output (None stays None)."""
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class MonthOverMonth:
    """What changed since the latest earlier period in the same output folder."""

    from_period: str
    migration: dict[str, Any]  # summary.json "migration"
    matching: dict[str, Any]  # which segments kept their identity, which are new or vanished
    changes: tuple[SegmentChange, ...]  # per current segment: previous size, key-figure deltas
    sentences: tuple[str, ...]  # two or three sentences on the largest movements


@dataclass(frozen=True)
class Analysis:
    """Everything computed for one run; the report, summary and e-mail are views of it.

    Segment ids are stable across months: `profiles` are in id order, `segmentation.labels` hold ids and
    row i of `segmentation.centroids` belongs to profiles[i].
    """

    table: LoadedTable
    features: FeatureMatrix
    selection: KSelection
    segmentation: Segmentation
    profiles: tuple[SegmentProfile, ...]
    recommendations: tuple[Recommendation, ...]
    pca: PcaMap
    history: MonthOverMonth | None = None
    model: dict[str, Any] = field(default_factory=dict)  # model.json: what the next month needs
    categories: CategoryProfile | None = None  # None: the table has no categorical columns

    def segment_names(self) -> dict[int, str]:
        """Return segment id -> name for this month's segments and, with history, the vanished ones.

        Ids persist across months, so these names label last month's segments too; a vanished segment keeps
        the name it had.
        """
        names = {p.id: p.name for p in self.profiles}
        if self.history is not None:
            vanished = self.history.matching.get("vanished", ())
            names.update({int(v["id"]): str(v["name"]) for v in vanished})
        return names

    def recommendations_for(self, segment_id: int) -> tuple[Recommendation, ...]:
        """Return the recommendations written for one segment."""
        return tuple(r for r in self.recommendations if r.segment_id == segment_id)

    def report_view(self) -> Analysis:
        """Return this analysis without the per-customer tables the documents never read (input rows,
        scaled matrix, scoring fits, model.json): a million-row run hands the render worker megabytes, not
        gigabytes. The documents read those tables' column names, the profiles, the scores and the map."""
        table, features = self.table, self.features
        return replace(
            self,
            table=replace(table, frame=table.frame.clear()),
            features=replace(
                features,
                customer_ids=features.customer_ids.clear(),
                raw=features.raw.clear(),
                indicators=None if features.indicators is None else features.indicators.clear(),
                X=features.X[:0],
            ),
            selection=replace(self.selection, fits={}),
            model={},
        )


@dataclass(frozen=True)
class ReportJob:
    """What a period's documents (PDF, HTML, briefing) are made from: picklable, for the render worker."""

    analysis: Analysis
    settings: Settings
    brand: Brand
    period: str
    generator: str


@dataclass(frozen=True)
class ChartImage:
    """A chart rendered ahead of time (WeasyPrint runs no JavaScript): SVG text or PNG bytes, plus alt text."""

    name: str  # stable identifier, e.g. "sizes", "map", "segment-2"
    title: str
    alt: str  # text alternative written from the chart's data
    svg: str | None = None
    png: bytes | None = None
    width: float = 0.0  # CSS pixels at which it was designed
    height: float = 0.0
