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
    min: float | None = None  # the segment's smallest and largest value
    max: float | None = None


@dataclass(frozen=True)
class Trait:
    feature: str
    label: str  # readable feature name
    lift: float
    segment_mean: float
    overall_mean: float
    text: str  # "Purchases 7.7x the average"
    direction: str = "above"  # "above" | "below" | "almost_none": what the text claims
    member_share: float | None = None  # the share of the segment's members of whom it is true


@dataclass(frozen=True)
class Claim:
    """One condition a name states, checked on the segment mean and member by member."""

    feature: str
    direction: str  # "above" | "below" | "almost_none" | "near" | "central"
    text: str  # "purchases above the all-customer average"
    mean_holds: bool
    member_share: float  # share of the segment's members that meet it


@dataclass(frozen=True)
class Naming:
    """Why a segment carries its name: the rule that gave it and the claims the name makes."""

    rule: str  # "archetype" | "mainstream" | "generic" | "configured" | "fallback"
    claims: tuple[Claim, ...]
    member_share_required: float


@dataclass(frozen=True)
class ValueStake:
    """What a segment is worth: its share and amount of the value column(s)."""

    columns: tuple[str, ...]
    label: str  # "purchases", "total spend"
    share: float  # of the all-customer total
    amount: float  # the segment's total


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
    naming: Naming | None = None
    value: ValueStake | None = None  # None when the table has no value column


def spend_share(profile: SegmentProfile) -> tuple[str | None, float | None]:
    """Return the column that counts as spend and the segment's share of its total (first value share else)."""
    if profile.value is not None:
        columns = profile.value.columns
        # several columns: the value's own label ("total spend") stands for the column (see value_shares)
        return (columns[0] if len(columns) == 1 else profile.value.label), profile.value.share
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
