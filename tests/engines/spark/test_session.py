"""The Spark session and its failures as the user sees them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from reportgen.cli import main
from reportgen.config import SAMPLE_DATA
from reportgen.engines.spark import engine

pytestmark = pytest.mark.spark


def test_a_failure_inside_spark_is_exit_1_with_its_first_line(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_: object) -> Any:  # a job that fails on the executors, as a lost worker or a full disk does
        failing_job = "cast(raise_error('Python worker exited unexpectedly') as long)"
        return spark.sql(
            f"select cast(id as long) as _pos, 'x' as customer_id, {failing_job} as segment from range(3)"
        )

    monkeypatch.setattr(engine, "assigned", failing)
    capsys.readouterr()
    args = ["run", "--quiet", "--data", str(SAMPLE_DATA), "--out", str(tmp_path), "--period", "2026-11"]
    code = main([*args, "--engine", "spark"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("error: Spark failed: ")
    assert "Python worker exited unexpectedly" in lines[0]
    assert "Traceback" not in err and "\tat " not in err
    assert not (tmp_path / "2026-11").exists()  # nothing half-written


def test_the_session_runs_this_venvs_python_quietly(spark: Any) -> None:
    import os
    import sys

    conf = spark.sparkContext.getConf()
    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.sql.shuffle.partitions") == "4"
    # the workers run this interpreter: they import reportgen's shared preparation
    probe = spark.range(1).rdd.map(lambda _: __import__("reportgen.analysis.preparation").__name__).collect()
    assert probe == ["reportgen"]


def test_local_mode_splits_a_file_into_several_tasks_per_core(spark: Any) -> None:
    from reportgen.engines.spark.session import TASKS_PER_CORE, local_cores

    assert (local_cores("local[2]"), local_cores("local"), local_cores("local[3,2]")) == (2, 1, 3)
    assert local_cores("local[*]") == (os.cpu_count() or 1)
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.sql.files.minPartitionNum") == str(TASKS_PER_CORE * 2)
    # generated code past the JIT's size limit is compiled, not interpreted
    assert "-XX:-DontCompileHugeMethods" in conf.get("spark.driver.extraJavaOptions")
