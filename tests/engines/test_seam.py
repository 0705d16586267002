"""The engine seam: the local engine is the pipeline; another one plugs in as a module, or is one clear error."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import polars as pl
import pytest

from reportgen import pipeline
from reportgen.config import EngineConfig, Settings
from reportgen.engines import seam
from reportgen.errors import InputError
from reportgen.model import SavedModel

SPARK = Settings(engine=EngineConfig(kind="spark"))


def test_the_local_engine_is_the_pipeline_itself() -> None:
    assert seam.chosen_engine(Settings(), "run") is None


def test_a_plugged_in_engine_gets_the_whole_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, object]] = []
    fake = types.ModuleType("fake_engine")

    def assigned_segments(model: SavedModel, settings: Settings, source: Path, label: str) -> pl.DataFrame:
        calls.append(("assign", model.period))
        assert settings.data.features == ("SPEND",) and settings.data.id_column == "ID"
        return pl.DataFrame({"customer_id": ["C1"], "segment_id": [0], "segment_name": ["A"]})

    fake.assigned_segments = assigned_segments  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_engine", fake)
    monkeypatch.setitem(seam.ENGINE_MODULES, "spark", "fake_engine")
    # `run` is not provided: that command says so, naming the key to change
    with pytest.raises(
        InputError, match=r'the spark engine cannot `reportgen run` yet; set engine.kind = "local"'
    ):
        pipeline.run(SPARK, "2026-11", tmp_path)
    saved = types.SimpleNamespace(
        period=pipeline.parse_period("2026-11"),
        kind="customers",
        id_column="ID",
        rules={"features": ["SPEND"], "categorical": [], "dates": {}},
        path=tmp_path / "2026-11" / "model.json",
    )
    monkeypatch.setattr(pipeline, "saved_model", lambda out, period: saved)
    frame = pipeline.assignments(SPARK, "2026-11", tmp_path, tmp_path / "x.csv")
    assert calls == [("assign", pipeline.parse_period("2026-11"))]
    assert frame.columns == ["customer_id", "segment_id", "segment_name"]


def test_a_missing_engine_or_pyspark_is_one_line_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(seam.ENGINE_MODULES, "spark", "reportgen.engines.no_such_engine")
    with pytest.raises(InputError) as info:
        seam.chosen_engine(SPARK, "run")
    assert str(info.value) == (
        'engine.kind = "spark": this reportgen has no spark engine; '
        'set engine.kind = "local" in reportgen.toml (or pass --engine local)'
    )
    monkeypatch.setitem(seam.ENGINE_MODULES, "spark", "needs_pyspark")

    def needs_pyspark(name: str, *args: object, **kwargs: object) -> types.ModuleType:
        if name == "needs_pyspark":
            raise ModuleNotFoundError("No module named 'pyspark'", name="pyspark")
        return real_import(name, *args, **kwargs)

    real_import = seam.importlib.import_module
    monkeypatch.setattr(seam.importlib, "import_module", needs_pyspark)
    with pytest.raises(InputError, match="pyspark is not installed; install the spark extra"):
        seam.chosen_engine(SPARK, "run")
