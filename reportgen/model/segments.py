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
    smallest_share: float | None = None  # the smallest segment's share of the scored customers
    stability: float | None = None  # mean adjusted Rand index over resamples; None where not scored


@dataclass(frozen=True)
class KStability:
    """The resampling stability of one K-Means fit."""

    k: int
    ari: float  # mean adjusted Rand index between the full fit and each resample's fit
    jaccard: tuple[float, ...]  # per label of the full fit: mean Jaccard with its best resample match
    resamples: int
    rows: int  # the rows each resample's fit was compared over


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
    previous_k: int | None = None  # the k of the earlier period the choice started from
    stabilities: dict[int, KStability] = field(default_factory=dict)  # the k that were resampled
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
    stability: tuple[float, ...] = ()  # per segment id: mean Jaccard with its best resample match; () = off


# clusterboot's readings of a segment's mean Jaccard similarity (Hennig 2007)
STABLE_JACCARD = 0.75
FAIRLY_STABLE_JACCARD = 0.6


def stability_reading(jaccard: float) -> str:
    """Return clusterboot's reading of a segment's mean Jaccard similarity."""
    if jaccard >= STABLE_JACCARD:
        return "stable"
    if jaccard >= FAIRLY_STABLE_JACCARD:
        return "fairly stable"
    return "unstable"


# Kaufman and Rousseeuw's reading of the average silhouette width (Finding Groups in Data, 1990)
STRUCTURE_READINGS: tuple[tuple[float, str], ...] = ((0.70, "strong"), (0.50, "reasonable"), (0.25, "weak"))


def structure_reading(silhouette: float | None) -> str:
    """Return the Kaufman-Rousseeuw reading of a silhouette: strong, reasonable, weak or none."""
    if silhouette is None:
        return "none"
    return next((word for floor, word in STRUCTURE_READINGS if silhouette > floor), "none")


@dataclass(frozen=True)
class SegmentTrust:
    """How far one segment holds up under resampling, as a reading and in words."""

    id: int
    stability: float  # mean Jaccard similarity with its best match across resamples
    reading: str  # "stable" | "fairly stable" | "unstable" (clusterboot's readings)
    text: str  # one sentence for the segment's page


@dataclass(frozen=True)
class Trust:
    """How far to trust the segmentation: the structure and stability readings and the verdict sentence."""

    structure: str  # "strong" | "reasonable" | "weak" | "none" (Kaufman-Rousseeuw reading of the silhouette)
    stability: float | None  # the chosen k's mean adjusted Rand index; None when resampling is off
    verdict: str  # one plain sentence: the readings and what the segments can be used for
    segments: tuple[SegmentTrust, ...] = ()  # in segment id order; () when resampling is off

    def for_segment(self, segment_id: int) -> SegmentTrust | None:
        """Return one segment's stability, or None when it was not measured."""
        return next((s for s in self.segments if s.id == segment_id), None)


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
    flag: bool = False  # a 0/1 column: the means are shares of customers with the flag


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

    def traits_by_lift(self) -> tuple[Trait, ...]:
        """Return the traits largest ratio to the average first: the one order of the traits chart, the
        table beside it and its text alternative (`traits` keeps the naming's order, defining trait first)."""
        return tuple(sorted(self.traits, key=lambda t: -t.lift))


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

    def shares_of(self, segment: int) -> dict[str, dict[str, float]]:
        """Return a segment's value shares per column (empty for a segment with none): what its page lists."""
        return self.segments.get(segment, {})
