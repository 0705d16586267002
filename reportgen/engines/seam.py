"""Which engine runs a command ([engine] kind, or --engine): the one place the choice is made.

The local engine is the pipeline itself. Another engine is a module, imported only when chosen (so the local
path never loads pyspark), that provides the entry points below with these signatures:

- `engine_table(settings, source, period, name) -> (LoadedTable, Engine)`: `reportgen run`'s input, read and
  validated, with the engine that computes the preparation, the final fit and the profiles where the data
  is (`reportgen.model.Engine`); the pipeline runs everything else, so both engines make the same documents;
- `assigned_segments(model, settings, source, label) -> pl.DataFrame`: `reportgen assign`'s
  customer_id, segment_id, segment_name for a table (a path) under a period's SavedModel (`settings` read the
  table as the model's own was: `pipeline.model_read_settings`), as
  `reportgen.pipeline.assigned_segments`, with the shared `prepared_matrix` and `nearest_segments` of
  `reportgen.analysis.preparation` on each batch.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reportgen.config import Settings
from reportgen.errors import InputError

ENGINE_MODULES = {"spark": "reportgen.engines.spark"}
ENTRY_POINTS = ("engine_table", "assigned_segments")


def chosen_engine(settings: Settings, entry: str) -> ModuleType | None:
    """Return the chosen engine's module, checked to provide `entry`; None when the local engine is chosen."""
    kind = settings.engine.kind
    if kind == "local":
        return None
    name = ENGINE_MODULES[kind]
    fallback = 'set engine.kind = "local" in reportgen.toml (or pass --engine local)'
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing == "pyspark" or missing.startswith("pyspark."):
            raise InputError(
                f'engine.kind = "{kind}": pyspark is not installed; install the spark extra (make spark) '
                f"or {fallback}"
            ) from None
        if name == missing or name.startswith(missing + "."):
            raise InputError(
                f'engine.kind = "{kind}": this reportgen has no {kind} engine; {fallback}'
            ) from None
        raise
    if not callable(getattr(module, entry, None)):
        command = "assign" if entry == "assigned_segments" else "run"
        raise InputError(
            f'engine.kind = "{kind}": the {kind} engine cannot `reportgen {command}` yet; {fallback}'
        )
    return module
