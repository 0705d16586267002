"""Render workers: processes that make a run's documents while the first one analyses.

Loading the rendering stack (Jinja2 and WeasyPrint, Altair and vl-convert: about 1 s) and starting the chart
engine (about 0.4 s) do not depend on the data, and vl-convert holds the GIL while it draws. So the command
line starts a documents worker before it imports the analysis stack; that worker starts a charts worker.
While the first process imports scikit-learn and fits K-Means, they load their libraries on the other core.
Given the analysis, the charts worker draws the charts in report order while the documents worker lays out
the PDF around same-sized frames, waiting for a chart only when it paints that page (`reportgen.documents.rendering`).

Workers only compute bytes: every file is written by the first process, atomically, so a worker that fails
or is killed loses nothing.

Protocol, the same for both workers: the parent writes one pickled `ReportJob` to the worker's stdin and
closes it. The worker answers on a separate pipe with pickled frames, then `("done", payload)` or
`("failed", "input" | "internal", message)`:
- documents worker: `("progress", message)`*, then done with `(files, stats)`;
- charts worker: `("plan", placeholders)`, `("chart", image)`* in plan order, `("briefing", image)`, then done.
A worker whose stdin closes without a job exits (its parent stopped: bad input, Ctrl-C).

Stopping: each worker runs in its own process group (a Ctrl-C at the terminal reaches only the first process,
which stops them with SIGTERM) and with its own temporary folder, which its parent deletes once it has ended.
A worker whose parent dies (even by SIGKILL) ends too: Linux sends it SIGTERM (PR_SET_PDEATHSIG), and on every
system it sees its reply pipe break.

This module imports only the standard library at the top: a worker must start before anything heavy loads.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from reportgen.errors import InputError
from reportgen.interrupts import RENDER_TIME_LIMIT_S, critical, forget, on_stop
from reportgen.parallel.jobs import JobPickler, JobUnpickler
from reportgen.parallel.runtime import Background, resume_collector, temp_base

if TYPE_CHECKING:
    from types import TracebackType

    from reportgen.model import ChartImage, ReportJob

Progress = Callable[[str], None]
Frame = tuple[Any, ...]
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the reportgen package
ROLES = ("documents", "charts")
STOP_TIMEOUT = 2.0  # seconds a worker gets to clean up after SIGTERM before it is killed
TEMP_ENV = "REPORTGEN_WORKER_TEMP"  # the worker's own temporary folder, made and deleted by its parent


class RenderWorkerError(RuntimeError):
    """A worker failed or stopped without answering (an internal failure: exit status 1)."""


class RenderTimeLimitError(RenderWorkerError):
    """The documents took longer than the render time limit (exit status 1)."""


class _Worker:
    """A worker process seen from its parent: start it, hand it one job, read its frames in a thread."""

    def __init__(self, role: str) -> None:
        self.role = role
        with critical():  # a stop (Ctrl-C) waits until the worker is started and known to it
            self._start(role)

    def _start(self, role: str) -> None:
        self._temp = Path(tempfile.mkdtemp(prefix=f"reportgen-{role}-", dir=temp_base()))
        read_fd, write_fd = os.pipe()
        env = dict(os.environ)
        # the worker must import this very package, wherever the parent found it (a checkout, a venv)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["TMPDIR"] = env[TEMP_ENV] = str(self._temp)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "reportgen.parallel.worker", role, str(write_fd), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=(write_fd,),
                env=env,
                process_group=0,  # Ctrl-C reaches the parent only; it stops the workers in order
            )
        except BaseException:
            os.close(read_fd)
            shutil.rmtree(self._temp, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
        self._replies = os.fdopen(read_fd, "rb")
        self._reader: threading.Thread | None = None
        self._stop_handle = on_stop(self.stop_now)

    @property
    def pid(self) -> int:
        """Return the worker's process id."""
        return self._process.pid

    def submit(self, job: ReportJob) -> None:
        """Hand the job to the worker and read its answer in a thread (`on_frame`, then `on_end`)."""
        if self._reader is not None:
            raise RuntimeError("a worker takes one job")
        self._reader = threading.Thread(target=self._exchange, args=(job,), name=self.role, daemon=True)
        self._reader.start()

    def _exchange(self, job: ReportJob) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            with stdin:
                JobPickler(stdin).dump(job)
        except (OSError, ValueError):
            pass  # the worker already stopped (or is being stopped): its reply, if any, says why
        except Exception as exc:  # the job itself cannot be sent: nothing to wait for
            self._process.kill()
            self.on_end(
                ("failed", "internal", f"the job could not be handed over: {type(exc).__name__}: {exc}")
            )
            return
        end: Frame | None = None
        try:
            while True:
                frame = pickle.load(self._replies)
                if frame[0] in ("done", "failed"):
                    end = frame
                    break
                self.on_frame(frame)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            end = None
        finally:
            self.on_end(end)

    def on_frame(self, frame: Frame) -> None:
        """Handle a frame before the end (in the reader thread)."""

    def on_end(self, frame: Frame | None) -> None:
        """Handle the final frame: done, failed, or None when the worker stopped without one."""

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the worker's answer has been read; past `timeout` seconds, stop it and raise."""
        if self._reader is None:
            raise RuntimeError("no job was submitted")
        self._reader.join(timeout)
        if self._reader.is_alive():
            self.stop_now()
            raise RenderTimeLimitError(
                f"the {self.role} worker took longer than the render time limit ({timeout:g} s) and was "
                "stopped; shorten report.title or the logo, or report this with the input that caused it"
            )

    def stop_now(self) -> None:
        """Stop the worker (SIGTERM, then SIGKILL after STOP_TIMEOUT) and delete its temporary folder."""
        if self._process.poll() is None:
            self._terminate()
        shutil.rmtree(self._temp, ignore_errors=True)

    def _terminate(self) -> None:
        # SIGTERM lets it delete its temporary files (and stop its own worker) first
        with contextlib.suppress(OSError):
            self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def failure(self, frame: Frame | None) -> Exception:
        """Return the exception a final frame that is not `done` stands for."""
        if frame is None:
            if self._process.poll() is None:  # alive but not answering: its replies cannot be read
                self._process.kill()
            code = self._process.wait()
            return RenderWorkerError(f"the {self.role} worker stopped without an answer (exit status {code})")
        if frame[1] == "input":
            return InputError(str(frame[2]))
        return RenderWorkerError(f"{self.role} worker: {frame[2]}")

    def close(self) -> None:
        """Stop the worker if it is still running and release the pipes."""
        if self._process.poll() is None and (self._reader is None or self._reader.is_alive()):
            self._terminate()
        self._process.wait()
        # deleted by the parent once the worker has ended: nothing the worker was still writing can remain
        shutil.rmtree(self._temp, ignore_errors=True)
        forget(self._stop_handle)
        if self._reader is not None:  # it sees the end of the pipe now that the worker is gone
            self._reader.join(timeout=10)
        if self._process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self._process.stdin.close()
        self._replies.close()


class RenderWorker(_Worker):
    """The first process's handle on the documents worker: start it early, submit the job, collect files."""

    def __init__(self) -> None:
        super().__init__("documents")
        self._progress: Progress = lambda _: None
        self._end: Frame | None = None
        self.stats: dict[str, float] = {}  # what the workers measured about themselves, e.g. peak MB

    @classmethod
    def start(cls) -> RenderWorker:
        """Start the documents worker (which starts the charts worker); both warm up and wait for a job."""
        return cls()

    def render(self, job: ReportJob, progress: Progress) -> None:
        """Hand over the job; progress messages are passed on as they come; `result()` collects the files."""
        self._progress = progress
        self.submit(job)

    def on_frame(self, frame: Frame) -> None:
        """Pass a progress message on."""
        if frame[0] == "progress":
            self._progress(str(frame[1]))

    def on_end(self, frame: Frame | None) -> None:
        """Keep the final frame for `result()`."""
        self._end = frame

    def result(self) -> dict[str, bytes]:
        """Wait for the documents; raise InputError or RenderWorkerError if a worker failed or took too long."""
        self.wait(RENDER_TIME_LIMIT_S)
        frame = self._end
        if frame is None or frame[0] != "done":
            raise self.failure(frame)
        files, stats = frame[1]
        self.stats = dict(stats)
        return dict(files)

    def __enter__(self) -> RenderWorker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ChartWorker(_Worker):
    """The documents worker's handle on the charts worker: a chart source that waits for each drawing."""

    def __init__(self) -> None:
        super().__init__("charts")
        self._arrived = threading.Condition()
        self._plan: tuple[ChartImage, ...] | None = None
        self._charts: dict[str, ChartImage] = {}
        self._briefing: ChartImage | None = None
        self._end: Frame | None = None
        self._ended = False
        self.stats: dict[str, float] = {}

    def on_frame(self, frame: Frame) -> None:
        """Store a plan or a chart and wake whoever waits for it."""
        with self._arrived:
            if frame[0] == "plan":
                self._plan = tuple(frame[1])
            elif frame[0] == "chart":
                self._charts[frame[1].name] = frame[1]
            elif frame[0] == "briefing":
                self._briefing = frame[1]
            self._arrived.notify_all()

    def on_end(self, frame: Frame | None) -> None:
        """Record the end; a waiter for something that never came gets the failure."""
        with self._arrived:
            self._end, self._ended = frame, True
            if frame is not None and frame[0] == "done":
                self.stats = dict(frame[1])
            self._arrived.notify_all()

    def _await(self, ready: Callable[[], Any]) -> Any:
        with self._arrived:
            while (value := ready()) is None:
                if self._ended:
                    frame = self._end
                    raise (
                        self.failure(frame)
                        if frame is None or frame[0] != "done"
                        else RenderWorkerError("the charts worker finished without the chart asked for")
                    )
                self._arrived.wait()
            return value

    def planned(self) -> tuple[ChartImage, ...]:
        """Return the report's charts as placeholders, in report order (waits for the plan)."""
        plan: tuple[ChartImage, ...] = self._await(lambda: self._plan)
        return plan

    def chart(self, name: str) -> ChartImage:
        """Return a drawn report chart (waits for it)."""
        image: ChartImage = self._await(lambda: self._charts.get(name))
        return image

    def briefing_chart(self) -> ChartImage:
        """Return the drawn briefing chart (waits for it)."""
        image: ChartImage = self._await(lambda: self._briefing)
        return image


# ---- the workers' side ---------------------------------------------------------------------------------


def _peak_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _cpu_s() -> float:
    import resource  # POSIX only, like the workers themselves

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _failure_frame(exc: BaseException) -> Frame:
    if isinstance(exc, InputError):
        return ("failed", "input", str(exc))
    message = f"{type(exc).__name__}: {exc}"
    if os.environ.get("REPORTGEN_DEBUG"):  # the traceback is in this process: hand it over with the message
        message += "\n" + "".join(traceback.format_exception(exc))
    return ("failed", "internal", message)


def _import_model(imported: threading.Event) -> None:
    """Import the typed objects of a job (numpy too: 0.15 s) in a warm-up thread, at its lower priority (at
    normal priority both workers' imports slowed the first process's), then set `imported`."""
    try:
        import reportgen.model  # noqa: F401
    finally:
        imported.set()  # on a failure too: unpickling the job imports them again and reports the error


def _job(jobs: IO[bytes], imported: threading.Event) -> ReportJob | None:
    """Return the job (None: the parent closed the pipe without one), unpickled once the typed objects are
    imported: two threads importing the same modules would meet half-made ones."""
    data = jobs.read()  # the parent closes the pipe after the job
    if not data:
        return None
    imported.wait()
    job: ReportJob = JobUnpickler(io.BytesIO(data)).load()
    return job


def _warm_documents(imported: threading.Event, job_arrived: threading.Event) -> None:
    _import_model(imported)
    from reportgen.documents import rendering

    rendering.warm_up(until=job_arrived)


def _import_charts(imported: threading.Event) -> None:
    _import_model(imported)
    import reportgen.documents.charts  # noqa: F401  (Altair and the chart builders: the bulk of the start-up)


# WeasyPrint's layout makes and drops some 150,000 small objects per report, nearly all freed by reference
# counting: at Python's default threshold (700 allocations) the collector runs about 300 times for little
# garbage (0.1 s of a 1.5 s PDF; peak memory the same within a few MB)
LAYOUT_GC_THRESHOLD = 50_000


def serve_documents(jobs: IO[bytes], send: Callable[[Frame], None]) -> None:
    """The documents worker: start the charts worker, warm up, take the job, lay out and write documents."""
    started = time.perf_counter()
    charts = ChartWorker()  # first: its warm-up (the chart engine) is the longer one
    try:
        imported = threading.Event()
        job_arrived = threading.Event()  # the warm-up leaves what is left to the job, at normal priority
        warming = Background(lambda: _warm_documents(imported, job_arrived))
        job = _job(jobs, imported)
        if job is None:
            return  # the parent stopped before the analysis was done
        job_arrived.set()
        stats = {"job_at_s": time.perf_counter() - started}
        charts.submit(job)
        warming.join()
        resume_collector(LAYOUT_GC_THRESHOLD)
        stats["warm_s"] = time.perf_counter() - started
        from reportgen.documents import rendering

        files = rendering.report_files(job, charts, lambda message: send(("progress", message)))
        charts.wait()
        stats["done_at_s"] = time.perf_counter() - started
        stats["peak_mb"] = _peak_mb()
        stats["cpu_s"] = _cpu_s()
        stats["charts_cpu_s"] = charts.stats.get("cpu_s", 0.0)
        stats["charts_peak_mb"] = charts.stats.get("peak_mb", 0.0)
        send(("done", (files, stats)))
    except BrokenPipeError:
        return
    except Exception as exc:  # reported to the parent, which exits with this line
        send(_failure_frame(exc))
    finally:
        charts.close()


def serve_charts(jobs: IO[bytes], send: Callable[[Frame], None]) -> None:
    """The charts worker: warm the chart engine, take the job, send the plan, then each chart as it is drawn."""
    try:
        imported = threading.Event()
        importing = Background(lambda: _import_charts(imported))
        # the chart engine's threads start with the thread that first uses it, and inherit its priority:
        # start it from this one, which keeps normal priority for the drawing
        from reportgen.documents.fonts import warm_chart_engine

        warm_chart_engine()
        job = _job(jobs, imported)
        if job is None:
            return
        importing.join()
        resume_collector()
        from reportgen.documents.charts import job_charts
        from reportgen.documents.formats import numbers_in

        with numbers_in(job.settings.report.locale):  # the charts' labels and alt texts
            plan, briefing = job_charts(job)
            send(("plan", tuple(p.placeholder() for p in plan)))
            for planned in plan:
                send(("chart", planned.draw()))
            send(("briefing", briefing.draw()))
        send(("done", {"peak_mb": _peak_mb(), "cpu_s": _cpu_s()}))
    except BrokenPipeError:
        return
    except Exception as exc:
        send(_failure_frame(exc))


def release_temporary_files() -> None:
    """Delete what the rendering libraries left in the temporary folder (WeasyPrint's font copies), if they
    were used: a process that ends with os._exit skips their clean-up."""
    # the module may be half-imported (a worker stopped during its warm-up): then it has made no fonts yet
    release = getattr(sys.modules.get("reportgen.documents.pdf"), "release_fonts", None)
    if release is not None:
        with contextlib.suppress(Exception):  # clean-up never turns into an error message
            release()


HARD_STOP_S = 1.5  # after SIGTERM, the unwinding gets this long before the worker ends regardless


def _stop(signum: int, frame: Any) -> None:
    # the unwinding may wait on something that never comes (a C call, a lock): end regardless after a moment
    threading.Thread(target=_end_soon, name="hard-stop", daemon=True).start()
    raise SystemExit(0)  # unwinds the job (a documents worker stops its charts worker), then cleans up


def _end_soon() -> None:
    time.sleep(HARD_STOP_S)
    _abandon()


def _abandon() -> None:
    """End this worker at once, deleting its temporary files first."""
    release_temporary_files()
    temp = os.environ.get(TEMP_ENV)
    if temp:
        shutil.rmtree(temp, ignore_errors=True)
    os._exit(0)


_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int, reply_fd: int) -> None:
    """Make this worker end when its parent does, however the parent ends (kill -9 included)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # it died before the request above took effect
        _abandon()
    # everywhere: the reply pipe reports an error once nobody can read it any more
    threading.Thread(target=_watch_replies, args=(reply_fd,), name="parent-watch", daemon=True).start()


def _watch_replies(fd: int) -> None:
    poller = select.poll()
    poller.register(fd, select.POLLERR)
    while True:
        try:
            events = poller.poll()
        except InterruptedError:
            continue
        if any(mask & (select.POLLERR | select.POLLNVAL) for _, mask in events):
            _abandon()


def main() -> None:
    """Entry point of `python -m reportgen.parallel.worker ROLE REPLY_FD PARENT_PID`."""
    # the worker runs in its own process group, so a Ctrl-C at the terminal only reaches the first process,
    # which stops the workers (SIGTERM); ignored here as well for a worker started from elsewhere
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    gc.disable()  # until the warm-up is done: runtime.resume_collector
    if not os.environ.get("REPORTGEN_DEBUG"):
        import warnings

        warnings.simplefilter("ignore")  # as in the first process: library warnings are not for the reader
    role, fd = sys.argv[1], int(sys.argv[2])
    if role not in ROLES:
        raise SystemExit(f"error: unknown worker role {role!r}")
    if len(sys.argv) > 3:
        _end_with_parent(int(sys.argv[3]), fd)
    try:
        with os.fdopen(fd, "wb") as replies:

            def send(frame: Frame) -> None:
                pickle.dump(frame, replies, protocol=pickle.HIGHEST_PROTOCOL)
                replies.flush()

            serve = serve_documents if role == "documents" else serve_charts
            with contextlib.suppress(BrokenPipeError):
                serve(sys.stdin.buffer, send)
    finally:
        release_temporary_files()
        os._exit(0)  # everything was sent (or the parent stopped us); skip the interpreter's teardown


if __name__ == "__main__":
    main()
