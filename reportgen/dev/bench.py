"""`make bench`: wall time and peak memory per stage, reportgen next to the plain pandas + scikit-learn method.

Every measured job runs in a fresh Python process, so imports and peak memory belong to one job. A worker
reports each finished stage (wall seconds, peak resident memory during the stage: VmHWM, reset between stages
through /proc/self/clear_refs) as a JSON line in a result file; the parent times the whole process (interpreter
start to exit) as "end to end", takes the median over repeats and prints one table.

Scenarios: the real 8,950-row table, synthetic customer tables (100k, 1M rows, CSV) and synthetic purchase logs
(1M rows CSV, 10M rows Parquet), generated once into the cache folder (build/bench/) and reused. The plain method
is the seed notebook's: pandas read, median fill, StandardScaler, KMeans(k, n_init=10) for every k in 2..10 with
silhouette_score on a 10,000-row sample, a final fit, groupby means (for logs: a pandas groupby to recency,
frequency and monetary first). It can take minutes on a million rows, so it is stopped after --plain-timeout
seconds and reported as "more than" that.

    python -m reportgen.dev.bench [--only NAME[,NAME]] [--quick] [--repeat N] [--plain-timeout S] [--no-plain]
        [--stability]   (each run is followed by one with stability_resamples = 0; prints the ratio)
        [--against DIR] (each run is paired with `reportgen run` from the checkout DIR; prints the ratio)
    python -m reportgen.dev.bench_spark [--only spark-customers-1m|spark-transactions-10m]   (make bench-spark)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.dev.bench_against import Comparison, Run, against_python, describe, paired_runs
from reportgen.dev.bench_plain import plain_job

REAL_TABLE = Path("/work/shared/data/cc_general.csv")
DEFAULT_CACHE = Path("build/bench")
PERIOD = "2026-11"
SEED = 2026
PLAIN_TIMEOUT = 900.0

Emit = Callable[[str], None]


@dataclass(frozen=True)
class Scenario:
    """One benchmark input and the targets its end-to-end run is held to."""

    name: str
    kind: str  # "customers" or "transactions"
    rows: int  # table rows or log lines; 0 for the real table
    customers: int
    fmt: str  # "csv" or "parquet"
    repeat: int
    quick: bool  # part of --quick
    wall_target: float | None = None  # seconds, end to end (process start to finished PDF + HTML)
    peak_target_mb: float | None = None
    plain_ratio_target: float | None = None  # at most this share of the plain method's time
    analysis_target: float | None = None  # seconds from loading to summary.json, imports excluded
    against_target: float | None = None  # at most this multiple of --against's end-to-end time
    path: Path | None = None  # a fixed input instead of a generated one

    def label(self) -> str:
        """Return the scenario as the table shows it."""
        if self.kind == "transactions":
            return f"{self.name} ({self.rows:,} lines, {self.fmt})"
        return f"{self.name} ({self.customers:,} rows, {self.fmt})"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "real",
        "customers",
        8950,
        8950,
        "csv",
        repeat=5,
        quick=True,
        wall_target=4.0,
        analysis_target=1.5,
        against_target=1.15,  # issues 9 and 13: within 1.15x of the commit before, measured in the same run
        path=REAL_TABLE,
    ),
    Scenario("customers-100k", "customers", 100_000, 100_000, "csv", repeat=1, quick=True),
    Scenario(
        "customers-1m",
        "customers",
        1_000_000,
        1_000_000,
        "csv",
        repeat=1,
        quick=False,
        wall_target=20.0,
        peak_target_mb=2500.0,
        plain_ratio_target=0.25,
    ),
    Scenario("transactions-1m", "transactions", 1_000_000, 40_000, "csv", repeat=1, quick=True),
    Scenario(
        "transactions-10m",
        "transactions",
        10_000_000,
        400_000,
        "parquet",
        repeat=1,
        quick=False,
        wall_target=60.0,
        peak_target_mb=4000.0,
    ),
)


# ---- inputs ------------------------------------------------------------------------------------------


def input_path(scenario: Scenario, cache: Path) -> Path:
    """Return where a scenario's input lives (generated inputs are named by size, seed and format)."""
    if scenario.path is not None:
        return scenario.path
    stem = "customers" if scenario.kind == "customers" else "transactions"
    return cache / "inputs" / f"{stem}-{scenario.rows}-{scenario.customers}-s{SEED}.{scenario.fmt}"


def ensure_input(scenario: Scenario, cache: Path, say: Emit) -> Path:
    """Return the scenario's input file, generating it first unless a previous run left it in the cache."""
    path = input_path(scenario, cache)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    say(f"generating {path} (once; reused by later runs)")
    start = time.perf_counter()
    # A temporary name with the same suffix, renamed when complete: an interrupted run leaves nothing to reuse.
    tmp = path.with_name(f".tmp-{path.name}")
    if scenario.kind == "customers":
        from reportgen.dev.sample import generate_customers, write_sample_csv

        frame = generate_customers(scenario.rows, seed=SEED).frame
        if scenario.fmt == "parquet":
            frame.write_parquet(tmp)
        else:
            write_sample_csv(frame, tmp)
    else:
        from datetime import date

        from reportgen.dev.sample_transactions import generate_transactions, write_transactions

        log = generate_transactions(scenario.rows, scenario.customers, SEED, date(2026, 11, 30))
        write_transactions(log, tmp)
        del log
    os.replace(tmp, path)
    say(f"generated {path.name} in {time.perf_counter() - start:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)")
    return path


# ---- workers (run in a fresh process) ------------------------------------------------------------------


def peak_mb(reset: bool = True) -> float:
    """Return this process's peak resident memory (VmHWM) in MB, then reset the peak to the current size."""
    kb = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                kb = int(line.split()[1])
                break
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:  # not permitted: later stages then report the peak so far
            pass
    return kb / 1024.0


def _cpu_seconds() -> float:
    """Return the CPU time (user + system, every thread) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StageClock:
    """Record stages as JSON lines in the result file: name, wall seconds, peak MB during the stage."""

    def __init__(self, result: Path) -> None:
        self.fh = result.open("a", encoding="utf-8")
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.cpu = _cpu_seconds()

    def start(self, stage: str) -> None:
        """End the current stage (if any) and start the next."""
        now, cpu = time.perf_counter(), _cpu_seconds()
        if self.stage is not None:
            self.write(
                {"stage": self.stage, "wall": now - self.started, "cpu": cpu - self.cpu, "peak_mb": peak_mb()}
            )
        self.stage, self.started, self.cpu = stage, now, cpu

    def finish(self) -> None:
        """End the last stage and mark the job complete."""
        self.start("")
        self.write({"done": True})
        self.fh.close()

    def write(self, record: dict[str, Any]) -> None:
        """Append one record and flush it, so a job stopped by a timeout keeps what it measured."""
        self.fh.write(json.dumps(record) + "\n")
        self.fh.flush()


# progress message prefix -> stage name (pipeline.run's messages)
STAGES: tuple[tuple[str, str], ...] = (
    ("loading", "load"),
    ("preparing features", "features"),
    ("scoring k=", "k sweep (K-Means)"),
    ("scoring separation", "silhouettes"),
    ("resampling", "stability (resampling)"),
    ("fitting", "final fit, profiles, summary"),
    ("comparing with", "month over month"),
    ("drawing charts", "charts"),
    ("writing the HTML and PDF", "charts + HTML + PDF (workers)"),
    ("writing the e-mail briefing", "briefing"),
    ("publishing", "publish"),
)
ANALYSIS_STAGES = tuple(name for _, name in STAGES[:6])  # load .. final fit, profiles, summary


def reportgen_job(
    kind: str, data: Path, out: Path, clock: StageClock, resamples: int | None = None, engine: str = "local"
) -> None:
    """Run `reportgen run` in this process the way the command line does, one stage per progress message.

    As in the CLI, the render workers start first and load the rendering stack while this process imports
    the analysis stack; their peak memory is added to this process's (they run at the same time).
    """
    clock.start("imports")
    from dataclasses import replace

    from reportgen.parallel.runtime import collector_paused
    from reportgen.parallel.worker import RenderWorker

    with RenderWorker.start() as renderer:
        with collector_paused():  # as the command line does
            from reportgen.config import Settings
            from reportgen.pipeline import run

        settings = Settings()
        if kind == "transactions":
            settings = replace(settings, data=replace(settings.data, kind="transactions"))
        if engine != "local":  # the Spark scenarios (bench_spark): the same run on another engine
            settings = replace(settings, engine=replace(settings.engine, kind=engine))
        if resamples is not None:  # --stability: the same run with another number of resamples
            settings = replace(
                settings, clustering=replace(settings.clustering, stability_resamples=resamples)
            )
        clock.start("setup")

        def progress(message: str) -> None:
            stage = next((name for prefix, name in STAGES if message.startswith(prefix)), None)
            if stage is not None and stage != clock.stage:
                clock.start(stage)

        result = run(settings, PERIOD, out, data, progress, renderer)
    stats = result.renderer_stats
    clock.write({"workers_peak_mb": stats.get("peak_mb", 0.0) + stats.get("charts_peak_mb", 0.0)})


def worker(method: str, kind: str, data: Path, out: Path, result: Path) -> int:
    """Run one job in this process and record its stages in `result`."""
    clock = StageClock(result)
    if method == "plain":
        plain_job(kind, data, out, clock)
    elif method == "spark":  # the Spark engine, local mode (bench_spark)
        reportgen_job(kind, data, out, clock, engine="spark")
    else:  # "unstable": reportgen with stability_resamples = 0, the --stability comparison
        reportgen_job(kind, data, out, clock, 0 if method == "unstable" else None)
    clock.finish()
    if method != "plain":  # the `reportgen` command skips the interpreter's teardown (cli.console)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


# ---- the parent: run jobs, collect, print -------------------------------------------------------------


@dataclass
class Job:
    """What one worker process measured."""

    wall: float  # process start to exit, measured by the parent
    cpu: float  # user + system seconds of the whole process, every thread
    stages: dict[str, tuple[float, float, float]]  # name -> (wall s, CPU s, peak MB)
    extra: dict[str, float] = field(default_factory=dict)  # split timings (plain: fits vs silhouettes)
    complete: bool = True
    note: str = ""
    workers_peak: float = 0.0  # MB: the render workers' peaks, which run alongside the measured process

    def peak(self) -> float:
        """Return the job's peak resident memory: its largest stage peak plus its render workers' peaks."""
        return max((p for _, _, p in self.stages.values()), default=0.0) + self.workers_peak


def _wait(pid: int, timeout: float | None) -> tuple[int | None, float]:
    """Wait for a child: return its exit status (None if it ran out of time) and its CPU seconds."""
    deadline = None if timeout is None else time.perf_counter() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
        if deadline is not None and time.perf_counter() > deadline:
            os.killpg(pid, signal.SIGKILL)  # the session of the process this bench started
            _, _, usage = os.wait4(pid, 0)
            return None, usage.ru_utime + usage.ru_stime
        time.sleep(0.02)


def run_job(method: str, scenario: Scenario, data: Path, cache: Path, timeout: float | None) -> Job:
    """Run one job in a fresh process (its own session, so a timeout stops all of it) and read its stages."""
    work = cache / "runs"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        result = Path(tmp) / "result.jsonl"
        log = Path(tmp) / "stderr.txt"
        out = Path(tmp) / "out"
        out.mkdir()
        cmd = [sys.executable, "-m", "reportgen.dev.bench", "--worker", method, "--kind", scenario.kind]
        cmd += ["--data", str(data), "--out", str(out), "--result", str(result)]
        start = time.perf_counter()
        with log.open("wb") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            code, cpu = _wait(proc.pid, timeout)
            proc.returncode = code if code is not None else -9  # reaped by _wait; keep Popen from waiting
        wall = time.perf_counter() - start
        records = [json.loads(line) for line in result.read_text().splitlines()] if result.exists() else []
        stages = {r["stage"]: (r["wall"], r["cpu"], r["peak_mb"]) for r in records if "stage" in r}
        workers_peak = next((float(r["workers_peak_mb"]) for r in records if "workers_peak_mb" in r), 0.0)
        split = next((r for r in records if "split" in r), None)
        partial = [r for r in records if "partial" in r]
        extra = {k: float(v) for k, v in (split or (partial[-1] if partial else {})).items() if k != "split"}
        extra.pop("partial", None)
        if code is None:
            reached = f", reached {partial[-1]['partial']}" if partial else ""
            note = f"stopped at the {timeout:.0f} s limit{reached}"
            return Job(wall, cpu, stages, extra, complete=False, note=note)
        if code != 0 or not any(r.get("done") for r in records):
            tail = (log.read_text(errors="replace").strip().splitlines() or [""])[-1][:120]
            return Job(wall, cpu, stages, extra, complete=False, note=f"failed (exit {code}): {tail}")
        return Job(wall, cpu, stages, extra, workers_peak=workers_peak)


def median_job(jobs: Sequence[Job]) -> Job:
    """Return per-stage medians (wall, CPU, peak) over complete repeats, with the median end-to-end figures."""
    done = [j for j in jobs if j.complete] or list(jobs)
    names = list(dict.fromkeys(name for j in done for name in j.stages))
    stages = {
        name: (
            statistics.median(j.stages[name][0] for j in done if name in j.stages),
            statistics.median(j.stages[name][1] for j in done if name in j.stages),
            statistics.median(j.stages[name][2] for j in done if name in j.stages),
        )
        for name in names
    }
    keys = list(dict.fromkeys(k for j in done for k in j.extra))
    extra = {k: statistics.median(j.extra[k] for j in done if k in j.extra) for k in keys}
    extra["_peak"] = statistics.median(j.peak() for j in done)
    extra["_spread"] = max(j.wall for j in done) - min(j.wall for j in done)
    wall = statistics.median(j.wall for j in done)
    return Job(wall, statistics.median(j.cpu for j in done), stages, extra, done[0].complete, done[0].note)


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _verdict(value: float, target: float | None, unit: str) -> str:
    if target is None:
        return ""
    return f"{'ok' if value <= target else 'OVER'} (target <= {target:g}{unit})"


Row = tuple[str, str, str, str, str, str]


def _split_text(extra: dict[str, float]) -> str:
    return f"fits {extra.get('fits', 0):.1f} s, silhouettes {extra.get('silhouettes', 0):.1f} s"


def report_rows(scenario: Scenario, mine: Job, plain: Job | None, runs: int) -> list[Row]:
    """Return the table rows of one scenario: reportgen's stages, the plain method's, and the verdicts."""
    rows: list[Row] = []
    for name, (wall, cpu, peak) in mine.stages.items():
        rows.append(("reportgen", name, f"{wall:.2f}", f"{cpu:.2f}", f"{peak:,.0f}", ""))
    analysis = [(w, c) for n, (w, c, _) in mine.stages.items() if n in ANALYSIS_STAGES]
    wall_a, cpu_a = sum(w for w, _ in analysis), sum(c for _, c in analysis)
    verdict = _verdict(wall_a, scenario.analysis_target, " s")
    rows.append(("reportgen", "= analysis (load to summary)", f"{wall_a:.2f}", f"{cpu_a:.2f}", "", verdict))
    peak = mine.extra.get("_peak", mine.peak())
    status = "" if mine.complete else f" [{mine.note}]"
    spread = f"runs spread {mine.extra['_spread']:.2f} s; " if runs > 1 else ""
    verdicts = [
        _verdict(mine.wall, scenario.wall_target, " s"),
        _verdict(peak, scenario.peak_target_mb, " MB"),
    ]
    rows.append(
        (
            "reportgen",
            f"= END TO END (median of {runs}){status}",
            f"{mine.wall:.2f}",
            f"{mine.cpu:.2f}",
            f"{peak:,.0f}",
            spread + " ".join(v for v in verdicts if v),
        )
    )
    if plain is None:
        return rows
    for name, (wall, cpu, peak_stage) in plain.stages.items():
        detail = _split_text(plain.extra) if name.startswith("k sweep") and plain.extra else ""
        rows.append(("plain", name, f"{wall:.2f}", f"{cpu:.2f}", f"{peak_stage:,.0f}", detail))
    if not plain.complete and plain.extra:
        rows.append(("plain", "(unfinished stage)", "", "", "", _split_text(plain.extra)))
    ratio = mine.wall / plain.wall
    verdict = _verdict(ratio, scenario.plain_ratio_target, "")
    more = "" if plain.complete else f" > [{plain.note}]"
    rows.append(
        (
            "plain",
            f"= END TO END{more}",
            f"{plain.wall:.2f}",
            f"{plain.cpu:.2f}",
            f"{plain.extra.get('_peak', plain.peak()):,.0f}",
            f"reportgen / plain = {'' if plain.complete else '< '}{ratio:.2f} {verdict}".strip(),
        )
    )
    return rows


def print_table(title: str, rows: list[Row]) -> None:
    """Print one scenario's rows as aligned columns."""
    print(f"\n{title}")
    head: Row = ("method", "stage", "wall s", "CPU s", "peak MB", "vs target / plain")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for r in [head, *rows]:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])] + [r[i].rjust(widths[i]) for i in (2, 3, 4)]
        print(f"  {'  '.join(cells)}  {r[5]}".rstrip())
    sys.stdout.flush()


def selected(names: Sequence[str], quick: bool) -> list[Scenario]:
    """Return the scenarios to run: those named by --only, else every one (only the quick ones with --quick)."""
    wanted = [n for part in names for n in part.split(",") if n]
    known = {s.name for s in SCENARIOS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"error: unknown scenario {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if wanted:
        return [s for s in SCENARIOS if s.name in wanted]
    return [s for s in SCENARIOS if s.quick or not quick]


def bench(args: argparse.Namespace) -> int:
    """Run the selected scenarios and print the table."""
    cache: Path = args.cache
    scenarios = selected(args.only, args.quick)
    there = against_python(args.against) if args.against is not None else None

    def say(message: str) -> None:
        print(f"  .. {message}", file=sys.stderr, flush=True)

    cpus = os.cpu_count()
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in ln), "0"
    )
    print(f"reportgen bench: {cpus} cores, {int(mem) / 2**20:.0f} GiB, {sys.executable}")
    print(f"load average at start: {load_average()}")
    summary: list[dict[str, Any]] = []
    for scenario in scenarios:
        data = ensure_input(scenario, cache, say)
        runs = args.repeat or (min(scenario.repeat, 3) if args.quick else scenario.repeat)
        mine: list[Job] = []
        unstable: list[Job] = []  # the same runs with stability_resamples = 0 (--stability)
        plain: list[Job] = []
        pairs: list[tuple[Run, Run]] = []  # (this checkout, --against) per repeat
        loads = [load_average()]
        for i in range(runs):
            say(f"{scenario.name}: reportgen run {i + 1}/{runs}")
            mine.append(run_job("reportgen", scenario, data, cache, None))
            if not mine[-1].complete:
                say(f"{scenario.name}: reportgen {mine[-1].note}")
            if args.stability:  # right after, so both see the same machine load
                say(f"{scenario.name}: reportgen run {i + 1}/{runs} with stability_resamples = 0")
                unstable.append(run_job("unstable", scenario, data, cache, None))
            if there is not None:  # alternating which goes first, so neither always meets the other's wake
                say(f"{scenario.name}: reportgen run and --against run {i + 1}/{runs}")
                pairs.append(
                    paired_runs(
                        Path(sys.executable), there, scenario.kind, data, PERIOD, cache / "runs", i % 2 == 0
                    )
                )
            if not args.no_plain:
                say(f"{scenario.name}: plain run {i + 1}/{runs} (limit {args.plain_timeout:.0f} s)")
                plain.append(run_job("plain", scenario, data, cache, args.plain_timeout))
                loads.append(load_average())
                if not plain[-1].complete:
                    break  # a plain run that hit the limit will not get faster on a repeat
        m = median_job(mine)
        p = median_job(plain) if plain else None
        title = f"{scenario.label()}: load average {' -> '.join(dict.fromkeys(loads))}"
        print_table(title, report_rows(scenario, m, p, len(mine)))
        off = median_job(unstable) if unstable else None
        if off is not None:  # issue 10's budget: at most 1.25x the time without stability
            r, c = m.wall / off.wall, m.cpu / max(off.cpu, 1e-9)
            print(
                f"  stability: {m.wall:.2f} s / {off.wall:.2f} s without, ratio {r:.2f} {_verdict(r, 1.25, '')}"
            )
            print(f"  stability CPU: {m.cpu:.2f} s / {off.cpu:.2f} s without, ratio {c:.2f}")
        against = None
        if pairs:
            against = Comparison(
                describe(args.against), tuple(h for h, _ in pairs), tuple(t for _, t in pairs)
            )
            print("\n".join(against.lines(scenario.against_target)))
            sys.stdout.flush()
        summary.append(
            {
                "scenario": scenario.name,
                "reportgen_wall": m.wall,
                "reportgen_cpu": m.cpu,
                "reportgen_peak_mb": m.extra.get("_peak"),
                "reportgen_stages": m.stages,
                "plain_wall": p.wall if p else None,
                "plain_cpu": p.cpu if p else None,
                "plain_complete": p.complete if p else None,
                "load_average": loads,
                "without_stability_wall": off.wall if off else None,
                "against": against.summary() if against else None,
            }
        )
    print(f"\nload average at end: {load_average()}")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "last.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reportgen.dev.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--only", action="append", default=[], help="scenario name(s), comma-separated")
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats")
    parser.add_argument("--repeat", type=int, default=0, help="runs per scenario (default: 5 real, 1 large)")
    parser.add_argument("--plain-timeout", type=float, default=PLAIN_TIMEOUT, help="seconds per plain run")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain pandas + scikit-learn method")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="folder for inputs and scratch runs"
    )
    parser.add_argument("--stability", action="store_true", help="also run with stability_resamples = 0")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="DIR",
        help="also time `reportgen run` from the checkout DIR (with its .venv), alternating, and print the ratio",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    # internal: one job in this process
    parser.add_argument(
        "--worker", choices=("reportgen", "unstable", "plain", "spark"), help=argparse.SUPPRESS
    )
    parser.add_argument("--kind", default="customers", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with the internal --worker flag, one measured job)."""
    args = _parser().parse_args(argv)
    if args.worker:
        return worker(args.worker, args.kind, args.data, args.out, args.result)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:18} {s.label()}{'  (--quick)' if s.quick else ''}")
        return 0
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
