"""What a period folder holds, read back: the previous month's model, assignments and summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from reportgen.errors import InputError
from reportgen.model import ID, PreviousModel
from reportgen.model.catalog import MODEL_FILE, SEGMENTS_FILE
from reportgen.model.columns import Ratio
from reportgen.model.preparation import CategoryEncoding, Preparation, SavedModel
from reportgen.period import Period, period_or_none

READS_MODEL_SCHEMA = 2  # the newest model.json schema this reader knows (analysis.matching.MODEL_SCHEMA)
PREPARED_SCHEMA = 2  # the first schema that saves the preparation `reportgen assign` needs


def load_previous_model(out_dir: Path, period: Period) -> PreviousModel | None:
    """Return the model of the latest period before `period` under out_dir, or None if there is none."""
    if not out_dir.is_dir():
        return None
    candidates = sorted(
        (
            (month, p)
            for p in out_dir.iterdir()
            if p.is_dir() and (month := period_or_none(p.name)) is not None and month < period
            if (p / MODEL_FILE).is_file() and (p / SEGMENTS_FILE).is_file()
        ),
    )
    if not candidates:
        return None
    return _read_model(*candidates[-1])


def _model_document(path: Path) -> dict[str, Any]:
    """Return a model.json's document, refusing one that is unreadable or from a newer reportgen."""
    folder = path.parent
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path}: not a readable model.json ({exc}); delete the period or re-run it"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(
            f"{path}: expected a JSON object written by reportgen; delete the period or re-run it"
        )
    schema = doc.get("schema_version")
    if isinstance(schema, int) and schema > READS_MODEL_SCHEMA:
        raise InputError(
            f"{path}: written by a newer reportgen (model schema {schema}; this one reads "
            f"{READS_MODEL_SCHEMA}); upgrade reportgen, or move the {folder.name} folder out of the output "
            "folder to start afresh"
        )
    return doc


def _read_model(period: Period, folder: Path) -> PreviousModel:
    path = folder / MODEL_FILE
    doc = _model_document(path)
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


def saved_model(out_dir: Path, period: Period) -> SavedModel:
    """Return DIR/<period>/model.json as `reportgen assign` uses it: how to read, prepare and assign."""
    path = out_dir / str(period) / MODEL_FILE
    if not path.is_file():
        raise InputError(
            f"{path}: no model.json for period {period}; run `reportgen run --period {period}` first"
        )
    doc = _model_document(path)
    schema = doc.get("schema_version")
    if not isinstance(schema, int) or schema < PREPARED_SCHEMA:
        raise InputError(
            f"{path}: model schema {schema} does not save the preparation (medians, encodings) new customers "
            f"need; run `reportgen run --period {period}` again with this reportgen"
        )
    try:
        rules = dict(doc["data"])
        prep = doc["preparation"]
        feats = doc["features"]
        used = tuple(str(c) for c in feats["used"])
        categories = tuple(
            CategoryEncoding(
                column=str(c["column"]),
                levels=tuple(str(v) for v in c["levels"]),
                other=None if c["other"] is None else str(c["other"]),
            )
            for c in prep["categorical"]
        )
        inputs = tuple(str(c) for c in prep["inputs"])
        preparation = Preparation(
            inputs=inputs,
            medians={c: float(prep["medians"][c]) for c in inputs},
            ratios=tuple(
                Ratio(str(r["name"]), str(r["numerator"]), str(r["denominator"]), str(r["name"]))
                for r in prep["engineered"]
            ),
            used=used,
            transformed=tuple(str(c) for c in feats["transformed"]),
            categories=categories,
            center=np.asarray(doc["scaling"]["center"], dtype=np.float64),
            scale=np.asarray(doc["scaling"]["scale"], dtype=np.float64),
        )
        segs = doc["segments"]
        ids = tuple(int(s["id"]) for s in segs)
        names = tuple(str(s.get("report_name", s["name"])) for s in segs)
        centroids = np.asarray([s["centroid"] for s in segs], dtype=np.float64)
        kind, id_column = str(rules["kind"]), str(rules["id_column"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"{path}: missing or malformed key {exc}; expected a model.json written by reportgen"
        ) from None
    width = len(used)
    encoded = sum(len(c.levels) for c in categories)
    if (
        preparation.center.shape != (width,)
        or preparation.scale.shape != (width,)
        or centroids.shape != (len(ids), width)
        or encoded > width
    ):
        raise InputError(f"{path}: scaling/centroid sizes do not match features.used ({width} columns)")
    if not ids or len(set(ids)) != len(ids):
        raise InputError(f"{path}: segments must list at least one segment with unique ids")
    values = (
        preparation.center,
        preparation.scale,
        centroids,
        np.asarray(list(preparation.medians.values())),
    )
    if not all(np.isfinite(v).all() for v in values) or (preparation.scale == 0).any():
        raise InputError(
            f"{path}: a median, the scaling or a centroid is not a finite number (or a scale is 0); "
            "re-run the period"
        )
    if kind not in ("customers", "transactions"):
        raise InputError(f'{path}: data.kind must be "customers" or "transactions", got "{kind}"')
    known = set(inputs) | {r.name for r in preparation.ratios}
    unknown = [c for c in preparation.numeric if c not in known]
    if unknown:
        raise InputError(
            f"{path}: features.used names {', '.join(unknown)}, which the preparation does not make"
        )
    return SavedModel(
        path=path,
        period=period,
        kind=kind,
        id_column=id_column,
        rules=rules,
        preparation=preparation,
        ids=ids,
        names=names,
        centroids=centroids,
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
