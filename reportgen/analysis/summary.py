"""summary.json and segments.csv: the machine-readable views of an analysis."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from reportgen.model import ID, Analysis, KCandidate
from reportgen.period import Period

SCHEMA_VERSION = 1
RFM_COLUMNS = ("r_score", "f_score", "m_score", "rfm_score")
# the figures behind the scores, for a CRM: whole days, purchase invoices, net spend
RFM_VALUES = ("recency_days", "frequency", "monetary")


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def _candidate(c: KCandidate) -> dict[str, Any]:
    return {
        "k": c.k,
        "inertia": _r(c.inertia, 4),
        "silhouette": _r(c.silhouette),
        "calinski_harabasz": _r(c.calinski_harabasz, 4),
        "davies_bouldin": _r(c.davies_bouldin),
    }


def summary_document(
    analysis: Analysis, *, period: Period, generator: str, input_label: str
) -> dict[str, Any]:
    """Return the summary.json content for an analysis (SPEC field names; more fields may follow)."""
    fm = analysis.features
    q = fm.quality
    sel = analysis.selection
    seg = analysis.segmentation
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "period": str(period),
        "generator": generator,
        "kind": analysis.table.kind,
        "input": {
            "path": input_label,
            "sha256": analysis.table.sha256,
            "rows": analysis.table.rows,
            "customers": q.customers,
        },
        "data_quality": {
            "missing": q.missing,
            "imputed": {
                c: {"method": i.method, "value": _r(i.value), "count": i.count} for c, i in q.imputed.items()
            },
            "dropped_rows": q.dropped_rows,
            "dropped_columns": list(q.dropped_columns),
            "rules": q.rules,
            "notes": list(q.notes),
        },
        "features": {
            "used": list(fm.used),
            "engineered": list(fm.engineered),
            "transform": fm.transform,
            "transformed": list(fm.transformed),
        },
        "k_selection": {
            "method": sel.method,
            "chosen_k": sel.chosen_k,
            "reason": sel.reason,
            "elbow_k": sel.elbow_k,
            "rule": "silhouette within 10% of the best, nearest the kneedle elbow; ties: lower Davies-Bouldin",
            "scored_rows": sel.scored_rows,
            "silhouette_rows": sel.silhouette_rows,
            "sampled": sel.sampled,
            "candidates": [_candidate(c) for c in sel.candidates],
        },
        "quality": {
            "silhouette": _r(seg.silhouette),
            "calinski_harabasz": _r(seg.calinski_harabasz, 4),
            "davies_bouldin": _r(seg.davies_bouldin),
            "inertia": _r(seg.inertia, 4),
        },
        "pca": {"explained_variance": [_r(v) for v in analysis.pca.explained_variance]},
        "segments": [
            {
                "id": p.id,
                "name": p.name,
                "archetype": p.archetype,
                "size": p.size,
                "share": _r(p.share),
                "value_shares": {c: _r(v) for c, v in p.value_shares.items()},
                "profile": {
                    c: {"mean": _r(s.mean, 4), "median": _r(s.median, 4), "lift": _r(s.lift, 4)}
                    for c, s in p.stats.items()
                },
                "traits": [t.text for t in p.traits],
                **_categories(analysis, p.id),
                "recommendations": [f"{r.title}: {r.text}" for r in analysis.recommendations_for(p.id)],
            }
            for p in analysis.profiles
        ],
    }
    if analysis.categories is not None:
        document["categories"] = {
            c: {v: _r(share) for v, share in values.items()}
            for c, values in analysis.categories.overall.items()
        }
    history = analysis.history
    if history is not None:
        document["migration"] = history.migration.as_dict()
        document["segment_matching"] = history.matching.as_dict()
        changes = {c.id: c.as_dict() for c in history.changes}
        for segment in document["segments"]:
            segment.update(changes.get(segment["id"], {}))
    return document


def _categories(analysis: Analysis, segment: int) -> dict[str, Any]:
    """Return a segment's `categories` (value shares per categorical column) and their highlights."""
    cats = analysis.categories
    if cats is None:
        return {}
    return {
        "categories": {
            c: {v: _r(share) for v, share in values.items()} for c, values in cats.segments[segment].items()
        },
        "category_highlights": [h.text for h in cats.highlights.get(segment, ())],
    }


def summary_json(document: dict[str, Any]) -> bytes:
    """Serialise a summary document deterministically."""
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def segments_table(analysis: Analysis) -> pl.DataFrame:
    """Return one row per customer: customer_id, segment_id, segment_name (+ RFM scores and the recency,
    frequency and monetary figures behind them for logs)."""
    names = {p.id: p.name for p in analysis.profiles}
    frame = pl.DataFrame(
        {
            ID: analysis.features.customer_ids,
            "segment_id": analysis.segmentation.labels,
        }
    ).with_columns(
        pl.col("segment_id").replace_strict(names, return_dtype=pl.Utf8).alias("segment_name"),
    )
    extra = [c for c in (*RFM_COLUMNS, *RFM_VALUES) if c in analysis.table.frame.columns]
    if not any(c in analysis.table.frame.columns for c in RFM_COLUMNS):
        extra = []
    if extra:
        frame = frame.with_columns(analysis.table.frame.select(extra))
    return frame


def segments_csv(analysis: Analysis) -> bytes:
    """Serialise segments.csv (UTF-8, LF, header first)."""
    return segments_table(analysis).write_csv().encode("utf-8")
