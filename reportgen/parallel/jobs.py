"""A report job on its way to a render worker: pickled with its per-customer tables reduced to column names.

Only the standard library is imported here: the workers load this before anything heavy.
"""

from __future__ import annotations

import pickle
from typing import IO, Any


class LeftOut:
    """Stands in, inside a worker, for a per-customer table the documents never read: only its column names.

    `Analysis.report_view()` empties those tables; sending them as stand-ins spares the workers loading
    Polars (0.1 s of CPU each, while the analysis needs both cores). Anything beyond the column names is an
    error, which the tests comparing worker and in-process output would show.
    """

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = list(columns)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"a render worker has no per-customer rows (asked for {name!r})")


class JobPickler(pickle.Pickler):
    """Pickles a job with its Polars tables (and their stand-ins) reduced to column names."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)

    def persistent_id(self, obj: Any) -> tuple[str, tuple[str, ...]] | None:
        """Return the reference a table is sent as, or None for everything else."""
        kind = type(obj)
        if isinstance(obj, LeftOut):
            return ("left-out", tuple(obj.columns))
        if kind.__module__.split(".")[0] == "polars" and kind.__name__ in ("DataFrame", "Series"):
            columns = tuple(obj.columns) if kind.__name__ == "DataFrame" else ()
            return ("left-out", columns)
        return None


class JobUnpickler(pickle.Unpickler):
    """Reads a job pickled by `JobPickler`: its tables come back as `LeftOut` stand-ins."""

    def persistent_load(self, pid: Any) -> LeftOut:
        """Return the stand-in of a table."""
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "left-out":
            return LeftOut(tuple(pid[1]))
        raise pickle.UnpicklingError(f"unknown reference in a job: {pid!r}")
