"""The render workers: the command line's three processes give the in-process bytes, fail loudly, leave nothing.

The bundled sample (3,000 customers) is analysed once per module; each test that needs a worker starts its own
and closes it. A worker call that could hang (a killed worker, a stopped pipe) runs under a time limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reportgen import pipeline
from reportgen.config import SAMPLE_DATA, Settings
from reportgen.documents.brand import Brand, load_brand
from reportgen.documents.rendering import DrawnCharts, report_files
from reportgen.errors import InputError
from reportgen.model import Analysis, ReportJob
from reportgen.parallel.worker import RenderWorker, RenderWorkerError
from reportgen.period import Period
from tests.conftest import ROOT

PERIOD = Period(2026, 11)
SETTINGS = Settings()
HANG_LIMIT_S = 60.0  # far above a normal render of the sample (a few seconds): only a hang gets there


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """Return what `call` returns, or raise what it raises; fail the test if it takes longer than `seconds`."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still waiting after {seconds:.0f} s: the call hangs")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _stat_fields(pid: int) -> list[str] | None:
    """Return /proc/<pid>/stat after the command name (state first, then ppid), or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()


def _running(pid: int) -> bool:
    """Return whether the process exists and has not exited (a zombie has exited: it only awaits reaping)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _charts_child(parent: int) -> int | None:
    """Return the pid of the charts worker started by the documents worker `parent`, if it is running."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None or int(fields[1]) != parent:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"reportgen.parallel.worker" in argv and b"charts" in argv
        ):  # exec'd already, not a fork of the parent
            return int(entry.name)
    return None


def _wait_until(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return pipeline.analyse(SETTINGS, SAMPLE_DATA, PERIOD)


@pytest.fixture(scope="module")
def brand() -> Brand:
    return load_brand(SETTINGS.brand.file)


@pytest.fixture(scope="module")
def job(analysis: Analysis, brand: Brand) -> ReportJob:
    """The job the command line hands its documents worker: the analysis without per-customer tables."""
    return pipeline.report_job(analysis.report_view(), SETTINGS, brand, PERIOD)


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's outputs made in this one process (no render worker), from the project root as cwd."""
    out = tmp_path_factory.mktemp("in-process")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)  # summary.json names the input relative to the working folder, as the CLI run sees it
        pipeline.run(SETTINGS, PERIOD, out, SAMPLE_DATA)
    return out


def test_command_line_and_in_process_run_write_the_same_bytes(tmp_path: Path, in_process: Path) -> None:
    out = tmp_path / "cli"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reportgen",
            "run",
            "--data",
            str(SAMPLE_DATA),
            "--period",
            str(PERIOD),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    cli_files, own_files = _files(out / str(PERIOD)), _files(in_process / str(PERIOD))
    assert set(cli_files) == set(own_files) == set(pipeline.PERIOD_FILES)
    different = [name for name in pipeline.PERIOD_FILES if cli_files[name] != own_files[name]]
    assert not different, f"the command line's files differ from the in-process run's: {different}"
    assert (out / "index.html").read_bytes() == (in_process / "index.html").read_bytes()


def test_documents_from_the_report_view_are_the_documents_from_the_full_analysis(
    analysis: Analysis, brand: Brand, job: ReportJob
) -> None:
    full = pipeline.report_job(analysis, SETTINGS, brand, PERIOD)
    view = job.analysis
    assert analysis.table.frame.height == 3000 and analysis.features.X.shape[0] == 3000  # something to drop
    assert view.table.frame.height == 0
    assert view.features.X.shape[0] == 0
    assert len(view.features.customer_ids) == 0 and view.features.raw.height == 0
    assert view.selection.fits == {} and view.model == {}
    lean = report_files(job, DrawnCharts(job), pipeline.quiet)
    whole = report_files(full, DrawnCharts(full), pipeline.quiet)
    assert set(lean) == set(whole) == {"report.pdf", "report.html", "briefing.eml"}
    assert [name for name in whole if lean[name] != whole[name]] == []


@pytest.mark.parametrize("when", ["before the job", "while rendering"])
def test_a_documents_worker_that_dies_is_an_error_not_a_hang(job: ReportJob, when: str) -> None:
    rendering = threading.Event()

    def progress(message: str) -> None:
        if message == "writing the HTML and PDF report":
            rendering.set()

    with RenderWorker.start() as worker:
        if when == "before the job":
            os.kill(worker.pid, signal.SIGKILL)
            worker.render(job, progress)
        else:
            worker.render(job, progress)
            assert rendering.wait(HANG_LIMIT_S), "the worker never started rendering"
            os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(RenderWorkerError, match=r"documents worker stopped without an answer"):
            _within(HANG_LIMIT_S, worker.result)


def test_a_job_the_documents_cannot_be_made_from_is_an_input_error_with_the_workers_message(
    job: ReportJob,
) -> None:
    email = replace(job.settings.email, archive_url="javascript:alert(1)")
    with RenderWorker.start() as worker:
        worker.render(replace(job, settings=replace(job.settings, email=email)), pipeline.quiet)
        with pytest.raises(InputError) as failure:
            _within(HANG_LIMIT_S, worker.result)
    message = str(failure.value)
    assert "email.archive_url" in message and "javascript:alert(1)" in message and "https://" in message


def test_closing_an_idle_worker_ends_both_worker_processes() -> None:
    worker = RenderWorker.start()
    documents = worker.pid
    try:
        charts = _wait_until(lambda: _charts_child(documents), 10.0)
        assert charts is not None, "the documents worker started no charts worker within 10 s"
    finally:
        _within(HANG_LIMIT_S, worker.close)
    assert not _running(documents)
    assert _wait_until(lambda: not _running(charts), 5.0), (
        f"the charts worker {charts} outlived the documents worker"
    )


def test_worker_progress_reaches_the_caller_and_the_files_match(tmp_path: Path, in_process: Path) -> None:
    messages: list[str] = []
    with RenderWorker.start() as worker, pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = pipeline.run(SETTINGS, PERIOD, tmp_path, SAMPLE_DATA, messages.append, renderer=worker)
    for step in ("writing the HTML and PDF report", "writing the e-mail briefing"):
        assert step in messages, messages
    publishing = next(i for i, m in enumerate(messages) if m.startswith("publishing"))
    assert messages.index("writing the e-mail briefing") < publishing  # passed on as they came, not after
    assert result.renderer_stats["peak_mb"] > 0 and result.renderer_stats["charts_peak_mb"] > 0
    assert _files(tmp_path / str(PERIOD)) == _files(in_process / str(PERIOD))


WORKER_SIDE = """
import sys
from reportgen.parallel.jobs import JobUnpickler
job = JobUnpickler(sys.stdin.buffer).load()
from reportgen.documents.charts import job_charts
from reportgen.documents.rendering import DrawnCharts, report_files
files = report_files(job, DrawnCharts(job), lambda message: None)
print(sorted(files), "polars" in sys.modules, job.analysis.features.raw.columns == COLUMNS)
"""


def test_a_job_reaches_a_worker_without_its_tables_and_without_polars(
    analysis: Analysis, job: ReportJob
) -> None:
    import io

    from reportgen.parallel.jobs import JobPickler

    view = replace(job, analysis=analysis.report_view())
    sent = io.BytesIO()
    JobPickler(sent).dump(view)
    # the per-customer tables travel as their column names only
    assert len(sent.getvalue()) < 1_000_000
    columns = list(analysis.features.raw.columns)
    code = WORKER_SIDE.replace("COLUMNS", repr(columns))
    done = subprocess.run(
        [sys.executable, "-c", code], input=sent.getvalue(), capture_output=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    # the worker made every document from it, never loaded Polars, and still knows the column names
    assert done.stdout.decode().split() == [
        "['briefing.eml',",
        "'report.html',",
        "'report.pdf']",
        "False",
        "True",
    ]


def test_stopping_a_warmed_up_worker_deletes_its_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. bad input found after the warm-up, or Ctrl-C: the workers are stopped, and clean up first
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    worker = RenderWorker.start()
    try:
        # WeasyPrint's copies of the fonts appear while the documents worker makes its warm-up document, in
        # the worker's own temporary folder (which its parent deletes once the worker has ended)
        def font_copies() -> list[Path]:
            return [f for d in scratch.glob("reportgen-documents-*/weasyprint-*") for f in d.iterdir()]

        assert _wait_until(font_copies, 60), "the worker never warmed up"
        charts = _wait_until(lambda: _charts_child(worker.pid), 10)
    finally:
        _within(30, worker.close)
    assert not _running(worker.pid)
    assert charts is None or _wait_until(lambda: not _running(charts), 10)
    assert list(scratch.iterdir()) == []


def test_a_killed_worker_leaves_no_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SIGKILL gives the worker no chance to clean up: its parent deletes the worker's folder once it has ended
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    worker = RenderWorker.start()
    try:
        assert _wait_until(lambda: list(scratch.glob("reportgen-documents-*/weasyprint-*")), 60)
        charts = _wait_until(lambda: _charts_child(worker.pid), 10)
        os.kill(worker.pid, signal.SIGKILL)
        # the charts worker sees its parent die and ends by itself
        assert charts is None or _wait_until(lambda: not _running(charts), 5)
    finally:
        _within(30, worker.close)
    assert list(scratch.iterdir()) == []


def test_documents_past_the_render_time_limit_are_an_error_not_a_hang(
    job: ReportJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen.parallel import worker as worker_module

    monkeypatch.setattr(worker_module, "RENDER_TIME_LIMIT_S", 0.2)
    with RenderWorker.start() as worker:
        worker.render(job, pipeline.quiet)
        started = time.monotonic()
        with pytest.raises(worker_module.RenderTimeLimitError, match=r"render time limit \(0.2 s\)"):
            _within(HANG_LIMIT_S, worker.result)
        assert time.monotonic() - started < 0.2 + worker_module.STOP_TIMEOUT + 1
        assert not _running(worker.pid)
