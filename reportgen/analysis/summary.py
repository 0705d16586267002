"""summary.json and segments.csv: the machine-readable views of an analysis."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from reportgen.model import ID, Analysis, KCandidate, SegmentProfile
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
        "smallest_share": _r(c.smallest_share),
        "stability": _r(c.stability),
    }


K_RULE = (
    "every segment >= min_segment_share; 2 when its silhouette >= 0.50, every k >= 3 is under 90% of it and it "
    "holds up; else among k >= 3 with silhouette >= 90% of the best k >= 3, no finer than that k or the elbow: "
    "the finest that holds up under resampling (adjusted Rand >= 0.80, every segment's Jaccard >= 0.6), else "
    "the most stable with every segment's Jaccard >= 0.6; last period's k is kept unless the choice's "
    "silhouette is more than 3% higher"
)


def _segment_trust(analysis: Analysis, segment_id: int, field: str) -> Any:
    found = analysis.trust.for_segment(segment_id) if analysis.trust is not None else None
    return None if found is None else getattr(found, field)


def _value(p: SegmentProfile) -> dict[str, Any] | None:
    v = p.value
    if v is None:
        return None
    return {"columns": list(v.columns), "label": v.label, "share": _r(v.share), "amount": _r(v.amount, 4)}


def _naming(p: SegmentProfile) -> dict[str, Any]:
    """Return why a segment has its name and traits: each claim with the share of members it is true of."""
    naming = p.naming
    return {
        "rule": naming.rule if naming else "archetype",
        "member_share_required": _r(naming.member_share_required) if naming else None,
        "claims": [
            {
                "feature": c.feature,
                "direction": c.direction,
                "text": c.text,
                "member_share": _r(c.member_share),
            }
            for c in (naming.claims if naming else ())
        ],
        "traits": [
            {
                "feature": t.feature,
                "direction": t.direction,
                "text": t.text,
                "member_share": _r(t.member_share),
            }
            for t in p.traits
        ],
    }


def summary_document(
    analysis: Analysis, *, period: Period, generator: str, input_label: str
) -> dict[str, Any]:
    """Return the summary.json content for an analysis (SPEC field names; more fields may follow)."""
    fm = analysis.features
    q = fm.quality
    sel = analysis.selection
    seg = analysis.segmentation
    trust = analysis.trust
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "period": str(period),
        "generator": generator,
        "kind": analysis.table.kind,
        "input": {
            "path": input_label if analysis.table.is_file else None,
            "name": analysis.table.input_name,
            "sha256": analysis.table.sha256,
            "fingerprint": analysis.table.fingerprint,
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
            "rule": K_RULE,
            "previous_k": sel.previous_k,
            "stability_resamples": next(iter(sel.stabilities.values())).resamples if sel.stabilities else 0,
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
            "structure": trust.structure if trust else None,
            "stability": _r(trust.stability) if trust else None,
            "verdict": trust.verdict if trust else None,
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
                "stability": _r(_segment_trust(analysis, p.id, "stability")),
                "stability_reading": _segment_trust(analysis, p.id, "reading"),
                "traits": [t.text for t in p.traits],
                **_categories(analysis, p.id),
                "recommendations": [f"{r.title}: {r.text}" for r in analysis.recommendations_for(p.id)],
                "value_share": _r(p.value.share) if p.value is not None else None,
                "value": _value(p),
                "naming": _naming(p),
                "actions": [
                    {"title": r.title, "text": r.text, "kpi": r.kpi, "value_at_stake": r.value_at_stake}
                    for r in analysis.recommendations_for(p.id)
                ],
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
        document["segment_matching"] = history.matching.as_dict() | {
            "redefined": [r.as_dict() for r in history.redefined]
        }
        changes = {c.id: c.as_dict() for c in history.changes}
        for segment in document["segments"]:
            segment.update(changes.get(segment["id"], {}))
            segment["redefined"] = segment["id"] in history.redefined_ids()  # the archive flags these
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


def portable_summary(summary: bytes) -> bytes:
    """Return summary.json as a shared document embeds it: without the input file's path and hash.

    The PDF travels (e-mail, archive): a local path has no place in it, and a table handed over in memory has
    neither, so without them the PDF is the same whether the table came as a file or as a DataFrame. The
    report's own identity of its input (`input.name`, `input.fingerprint`) stays; summary.json beside the
    PDF keeps both fields.
    """
    document = json.loads(summary)
    document["input"] = {**document["input"], "path": None, "sha256": None}
    return summary_json(document)


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
