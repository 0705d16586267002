"""How the process uses the machine: the cores it may run on, and libraries it does not need to load."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


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
