"""How the process uses the machine: its cores, libraries it does not need to load, its temporary folder."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from reportgen.interrupts import critical, forget, on_stop


@contextmanager
def without_optional_module(name: str) -> Iterator[None]:
    """Within the block, `import name` raises ImportError (as if it were not installed), unless it is loaded.

    For libraries that import an optional dependency at load time and fall back without it. Afterwards the
    module can be imported as usual; the library keeps the fallback it chose.
    """
    if name in sys.modules:  # already loaded: the library gets it, nothing to save
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not importable" marker
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


WARM_UP_NICENESS = 10  # background work's share of a core against the analysis: about a tenth


class Background:
    """Work run in a thread of lower priority, whose failure is raised where it is joined.

    On Linux the nice value belongs to the thread, so a worker's warm-up (imports, first use of the
    libraries) yields the CPU to the analysis process while the thread that renders the job keeps normal
    priority, and the first process readies what it needs after the documents without slowing them.
    """

    def __init__(self, work: Callable[[], None], niceness: int = WARM_UP_NICENESS) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            with contextlib.suppress(OSError):
                os.nice(niceness)
            try:
                work()
            except BaseException as exc:  # handed to join()
                self._error = exc

        self._thread = threading.Thread(target=run, name="warm-up", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the work; raise what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def cpu_lanes() -> int:
    """Return how many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a block of imports or warm-up, then freeze what it made.

    Loading scikit-learn or WeasyPrint creates some 300,000 long-lived objects. Collections during the
    imports cost about 0.1 s, and every full collection after them would walk all of them again (another
    0.15 s in a run). Frozen objects are never walked; collection resumes for what the run itself makes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def resume_collector(threshold: int | None = None) -> None:
    """Freeze what a warm-up made with the collector paused, then resume collecting; `threshold`: collect
    after that many new objects instead of Python's default 700.

    The frozen objects (the libraries a worker loaded) are never walked by the job's collections.
    """
    gc.freeze()
    if threshold is not None:
        gc.set_threshold(threshold, *gc.get_threshold()[1:])
    gc.enable()


SCRATCH_PREFIX = "reportgen-run-"
SCRATCH_LOCK = ".lock"
STALE_AFTER_S = 10.0  # a run folder younger than this may still be taking its lock: never judged stale


def temp_base() -> Path:
    """Return the folder temporary files go to: $TMPDIR when it names a folder, else the system's."""
    env = os.environ.get("TMPDIR")
    if env and Path(env).is_dir():
        return Path(env)
    return Path(tempfile.gettempdir())


@contextmanager
def run_scratch() -> Iterator[Path]:
    """Give the run one temporary folder (its TMPDIR, inherited by the workers); delete it at the end.

    The folder holds an flock for as long as the run lives, so a later run can tell the folders of killed
    runs (kill -9, power loss) from those of running ones, and deletes them before it starts.
    """
    base = temp_base()
    remove_stale_scratch(base)
    with critical():  # a stop (Ctrl-C) waits until the folder is made and known to it
        folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=base))
        handle = on_stop(lambda: shutil.rmtree(folder, ignore_errors=True))
    lock = os.open(folder / SCRATCH_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    saved_env, saved_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        forget(handle)
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        tempfile.tempdir = saved_dir
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)


def remove_stale_scratch(base: Path) -> list[Path]:
    """Delete the run folders under `base` whose run has ended without deleting them; return them."""
    removed = []
    for folder in base.glob(f"{SCRATCH_PREFIX}*"):
        try:
            if time.time() - folder.stat().st_mtime < STALE_AFTER_S:
                continue
            fd = os.open(folder / SCRATCH_LOCK, os.O_RDWR)
        except OSError:
            continue  # not a run folder (no lock file), or gone meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its run is alive
        finally:
            os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
