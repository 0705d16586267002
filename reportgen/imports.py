"""Start-up time: keep a library from loading an optional dependency this program never hands it."""

from __future__ import annotations

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
