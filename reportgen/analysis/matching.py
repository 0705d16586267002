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
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from reportgen.documents.formats import month_label
from reportgen.errors import InputError
from reportgen.model import (
    ID,
    FeatureMatrix,
    FigureChange,
    FloatArray,
    IntArray,
    Segmentation,
    SegmentChange,
    SegmentProfile,
    rounded,
)

MODEL_FILE = "model.json"
MODEL_SCHEMA = 1
TOLERANCE_FACTOR = 0.5  # accept a match within this fraction of the partner's nearest-neighbour distance
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

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


@dataclass(frozen=True)
class PreviousModel:
    """The model and assignments an earlier run saved in DIR/<period>/."""

    period: str
    folder: Path
    config_hash: str
    used: tuple[str, ...]
    transformed: tuple[str, ...]
    transform: str
    center: FloatArray
    scale: FloatArray
    ids: tuple[int, ...]
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    centroids: FloatArray  # row i belongs to ids[i], in the previous scaled space
    assignments: pl.DataFrame  # customer_id (text), segment_id (Int64)
    summary_segments: tuple[dict[str, Any], ...]  # the previous summary.json "segments", if readable


@dataclass(frozen=True)
class SegmentMatch:
    label: int  # the new fit's label
    id: int  # the kept (or fresh) segment id
    name: str | None  # the kept name; None for a new segment
    distance: float | None  # to the partner's previous centroid, scaled units; None when unmatched
    tolerance: float | None  # the partner's acceptance radius
    new: bool


@dataclass(frozen=True)
class VanishedSegment:
    id: int
    name: str
    previous_size: int
    nearest_distance: float | None  # to the closest new centroid, scaled units


@dataclass(frozen=True)
class Matching:
    from_period: str
    matches: tuple[SegmentMatch, ...]  # one per new label, in label order
    vanished: tuple[VanishedSegment, ...]
    note: str | None = None

    @property
    def ids(self) -> dict[int, int]:
        """Return new label -> stable segment id."""
        return {m.label: m.id for m in self.matches}

    @property
    def new_ids(self) -> tuple[int, ...]:
        """Return the ids of segments that did not exist last period."""
        return tuple(m.id for m in self.matches if m.new)

    def as_dict(self) -> dict[str, Any]:
        """Return the matching as JSON-ready values for summary.json."""
        return {
            "from_period": self.from_period,
            "tolerance_rule": f"distance <= {TOLERANCE_FACTOR} x distance to nearest other previous centroid",
            "matched": [
                {
                    "id": m.id,
                    "name": m.name,
                    "distance": rounded(m.distance),
                    "tolerance": rounded(m.tolerance),
                }
                for m in self.matches
                if not m.new
            ],
            "new": [m.id for m in self.matches if m.new],
            "vanished": [
                {"id": v.id, "name": v.name, "previous_size": v.previous_size} for v in self.vanished
            ],
            "note": self.note,
        }


def model_document(
    features: FeatureMatrix,
    segmentation: Segmentation,
    profiles: Sequence[SegmentProfile],
    config_hash: str,
    period: str,
    matching: Matching | None = None,
) -> dict[str, Any]:
    """Return model.json: features, transform and scaling, centroids, stable ids and names, config hash.

    `profiles` are the fit's own, one per label (as segment_profiles returns them, before matching); with a
    matching each label is saved under its stable id and its kept (or new, made-unique) name.
    """
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
                "size": profile.size,
                "centroid": [float(v) for v in segmentation.centroids[label]],
            }
        )
    segments.sort(key=lambda s: int(str(s["id"])))
    return {
        "schema_version": MODEL_SCHEMA,
        "period": period,
        "config_hash": config_hash,
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


def model_json(document: Mapping[str, Any]) -> bytes:
    """Return model.json bytes: stable key order, readable, ends with a newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def load_previous_model(out_dir: Path, period: str) -> PreviousModel | None:
    """Return the model of the latest period before `period` under out_dir, or None if there is none."""
    if not out_dir.is_dir():
        return None
    candidates = sorted(
        (
            p
            for p in out_dir.iterdir()
            if p.is_dir() and _PERIOD.match(p.name) and p.name < period
            if (p / MODEL_FILE).is_file() and (p / "segments.csv").is_file()
        ),
        key=lambda p: p.name,
    )
    if not candidates:
        return None
    return _read_model(candidates[-1])


def _read_model(folder: Path) -> PreviousModel:
    path = folder / MODEL_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not a readable model.json ({exc}); delete the period or re-run it"
        ) from None
    try:
        feats = doc["features"]
        used = tuple(str(c) for c in feats["used"])
        transformed = tuple(str(c) for c in feats["transformed"])
        center = np.asarray(doc["scaling"]["center"], dtype=np.float64)
        scale = np.asarray(doc["scaling"]["scale"], dtype=np.float64)
        segs = doc["segments"]
        ids = tuple(int(s["id"]) for s in segs)
        names = tuple(str(s["name"]) for s in segs)
        sizes = tuple(int(s["size"]) for s in segs)
        centroids = np.asarray([s["centroid"] for s in segs], dtype=np.float64)
        config_hash = str(doc["config_hash"])
        transform = str(feats["transform"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"{path}: missing or malformed key {exc}; expected a model.json written by reportgen"
        ) from None
    width = len(used)
    if center.shape != (width,) or scale.shape != (width,) or centroids.shape != (len(ids), width):
        raise InputError(f"{path}: scaling/centroid sizes do not match features.used ({width} columns)")
    if not ids or len(set(ids)) != len(ids):
        raise InputError(f"{path}: segments must list at least one segment with unique ids")
    return PreviousModel(
        period=folder.name,
        folder=folder,
        config_hash=config_hash,
        used=used,
        transformed=transformed,
        transform=transform,
        center=center,
        scale=scale,
        ids=ids,
        names=names,
        sizes=sizes,
        centroids=centroids,
        assignments=_read_assignments(folder / "segments.csv"),
        summary_segments=_read_summary_segments(folder / "summary.json"),
    )


def _read_assignments(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, schema_overrides={"customer_id": pl.Utf8, "segment_id": pl.Int64})
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path}: not a readable segments.csv ({exc})") from None
    missing = [c for c in ("customer_id", "segment_id") if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column {', '.join(missing)}; expected customer_id,segment_id,...")
    return frame.select(pl.col("customer_id").alias(ID), "segment_id")


def _read_summary_segments(path: Path) -> tuple[dict[str, Any], ...]:
    # the summary only feeds the key-figure deltas; a missing or unreadable one just leaves them out
    try:
        segments = json.loads(path.read_text(encoding="utf-8")).get("segments", [])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return ()
    return tuple(s for s in segments if isinstance(s, dict))


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


def segment_matching(previous: PreviousModel, features: FeatureMatrix, labels: IntArray) -> Matching:
    """Match this month's segments to last month's on centroid distance, keeping ids and names."""
    from scipy.optimize import linear_sum_assignment  # imported here: it costs 0.3 s at start-up

    new_labels = sorted(int(x) for x in np.unique(labels))
    next_id = max(previous.ids) + 1
    missing = [c for c in previous.used if c not in features.clustered_frame().columns]
    if set(previous.used) != set(features.used) or missing:
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
        return Matching(from_period=previous.period, matches=fresh, vanished=vanished, note=note)

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
    return Matching(from_period=previous.period, matches=tuple(matches), vanished=vanished)


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


def migration(previous_assignments: pl.DataFrame, current: pl.DataFrame, from_period: str) -> dict[str, Any]:
    """Return summary.json's "migration": customers in both months, arrivals, departures, segment flows."""
    prev = previous_assignments.select(pl.col(ID).cast(pl.Utf8), pl.col("segment_id").cast(pl.Int64))
    cur = current.select(pl.col(ID).cast(pl.Utf8), pl.col("segment_id").cast(pl.Int64))
    both = prev.join(cur, on=ID, how="inner", suffix="_to")
    flows = (
        both.group_by(["segment_id", "segment_id_to"])
        .agg(pl.len().alias("customers"))
        .sort(["segment_id", "segment_id_to"])
    )
    return {
        "from_period": from_period,
        "customers_in_both": both.height,
        "new_customers": cur.join(prev, on=ID, how="anti").height,
        "lost_customers": prev.join(cur, on=ID, how="anti").height,
        # every (from, to) pair with customers, stayers included, so the flows add up to customers_in_both
        "flows": [
            {"from": int(a), "to": int(b), "customers": int(n)}
            for a, b, n in flows.select(["segment_id", "segment_id_to", "customers"]).iter_rows()
        ],
    }


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


def change_sentences(
    moves: Mapping[str, Any], changes: Sequence[SegmentChange], matching: Matching | None = None
) -> tuple[str, ...]:
    """Return two or three plain sentences on the largest movements since the previous period."""
    names = {c.id: c.name for c in changes}
    if matching is not None:
        names.update({v.id: v.name for v in matching.vanished})
    sentences = [
        f"Since {month_label(moves['from_period'])}, {moves['customers_in_both']:,} customers stayed on the "
        f"books, {moves['new_customers']:,} joined and {moves['lost_customers']:,} left."
    ]
    switches = sorted(
        (f for f in moves["flows"] if f["from"] != f["to"]),
        key=lambda f: (-f["customers"], f["from"], f["to"]),
    )
    if switches:
        top = switches[0]
        source = names.get(top["from"], f"segment {top['from']}")
        target = names.get(top["to"], f"segment {top['to']}")
        sentences.append(f"The largest move was {top['customers']:,} customers from {source} to {target}.")
    grown = [c for c in changes if c.size_change is not None]
    if grown:
        big = max(grown, key=lambda c: (abs(c.size_change or 0), -c.id))
        if big.size_change:
            verb = "grew" if big.size_change > 0 else "shrank"
            sentences.append(f"{big.name} {verb} by {abs(big.size_change):,} customers to {big.size:,}.")
    news = [c.name for c in changes if c.new]
    gone = [v.name for v in matching.vanished] if matching is not None else []
    if news or gone:
        parts = []
        if news:
            parts.append(f"new this month: {', '.join(news)}")
        if gone:
            parts.append(f"no longer found: {', '.join(gone)}")
        sentences.append("Segments " + "; ".join(parts) + ".")
    return tuple(sentences[:4])
