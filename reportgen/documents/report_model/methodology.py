"""The methodology section: data read, missing values, features, choice of k, quality metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.config import CC_FEATURES
from reportgen.documents.formats import decimal, measure, money, percent, thousands
from reportgen.documents.report_model.figures import Figure, figure
from reportgen.documents.report_model.prose import ch_reading, db_reading, silhouette_reading
from reportgen.model import (
    Analysis,
    ChartImage,
    DataQuality,
    KSelection,
    Segmentation,
    stability_reading,
)
from reportgen.model.columns import AMOUNT_COLUMNS, feature_label


@dataclass(frozen=True)
class MissingRow:
    column: str
    missing: int
    share: float
    handling: str
    label: str = ""  # the column's readable name; the raw name stays beside it for the data team


@dataclass(frozen=True)
class CandidateRow:
    k: int
    inertia: float
    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    chosen: bool
    stability: float | None = None  # mean adjusted Rand over resamples; None where not resampled


@dataclass(frozen=True)
class QualityMetric:
    name: str
    value: float | None
    better: str  # how to read the value, as a sentence: "Higher is better; ..."
    reading: str


@dataclass(frozen=True)
class Methodology:
    source_text: str  # the first sentence: what was read, in the words of the data kind
    features_intro: str  # what describes each customer, in the words of the data kind
    rows: int
    customers: int
    dropped_rows: int
    dropped_columns: tuple[str, ...]
    missing: tuple[MissingRow, ...]
    notes: tuple[str, ...]
    rules: tuple[tuple[str, int], ...]
    features_used: tuple[str, ...]  # readable labels, in the order used
    engineered: tuple[str, ...]  # readable labels of the derived features
    transform_text: str
    chosen_k: int
    reason: str
    sampling_note: str
    candidates: tuple[CandidateRow, ...]
    elbow: Figure | None
    silhouette: Figure | None
    metrics: tuple[QualityMetric, ...]
    verdict: str = ""  # how far to trust the segments, in one sentence
    # per segment: name, mean Jaccard with its best resample match, reading
    segment_stability: tuple[tuple[str, float, str], ...] = ()


def _handling(column: str, quality: DataQuality, locale: str | None, currency: str | None) -> str:
    if column in quality.imputed:
        imp = quality.imputed[column]
        if currency and column in AMOUNT_COLUMNS:  # a median amount is money, in the report's currency
            value = measure(imp.value, "amount", locale, currency)
        else:
            value = money(imp.value, locale) if abs(imp.value) >= 100 else decimal(imp.value, locale=locale)
        return f"replaced by the {imp.method} ({value})"
    if column in quality.dropped_columns:
        return "column left out of the analysis"
    return "rows without a value left out"


def _missing_rows(
    quality: DataQuality, labels: Mapping[str, str], locale: str | None = None, currency: str | None = None
) -> tuple[MissingRow, ...]:
    rows = max(quality.rows, 1)
    return tuple(
        MissingRow(
            col, n, n / rows, _handling(col, quality, locale, currency), labels.get(col, feature_label(col))
        )
        for col, n in sorted(quality.missing.items())
    )


def _stability_metric(selection: KSelection, k: int) -> QualityMetric | None:
    measured = selection.stabilities.get(k)
    if measured is None:
        return None
    stable = sum(1 for j in measured.jaccard if stability_reading(j) == "stable")
    return QualityMetric(
        "Resampling stability",
        measured.ari,
        "Higher is better; 1 means the same segments on every resample",
        f"The mean adjusted Rand index between this segmentation and fits on {measured.resamples} random "
        f"{percent(0.8, 0)} samples of the customers; {stable} of {k} segments are stable (mean Jaccard with "
        f"their best match {decimal(0.75)} or more, the clusterboot reading).",
    )


def _metrics(seg: Segmentation, selection: KSelection) -> tuple[QualityMetric, ...]:
    stability = _stability_metric(selection, seg.k)
    return (*((stability,) if stability is not None else ()), *_separation_metrics(seg, selection))


def _separation_metrics(seg: Segmentation, selection: KSelection) -> tuple[QualityMetric, ...]:
    return (
        QualityMetric(
            "Silhouette score",
            seg.silhouette,
            "Higher is better; ranges from −1 to 1",
            silhouette_reading(seg.silhouette),
        ),
        QualityMetric(
            "Calinski-Harabasz index",
            seg.calinski_harabasz,
            "Higher is better; no fixed scale",
            ch_reading(seg.calinski_harabasz, selection),
        ),
        QualityMetric(
            "Davies-Bouldin index",
            seg.davies_bouldin,
            "Lower is better; 0 is the best possible",
            db_reading(seg.davies_bouldin),
        ),
    )


def methodology_section(
    analysis: Analysis,
    charts: Mapping[str, ChartImage],
    labels: Mapping[str, str],
    *,
    locale: str | None = None,
    currency: str | None = None,
) -> Methodology:
    quality = analysis.features.quality
    fm = analysis.features
    sel = analysis.selection
    if fm.transform == "log1p" and fm.transformed:
        transform = (
            f"log(1 + x) applied to {len(fm.transformed)} skewed, non-negative features to damp extreme "
            "values, then every feature standardised (mean 0, standard deviation 1)."
        )
    else:
        transform = "No transform; every feature standardised (mean 0, standard deviation 1)."
    sampling = f"Candidates were fitted on {thousands(sel.scored_rows)} customers"
    sampling += (
        f"; silhouette scores on a seeded random sample of {thousands(sel.silhouette_rows)}."
        if sel.sampled
        else f"; silhouette scores on all {thousands(sel.silhouette_rows)}."
    )
    elbow, sil = charts.get("elbow"), charts.get("silhouette")
    used = len(fm.used)
    words = analysis.wording
    source = words.source.format(rows=thousands(quality.rows), customers=thousands(quality.customers))
    # "account data" is the credit-card table's; any other table is just "the table"
    table = "account data" if set(fm.input_features) & set(CC_FEATURES) else "table"
    intro = words.features_intro.format(used=used, table=table)
    if fm.indicators is not None and fm.indicators.columns:
        intro += (
            " Categorical columns enter as one 0/1 column per value, scaled so each categorical column "
            "weighs as much as one numeric column."
        )
    return Methodology(
        source_text=source,
        features_intro=intro,
        rows=quality.rows,
        customers=quality.customers,
        dropped_rows=quality.dropped_rows,
        dropped_columns=tuple(quality.dropped_columns),
        missing=_missing_rows(quality, labels, locale, currency),
        notes=tuple(quality.notes),
        rules=tuple(sorted(quality.rules.items())),
        features_used=tuple(labels.get(f, feature_label(f)) for f in fm.used),
        engineered=tuple(labels.get(f, feature_label(f)) for f in fm.engineered),
        transform_text=transform,
        chosen_k=sel.chosen_k,
        reason=sel.reason,
        sampling_note=sampling,
        candidates=tuple(
            CandidateRow(
                c.k,
                c.inertia,
                c.silhouette,
                c.calinski_harabasz,
                c.davies_bouldin,
                c.k == sel.chosen_k,
                c.stability,
            )
            for c in sel.candidates
        ),
        elbow=figure(elbow) if elbow else None,
        silhouette=figure(sil) if sil else None,
        metrics=_metrics(analysis.segmentation, sel),
        verdict=analysis.trust.verdict if analysis.trust is not None else "",
        segment_stability=tuple(
            (analysis.segment_names().get(s.id, f"segment {s.id}"), s.stability, s.reading)
            for s in (analysis.trust.segments if analysis.trust is not None else ())
        ),
    )
