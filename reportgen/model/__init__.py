"""The typed objects that cross module boundaries, in the order the data flows through them."""

from reportgen.model.advice import Recommendation
from reportgen.model.analysis import Analysis
from reportgen.model.data import (
    ID,
    ColumnStats,
    DataQuality,
    FeatureMatrix,
    FloatArray,
    Imputation,
    IntArray,
    LoadedTable,
)
from reportgen.model.documents import ChartImage, ReportJob
from reportgen.model.history import (
    FigureChange,
    Flow,
    Matching,
    Migration,
    MonthOverMonth,
    SegmentChange,
    SegmentMatch,
    VanishedSegment,
    rounded,
)
from reportgen.model.segments import (
    Claim,
    FeatureStat,
    KCandidate,
    KSelection,
    Naming,
    PcaMap,
    Segmentation,
    SegmentProfile,
    Trait,
    ValueStake,
    spend_share,
)

__all__ = [
    "ID",
    "Analysis",
    "ChartImage",
    "Claim",
    "ColumnStats",
    "DataQuality",
    "FeatureMatrix",
    "FeatureStat",
    "FigureChange",
    "FloatArray",
    "Flow",
    "Imputation",
    "IntArray",
    "KCandidate",
    "KSelection",
    "LoadedTable",
    "Matching",
    "Migration",
    "MonthOverMonth",
    "Naming",
    "PcaMap",
    "Recommendation",
    "ReportJob",
    "SegmentChange",
    "SegmentMatch",
    "SegmentProfile",
    "Segmentation",
    "Trait",
    "ValueStake",
    "VanishedSegment",
    "rounded",
    "spend_share",
]
