"""The segmentation: candidate numbers of segments, the chosen clustering, profiles and the map."""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.model.columns import SPEND_COLUMNS
from reportgen.model.data import FloatArray, IntArray


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
class PcaMap:
    x: FloatArray
    y: FloatArray
    labels: IntArray
    explained_variance: tuple[float, float]
    loadings: dict[str, tuple[float, float]]


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
