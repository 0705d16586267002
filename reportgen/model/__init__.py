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
    CategoryHighlight,
    CategoryProfile,
    FeatureStat,
    KCandidate,
    KSelection,
    PcaMap,
    Segmentation,
    SegmentProfile,
    Trait,
    spend_share,
)

__all__ = [
    "ID",
    "Analysis",
    "CategoryHighlight",
    "CategoryProfile",
    "ChartImage",
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
    "PcaMap",
    "Recommendation",
    "ReportJob",
    "SegmentChange",
    "SegmentMatch",
    "SegmentProfile",
    "Segmentation",
    "Trait",
    "VanishedSegment",
    "rounded",
    "spend_share",
]
