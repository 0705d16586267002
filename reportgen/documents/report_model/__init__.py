"""Analysis + charts + brand -> ReportModel: every string and number the template displays, prepared."""

from reportgen.documents.report_model.appendix import Appendix, ProfileRow
from reportgen.documents.report_model.changes import (
    TOP_FLOWS,
    Changes,
    FlowRow,
    SizeChangeRow,
    changes_section,
)
from reportgen.documents.report_model.figures import (
    CHART_SCHEME,
    Figure,
    chart_content,
    chart_frame_uri,
    chart_lookup,
    figure,
)
from reportgen.documents.report_model.methodology import CandidateRow, Methodology, MissingRow, QualityMetric
from reportgen.documents.report_model.prose import heatmap_caption, map_caption
from reportgen.documents.report_model.report import BrandStyle, ContentsEntry, ReportModel, report_model
from reportgen.documents.report_model.segments import (
    DAY_FEATURES,
    PERCENT_FEATURES,
    RecommendationItem,
    SegmentPage,
    TraitRow,
    measure_unit,
)
from reportgen.documents.report_model.settings_text import config_text
from reportgen.documents.report_model.summary import TOP_ACTIONS, Action, Headline, SegmentParagraph

__all__ = [
    "CHART_SCHEME",
    "DAY_FEATURES",
    "PERCENT_FEATURES",
    "TOP_ACTIONS",
    "TOP_FLOWS",
    "Action",
    "Appendix",
    "BrandStyle",
    "CandidateRow",
    "Changes",
    "ContentsEntry",
    "Figure",
    "FlowRow",
    "Headline",
    "Methodology",
    "MissingRow",
    "ProfileRow",
    "QualityMetric",
    "RecommendationItem",
    "ReportModel",
    "SegmentPage",
    "SegmentParagraph",
    "SizeChangeRow",
    "TraitRow",
    "changes_section",
    "chart_content",
    "chart_frame_uri",
    "chart_lookup",
    "config_text",
    "figure",
    "heatmap_caption",
    "map_caption",
    "measure_unit",
    "report_model",
]
