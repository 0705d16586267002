"""Stopping a run: Ctrl-C at any moment exits 130 promptly, keeps the earlier output, leaves no process or file.

Real processes: `python -m reportgen run` on the bundled sample with its own TMPDIR, signalled from here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen.config import SAMPLE_DATA
from reportgen.interrupts import Stopper
from reportgen.parallel import runtime
from tests.conftest import ROOT

PERIOD = "2026-11"
PROMPT_S = 5.0  # "within a few seconds": the workers get 2 s to clean up, then are killed


def _earlier_output(out: Path) -> dict[str, bytes]:
    """Write a stand-in for an earlier run's output and return it (path -> bytes)."""
    folder = out / PERIOD
    folder.mkdir(parents=True)
    for name in ("report.pdf", "report.html", "summary.json", "segments.csv", "model.json"):
        (folder / name).write_bytes(f"earlier {name}\n".encode())
    (out / "index.html").write_bytes(b"<p>earlier index</p>\n")
    return _tree(out)


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _start_run(out: Path, scratch: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TMPDIR=str(scratch))
    env.pop("REPORTGEN_DEBUG", None)
    command = [sys.executable, "-m", "reportgen", "run", "--data", str(SAMPLE_DATA)]
    return subprocess.Popen(
        [*command, "--period", PERIOD, "--out", str(out), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _processes_using(scratch: Path) -> list[int]:
    """Return the pids of processes whose TMPDIR lies under `scratch` (the run and its workers)."""
    marker = f"TMPDIR={scratch}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X") and any(item.startswith(marker) for item in env):
            found.append(int(entry.name))
    return found


def _wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


@pytest.mark.parametrize("after_s", [0.3, 1.2, 2.5])
def test_ctrl_c_at_any_moment_exits_130_and_leaves_the_earlier_output_and_nothing_else(
    tmp_path: Path, after_s: float
) -> None:
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    before = _earlier_output(out)
    run = _start_run(out, scratch)
    time.sleep(after_s)
    signalled = time.monotonic()
    run.send_signal(signal.SIGINT)
    try:
        _, err = run.communicate(timeout=30)
    finally:
        run.kill()
    took = time.monotonic() - signalled
    assert took < PROMPT_S, f"exited {took:.1f} s after Ctrl-C"
    lines = err.decode().splitlines()
    if run.returncode == 130:
        assert lines == ["error: interrupted; earlier output left as it was"]
        after = _tree(out)
        assert after == before  # byte for byte
    else:  # the signal came after the new period and index were in place: the run completed
        assert run.returncode == 0 and lines == [], err.decode()
        assert (out / PERIOD / "briefing.eml").is_file()
        assert (out / "index.html").read_bytes() != before["index.html"]
    assert _wait_until(lambda: not _processes_using(scratch), 3.0), "a worker outlived the command"
    assert list(scratch.iterdir()) == []  # no temporary folder left
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_ctrl_c_early_is_never_swallowed(tmp_path: Path) -> None:
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    run = _start_run(out, scratch)
    time.sleep(0.8)  # the workers are warming up, the first process imports the analysis stack
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130, err.decode()
    assert not (out / PERIOD).exists()


def test_sigkill_of_the_run_ends_its_workers_and_the_next_run_deletes_its_folder(tmp_path: Path) -> None:
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    run = _start_run(out, scratch)
    assert _wait_until(lambda: len(_processes_using(scratch)) >= 3, 20), "the workers never started"
    run.kill()
    run.wait()
    # the workers see their parent die (PR_SET_PDEATHSIG, and their reply pipe breaking) and end
    assert _wait_until(lambda: not _processes_using(scratch), 5.0), _processes_using(scratch)
    left = list(scratch.iterdir())
    assert [p.name.startswith(runtime.SCRATCH_PREFIX) for p in left] == [True]
    old = time.time() - 2 * runtime.STALE_AFTER_S
    os.utime(left[0], (old, old))
    assert runtime.remove_stale_scratch(scratch) == left  # what the next run does first
    assert list(scratch.iterdir()) == []


def test_the_folder_of_a_live_run_is_never_taken_for_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with runtime.run_scratch() as folder:
        assert os.environ["TMPDIR"] == str(folder) and folder.parent == tmp_path
        old = time.time() - 2 * runtime.STALE_AFTER_S
        os.utime(folder, (old, old))
        assert runtime.remove_stale_scratch(tmp_path) == []
        assert folder.is_dir()
    assert os.environ["TMPDIR"] == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_stop_waits_for_a_critical_block_and_then_finds_the_work_done() -> None:
    import threading

    stopper = Stopper()
    cleaned: list[str] = []
    stopper.on_stop(lambda: cleaned.append("cleaned"))
    inside, release = threading.Event(), threading.Event()

    def publish() -> None:
        with stopper.critical(completes=True):
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=publish)
    worker.start()
    inside.wait(5)
    stopping = threading.Thread(target=stopper.stop, args=(130, "error: interrupted"))
    stopping.start()
    time.sleep(0.2)
    assert stopping.is_alive()  # waits for the block
    release.set()
    stopping.join(5)
    worker.join(5)
    # the block completed the work: nothing to undo, and the process was not ended (we are still here)
    assert not stopping.is_alive() and cleaned == []


def test_a_render_in_this_process_has_the_render_time_limit_too(tmp_path: Path) -> None:
    # one core (or no processes): the documents are made in the main process, under the same limit
    out = tmp_path / "out"
    script = (
        "import sys\n"
        "from reportgen import cli, pipeline\n"
        "from reportgen.interrupts import STOPPER\n"
        "pipeline.RENDER_TIME_LIMIT_S = 0.05\n"
        "cli.cpu_lanes = lambda: 1\n"
        "STOPPER.install()\n"
        f"sys.exit(cli.main(['run', '--data', {str(SAMPLE_DATA)!r}, '--period', {PERIOD!r}, "
        f"'--out', {str(out)!r}, '--quiet']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120, check=False
    )
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 1, lines
    assert lines == [
        "error: the documents took longer than the render time limit (0.05 s); earlier output left as it was"
    ]
    assert not (out / PERIOD).exists()
