"""The only place that sequences the steps: load -> features -> k -> segments -> profiles -> outputs."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from reportgen import __version__
from reportgen.archive import archive_index
from reportgen.brand import Brand, load_brand
from reportgen.charts import (
    chart_theme,
    report_charts,
    segment_sizes_alt,
    segment_sizes_chart,
    sizes_height,
    to_png_image,
)
from reportgen.cluster import k_selection, segment_map, segmentation
from reportgen.config import SAMPLE_DATA, Settings, playbook_path
from reportgen.deliver import briefing_content, briefing_message, eml_bytes, kept_send_record
from reportgen.errors import InputError
from reportgen.features import feature_label, feature_matrix
from reportgen.io.load import load_customers, require_customers
from reportgen.io.write import publish_period, write_atomic
from reportgen.models import ID, Analysis, LoadedTable, MonthOverMonth
from reportgen.pdf import pdf_bytes, pdf_metadata
from reportgen.profile import ARCHETYPE_NAMES, Scorer, card_archetype_scores, segment_profiles
from reportgen.recommend import archetype_names, load_playbook, recommendations
from reportgen.render import render_html
from reportgen.report import changes_section, report_model
from reportgen.stability import (
    PreviousModel,
    change_sentences,
    load_previous_model,
    matched_profiles,
    migration,
    model_document,
    model_json,
    segment_changes,
    segment_matching,
    stable_labels,
)
from reportgen.summary import segments_csv, summary_document, summary_json

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
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


def period_end(period: str) -> date:
    """Return the last day of a YYYY-MM period, validating it."""
    m = PERIOD_RE.match(period)
    if not m:
        raise InputError(f"--period: expected a month as YYYY-MM (e.g. 2026-11), got {period!r}")
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, calendar.monthrange(year, month)[1])


def data_path(settings: Settings, override: Path | None) -> Path:
    """Return the input path: --data, else the config's data.path, else the bundled sample."""
    if override is not None:
        return override
    if settings.data.path is not None:
        return settings.data.path
    if settings.data.kind == "transactions":
        raise InputError(
            'data.path: a transaction log is needed when data.kind = "transactions" (or pass --data)'
        )
    return SAMPLE_DATA


def loaded_table(settings: Settings, path: Path, period: str) -> LoadedTable:
    """Read and validate the input table of the configured kind."""
    if settings.data.kind == "transactions":
        from reportgen.io.transactions import load_transactions

        return load_transactions(path, settings.transactions, period_end(period))
    return load_customers(path, settings.data)


def config_hash(settings: Settings) -> str:
    """Return a short hash of the settings that shape the model (saved in model.json)."""
    doc = settings.as_dict()
    shaping = {key: doc[key] for key in ("data", "features", "clustering", "transactions")}
    shaping["data"] = {k: v for k, v in shaping["data"].items() if k != "path"}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def analyse(
    settings: Settings,
    path: Path,
    period: str,
    progress: Progress = quiet,
    previous: PreviousModel | None = None,
) -> Analysis:
    """Run the analysis: load, prepare, choose k, segment, profile, name, recommend, compare months."""
    progress(f"loading {path}")
    table = loaded_table(settings, path, period)
    cluster = settings.clustering
    if cluster.k is not None and cluster.k > cluster.k_max:
        require_customers(table, cluster.k, "--k / clustering.k")
    else:
        require_customers(table, cluster.k_max, "clustering.k_max")
    progress(f"preparing features for {table.frame.height:,} customers")
    features = feature_matrix(table, settings.features)
    selection = k_selection(features.X, cluster, progress)
    progress(f"fitting {selection.chosen_k} segments on every customer")
    fit = segmentation(features.X, selection.chosen_k, cluster, selection)
    book = load_playbook(playbook_path(settings))
    scorer, names = _naming_rules(table.kind)
    profiles = segment_profiles(features, fit, scorer, {**names, **archetype_names(book)})
    pca = segment_map(features.X, fit.labels, features.used, cluster.random_state)
    matching = segment_matching(previous, features, fit.labels) if previous is not None else None
    model = model_document(features, fit, profiles, config_hash(settings), period, matching)
    seg, history = fit, None
    if previous is not None and matching is not None:
        progress(f"comparing with {previous.period}")
        ids = stable_labels(fit.labels, matching)
        order = sorted(range(fit.k), key=lambda label: matching.ids[label])
        seg = replace(fit, labels=ids, centroids=fit.centroids[order])
        profiles = matched_profiles(profiles, matching)
        pca = replace(pca, labels=ids)
        current = pl.DataFrame({ID: features.customer_ids, "segment_id": ids})
        moves = migration(previous.assignments, current, previous.period)
        changes = segment_changes(previous.summary_segments, profiles)
        history = MonthOverMonth(
            from_period=previous.period,
            migration=moves,
            matching=matching.as_dict(),
            changes=changes,
            sentences=change_sentences(moves, changes, matching),
        )
    return Analysis(
        table=table,
        features=features,
        selection=selection,
        segmentation=seg,
        profiles=profiles,
        recommendations=recommendations(profiles, book),
        pca=pca,
        history=history,
        model=model,
    )


def _naming_rules(kind: str) -> tuple[Scorer, dict[str, str]]:
    if kind == "transactions":
        from reportgen.rfm import RFM_ARCHETYPE_NAMES, rfm_archetype_scores

        return rfm_archetype_scores, dict(RFM_ARCHETYPE_NAMES)
    return card_archetype_scores, dict(ARCHETYPE_NAMES)


@dataclass(frozen=True)
class RunResult:
    period_dir: Path
    analysis: Analysis


def period_files(
    analysis: Analysis,
    settings: Settings,
    brand: Brand,
    period: str,
    out_dir: Path,
    path: Path,
    progress: Progress,
) -> dict[str, bytes]:
    """Return every file of a period folder: report, summary, segments, model, briefing."""
    document = summary_document(analysis, period=period, generator=GENERATOR, input_label=input_label(path))
    progress("drawing charts")
    theme = chart_theme(brand.colors, tuple(brand.palette.values()))
    labels = {c: feature_label(c) for c in analysis.features.raw.columns}
    charts = report_charts(analysis, theme, labels)
    history = analysis.history
    changes = None
    if history is not None:
        names = {p.id: p.name for p in analysis.profiles}
        names.update({int(v["id"]): str(v["name"]) for v in history.matching.get("vanished", [])})
        chart = next((c for c in charts if c.name == "migration"), None)
        changes = changes_section(history.migration, names, chart)
    model = report_model(
        analysis, charts, brand, settings.report.title, period, GENERATOR, settings.as_dict(), changes=changes
    )
    progress("writing the HTML and PDF report")
    html = render_html(model, target="html").encode("utf-8")
    pdf = pdf_bytes(render_html(model, target="pdf"), metadata=pdf_metadata(model))
    progress("writing the e-mail briefing")
    # the briefing chart is drawn narrower with larger text: mail clients on phones shrink it to fit
    mail_theme = replace(theme, label_size=13, title_size=16)
    mail_charts = [
        to_png_image(
            segment_sizes_chart(analysis.profiles, mail_theme, width=420),
            "sizes",
            "Segment sizes",
            segment_sizes_alt(analysis.profiles),
            420,
            sizes_height(analysis.profiles, mail_theme, 420),
        )
    ]
    briefing = briefing_content(
        analysis,
        period,
        brand_name=brand.name,
        archive_url=settings.email.archive_url,
        title=settings.report.title,
        changes=history.changes if history is not None else (),
        change_sentences=history.sentences if history is not None else (),
        colors=brand.colors,
    )
    eml = eml_bytes(
        briefing_message(briefing, mail_charts, pdf, settings.email.sender, settings.email.recipients)
    )
    files = {
        "report.pdf": pdf,
        "report.html": html,
        "summary.json": summary_json(document),
        "segments.csv": segments_csv(analysis),
        "model.json": model_json(analysis.model),
        "briefing.eml": eml,
    }
    kept = kept_send_record(out_dir / period, eml)
    if kept is not None:  # re-running a period with an identical briefing must not allow a second send
        files["sent.json"] = kept
    return files


def run(
    settings: Settings,
    period: str,
    out_dir: Path,
    data: Path | None = None,
    progress: Progress = quiet,
) -> RunResult:
    """Analyse the input and publish every output of the period atomically, then refresh the archive."""
    period_end(period)
    path = data_path(settings, data)
    brand = load_brand(settings.brand.file)  # a bad brand fails before any work
    previous = load_previous_model(out_dir, period)
    analysis = analyse(settings, path, period, progress, previous)
    files = period_files(analysis, settings, brand, period, out_dir, path, progress)
    progress(f"publishing {out_dir / period}")
    target = publish_period(out_dir, period, files)
    index = archive_index(out_dir, brand.name, settings.report.title, brand.colors)
    write_atomic(out_dir / "index.html", index.encode("utf-8"))
    return RunResult(period_dir=target, analysis=analysis)


def input_label(path: Path) -> str:
    """Return the input path as the summary shows it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
