"""The benchmark's bookkeeping: scenario selection, medians, the printed verdicts (no jobs are run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.dev.bench import (
    SCENARIOS,
    Job,
    StageClock,
    input_path,
    median_job,
    peak_mb,
    report_rows,
    selected,
)


def _job(wall: float, load: float = 1.0, complete: bool = True) -> Job:
    stages = {"imports": (1.0, 0.9, 200.0), "load": (load, load, 600.0), "charts": (0.5, 0.4, 300.0)}
    return Job(wall=wall, cpu=wall * 0.8, stages=stages, complete=complete)


def test_quick_runs_only_the_small_scenarios_and_only_names_one() -> None:
    quick = {s.name for s in selected([], quick=True)}
    assert "real" in quick and "customers-1m" not in quick and "transactions-10m" not in quick
    assert [s.name for s in selected(["customers-1m,real"], quick=False)] == ["real", "customers-1m"]
    with pytest.raises(SystemExit, match="unknown scenario nope"):
        selected(["nope"], quick=False)


def test_generated_inputs_are_named_by_size_seed_and_format(tmp_path: Path) -> None:
    by_name = {s.name: s for s in SCENARIOS}
    assert input_path(by_name["customers-1m"], tmp_path).name == "customers-1000000-1000000-s2026.csv"
    assert input_path(by_name["transactions-10m"], tmp_path).suffix == ".parquet"
    assert input_path(by_name["real"], tmp_path) == by_name["real"].path


def test_median_takes_the_middle_run_per_stage_and_end_to_end() -> None:
    m = median_job([_job(10.0, load=3.0), _job(4.0, load=1.0), _job(5.0, load=2.0)])
    assert m.wall == 5.0 and m.stages["load"][0] == 2.0
    assert m.extra["_peak"] == 600.0 and m.extra["_spread"] == 6.0


def test_rows_state_the_verdicts_against_targets_and_the_plain_method() -> None:
    real = next(s for s in SCENARIOS if s.name == "real")
    rows = report_rows(real, median_job([_job(5.0)]), median_job([_job(20.0)]), 1)
    text = "\n".join(" | ".join(r) for r in rows)
    assert "OVER (target <= 4 s)" in text  # 5 s end to end
    assert "ok (target <= 1.5 s)" in text  # analysis = load stage, 1 s
    assert "reportgen / plain = 0.25" in text


def test_a_plain_run_stopped_at_the_limit_is_reported_as_a_bound() -> None:
    big = next(s for s in SCENARIOS if s.name == "customers-1m")
    plain = _job(240.0, complete=False)
    plain.note = "stopped at the 240 s limit"
    rows = report_rows(big, median_job([_job(18.0)]), median_job([plain]), 1)
    last = rows[-1]
    assert "240 s limit" in last[1] and "< 0.07" in last[5] and "ok (target <= 0.25)" in last[5]


def test_stage_clock_writes_one_line_per_stage_with_wall_cpu_and_peak(tmp_path: Path) -> None:
    clock = StageClock(tmp_path / "r.jsonl")
    clock.start("a")
    clock.start("b")
    clock.finish()
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert [line.split('"stage": ')[1].split(",")[0] for line in lines[:2]] == ['"a"', '"b"']
    assert lines[-1] == '{"done": true}'
    assert peak_mb(reset=False) > 1.0
