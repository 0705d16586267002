"""`make bench ARGS="--against DIR"`: the same command from another checkout, timed in the same run.

A target such as "within 1.15x of the previous commit" only means something when both versions are measured
on the same machine at the same time: a shared machine's load changes from one minute to the next. So each
repeat runs `python -m reportgen run` once from this checkout and once from DIR (a checkout of the other
commit with its own .venv, as `make install` makes it), alternating which goes first, each in a fresh empty
working folder on the same input. Both are timed from the outside in the same way, so neither version's own
bookkeeping enters the figures: wall time from process start to exit, and the CPU time of the process and of
the children it waited for (the render workers).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reportgen.config import PROJECT_ROOT


@dataclass(frozen=True)
class Run:
    """One `reportgen run` timed from outside."""

    wall: float  # seconds, process start to exit
    cpu: float  # user + system seconds of the process and its waited-for children
    ok: bool = True
    note: str = ""


def checkout_python(root: Path) -> Path:
    """Return the interpreter of a checkout's .venv; stop with an error line if it has none."""
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"error: --against {root}: no {python}; run `make install` in that checkout first")
    return python


def compile_sources(python: Path, root: Path) -> None:
    """Write the bytecode of a checkout's package, so neither side compiles its sources at every start.

    Where PYTHONDONTWRITEBYTECODE is set (many containers, this machine), Python never writes the cache
    itself and compiles every module it imports, each run and in each process (0.1 s for reportgen's).
    `make install` writes it for this checkout; an older checkout's install did not.
    """
    subprocess.run(
        [str(python), "-m", "compileall", "-q", str(root / "reportgen")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


def against_python(root: Path) -> Path:
    """Return the interpreter of the checkout to compare with, once both checkouts have their bytecode."""
    python = checkout_python(root)
    compile_sources(Path(sys.executable), PROJECT_ROOT)  # this checkout
    compile_sources(python, root)
    return python


def describe(root: Path) -> str:
    """Return a checkout as the table names it: its folder and, if it is a git checkout, its commit."""
    try:
        found = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return str(root)
    return f"{root} ({found.stdout.strip()})"


def cli_run(python: Path, kind: str, data: Path, period: str, work: Path) -> Run:
    """Run `python -m reportgen run` on `data` in a fresh working folder under `work` and time it."""
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        folder = Path(tmp)
        if kind == "transactions":  # read as ./reportgen.toml, as a user's would be
            (folder / "reportgen.toml").write_text('[data]\nkind = "transactions"\n', encoding="utf-8")
        cmd = [str(python), "-m", "reportgen", "run", "--data", str(data.resolve()), "--period", period]
        cmd += ["--out", str(folder / "out"), "--quiet"]
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        assert proc.stderr is not None
        with proc.stderr:
            err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        wall = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        tail = (err.decode(errors="replace").strip().splitlines() or [""])[-1][:120]
        return Run(wall, cpu, ok=False, note=f"exit {proc.returncode}: {tail}")
    return Run(wall, cpu)


def paired_runs(
    python_here: Path, python_there: Path, kind: str, data: Path, period: str, work: Path, first: bool
) -> tuple[Run, Run]:
    """Run this checkout and the other one back to back (this one first if `first`); return (here, there)."""
    if first:
        here = cli_run(python_here, kind, data, period, work)
        return here, cli_run(python_there, kind, data, period, work)
    there = cli_run(python_there, kind, data, period, work)
    return cli_run(python_here, kind, data, period, work), there


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f" {'ok' if value <= target else 'OVER'} (target <= {target:g})"


@dataclass(frozen=True)
class Comparison:
    """The paired runs of one scenario and their medians."""

    label: str  # the other checkout, as `describe` gives it
    here: tuple[Run, ...]
    there: tuple[Run, ...]

    def medians(self) -> tuple[float, float, float, float]:
        """Return the median wall and CPU seconds here and there, over the runs that completed."""
        here = [r for r in self.here if r.ok] or list(self.here)
        there = [r for r in self.there if r.ok] or list(self.there)
        return (
            statistics.median(r.wall for r in here),
            statistics.median(r.cpu for r in here),
            statistics.median(r.wall for r in there),
            statistics.median(r.cpu for r in there),
        )

    def lines(self, target: float | None) -> list[str]:
        """Return the printed lines: wall and CPU medians, their ratios, the verdict, any failed run."""
        wall_here, cpu_here, wall_there, cpu_there = self.medians()
        ratio = wall_here / max(wall_there, 1e-9)
        lines = [
            f"  against {self.label}, median of {len(self.here)} alternating runs of `reportgen run`:",
            f"    wall {wall_here:.2f} s here / {wall_there:.2f} s there = {ratio:.2f}{_verdict(ratio, target)}",
            f"    CPU  {cpu_here:.2f} s here / {cpu_there:.2f} s there = {cpu_here / max(cpu_there, 1e-9):.2f}",
        ]
        for side, runs in (("here", self.here), ("there", self.there)):
            lines += [f"    a run {side} failed ({r.note})" for r in runs if not r.ok]
        return lines

    def summary(self) -> dict[str, object]:
        """Return the figures for build/bench/last.json."""
        wall_here, cpu_here, wall_there, cpu_there = self.medians()
        return {
            "checkout": self.label,
            "wall": wall_here,
            "cpu": cpu_here,
            "their_wall": wall_there,
            "their_cpu": cpu_there,
            "ratio": wall_here / max(wall_there, 1e-9),
        }
