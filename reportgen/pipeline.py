"""The only place that sequences the steps: load -> features -> k -> segments -> profiles -> outputs."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen import __version__
from reportgen.analysis.categories import category_highlights, category_shares
from reportgen.parallel.runtime import Background, cpu_lanes, without_optional_module

# scikit-learn imports pandas, if installed, only to accept pandas inputs (0.2 s of a 4 s run; ours are NumPy
# arrays): let it see pandas as absent while it loads. Later imports of pandas are unaffected.
with without_optional_module("pandas"):
    from reportgen.analysis.cluster import (
        SCORING_SAMPLE,
        id_sample_rows,
        k_selection,
        segment_map,
        segmentation,
    )
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.kinds import current_period, data_kind
from reportgen.analysis.matching import (
    comparable,
    kept_names,
    model_document,
    model_json,
    month_over_month,
    names_still_true,
    report_named_model,
    segment_matching,
    stable_segments,
)
from reportgen.analysis.naming import configured_names
from reportgen.analysis.preparation import segment_ids
from reportgen.analysis.profile import guessed_value_note, segment_profiles, value_columns
from reportgen.analysis.recommend import archetype_names, load_playbook, recommendations
from reportgen.analysis.stability import segmentation_trust
from reportgen.analysis.summary import portable_summary, segments_csv, summary_document, summary_json
from reportgen.config import GENERIC_PLAYBOOK, SAMPLE_DATA, ClusterConfig, FeatureConfig, Settings
from reportgen.documents.brand import Brand, load_brand
from reportgen.engines.seam import chosen_engine
from reportgen.errors import InputError
from reportgen.formats import numbers_in
from reportgen.interrupts import RENDER_TIME_LIMIT_S, critical, time_limit
from reportgen.io.guards import refuse_formula_ids, refuse_unusable_values
from reportgen.io.load import MIN_CUSTOMERS_PER_SEGMENT, require_customers
from reportgen.io.period_folder import load_previous_model, saved_model
from reportgen.io.write import publish_period, write_atomic
from reportgen.model import (
    ID,
    Analysis,
    Engine,
    FeatureMatrix,
    FeatureStat,
    IntArray,
    KSelection,
    LoadedTable,
    PreviousModel,
    ReportJob,
    SavedModel,
    Segmentation,
)
from reportgen.model.catalog import PERIOD_FILES, SENT_FILE
from reportgen.period import Period, parse_period, period_of

if TYPE_CHECKING:
    import polars as pl

    from reportgen.parallel.worker import RenderWorker

GENERATOR = f"reportgen {__version__}"

Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """Discard a progress message."""
    return None


def stderr_progress() -> Progress:
    """Return a progress printer for a terminal: elapsed seconds and the step."""
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


class LocalEngine:
    """The steps on this machine: Polars and scikit-learn (see reportgen.model.Engine)."""

    def feature_matrix(self, table: LoadedTable, cfg: FeatureConfig, locale: str) -> FeatureMatrix:
        """Return the prepared matrix (analysis.features)."""
        return feature_matrix(table, cfg, locale)

    def scoring_rows(self, features: FeatureMatrix, seed: int) -> IntArray | None:
        """Return the rows k is chosen on: the customers with the smallest id keys (analysis.cluster)."""
        ids = features.customer_ids.to_list()
        return id_sample_rows(ids, len(ids), SCORING_SAMPLE, seed)

    def segmentation(
        self, features: FeatureMatrix, k: int, cfg: ClusterConfig, selection: KSelection, lanes: int
    ) -> Segmentation:
        """Return the final fit (analysis.cluster)."""
        return segmentation(features.X, k, cfg, selection, lanes)

    def segment_stats(
        self, features: FeatureMatrix, seg: Segmentation
    ) -> list[dict[str, FeatureStat]] | None:
        """Return None: the profiles measure their statistics themselves."""
        return None

    def extra_files(self, analysis: Analysis) -> dict[str, bytes]:
        """Return no extra files."""
        return {}


LOCAL = LocalEngine()


def data_path(settings: Settings, override: Path | None) -> Path:
    """Return the input path: --data, else the config's data.path, else the bundled sample."""
    if override is not None:
        return override
    if settings.data.path is not None:
        return settings.data.path
    kind = data_kind(settings)
    if not kind.sample:
        raise InputError(
            f'data.path: a {kind.wording.noun} is needed when data.kind = "{kind.name}" (or pass --data)'
        )
    return SAMPLE_DATA


def playbook_file(settings: Settings) -> Path:
    """Return the playbook in force: the configured one, else the bundled one for the data kind."""
    return settings.report.playbook if settings.report.playbook is not None else data_kind(settings).playbook


def loaded_table(
    settings: Settings, source: Path | pl.DataFrame, period: Period | None, name: str | None = None
) -> LoadedTable:
    """Read and validate the input table of the configured kind, from a file or a DataFrame.

    `period` None: a transaction log's period is the month of its last timestamp, a customer table's the
    current month. `name`: what messages and the report call the input (default: the file's name, or
    "DataFrame").
    """
    table = data_kind(settings).load(source, settings, period, name or "DataFrame")
    if name is not None and table.name != name:
        table = replace(table, name=name)
    refuse_unusable_values(table)
    refuse_formula_ids(table, settings.report.allow_formula_ids)
    return table


def engine_table(
    settings: Settings, source: Path | pl.DataFrame, period: Period | None, name: str | None = None
) -> tuple[LoadedTable, Engine]:
    """Return the loaded table and the engine that computes on it ([engine] kind: local, or Spark)."""
    module = chosen_engine(settings, "engine_table")
    if module is None:
        return loaded_table(settings, source, period, name), LOCAL
    table, engine = module.engine_table(settings, source, period, name)
    refuse_unusable_values(table)
    refuse_formula_ids(table, settings.report.allow_formula_ids)
    return table, engine


def table_period(table: LoadedTable, period: Period | None) -> Period:
    """Return the period a run reports on: the one asked for, else the one the data dates (see loaded_table)."""
    if period is not None:
        return period
    if table.kind == "transactions" and table.last_day is not None:
        return period_of(table.last_day)
    return current_period()


def config_hash(settings: Settings) -> str:
    """Return a short hash of the settings that shape the model (saved in model.json)."""
    doc = settings.as_dict()
    shaping = {key: doc[key] for key in ("data", "features", "clustering", "transactions")}
    shaping["data"] = {k: v for k, v in shaping["data"].items() if k != "path"}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def model_data_rules(settings: Settings, table: LoadedTable) -> dict[str, Any]:
    """Return model.json's "data": how the table was read, so `reportgen assign` reads new tables alike."""
    data = settings.data
    if table.kind == "transactions":
        tx = settings.transactions
        return {
            "kind": table.kind,
            "id_column": tx.customer,
            "numbered": False,
            "transactions": {f.name: getattr(tx, f.name) for f in fields(tx)},
        }
    return {
        "kind": table.kind,
        "id_column": data.id_column,
        "numbered": table.numbered,
        "features": list(data.features),
        "categorical": list(table.encoded),
        "dates": {c: f for c, f in data.dates.items() if c in data.features},
    }


def analyse(
    settings: Settings,
    path: Path,
    period: Period | str,
    progress: Progress = quiet,
    previous: PreviousModel | None = None,
) -> Analysis:
    """Run the analysis: load, prepare, choose k, segment, profile, name, recommend, compare months."""
    if isinstance(period, str):  # the library's edge: a caller may name the month as text
        period = parse_period(period)
    progress(f"loading {path}")
    table, engine = engine_table(settings, path, period)
    return table_analysis(settings, table, period, progress, previous, engine)


def table_analysis(
    settings: Settings,
    table: LoadedTable,
    period: Period,
    progress: Progress = quiet,
    previous: PreviousModel | None = None,
    engine: Engine = LOCAL,
) -> Analysis:
    """Analyse a loaded table: prepare, choose k, segment, profile, name, recommend, compare months.

    `engine`: where the preparation, the final fit and the profile statistics are computed.
    """
    # the traits, names and action texts written here carry numbers in the report's locale
    with numbers_in(settings.report.locale):
        return _table_analysis(settings, table, period, progress, previous, engine)


def _table_analysis(
    settings: Settings,
    table: LoadedTable,
    period: Period,
    progress: Progress = quiet,
    previous: PreviousModel | None = None,
    engine: Engine = LOCAL,
) -> Analysis:
    kind = data_kind(settings)
    cluster = settings.clustering
    require_customers(table, cluster.k_max, "clustering.k_max")
    if cluster.k is not None:
        require_customers(table, cluster.k, "--k / clustering.k", MIN_CUSTOMERS_PER_SEGMENT)
    progress(f"preparing features for {table.frame.height:,} customers")
    features = engine.feature_matrix(table, settings.features, settings.report.locale)
    if not features.used:
        raise InputError(
            f"{table.path}: every feature column holds a single value across all {table.frame.height:,} customers; "
            "nothing tells them apart: check the export or data.features"
        )
    lanes = cpu_lanes()  # the K-Means sweep and the silhouettes run side by side on the cores given
    previous_k = len(previous.ids) if previous is not None and comparable(previous, features) else None
    sample = engine.scoring_rows(features, cluster.random_state)  # the same customers on every engine
    selection = k_selection(features.X, cluster, progress, lanes, previous_k, settings.report.locale, sample)
    progress(f"fitting {selection.chosen_k} segments on every customer")
    fit = engine.segmentation(features, selection.chosen_k, cluster, selection, lanes)
    book = load_playbook(playbook_file(settings))
    names = {**kind.archetype_names, **archetype_names(book)}
    value = value_columns(features, settings.data.value)
    matching = segment_matching(previous, features, fit.labels) if previous is not None else None
    kept = kept_names(matching) if matching is not None else None
    measured = engine.segment_stats(features, fit)
    # the categorical values' shares per segment index, which a name may state ("Mostly Retail channel")
    levels = (
        category_shares(table.frame, table.categorical, fit.labels, tuple(range(fit.k)))
        if table.categorical
        else None
    )
    profiles = segment_profiles(
        features, fit, kind.archetypes, names, settings.data.labels, value, kept, measured, levels
    )
    if matching is not None:
        matching = names_still_true(matching, profiles, {int(i) for i in settings.report.names})
    pca = segment_map(features.X, fit.labels, features.used, cluster.random_state)
    rules = model_data_rules(settings, table)
    model = model_document(features, fit, profiles, config_hash(settings), period, matching, rules)
    seg, history = fit, None
    if previous is not None and matching is not None:
        progress(f"comparing with {previous.period}")
        stable = stable_segments(fit, profiles, pca, matching)
        # the user's names go by stable id, so they apply after matching and follow a segment across months
        stable = replace(stable, profiles=configured_names(stable.profiles, settings.report.names))
        seg, profiles, pca = stable.segmentation, stable.profiles, stable.pca
        history = month_over_month(previous, features.customer_ids, stable, matching)
    else:
        profiles = configured_names(profiles, settings.report.names)
    model = report_named_model(model, profiles)
    resampled = selection.stabilities.get(seg.k)
    trust = segmentation_trust(
        seg.silhouette,
        resampled.ari if resampled is not None else None,
        [p.id for p in profiles] if seg.stability else [],
        seg.stability,
    )
    guessed = guessed_value_note(value, settings.data.value, settings.data.labels)
    if guessed is not None:
        features = replace(
            features, quality=replace(features.quality, notes=(*features.quality.notes, guessed))
        )
    categories = None
    if levels is not None:
        if history is not None and matching is not None:  # measured by segment index, shown by stable id
            stable_ids = {matching.ids[i]: v for i, v in levels.segments.items()}
            levels = replace(levels, segments={p.id: stable_ids[p.id] for p in profiles})
        categories = category_highlights(levels, settings.data.labels, settings.report.locale)
    return Analysis(
        trust=trust,
        table=table,
        features=features,
        selection=selection,
        segmentation=seg,
        profiles=profiles,
        recommendations=recommendations(
            profiles,
            book,
            load_playbook(GENERIC_PLAYBOOK),
            settings.data.labels,
            categories=categories,
            locale=settings.report.locale,
            currency=settings.report.currency or None,
        ),
        pca=pca,
        history=history,
        model=model,
        categories=categories,
    )


@dataclass(frozen=True)
class RunResult:
    period_dir: Path
    analysis: Analysis
    renderer_stats: dict[str, float] = field(default_factory=dict)  # the render worker's own figures


def data_files(analysis: Analysis, period: Period, path: Path, settings: Settings) -> dict[str, bytes]:
    """Return the period's data files: summary.json, segments.csv and model.json."""
    from reportgen.documents.report_model.storyline import headline  # here: the documents' words

    document = summary_document(analysis, period=period, generator=GENERATOR, input_label=input_label(path))
    with numbers_in(settings.report.locale):
        # the report's key message, word for word, for the archive (which reads only summary.json)
        document["headline"] = headline(analysis, settings.data.labels)
    return {
        "summary.json": summary_json(document),
        "segments.csv": segments_csv(analysis),
        "model.json": model_json(analysis.model),
    }


# the data files the PDF embeds (PDF/A-3 attachments): the figures and the customer-to-segment list
PDF_ATTACHMENTS = ("summary.json", "segments.csv")


def report_job(
    analysis: Analysis,
    settings: Settings,
    brand: Brand,
    period: Period,
    data: Mapping[str, bytes] | None = None,
) -> ReportJob:
    """Return what the documents (PDF, HTML, briefing) are made from; `data`: the period's data files, of
    which the PDF embeds PDF_ATTACHMENTS."""
    embedded = dict(data or {})
    if "summary.json" in embedded:
        embedded["summary.json"] = portable_summary(embedded["summary.json"])
    attachments = tuple((name, embedded[name]) for name in PDF_ATTACHMENTS if name in embedded)
    return ReportJob(
        analysis=analysis,
        settings=settings,
        brand=brand,
        period=period,
        generator=GENERATOR,
        attachments=attachments,
    )


def ready_publishing(locale: str) -> None:
    """Load what publishing a period needs after its documents: the send record's module (the e-mail
    stack) and the archive page's template in the report's locale."""
    import reportgen.delivery.deliver  # noqa: F401
    from reportgen.documents.archive import ready_archive

    ready_archive(locale)


def period_files(
    analysis: Analysis,
    settings: Settings,
    brand: Brand,
    period: Period,
    out_dir: Path,
    path: Path,
    progress: Progress,
    renderer: RenderWorker | None = None,
) -> dict[str, bytes]:
    """Return every file of a period folder: report, summary, segments, model, briefing.

    With a render worker, the documents are made in the worker processes (from a view of the analysis without
    its per-customer tables) while this one makes the data files; without, everything is made here. Both give
    the same bytes.
    """
    data = data_files(analysis, period, path, settings)  # first: the PDF embeds two of them (a few ms)
    if renderer is None:
        from reportgen.documents.rendering import DrawnCharts, report_files

        job = report_job(analysis, settings, brand, period, data)
        progress("drawing charts")
        over = (
            f"error: the documents took longer than the render time limit ({RENDER_TIME_LIMIT_S:g} s); "
            "earlier output left as it was"
        )
        with time_limit(RENDER_TIME_LIMIT_S, over):  # the render workers have the same limit
            files = report_files(job, DrawnCharts(job), progress)
        files.update(data)
    else:
        renderer.render(report_job(analysis.report_view(), settings, brand, period, data), progress)
        # while the workers make the documents, a low-priority thread loads what this process needs after
        # them (the e-mail stack, the archive page's template): it runs once a core is free
        readying = Background(partial(ready_publishing, settings.report.locale))
        files = dict(data)
        files.update(renderer.result())
        readying.join()
    files = {name: files[name] for name in PERIOD_FILES}  # one order, whichever process made what
    from reportgen.delivery.deliver import (
        kept_send_record,  # here: the e-mail stack is not needed before this
    )

    kept = kept_send_record(out_dir / str(period), files["briefing.eml"])
    if kept is not None:  # re-running a period with an identical briefing must not allow a second send
        files[SENT_FILE] = kept
    return files


def run(
    settings: Settings,
    period: Period | str | None,
    out_dir: Path,
    data: Path | pl.DataFrame | None = None,
    progress: Progress = quiet,
    renderer: RenderWorker | None = None,
    name: str | None = None,
) -> RunResult:
    """Analyse the input and publish every output of the period atomically, then refresh the archive.

    `period` None: the period the data dates (see loaded_table). `data`: a file, a DataFrame or None for the
    configured / bundled file; `name`: what the report calls it (see loaded_table). `renderer`: a started
    render worker to make the documents in (the command line's way); None makes them in this process.
    """
    if isinstance(period, str):  # the library's edge: a caller may name the month as text
        period = parse_period(period)
    in_memory = data is not None and not isinstance(data, Path)
    source: Path | pl.DataFrame = (
        data if data is not None and not isinstance(data, Path) else data_path(settings, data)
    )
    brand = load_brand(settings.brand.file)  # a bad brand fails before any work
    progress(f"loading {(name or 'DataFrame') if in_memory else source}")
    table, steps = engine_table(settings, source, period, name)
    period = table_period(table, period)
    previous = load_previous_model(out_dir, period)
    analysis = table_analysis(settings, table, period, progress, previous, steps)
    path = table.path
    files = period_files(analysis, settings, brand, period, out_dir, path, progress, renderer)
    files.update(steps.extra_files(analysis))
    progress(f"publishing {out_dir / str(period)}")
    from reportgen.documents.archive import archive_index  # here: Jinja2 is not needed before this

    with critical(completes=True):  # a Ctrl-C now waits for the period and the index to be in place
        target = publish_period(out_dir, str(period), files)
        with numbers_in(settings.report.locale):
            index = archive_index(
                out_dir, brand.name, settings.report.title, brand.colors, logo_src=brand.logo_src
            )
        write_atomic(out_dir / "index.html", index.encode("utf-8"))
    stats = renderer.stats if renderer is not None else {}
    return RunResult(period_dir=target, analysis=analysis, renderer_stats=stats)


def model_read_settings(settings: Settings, model: SavedModel) -> Settings:
    """Return the settings that read a new table as the model's own was read (its kind, columns, dates).

    The model decides what is read; the configuration keeps what belongs to the file (the separator) and to
    the output (allow_formula_ids). Value and label keys are left out: assigning needs neither.
    """
    rules = model.rules
    if model.kind == "transactions":
        tx = replace(settings.transactions, **dict(rules.get("transactions", {})))
        return replace(settings, data=replace(settings.data, kind="transactions"), transactions=tx)
    data = replace(
        settings.data,
        kind="customers",
        id_column=model.id_column,
        features=tuple(str(c) for c in rules["features"]),
        categorical=tuple(str(c) for c in rules["categorical"]),
        dates={str(c): str(f) for c, f in dict(rules["dates"]).items()},
        labels={},
        value=(),
        fitted_by=model.path,
    )
    return replace(settings, data=data)


def assigned_segments(
    model: SavedModel, settings: Settings, source: Path | pl.DataFrame, label: str = "DataFrame"
) -> pl.DataFrame:
    """Return customer_id, segment_id, segment_name for a table's customers under a saved model (no refit).

    The table is read as the model's own was, with dates and a transaction log's recency counted to the end
    of the model's period, then prepared with the model's medians, transform and scaling.
    """
    import polars as pl

    table = loaded_table(model_read_settings(settings, model), source, model.period, label)
    prep = model.preparation
    absent = [c for c in prep.columns_needed if c not in table.frame.columns]
    if absent:
        raise InputError(
            f"{table.path}: the model {model.path} was fitted on {', '.join(absent)}, which the table does not "
            f"give; use a table with the columns of the {model.period} run"
        )
    columns = {c: table.frame.get_column(c).to_numpy() for c in prep.columns_needed}
    ids = pl.Series("segment_id", segment_ids(columns, model), dtype=pl.Int64)
    names = ids.replace_strict(list(model.ids), list(model.names), return_dtype=pl.String)
    return pl.DataFrame([table.frame.get_column(ID), ids, names.alias("segment_name")])


def assignments(
    settings: Settings,
    period: Period | str,
    out_dir: Path,
    data: Path | pl.DataFrame,
    label: str = "DataFrame",
) -> pl.DataFrame:
    """Return `reportgen assign`'s table: new customers placed in DIR/<period>'s segments by its model.json."""
    if isinstance(period, str):
        period = parse_period(period)
    model = saved_model(out_dir, period)
    engine = chosen_engine(settings, "assigned_segments")
    if engine is not None:
        read = model_read_settings(settings, model)  # the table is read as the model's own was
        frame: pl.DataFrame = engine.assigned_segments(model, read, data, label)
        return frame
    return assigned_segments(model, settings, data, label)


def assignments_csv(frame: pl.DataFrame) -> bytes:
    """Serialise assignments as segments.csv is serialised (UTF-8, LF, header first)."""
    return frame.write_csv().encode("utf-8")


def input_label(path: Path) -> str:
    """Return the input path as the summary shows it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
