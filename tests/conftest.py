"""Shared fixtures: the reference table from ../shared/data and small synthetic tables."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from reportgen.config import CC_FEATURES

ROOT = Path(__file__).resolve().parent.parent


def _shared_data() -> Path:
    env = os.environ.get("REPORTGEN_SHARED_DATA")
    if env:
        return Path(env)
    for base in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"):
        if (base / "cc_general.csv").is_file():
            return base
    return ROOT.parent / "shared" / "data"


def readme_config(table: str) -> str:
    """Return the README's configuration for one of the shared tables ("marketing_campaign.csv"), as written
    there: the first TOML block after the line that introduces the table, so the tests run the README's
    example literally."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^`{re.escape(table)}` .*?```toml\n(.*?)```", text, re.MULTILINE | re.DOTALL)
    assert found is not None, f"README: no TOML example for {table}"
    return found.group(1)


CC_GENERAL = _shared_data() / "cc_general.csv"
MARKETING = _shared_data() / "marketing_campaign.csv"
WHOLESALE = _shared_data() / "wholesale_customers.csv"


@pytest.fixture(scope="session")
def cc_path() -> Path:
    """Return the path of the real credit-card table (read in place, never copied)."""
    if not CC_GENERAL.is_file():
        pytest.fail(f"reference table not found at {CC_GENERAL}; set REPORTGEN_SHARED_DATA")
    return CC_GENERAL


@pytest.fixture(scope="session")
def marketing_path() -> Path:
    """Return the path of marketing_campaign.csv as distributed (TAB-separated), read in place."""
    if not MARKETING.is_file():
        pytest.fail(f"reference table not found at {MARKETING}; set REPORTGEN_SHARED_DATA")
    return MARKETING


@pytest.fixture(scope="session")
def wholesale_path() -> Path:
    """Return the path of wholesale_customers.csv as distributed (no id column), read in place."""
    if not WHOLESALE.is_file():
        pytest.fail(f"reference table not found at {WHOLESALE}; set REPORTGEN_SHARED_DATA")
    return WHOLESALE


def blob_table(n_per_group: int = 60, seed: int = 0) -> pl.DataFrame:
    """Return a small credit-card-shaped table with three well-separated behaviour groups."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(3):
        for _ in range(n_per_group):
            base = {c: float(rng.uniform(0.0, 1.0)) for c in CC_FEATURES}
            base["TENURE"] = 12.0
            if g == 0:  # low activity
                base.update(
                    PURCHASES=rng.uniform(0, 50),
                    ONEOFF_PURCHASES=0.0,
                    CASH_ADVANCE=0.0,
                    BALANCE=rng.uniform(0, 100),
                )
            elif g == 1:  # high spenders
                base.update(
                    PURCHASES=rng.uniform(8000, 9000),
                    ONEOFF_PURCHASES=rng.uniform(6000, 7000),
                    CASH_ADVANCE=0.0,
                    BALANCE=rng.uniform(1000, 2000),
                )
            else:  # cash-advance users
                base.update(
                    PURCHASES=rng.uniform(0, 100),
                    ONEOFF_PURCHASES=0.0,
                    CASH_ADVANCE=rng.uniform(5000, 6000),
                    BALANCE=rng.uniform(5000, 6000),
                )
            base["INSTALLMENTS_PURCHASES"] = max(0.0, base["PURCHASES"] - base["ONEOFF_PURCHASES"])
            base["CREDIT_LIMIT"] = float(rng.uniform(1000, 10000))
            rows.append(base)
    frame = pl.DataFrame(rows).select(CC_FEATURES)
    ids = pl.Series("CUST_ID", [f"T{i:05d}" for i in range(frame.height)])
    return frame.insert_column(0, ids)


@pytest.fixture
def blob_csv(tmp_path: Path) -> Path:
    """Write the three-group table as CSV and return its path."""
    path = tmp_path / "customers.csv"
    blob_table().write_csv(path)
    return path


@pytest.fixture(scope="session")
def second_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the period folder of a second synthetic month (so every document carries changes)."""
    from reportgen.config import ClusterConfig, Settings
    from reportgen.dev.sample import generate_months, write_sample_csv
    from reportgen.pipeline import run

    settings = Settings(clustering=ClusterConfig(k_min=3, k_max=6, n_init=2))
    base = tmp_path_factory.mktemp("second-month")
    for month in generate_months(1500, ["2026-10", "2026-11"], seed=5):
        write_sample_csv(month.frame, base / f"{month.period}.csv")
        run(settings, month.period, base / "out", base / f"{month.period}.csv")
    return base / "out" / "2026-11"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """Return the one Spark session of the test run: local[2], 4 shuffle partitions, a 1 GB driver heap.

    Every Spark test shares it (a session takes 10-25 s to start); the engine's own `spark_session` finds it
    running and uses it. `make test` installs pyspark and the Java runtime (`make spark`).
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("the Spark tests need pyspark and Java 17: run `make spark` (make test does)")
    from reportgen.engines.spark.session import spark_session

    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=4)
    yield session
    SPARK_PART["peak_mb"] = _session_peak_mb()
    session.stop()


# what the Spark part of the run cost (issue 15: at most 4 minutes and 3 GB), printed at the end of the run
SPARK_PART: dict[str, float] = {"seconds": 0.0, "tests": 0, "peak_mb": 0.0}


def _session_peak_mb() -> float:
    """Return the peak resident memory (MB) of the JVM Spark started and its Python workers, plus this process's:
    each process's own peak (VmHWM), summed, so at most what they held together."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                children.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0
        )
    return own + total


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "spark" in report.keywords:
        SPARK_PART["seconds"] += report.duration  # setup (the session's start), call and teardown
        SPARK_PART["tests"] += report.when == "call"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SPARK_PART["tests"]:
        terminalreporter.write_line(
            f"Spark part: {SPARK_PART['tests']:.0f} tests in {SPARK_PART['seconds']:.0f} s, peak memory "
            f"{SPARK_PART['peak_mb']:,.0f} MB (this process, the JVM and Spark's Python workers)"
        )
