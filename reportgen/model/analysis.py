"""Everything computed for one run; the report, summary and e-mail are views of it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from reportgen.model.advice import Recommendation
from reportgen.model.data import FeatureMatrix, LoadedTable
from reportgen.model.history import MonthOverMonth
from reportgen.model.kinds import KindWording, kind_wording
from reportgen.model.segments import (
    CategoryProfile,
    KSelection,
    PcaMap,
    Segmentation,
    SegmentProfile,
    Trust,
)


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
    trust: Trust | None = None  # how far to trust the segments (structure, stability, verdict)

    @property
    def wording(self) -> KindWording:
        """Return how the documents speak of this kind of input table."""
        return kind_wording(self.table.kind)

    def segment_names(self) -> dict[int, str]:
        """Return segment id -> name for this month's segments and, with history, the vanished ones.

        Ids persist across months, so these names label last month's segments too; a vanished segment keeps
        the name it had.
        """
        names = {p.id: p.name for p in self.profiles}
        if self.history is not None:
            names.update(self.history.vanished_names())
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
