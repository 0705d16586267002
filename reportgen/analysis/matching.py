"""Stable segment identities across months: the saved model, matching a refit to it, and migration.

Matching rule (documented tolerance). The new month's customers are projected into the PREVIOUS month's
scaled space (same columns, same log1p columns, previous centre and scale), each new segment's centroid is
taken there, and new segments are paired with previous ones by the Hungarian assignment on Euclidean
centroid distance. A pair is accepted only when the distance is at most half the distance from the previous
centroid to its nearest other previous centroid. By the triangle inequality an accepted new centroid is then
strictly closer to its partner than to any other previous centroid, so an identity is only kept when it is
unambiguous. A new segment without an accepted partner gets a fresh id (highest previous id + 1, ...) and is
reported as new; a previous segment without a partner is reported as vanished. When the feature columns
differ from the previous run (a configuration change), nothing is matched and the reason is noted.

Redefinitions. When at least REDEFINED_SHARE of a previous segment's staying customers sit in a segment with
another id (two segments merged, or an old one mapped onto a larger new one), that segment is reported as
redefined: those customers are not movers and the previous segment is not "no longer found".
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from reportgen.model import (
    ID,
    FeatureMatrix,
    FigureChange,
    FloatArray,
    Flow,
    IntArray,
    Matching,
    Migration,
    MonthOverMonth,
    PcaMap,
    PreviousModel,
    Redefinition,
    Segmentation,
    SegmentChange,
    SegmentMatch,
    SegmentProfile,
    VanishedSegment,
)
from reportgen.model.preparation import RATIO_RULE, Preparation
from reportgen.period import Period

# 2: the preparation (medians, engineered ratios, category encodings), the data's kind and id column, and
# each segment's report name; readers take 1 too (it lacks what `reportgen assign` needs)
MODEL_SCHEMA = 2
TOLERANCE_FACTOR = 0.5  # accept a match within this fraction of the partner's nearest-neighbour distance
# a previous segment was redefined into a current one with another id when at least this share of its
# staying customers sit there now (two merged, or an old one mapped onto a larger new one)
REDEFINED_SHARE = 0.5
RULE = f"distance <= {TOLERANCE_FACTOR} x distance to nearest other previous centroid"

# Figures compared month over month, in this order, where the profiles carry them.
KEY_FIGURES: tuple[str, ...] = (
    "PURCHASES",
    "BALANCE",
    "CASH_ADVANCE",
    "PAYMENTS",
    "CREDIT_LIMIT",
    "monetary",
    "frequency",
    "recency_days",
)


def model_document(
    features: FeatureMatrix,
    segmentation: Segmentation,
    profiles: Sequence[SegmentProfile],
    config_hash: str,
    period: Period,
    matching: Matching | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return model.json: the data read, the preparation, scaling, centroids, stable ids and names, config hash.

    `profiles` are the fit's own, one per label (as segment_profiles returns them, before matching); with a
    matching each label is saved under its stable id and its kept (or new, made-unique) name. `data`: how the
    table was read (model_data_rules). Each segment's `report_name` is its `name` until report_named_model
    sets the names the report shows.
    """
    if features.preparation is None:
        raise ValueError("the feature matrix carries no preparation to save")
    by_label = {p.id: p for p in profiles}
    if matching is None:
        ids, by_id = {label: label for label in range(segmentation.k)}, by_label
    else:
        # look profiles up by label, then rename: a label's number is not its stable id once months differ
        ids, by_id = matching.ids, {p.id: p for p in matched_profiles(profiles, matching)}
    segments = []
    for label in range(segmentation.k):
        stable = ids[label]
        profile = by_id.get(stable)
        if profile is None or label not in by_label:
            raise ValueError(f"no profile for segment id {stable} (label {label})")
        segments.append(
            {
                "id": stable,
                "name": profile.name,
                "report_name": profile.name,
                "size": profile.size,
                "centroid": [float(v) for v in segmentation.centroids[label]],
            }
        )
    segments.sort(key=lambda s: int(str(s["id"])))
    return {
        "schema_version": MODEL_SCHEMA,
        "period": str(period),
        "config_hash": config_hash,
        "data": dict(data or {}),
        "preparation": preparation_document(features.preparation),
        "features": {
            "used": list(features.used),
            "transformed": list(features.transformed),
            "transform": features.transform,
        },
        "scaling": {
            "center": [float(v) for v in features.center],
            "scale": [float(v) for v in features.scale],
        },
        "segments": segments,
    }


def preparation_document(prep: Preparation) -> dict[str, Any]:
    """Return model.json's "preparation": fill values, engineered ratios and category encodings."""
    return {
        "inputs": list(prep.inputs),
        "medians": {c: float(prep.medians[c]) for c in prep.inputs},
        "engineered": [
            {"name": r.name, "numerator": r.numerator, "denominator": r.denominator} for r in prep.ratios
        ],
        "engineered_rule": RATIO_RULE,
        "log1p_negative": "clipped to 0",
        "categorical": [
            {"column": c.column, "levels": list(c.levels), "other": c.other} for c in prep.categories
        ],
    }


def report_named_model(document: Mapping[str, Any], profiles: Sequence[SegmentProfile]) -> dict[str, Any]:
    """Return model.json with each segment's `report_name`: the name the report and segments.csv show."""
    names = {p.id: p.name for p in profiles}
    segments = [{**s, "report_name": names.get(int(s["id"]), s["name"])} for s in document["segments"]]
    return {**document, "segments": segments}


def model_json(document: Mapping[str, Any]) -> bytes:
    """Return model.json bytes: stable key order, readable, ends with a newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def projected_matrix(previous: PreviousModel, raw: pl.DataFrame) -> FloatArray:
    """Return the customers' raw features scaled exactly as the previous model scaled its own."""
    columns = []
    for name in previous.used:
        values = raw.get_column(name).cast(pl.Float64).to_numpy()
        if name in previous.transformed:
            # log1p is only defined for the non-negative skewed columns it was chosen for
            values = np.log1p(np.clip(values, 0.0, None))
        columns.append(values)
    matrix = np.column_stack(columns)
    scale = np.where(previous.scale > 0, previous.scale, 1.0)
    return np.asarray((matrix - previous.center) / scale, dtype=np.float64)


def acceptance_radii(centroids: FloatArray) -> FloatArray:
    """Return, per previous centroid, the distance within which a new centroid keeps its identity."""
    if len(centroids) < 2:
        return np.full(len(centroids), np.inf)
    d = np.linalg.norm(centroids[:, None, :] - centroids[None, :, :], axis=2)
    np.fill_diagonal(d, np.inf)
    return np.asarray(TOLERANCE_FACTOR * d.min(axis=1), dtype=np.float64)


def comparable(previous: PreviousModel, features: FeatureMatrix) -> bool:
    """Return whether this month's segments can be matched to the previous model's: the same feature columns,
    or the previous ones less those that hold one value this month (a monthly bonus paid to everyone), which
    are still in the table and project into the previous space like any other column."""
    if any(c not in features.clustered_frame().columns for c in previous.used):
        return False
    now, before = set(features.used), set(previous.used)
    return now == before or (now < before and before - now <= set(features.quality.dropped_columns))


def segment_matching(previous: PreviousModel, features: FeatureMatrix, labels: IntArray) -> Matching:
    """Match this month's segments to last month's on centroid distance, keeping ids and names."""
    from scipy.optimize import linear_sum_assignment  # imported here: it costs 0.3 s at start-up

    new_labels = sorted(int(x) for x in np.unique(labels))
    next_id = max(previous.ids) + 1
    if not comparable(previous, features):
        fresh = tuple(
            SegmentMatch(label=lb, id=next_id + i, name=None, distance=None, tolerance=None, new=True)
            for i, lb in enumerate(new_labels)
        )
        vanished = tuple(
            VanishedSegment(id=i, name=n, previous_size=s, nearest_distance=None)
            for i, n, s in zip(previous.ids, previous.names, previous.sizes, strict=True)
        )
        note = (
            f"The segmentation features changed since {previous.period}; segments were not matched "
            "and all are reported as new."
        )
        return Matching(from_period=previous.period, matches=fresh, vanished=vanished, note=note, rule=RULE)

    projected = projected_matrix(previous, features.clustered_frame())
    new_centroids = np.vstack([projected[labels == lb].mean(axis=0) for lb in new_labels])
    dist = np.linalg.norm(new_centroids[:, None, :] - previous.centroids[None, :, :], axis=2)
    radii = acceptance_radii(previous.centroids)
    rows, cols = linear_sum_assignment(dist)
    partner: dict[int, int] = {}
    for r, c in zip(rows, cols, strict=True):
        if dist[r, c] <= radii[c]:
            partner[int(r)] = int(c)

    matches: list[SegmentMatch] = []
    fresh_id = next_id
    for r, lb in enumerate(new_labels):
        if r in partner:
            c = partner[r]
            matches.append(
                SegmentMatch(
                    label=lb,
                    id=previous.ids[c],
                    name=previous.names[c],
                    distance=float(dist[r, c]),
                    tolerance=float(radii[c]),
                    new=False,
                )
            )
        else:
            matches.append(
                SegmentMatch(label=lb, id=fresh_id, name=None, distance=None, tolerance=None, new=True)
            )
            fresh_id += 1
    kept = set(partner.values())
    vanished = tuple(
        VanishedSegment(
            id=previous.ids[c],
            name=previous.names[c],
            previous_size=previous.sizes[c],
            nearest_distance=float(dist[:, c].min()),
        )
        for c in range(len(previous.ids))
        if c not in kept
    )
    return Matching(from_period=previous.period, matches=tuple(matches), vanished=vanished, rule=RULE)


def kept_names(matching: Matching) -> dict[int, str]:
    """Return, per new label, the name its matched segment had last period (to keep where still true)."""
    return {m.label: m.name for m in matching.matches if m.name is not None}


def names_still_true(
    matching: Matching, profiles: Sequence[SegmentProfile], configured: Collection[int] = ()
) -> Matching:
    """Return the matching without the kept names this month's figures no longer bear out (renamed).

    `profiles` are the fit's own (id = label), named with `kept_names` preferred wherever still true, so a
    profile whose name differs from its kept one was not entitled to it. Ids with a `[report] names` entry
    keep the user's name and are never reported as renamed.
    """
    by_label = {p.id: p for p in profiles}
    matches = tuple(
        replace(m, name=None, renamed_from=m.name)
        if m.name is not None and m.id not in configured and by_label[m.label].name != m.name
        else m
        for m in matching.matches
    )
    return replace(matching, matches=matches)


def stable_labels(labels: IntArray, matching: Matching) -> IntArray:
    """Return the per-customer segment ids after matching (labels mapped to kept or fresh ids)."""
    lookup = matching.ids
    table = np.asarray([lookup[label] for label in range(len(lookup))], dtype=np.int64)
    return table[labels]


def matched_profiles(profiles: Sequence[SegmentProfile], matching: Matching) -> tuple[SegmentProfile, ...]:
    """Return profiles (computed per new label) carrying their stable ids and kept names, names unique."""
    by_label = {m.label: m for m in matching.matches}
    kept_names = {m.name for m in matching.matches if m.name is not None}
    out: list[SegmentProfile] = []
    used_names: set[str] = set(kept_names)
    for p in profiles:
        m = by_label[p.id]
        if m.name is not None:
            out.append(replace(p, id=m.id, name=m.name))
            continue
        # a new segment's rule-based name may collide with a kept one: keep names unique within a report
        name = p.name
        if name in used_names:
            name = f"{p.name} (new)"
            n = 2
            while name in used_names:
                name = f"{p.name} (new {n})"
                n += 1
        used_names.add(name)
        out.append(replace(p, id=m.id, name=name))
    return tuple(sorted(out, key=lambda p: p.id))


def migration(previous_assignments: pl.DataFrame, current: pl.DataFrame, from_period: Period) -> Migration:
    """Return the customers in both months, arrivals, departures and the flows between segments."""
    prev = previous_assignments.select(pl.col(ID).cast(pl.Utf8), pl.col("segment_id").cast(pl.Int64))
    cur = current.select(pl.col(ID).cast(pl.Utf8), pl.col("segment_id").cast(pl.Int64))
    both = prev.join(cur, on=ID, how="inner", suffix="_to")
    flows = (
        both.group_by(["segment_id", "segment_id_to"])
        .agg(pl.len().alias("customers"))
        .sort(["segment_id", "segment_id_to"])
    )
    return Migration(
        from_period=from_period,
        customers_in_both=both.height,
        new_customers=cur.join(prev, on=ID, how="anti").height,
        lost_customers=prev.join(cur, on=ID, how="anti").height,
        flows=tuple(
            Flow(int(a), int(b), int(n))
            for a, b, n in flows.select(["segment_id", "segment_id_to", "customers"]).iter_rows()
        ),
    )


def segment_changes(
    previous_segments: Sequence[Mapping[str, Any]],
    current_profiles: Sequence[SegmentProfile],
    key_figures: Sequence[str] = KEY_FIGURES,
) -> tuple[SegmentChange, ...]:
    """Return per current segment its previous size and share and the change in its key figures."""
    prev_by_id = {int(s["id"]): s for s in previous_segments if "id" in s}
    figures = _key_figure_names(previous_segments, current_profiles, key_figures)
    return tuple(
        _segment_change(p, prev_by_id.get(p.id), figures)
        for p in sorted(current_profiles, key=lambda p: p.id)
    )


def _segment_change(
    p: SegmentProfile, before: Mapping[str, Any] | None, figures: Sequence[str]
) -> SegmentChange:
    """Return one segment's change; a segment with no previous record is new."""
    if before is None:
        return SegmentChange(p.id, p.name, p.size, p.share, True, None, None, None, ())
    prev_size = int(before.get("size", 0))
    profile = before.get("profile", {}) or {}
    changes = []
    for f in figures:
        stat = p.stats.get(f)
        old = profile.get(f, {}).get("mean") if isinstance(profile.get(f), dict) else None
        if stat is None or old is None:
            continue
        old_f = float(old)
        change_pct = None if old_f == 0 else (stat.mean - old_f) / abs(old_f)
        changes.append(FigureChange(f, old_f, stat.mean, stat.mean - old_f, change_pct))
    previous_share = float(before["share"]) if "share" in before else None
    return SegmentChange(
        p.id, p.name, p.size, p.share, False, prev_size, previous_share, p.size - prev_size, tuple(changes)
    )


def _key_figure_names(
    previous_segments: Sequence[Mapping[str, Any]],
    current_profiles: Sequence[SegmentProfile],
    key_figures: Sequence[str],
) -> tuple[str, ...]:
    current = set().union(*(p.stats for p in current_profiles)) if current_profiles else set()
    chosen = tuple(f for f in key_figures if f in current)
    if chosen:
        return chosen
    # other feature sets: the first few columns both months profiled
    previous = (
        set().union(*((s.get("profile") or {}) for s in previous_segments)) if previous_segments else set()
    )
    order = list(current_profiles[0].stats) if current_profiles else []
    return tuple(f for f in order if f in previous)[:4]


@dataclass(frozen=True)
class StableSegments:
    """This month's segmentation, profiles and map under the stable ids a matching gave them."""

    segmentation: Segmentation
    profiles: tuple[SegmentProfile, ...]
    pca: PcaMap


def stable_segments(
    fit: Segmentation, profiles: Sequence[SegmentProfile], pca: PcaMap, matching: Matching
) -> StableSegments:
    """Return the fit, profiles and map relabelled with stable ids: labels are ids, centroids in id order."""
    ids = stable_labels(fit.labels, matching)
    order = sorted(range(fit.k), key=lambda label: matching.ids[label])
    stability = tuple(fit.stability[label] for label in order) if fit.stability else ()
    return StableSegments(
        segmentation=replace(fit, labels=ids, centroids=fit.centroids[order], stability=stability),
        profiles=matched_profiles(profiles, matching),
        pca=replace(pca, labels=ids),
    )


def month_over_month(
    previous: PreviousModel,
    customer_ids: pl.Series,
    stable: StableSegments,
    matching: Matching,
) -> MonthOverMonth:
    """Return what changed since the previous period: migration between segments, matching, size changes."""
    current = pl.DataFrame({ID: customer_ids, "segment_id": stable.segmentation.labels})
    moves = migration(previous.assignments, current, previous.period)
    return MonthOverMonth(
        from_period=previous.period,
        migration=moves,
        matching=matching,
        changes=segment_changes(previous.summary_segments, stable.profiles),
        redefined=redefinitions(moves, kept={m.id for m in matching.matches if not m.new}),
    )


def redefinitions(moves: Migration, kept: Collection[int] = ()) -> tuple[Redefinition, ...]:
    """Return the segments previous segments were redefined into (the REDEFINED_SHARE rule).

    A previous segment whose staying customers mostly sit in a segment with another id now was merged into
    it, or mapped onto a larger one: the segment definitions changed, not those customers' behaviour. Between
    two segments that both kept their identity (`kept`: ids matched this month) the definitions held, so
    customers crossing from one to the other moved, however many of the source's they are.
    """
    stayers: dict[int, int] = {}
    for f in moves.flows:
        stayers[f.from_id] = stayers.get(f.from_id, 0) + f.customers
    into: dict[int, list[Flow]] = {}
    for f in moves.flows:
        if f.from_id in kept and f.to_id in kept:
            continue
        if f.from_id != f.to_id and f.customers > 0 and f.customers >= REDEFINED_SHARE * stayers[f.from_id]:
            into.setdefault(f.to_id, []).append(f)
    return tuple(
        Redefinition(
            id=target,
            sources=tuple(sorted(f.from_id for f in carried)),
            customers=sum(f.customers for f in carried),
        )
        for target, carried in sorted(into.items())
    )
