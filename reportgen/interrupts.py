"""Stopping a command at any moment: Ctrl-C, SIGTERM or a time limit end it promptly and leave nothing behind.

The command line installs a `Stopper` once. Signals then no longer raise KeyboardInterrupt in whatever the main
thread happens to run (a library import, a lock wait, a C call that swallows it); they wake a watcher thread
that stops the worker processes, deletes the temporary folders, prints one `error:` line and ends the process.
Code that must not be cut in half (swapping a period folder into place, recording a delivered e-mail) runs in
`critical()`: a stop waits for the block to end. A block marked `completes=True` finishes the command's work:
a stop that arrives after it has nothing left to undo and lets the command end normally.

This module imports only the standard library: every stage may use it without loading anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTED = "error: interrupted; earlier output left as it was"
RENDER_TIME_LIMIT_S = (
    300.0  # the documents of the largest tables take about 10 s; past this, something is wrong
)

Cleanup = Callable[[], None]


class Stopper:
    """The process's stop logic: cleanups to run on a stop, and the sections a stop must wait for."""

    def __init__(self) -> None:
        self._section = threading.RLock()
        self._guard = threading.Lock()  # protects the fields below
        self._cleanups: dict[int, Cleanup] = {}
        self._next = 0
        self._stopping = False
        self._completed = False
        self._depth = threading.local()  # critical blocks the current thread is inside
        self._installed = False

    def on_stop(self, cleanup: Cleanup) -> int:
        """Run `cleanup` if the process is stopped; return a handle for `forget`."""
        with self._guard:
            self._next += 1
            self._cleanups[self._next] = cleanup
            return self._next

    def forget(self, handle: int) -> None:
        """Drop a cleanup that is no longer needed."""
        with self._guard:
            self._cleanups.pop(handle, None)

    @contextlib.contextmanager
    def critical(self, completes: bool = False) -> Iterator[None]:
        """Within the block, a stop waits; with `completes`, a block that ends normally finishes the work."""
        with self._section:
            depth = getattr(self._depth, "n", 0)
            if self._stopping and depth == 0:
                # a stop is under way in another thread: it ends the process; never start a new step
                threading.Event().wait()
            self._depth.n = depth + 1
            try:
                yield
            finally:
                self._depth.n = depth
            if completes:
                with self._guard:
                    self._completed = True

    def defer_to_stop(self) -> None:
        """If a stop is under way, wait for it to end the process (a failure it caused is not reported)."""
        if self._stopping and not self._completed:
            threading.Event().wait()

    def stop(self, code: int, message: str) -> None:
        """Run the cleanups (after any critical block), print `message`, end the process with `code`."""
        with self._guard:
            if self._stopping:
                return
            self._stopping = True
        with self._section:
            with self._guard:
                if self._completed:  # the work is done and in place: the command ends as it would have
                    return
                cleanups = list(self._cleanups.values())
            for cleanup in reversed(cleanups):
                with contextlib.suppress(Exception):  # a failed clean-up must not keep the process alive
                    cleanup()
            with contextlib.suppress(OSError, ValueError):
                print(message, file=sys.stderr, flush=True)
            os._exit(code)

    @property
    def installed(self) -> bool:
        """Return whether signals stop this process (the command line installs the stopper; a library caller
        does not, and its process is never ended from here)."""
        return self._installed

    def install(self) -> None:
        """Turn SIGINT, SIGTERM and SIGHUP into a stop (from the main thread; again is a no-op)."""
        if self._installed:
            return
        self._installed = True
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        # the C-level handler writes the signal number to the pipe at once, whatever the main thread is doing
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            signal.signal(signum, _noted)
        threading.Thread(target=self._watch, args=(read_fd,), name="stopper", daemon=True).start()

    def _watch(self, fd: int) -> None:
        while True:
            try:
                received = os.read(fd, 64)
            except InterruptedError:
                continue
            if not received:
                return
            if any(signum in STOP_SIGNALS for signum in received):
                self.stop(EXIT_INTERRUPTED, INTERRUPTED)


def _noted(signum: int, frame: object) -> None:
    """Let the main thread carry on: the watcher thread, woken through the wakeup pipe, does the stopping."""


STOPPER = Stopper()


def critical(completes: bool = False) -> contextlib.AbstractContextManager[None]:
    """Return the process stopper's critical section (see `Stopper.critical`)."""
    return STOPPER.critical(completes)


def on_stop(cleanup: Cleanup) -> int:
    """Register a cleanup with the process stopper; return its handle."""
    return STOPPER.on_stop(cleanup)


def forget(handle: int) -> None:
    """Unregister a cleanup from the process stopper."""
    STOPPER.forget(handle)


@contextlib.contextmanager
def time_limit(seconds: float, message: str) -> Iterator[None]:
    """Within the block, past `seconds` the command stops with exit 1 and `message` (where the stopper is
    installed; elsewhere the block runs unlimited)."""
    if not STOPPER.installed:
        yield
        return
    timer = threading.Timer(seconds, STOPPER.stop, args=(1, message))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
