"""What a period folder holds, read back: the previous month's model, assignments and summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from reportgen.errors import InputError
from reportgen.model import ID, PreviousModel
from reportgen.period import Period, period_or_none

MODEL_FILE = "model.json"
BRIEFING_FILE = "briefing.eml"
READS_MODEL_SCHEMA = 1  # the newest model.json schema this reader knows (analysis.matching.MODEL_SCHEMA)


def load_previous_model(out_dir: Path, period: Period) -> PreviousModel | None:
    """Return the model of the latest period before `period` under out_dir, or None if there is none."""
    if not out_dir.is_dir():
        return None
    candidates = sorted(
        (
            (month, p)
            for p in out_dir.iterdir()
            if p.is_dir() and (month := period_or_none(p.name)) is not None and month < period
            if (p / MODEL_FILE).is_file() and (p / "segments.csv").is_file()
        ),
    )
    if not candidates:
        return None
    return _read_model(*candidates[-1])


def _read_model(period: Period, folder: Path) -> PreviousModel:
    path = folder / MODEL_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not a readable model.json ({exc}); delete the period or re-run it"
        ) from None
    schema = doc.get("schema_version") if isinstance(doc, dict) else None
    if isinstance(schema, int) and schema > READS_MODEL_SCHEMA:
        raise InputError(
            f"{path}: written by a newer reportgen (model schema {schema}; this one reads "
            f"{READS_MODEL_SCHEMA}); upgrade reportgen, or move the {folder.name} folder out of the output "
            "folder to start afresh"
        )
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
    if not (np.isfinite(center).all() and np.isfinite(scale).all() and np.isfinite(centroids).all()):
        raise InputError(
            f"{path}: scaling or centroids hold a non-finite number; delete the period or re-run it"
        )
    return PreviousModel(
        period=period,
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
