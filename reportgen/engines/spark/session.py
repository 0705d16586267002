"""The Spark session: started once per process from `[engine] master`, quiet, with this venv's Python.

Spark runs the numpy steps (preparation, nearest centroid, Lloyd sums) in Python workers through
`mapInPandas`; those workers must be this interpreter, with reportgen and its pinned packages.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# Rows per Arrow batch handed to a Python worker: bounds a worker's memory to a few tens of MB.
ARROW_BATCH = 50_000
CODEGEN_FIELDS = 4_000  # Spark's default is 100 (see spark_session)
TASKS_PER_CORE = 4  # in local mode: file splits per core (see spark_session)


def spark_session(
    master: str, driver_memory: str | None = None, shuffle_partitions: int | None = None
) -> SparkSession:
    """Return the process's Spark session, started on `master` if none runs yet (quiet, Arrow on)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the Spark engine needs pyspark and a Java 17 runtime: run `make spark` (or pip install "
            '"reportgen[spark]"), or set [engine] kind = "local"'
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no "hostname resolves to loopback" warning
    # PySpark warns that pandas 3 is not fully supported; the parts used here (Arrow batches of float64 and
    # text columns into and out of mapInPandas) are covered by the same-answer tests
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    # -XX:-DontCompileHugeMethods: the code Spark generates for a job with many columns (each row's distance
    # to every centroid, a statistic per column) is one Java method past the JIT's 8,000-byte limit, which
    # the JVM would otherwise run in its bytecode interpreter, 3-5x slower
    java_options = f"-Dlog4j2.configurationFile=file:{LOG_CONFIG} -XX:-DontCompileHugeMethods"
    builder = (
        SparkSession.builder.master(master)
        .appName("reportgen")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.executor.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH))
        .config("spark.sql.session.timeZone", "UTC")
        # the statistics are one aggregation with several results per column (7 x 17 on cc_general's
        # columns): past 100 output fields Spark gives up whole-stage code generation and interprets the
        # job row by row, 3-5x slower; a method too large to compile still falls back on its own
        .config("spark.sql.codegen.maxFields", str(CODEGEN_FIELDS))
        .config("spark.executorEnv.PYSPARK_PYTHON", os.environ["PYSPARK_PYTHON"])
    )
    memory = driver_memory or os.environ.get("REPORTGEN_SPARK_DRIVER_MEMORY")
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    if master.startswith("local"):
        # a file is split into at least this many tasks (Spark's default: one per core), so that the
        # splits, which follow the file's row groups, even out over the cores: two splits of a million
        # rows came out 625,000 and 375,000, one core idle for 40% of every job on the cached table
        builder = builder.config("spark.sql.files.minPartitionNum", str(TASKS_PER_CORE * local_cores(master)))
    partitions = shuffle_partitions or int(os.environ.get("REPORTGEN_SPARK_SHUFFLE_PARTITIONS", "0") or 0)
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    with spark_failures(), jvm_output():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    quiet_python_loggers()
    return session


def local_cores(master: str) -> int:
    """Return the cores a local master runs on: local[4] 4, local[*] every core here, local 1."""
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    number = inside.split(",")[0].strip()
    return int(number) if number.isdigit() else os.cpu_count() or 1


def quiet_python_loggers() -> None:
    """Silence PySpark's own Python loggers, which print a JSON line on stderr for each failed query.

    The failure reaches the user once, as the `error:` line spark_failures makes of it.
    """
    import logging

    from pyspark.logger import PySparkLogger

    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextmanager
def jvm_output() -> Iterator[None]:
    """Send the output of a JVM started now to a log file instead of this terminal.

    The launcher and Spark's shell print banners on the JVM's own stderr before any logging configuration
    applies ("Using incubator modules", "Setting default log level"); the child inherits file descriptor 2 at
    its start, so it is pointed at `spark-jvm.log` in the temporary folder for that moment. A failure still
    reaches the user through Py4J as one `error:` line; REPORTGEN_DEBUG=1 keeps the JVM's output visible.
    """
    if os.environ.get("REPORTGEN_DEBUG"):
        yield
        return
    import tempfile

    log = Path(tempfile.gettempdir()) / "reportgen-spark-jvm.log"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log.open("ab") as handle:
            os.dup2(handle.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def reason(exc: BaseException) -> str:
    """Return the first line of a Spark failure's reason, without the Java stack trace."""
    text = str(getattr(exc, "desc", None) or exc).strip()
    java = getattr(exc, "java_exception", None)
    if java is not None and not text:
        text = str(java.toString())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first[:300]


@contextmanager
def spark_failures() -> Iterator[None]:
    """Turn a failure inside Spark (the JVM, a worker, a lost connection) into one EngineError line."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        module = type(exc).__module__ or ""
        if module.startswith(("pyspark", "py4j")) or type(exc).__name__ in ("Py4JJavaError", "Py4JError"):
            raise EngineError(f"Spark failed: {reason(exc)}") from None
        raise
