"""The command line end to end: outputs, exit codes, one-line errors, atomic output, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reportgen.cli import main
from tests.conftest import ROOT

FAST = "[clustering]\nk_min = 2\nk_max = 5\nn_init = 2\n"


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "reportgen.toml"
    path.write_text(FAST + extra)
    return path


def _run(*args: str) -> int:
    return main(["run", "--quiet", *args])


def test_run_writes_summary_and_segments(tmp_path: Path, blob_csv: Path) -> None:
    out = tmp_path / "out"
    assert (
        _run(
            "--data",
            str(blob_csv),
            "--config",
            str(_config(tmp_path)),
            "--period",
            "2026-11",
            "--out",
            str(out),
        )
        == 0
    )
    folder = out / "2026-11"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["period"] == "2026-11" and summary["schema_version"] == 1
    assert summary["input"]["rows"] == 180 and summary["input"]["customers"] == 180
    assert summary["k_selection"]["chosen_k"] == 3
    assert [c["k"] for c in summary["k_selection"]["candidates"]] == [2, 3, 4, 5]
    names = {s["name"] for s in summary["segments"]}
    assert {"Low activity", "High spenders", "Heavy cash-advance users"} == names
    for seg in summary["segments"]:
        assert set(seg["profile"]) >= {"PURCHASES", "CASH_ADVANCE", "TENURE"}
        assert seg["recommendations"]
    lines = (folder / "segments.csv").read_text().splitlines()
    assert lines[0] == "customer_id,segment_id,segment_name" and len(lines) == 181


def test_same_input_config_and_period_give_the_same_bytes(tmp_path: Path, blob_csv: Path) -> None:
    cfg = str(_config(tmp_path))
    for out in ("a", "b"):
        assert (
            _run(
                "--data", str(blob_csv), "--config", cfg, "--period", "2026-11", "--out", str(tmp_path / out)
            )
            == 0
        )
    for name in ("summary.json", "segments.csv"):
        assert (tmp_path / "a/2026-11" / name).read_bytes() == (tmp_path / "b/2026-11" / name).read_bytes()


def test_k_flag_fixes_the_number_of_segments(tmp_path: Path, blob_csv: Path) -> None:
    out = tmp_path / "out"
    assert (
        _run(
            "--data",
            str(blob_csv),
            "--config",
            str(_config(tmp_path)),
            "--period",
            "2026-11",
            "--out",
            str(out),
            "--k",
            "4",
        )
        == 0
    )
    ks = json.loads((out / "2026-11/summary.json").read_text())["k_selection"]
    assert ks["method"] == "fixed" and ks["chosen_k"] == 4 and "fixed at 4" in ks["reason"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--data", "nowhere.csv"], "nowhere.csv"),
        (["--period", "2026-13"], "--period"),
        (["--period", "Nov 2026"], "YYYY-MM"),
        (["--k", "1"], "--k"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    tmp_path: Path, blob_csv: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    base = [
        "--data",
        str(blob_csv),
        "--config",
        str(_config(tmp_path)),
        "--period",
        "2026-11",
        "--out",
        str(tmp_path / "o"),
    ]
    code = _run(*base, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err
    assert "Traceback" not in err


def test_failed_run_leaves_the_earlier_report_intact(tmp_path: Path, blob_csv: Path) -> None:
    out = tmp_path / "out"
    cfg = str(_config(tmp_path))
    assert _run("--data", str(blob_csv), "--config", cfg, "--period", "2026-11", "--out", str(out)) == 0
    before = {p.name: p.read_bytes() for p in (out / "2026-11").iterdir()}
    broken = tmp_path / "broken.csv"
    broken.write_text(blob_csv.read_text().replace("\nT00003,", "\nT00003,abc", 1))
    assert _run("--data", str(broken), "--config", cfg, "--period", "2026-11", "--out", str(out)) == 2
    after = {p.name: p.read_bytes() for p in (out / "2026-11").iterdir()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_config_error_names_file_and_key(
    tmp_path: Path, blob_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _config(tmp_path, "[report]\ncolour = 'red'\n")
    assert (
        _run("--data", str(blob_csv), "--config", str(cfg), "--period", "2026-11", "--out", str(tmp_path))
        == 2
    )
    err = capsys.readouterr().err
    assert "reportgen.toml" in err and "report.colour" in err


def test_module_entry_point_reports_errors_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reportgen",
            "run",
            "--data",
            str(tmp_path / "missing.csv"),
            "--period",
            "2026-11",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.startswith("error: ") and "missing.csv" in proc.stderr and "Traceback" not in proc.stderr
    )


def test_a_run_leaves_nothing_behind_in_the_temporary_folder(tmp_path: Path) -> None:
    # WeasyPrint copies the fonts to a temporary folder; the command ends without garbage collection, in three
    # processes, so it has to delete them itself
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.run(
        [sys.executable, "-m", "reportgen", "run", "--period", "2026-11", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "2026-11" / "report.pdf").is_file()
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_on_a_single_core_the_report_is_made_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reportgen.cli as cli

    def no_workers() -> None:
        raise AssertionError("a render worker was started on a single core")

    monkeypatch.setattr(cli, "cpu_lanes", lambda: 1)
    monkeypatch.setattr(cli.RenderWorker, "start", no_workers)
    assert _run("--period", "2026-11", "--out", str(tmp_path)) == 0
    assert (tmp_path / "2026-11" / "report.pdf").read_bytes().startswith(b"%PDF-")


# ---- hardening: bad arguments fail fast, the output folder is held, the libraries stay quiet --------------


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "\uff12\uff10\uff12\uff16-11", "2026-11\n"])
def test_period_edge_cases_are_one_error_line(
    tmp_path: Path, period: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--period", period, "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --period: expected") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_fails_before_the_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "out"
    taken.write_text("a file")
    # the data does not exist either: the output folder is checked first, so the analysis never starts
    assert _run("--data", str(tmp_path / "missing.csv"), "--period", "2026-11", "--out", str(taken)) == 2
    assert (
        capsys.readouterr().err
        == f"error: --out {taken}: is a file, expected a folder for the reports; choose another --out\n"
    )


def test_a_busy_output_folder_is_refused_naming_the_other_process(
    tmp_path: Path, blob_csv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reportgen.io import write

    monkeypatch.setattr(write, "LOCK_WAIT_S", 0.2)
    out = tmp_path / "out"
    with write.output_lock(out):  # as another process would
        assert _run("--data", str(blob_csv), "--period", "2026-11", "--out", str(out)) == 2
        assert main(["send", "--period", "2026-10", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.splitlines()
    expected = f"error: {out}: in use by another reportgen (pid {os.getpid()}: "
    assert [line.startswith(expected) for line in err] == [True, True], err
    assert not (out / "2026-11").exists() and list(out.iterdir()) == []  # nothing left: no lock file either


def test_identical_rows_are_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reportgen.config import CC_FEATURES

    path = tmp_path / "same.csv"
    row = ",".join("1" for _ in CC_FEATURES)
    path.write_text("CUST_ID," + ",".join(CC_FEATURES) + "\n" + "".join(f"C{i},{row}\n" for i in range(300)))
    assert _run("--data", str(path), "--period", "2026-11", "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "too few" not in err
    assert err.startswith(
        f"error: {path}: every feature column holds a single value across all 300 customers"
    )


def test_library_warnings_do_not_reach_stderr_on_a_successful_run(tmp_path: Path) -> None:
    data = tmp_path / "few.csv"
    # four distinct customers, repeated: scikit-learn warns that it found fewer clusters than asked for
    points = [(1, 2, 0), (1000, 5000, 0), (5000, 0, 3000), (1, 2, 1)]
    data.write_text(
        "CUST_ID,BALANCE,PURCHASES,CASH_ADVANCE\n"
        + "".join(f"C{i},{points[i % 4][0]},{points[i % 4][1]},{points[i % 4][2]}\n" for i in range(120))
    )
    config = _config(tmp_path, '[data]\nfeatures = ["BALANCE", "PURCHASES", "CASH_ADVANCE"]\n')
    config.write_text(config.read_text().replace("k_max = 5", "k_max = 6"))
    command = [sys.executable, "-m", "reportgen", "run", "--data", str(data), "--config", str(config)]
    command += ["--period", "2026-11", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "REPORTGEN_DEBUG"}
    quiet = subprocess.run(
        [*command, "--out", str(tmp_path / "a")],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = subprocess.run(
        [*command, "--out", str(tmp_path / "b")],
        env={**env, "REPORTGEN_DEBUG": "1"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert loud.returncode == 0 and "ConvergenceWarning" in loud.stderr  # the input does make them warn


def _limited(max_file_bytes: int) -> Any:
    """Return a preexec_fn that makes files bigger than max_file_bytes unwritable (EFBIG), like a full disk."""

    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return limit


def test_an_out_that_cannot_take_a_file_fails_before_the_analysis(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "reportgen", "run", "--data", str(tmp_path / "missing.csv")]
    done = subprocess.run(
        [*command, "--period", "2026-11", "--out", str(out)],
        preexec_fn=_limited(1000),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    # the missing data would be the first error of the analysis: the output folder is checked before it
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: --out {out}: cannot write there (File too large)")
    assert list(out.iterdir()) == []  # the probe file is gone too


def test_a_formula_id_stops_the_run_unless_allowed(
    tmp_path: Path, blob_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = tmp_path / "evil.csv"
    evil.write_text(blob_csv.read_text().replace("\nT00003,", '\n"=HYPERLINK(""http://evil.example"")",', 1))
    out = tmp_path / "out"
    args = ["--data", str(evil), "--period", "2026-11", "--out", str(out), "--config"]
    assert _run(*args, str(_config(tmp_path))) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {evil}: customer id '=HYPERLINK(") and "report.allow_formula_ids" in err
    assert not (out / "2026-11").exists()
    allowed = _config(tmp_path, "[report]\nallow_formula_ids = true\n")
    assert _run(*args, str(allowed)) == 0
    ids = (out / "2026-11" / "segments.csv").read_text().splitlines()
    assert any(line.startswith('"=HYPERLINK(""http://evil.example"")",') for line in ids)  # exact, as chosen


def test_label_for_a_column_not_in_the_table_is_an_error(
    tmp_path: Path, blob_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # F33: a typo'd labels key was silently ignored
    cfg = _config(tmp_path, '[data]\nlabels = { Frsh = "Fresh food" }\n')
    args = (
        "--data",
        str(blob_csv),
        "--config",
        str(cfg),
        "--period",
        "2026-11",
        "--out",
        str(tmp_path / "o"),
    )
    assert _run(*args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    assert "reportgen.toml" in err and "data.labels.Frsh" in err and "found: " in err
    assert blob_csv.read_text().splitlines()[0].split(",")[1] in err  # the columns there are listed
