"""What a compute engine provides in place of the local steps: the contract between pipeline and engines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reportgen.config import ClusterConfig, FeatureConfig
    from reportgen.model.analysis import Analysis
    from reportgen.model.data import FeatureMatrix, IntArray, LoadedTable
    from reportgen.model.segments import FeatureStat, KSelection, Segmentation


class Engine(Protocol):
    """The steps an engine computes where the data is; k, names, advice and documents stay local.

    Each returns what the local step returns for the same input (statistics to 1e-9 relative), so the rest of
    the analysis and every document are made by the same code whichever engine ran.
    """

    def feature_matrix(self, table: LoadedTable, cfg: FeatureConfig, locale: str) -> FeatureMatrix:
        """Return the prepared matrix: imputation, ratios, transform and scaling measured on every row
        (the data-quality notes' numbers in `locale`)."""
        ...

    def scoring_rows(self, features: FeatureMatrix, seed: int) -> IntArray | None:
        """Return the rows k is chosen on (None: every row): the same customers on every engine."""
        ...

    def segmentation(
        self, features: FeatureMatrix, k: int, cfg: ClusterConfig, selection: KSelection, lanes: int
    ) -> Segmentation:
        """Return the final fit on every row, numbered by the documented rule."""
        ...

    def segment_stats(
        self, features: FeatureMatrix, seg: Segmentation
    ) -> list[dict[str, FeatureStat]] | None:
        """Return each segment's column statistics (None: measure them locally)."""
        ...

    def extra_files(self, analysis: Analysis) -> dict[str, bytes]:
        """Return the files this engine adds to the period folder (relative path -> bytes)."""
        ...
