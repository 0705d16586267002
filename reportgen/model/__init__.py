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
from reportgen.model.history import FigureChange, MonthOverMonth, SegmentChange, rounded
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
    "Imputation",
    "IntArray",
    "KCandidate",
    "KSelection",
    "LoadedTable",
    "MonthOverMonth",
    "PcaMap",
    "Recommendation",
    "ReportJob",
    "SegmentChange",
    "SegmentProfile",
    "Segmentation",
    "Trait",
    "rounded",
    "spend_share",
]
