"""The Python API: a segmentation report from a DataFrame or a file, with the same settings as reportgen.toml.

Follows the conventions of ydata-profiling (`ProfileReport(df).to_file("report.html")`) and Evidently
(`Report(...).run(...)`): build the report object from the data and settings, read what it computed, then write
or return the documents. In Jupyter the object shows the HTML report inline.

    from reportgen.api import SegmentReport
    report = SegmentReport(df, {"data": {"id_column": "ID", "features": ["Income", "MntWines"]}})
    report.summary["segments"][0]["name"]      # the summary.json document, as a dict
    report.assignments                          # customer_id, segment_id, segment_name (Polars)
    report.to_file("output")                    # output/<period>/report.pdf, report.html, ... as the CLI

The command line is a thin user of this class; the same data, settings and period give the same bytes.
"""

from __future__ import annotations

import html as html_escape
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from reportgen.config import Settings, check_schema, settings_from_dict
from reportgen.errors import InputError
from reportgen.model.catalog import SENT_FILE
from reportgen.period import Period, parse_period

if TYPE_CHECKING:
    from reportgen.model import Analysis
    from reportgen.parallel.worker import RenderWorker
    from reportgen.pipeline import Progress, RunResult

DataInput = Any  # a path (str or Path), a Polars DataFrame or LazyFrame, or a pandas DataFrame


def settings_of(settings: Settings | Mapping[str, Any] | None, base: Path | None = None) -> Settings:
    """Return validated Settings from a Settings object, a dict shaped like reportgen.toml, or None.

    A dict is checked exactly as the file is (unknown keys and wrong types are errors); its relative paths
    resolve against `base` (default: the working folder).
    """
    if settings is None:
        return Settings()
    if isinstance(settings, Settings):
        return settings
    raw = {section: dict(body) if isinstance(body, Mapping) else body for section, body in settings.items()}
    check_schema(raw, "settings")
    return settings_from_dict(raw, base=base or Path.cwd(), where="settings")


def frame_of(data: DataInput) -> pl.DataFrame | None:
    """Return the data as a Polars DataFrame when it is a table in memory; None when it is a path."""
    if isinstance(data, str | Path):
        return None
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    if type(data).__module__.split(".")[0] == "pandas":
        # the index is not a column (a default RangeIndex holds nothing); a named index is kept as one
        named = any(name is not None for name in getattr(data.index, "names", [None]))
        return pl.from_pandas(data, include_index=named)
    raise InputError(f"data: expected a file path, a Polars or a pandas DataFrame, got {type(data).__name__}")


def _label(data: DataInput) -> str:
    if isinstance(data, pl.DataFrame | pl.LazyFrame):
        return "Polars DataFrame"
    return "pandas DataFrame"


class SegmentReport:
    """A customer-segmentation report of one table: the analysis on first use, the documents on request.

    `data`: a path (CSV, gzip CSV or Parquet), a Polars DataFrame / LazyFrame or a pandas DataFrame.
    `settings`: a Settings object or a dict with the sections and keys of reportgen.toml.
    `period`: the reporting month "YYYY-MM" (default: the month of a transaction log's last timestamp, else
    the current month). `k`: fix the number of segments. `name`: what the report calls its input (default:
    the file's name; for a DataFrame "pandas DataFrame" or "Polars DataFrame"). A DataFrame of a file's data,
    named after the file, gives the command line's documents on that file byte for byte; summary.json then
    differs only in `input.path` and `input.sha256`, which are null for a table that is not a file.
    """

    def __init__(
        self,
        data: DataInput | None = None,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        period: Period | str | None = None,
        k: int | None = None,
        name: str | None = None,
    ) -> None:
        from reportgen.config import with_k

        resolved = settings_of(settings)
        self.settings = with_k(resolved, k) if k is not None else resolved
        self._frame = frame_of(data) if data is not None else None
        self._path = None if data is None or self._frame is not None else Path(data)
        self._name = name if name is not None or self._frame is None else _label(data)
        self._period = parse_period(period) if isinstance(period, str) else period
        self._analysis: Analysis | None = None
        self._result: RunResult | None = None
        self._documents: dict[str, bytes] | None = None

    # --- the analysis ------------------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> SegmentReport:
        """Run the analysis now (it otherwise runs on first use) and return the report."""
        if self._analysis is None:
            from reportgen import pipeline

            say = progress or pipeline.quiet
            source = self._source()
            table = pipeline.loaded_table(self.settings, source, self._period, self._name)
            self._period = pipeline.table_period(table, self._period)
            self._analysis = pipeline.table_analysis(self.settings, table, self._period, say)
        return self

    @property
    def period(self) -> Period:
        """Return the reporting month (prints as YYYY-MM)."""
        self.run()
        assert self._period is not None
        return self._period

    @property
    def analysis(self) -> Analysis:
        """Return everything computed: table, features, k selection, segmentation, profiles, advice."""
        self.run()
        assert self._analysis is not None
        return self._analysis

    @property
    def summary(self) -> dict[str, Any]:
        """Return the summary.json document as a dict (segments, k selection, quality, data quality)."""
        import json

        return dict(json.loads(self._data_files()["summary.json"]))

    @property
    def segments(self) -> list[dict[str, Any]]:
        """Return the segments as summary.json lists them: id, name, size, share, profile, traits, ..."""
        return list(self.summary["segments"])

    @property
    def assignments(self) -> pl.DataFrame:
        """Return one row per customer: customer_id, segment_id, segment_name (and RFM figures for a log)."""
        from reportgen.analysis.summary import segments_table

        return segments_table(self.analysis)

    # --- the documents -----------------------------------------------------------------------------------

    def files(self) -> dict[str, bytes]:
        """Return every file of the period folder, by name, without writing any (no month-over-month)."""
        if self._documents is None:
            from reportgen import pipeline
            from reportgen.documents.brand import load_brand

            brand = load_brand(self.settings.brand.file)
            self._documents = pipeline.period_files(
                self.analysis,
                self.settings,
                brand,
                self.period,
                Path("."),
                self.analysis.table.path,
                pipeline.quiet,
            )
            self._documents.pop(SENT_FILE, None)  # a send record belongs to a published folder
        return dict(self._documents)

    def to_html(self) -> str:
        """Return the self-contained HTML report."""
        return self.files()["report.html"].decode("utf-8")

    def to_pdf(self) -> bytes:
        """Return the PDF report."""
        return self.files()["report.pdf"]

    def to_file(
        self,
        out_dir: str | Path = "output",
        progress: Progress | None = None,
        renderer: RenderWorker | None = None,
    ) -> Path:
        """Write the period folder into `out_dir` exactly as `reportgen run` does, and return it.

        An earlier period in `out_dir` is compared with (segment ids kept, movement reported), the archive
        index is refreshed, and nothing is half-written on error. `renderer`: a started render worker.
        """
        from reportgen import pipeline

        data: Path | pl.DataFrame | None = self._frame if self._frame is not None else self._path
        result = pipeline.run(
            self.settings,
            self._period,
            Path(out_dir),
            data,
            progress or pipeline.quiet,
            renderer,
            self._name,
        )
        self._result, self._analysis = result, result.analysis
        self._period = parse_period(result.period_dir.name)
        self._documents = None
        return result.period_dir

    def _repr_html_(self) -> str:
        """Show the HTML report inline in Jupyter, in a frame so its styles stay its own."""
        page = self.to_html()
        return (
            '<iframe style="width:100%;height:720px;border:1px solid #ddd" sandbox="allow-same-origin" '
            f'srcdoc="{html_escape.escape(page, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        source = self._name or str(self._path or "the configured data")
        done = "analysed" if self._analysis is not None else "not run yet"
        return f"SegmentReport({source}, period={self._period or 'default'}, {done})"

    # --- helpers -----------------------------------------------------------------------------------------

    def _source(self) -> Path | pl.DataFrame:
        from reportgen import pipeline

        if self._frame is not None:
            return self._frame
        return pipeline.data_path(self.settings, self._path)

    def _data_files(self) -> dict[str, bytes]:
        from reportgen import pipeline

        return pipeline.data_files(self.analysis, self.period, self.analysis.table.path, self.settings)
