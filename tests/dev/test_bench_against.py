"""The --against comparison: medians, ratios and verdicts from paired runs, and the runs themselves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reportgen.dev.bench_against import Comparison, Run, checkout_python, cli_run, compile_sources


def test_lines_give_median_ratios_and_the_verdict() -> None:
    here = (Run(3.4, 6.0), Run(3.6, 6.4), Run(9.0, 7.0))
    there = (Run(3.0, 5.0), Run(3.2, 5.2), Run(3.1, 5.1))
    text = "\n".join(Comparison("base (c897f7f)", here, there).lines(1.15))
    assert "median of 3" in text and "base (c897f7f)" in text
    assert "3.60 s here / 3.10 s there = 1.16 OVER (target <= 1.15)" in text  # medians, not means
    assert "6.40 s here / 5.10 s there = 1.25" in text
    assert "ok (target" not in text


def test_a_failed_run_is_named_and_left_out_of_the_medians() -> None:
    here = (Run(3.0, 6.0), Run(0.5, 0.4, ok=False, note="exit 2: error: x"))
    there = (Run(3.0, 5.0), Run(3.0, 5.0))
    comparison = Comparison("base", here, there)
    assert comparison.medians()[0] == 3.0
    assert "a run here failed (exit 2: error: x)" in "\n".join(comparison.lines(None))
    assert comparison.summary()["ratio"] == 1.0


def test_a_checkout_without_a_venv_is_an_error_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"^error: --against .*run `make install`"):
        checkout_python(tmp_path)


def test_both_checkouts_run_from_bytecode(tmp_path: Path) -> None:
    # where PYTHONDONTWRITEBYTECODE is set, only this step writes it: neither side compiles at every start
    package = tmp_path / "reportgen"
    (package / "analysis").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "analysis" / "cluster.py").write_text("K = 5\n")
    compile_sources(Path(sys.executable), tmp_path)
    assert list((package / "analysis" / "__pycache__").glob("cluster.*.pyc"))
    assert list((package / "__pycache__").glob("__init__.*.pyc"))


def test_a_run_is_timed_from_outside_and_its_failure_reported(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"  # the command's own error line comes back as the note
    run = cli_run(Path(sys.executable), "customers", missing, "2026-11", tmp_path / "work")
    assert not run.ok and run.note.startswith("exit 2: error:") and "missing.csv" in run.note
    assert run.wall > 0 and run.cpu > 0
