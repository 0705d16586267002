"""How the process uses the machine: the cores it may run on, and libraries it does not need to load."""

from __future__ import annotations

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
