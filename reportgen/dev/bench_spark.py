"""`make bench-spark`: the Spark engine (local mode) next to the local engine, in the same run.

Scenarios: a million synthetic customers from Parquet and ten million purchase lines (400,000 customers) from
Parquet, generated once into the cache folder as `make bench` does. Each engine runs `reportgen run` end to
end in a fresh process (its own session); the wall time is process start to exit, and the peak memory is the
largest sum, sampled every 0.2 s, of the resident memory of every process of that session: the Python
driver, the JVM Spark starts and Spark's Python workers, and the render workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from reportgen.dev.bench import Scenario, ensure_input, load_average

SPARK_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "spark-customers-1m",
        "customers",
        1_000_000,
        1_000_000,
        "parquet",
        repeat=1,
        quick=False,
        wall_target=120.0,
    ),
    Scenario(
        "spark-transactions-10m",
        "transactions",
        10_000_000,
        400_000,
        "parquet",
        repeat=1,
        quick=False,
        wall_target=150.0,
    ),
)
SAMPLE_EVERY = 0.2  # seconds between memory samples
PAGE = os.sysconf("SC_PAGE_SIZE")


def session_rss_mb(session: int) -> float:
    """Return the resident memory (MB) of every process in a session (the job and all it started)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) != session:  # field 6 of /proc/PID/stat: the session id
                continue
            total += int(Path(entry.path, "statm").read_text().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
    return total / 2**20


def measured_run(method: str, scenario: Scenario, data: Path, cache: Path) -> tuple[float, float, int, str]:
    """Run one engine end to end in a fresh session: wall seconds, peak MB of the session, exit status and
    the wall seconds of its stages."""
    work = cache / "runs"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        cmd = [sys.executable, "-m", "reportgen.dev.bench", "--worker", method, "--kind", scenario.kind]
        cmd += ["--data", str(data), "--out", str(out), "--result", str(Path(tmp) / "result.jsonl")]
        env = {
            **os.environ,
            "REPORTGEN_SPARK_DRIVER_MEMORY": os.environ.get("REPORTGEN_SPARK_DRIVER_MEMORY", "4g"),
        }
        start = time.perf_counter()
        with (Path(tmp) / "stderr.txt").open("wb") as err:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, env=env
            )
            peak = 0.0
            while proc.poll() is None:
                peak = max(peak, session_rss_mb(proc.pid))
                time.sleep(SAMPLE_EVERY)
        wall = time.perf_counter() - start
        result = Path(tmp) / "result.jsonl"
        records = [json.loads(line) for line in result.read_text().splitlines()] if result.exists() else []
        stages = ", ".join(f"{r['stage']} {r['wall']:.1f}" for r in records if r.get("stage"))
        if proc.returncode != 0:
            tail = (Path(tmp) / "stderr.txt").read_text(errors="replace").strip().splitlines()
            print(f"  {method} failed (exit {proc.returncode}): {(tail or [''])[-1][:200]}", file=sys.stderr)
        return wall, peak, proc.returncode, stages


def bench_spark(names: Sequence[str], cache: Path) -> int:
    """Run the Spark scenarios (those named, else both) on both engines and print one line per engine."""
    wanted = [n for part in names for n in part.split(",") if n]
    scenarios = [s for s in SPARK_SCENARIOS if not wanted or s.name in wanted]
    print(f"reportgen bench (Spark local mode vs local engine): {os.cpu_count()} cores")
    for scenario in scenarios:
        data = ensure_input(scenario, cache, lambda m: print(f"  .. {m}", file=sys.stderr, flush=True))
        before = load_average()
        local_wall, local_peak, local_code, local_stages = measured_run("reportgen", scenario, data, cache)
        spark_wall, spark_peak, spark_code, spark_stages = measured_run("spark", scenario, data, cache)
        verdict = "ok" if spark_wall <= (scenario.wall_target or float("inf")) else "OVER"
        print(f"\n{scenario.label()}: load average {before} -> {load_average()}")
        print(f"  local engine  {local_wall:8.1f} s  peak {local_peak:8,.0f} MB  exit {local_code}")
        print(
            f"  spark engine  {spark_wall:8.1f} s  peak {spark_peak:8,.0f} MB  exit {spark_code}  "
            f"(JVM + Python) {verdict} (target <= {scenario.wall_target:g} s)"
        )
        print(
            f"  spark / local = {spark_wall / local_wall:.1f}x wall, {spark_peak / max(local_peak, 1):.1f}x memory"
        )
        print(f"  local stages (s): {local_stages}")
        print(f"  spark stages (s): {spark_stages}")
        sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the Spark scenarios: `python -m reportgen.dev.bench_spark [--only NAME[,NAME]] [--cache DIR]`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m reportgen.dev.bench_spark", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--only", action="append", default=[], help="spark-customers-1m, spark-transactions-10m"
    )
    parser.add_argument(
        "--cache", type=Path, default=Path("build/bench"), help="folder for inputs and scratch runs"
    )
    args = parser.parse_args(argv)
    return bench_spark(args.only, args.cache)


if __name__ == "__main__":
    sys.exit(main())
