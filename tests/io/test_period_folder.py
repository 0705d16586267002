"""model.json read back for `reportgen assign`: the round trip of the preparation, and its refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reportgen.analysis.cluster import segmentation
from reportgen.analysis.features import feature_matrix
from reportgen.analysis.matching import model_document, model_json, report_named_model
from reportgen.analysis.preparation import nearest_segments, prepared_matrix
from reportgen.analysis.profile import segment_profiles
from reportgen.config import SAMPLE_DATA, ClusterConfig, Settings
from reportgen.errors import InputError
from reportgen.io.period_folder import load_previous_model, saved_model
from reportgen.period import Period
from reportgen.pipeline import loaded_table, model_data_rules

PERIOD = Period(2026, 11)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    settings = Settings()
    table = loaded_table(settings, SAMPLE_DATA, PERIOD)
    features = feature_matrix(table, settings.features)
    fit = segmentation(features.X, 4, ClusterConfig(k=4, stability_resamples=0))
    profiles = segment_profiles(features, fit, (), {}, {}, ())
    doc = model_document(features, fit, profiles, "h", PERIOD, None, model_data_rules(settings, table))
    named = report_named_model(doc, [replace(profiles[0], name="Mine")])
    out = tmp_path_factory.mktemp("out")
    (out / str(PERIOD)).mkdir()
    (out / str(PERIOD) / "model.json").write_bytes(model_json(named))
    return out, features, fit


def test_the_saved_preparation_rebuilds_the_fit_matrix_and_its_segments(saved: tuple) -> None:  # type: ignore[type-arg]
    out, features, fit = saved
    model = saved_model(out, PERIOD)
    frame = features.raw  # the sample has no gaps: its raw inputs are the file's values
    columns = {c: frame.get_column(c).to_numpy() for c in model.preparation.columns_needed}
    X = prepared_matrix(columns, model.preparation)
    assert np.array_equal(X, features.X)
    assert np.array_equal(nearest_segments(X, model.centroids), fit.labels)
    assert model.kind == "customers" and model.id_column == "CUST_ID"
    assert model.names[0] == "Mine"  # the report's name, not the rule's
    doc = json.loads((out / str(PERIOD) / "model.json").read_text())
    assert doc["schema_version"] == 2 and doc["segments"][1]["report_name"] == doc["segments"][1]["name"]
    assert set(doc["preparation"]["medians"]) == set(features.input_features)


def test_assign_needs_a_model_of_the_period(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        saved_model(tmp_path, PERIOD)
    assert str(info.value) == (
        f"{tmp_path / '2026-11' / 'model.json'}: no model.json for period 2026-11; "
        "run `reportgen run --period 2026-11` first"
    )


def _write(out: Path, doc: dict) -> None:  # type: ignore[type-arg]
    folder = out / "2026-10"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "segments.csv").write_text("customer_id,segment_id,segment_name\nC1,0,A\n", encoding="utf-8")


def test_a_schema_1_model_still_feeds_the_months_but_not_assign(tmp_path: Path) -> None:
    old = {
        "schema_version": 1,
        "period": "2026-10",
        "config_hash": "h",
        "features": {"used": ["A"], "transformed": [], "transform": "none"},
        "scaling": {"center": [0.0], "scale": [1.0]},
        "segments": [{"id": 0, "name": "A", "size": 1, "centroid": [0.0]}],
    }
    _write(tmp_path, old)
    previous = load_previous_model(tmp_path, PERIOD)
    assert previous is not None and previous.names == ("A",)
    with pytest.raises(
        InputError, match=r"model schema 1 does not save the preparation .* run `reportgen run"
    ):
        saved_model(tmp_path, Period(2026, 10))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"preparation": None}, "missing or malformed key"),
        ({"data": {"kind": "shops", "id_column": ""}}, 'data.kind must be "customers" or "transactions"'),
        ({"scaling": {"center": [0.0], "scale": [0.0]}}, "a scale is 0"),
    ],
)
def test_a_damaged_model_is_one_clear_error(
    saved: tuple, tmp_path: Path, change: dict, expected: str
) -> None:  # type: ignore[type-arg]
    out, _, _ = saved
    doc = {**json.loads((out / str(PERIOD) / "model.json").read_text()), **change}
    if "scaling" in change:
        width = len(doc["features"]["used"])
        doc["scaling"] = {"center": [0.0] * width, "scale": [0.0] * width}
    _write(tmp_path, doc)
    with pytest.raises(InputError, match=expected) as info:
        saved_model(tmp_path, Period(2026, 10))
    assert "2026-10/model.json" in str(info.value)
