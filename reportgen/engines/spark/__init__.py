"""The Spark engine: imported only when `[engine] kind = "spark"` (or --engine spark) is chosen.

Its entry points are those reportgen.engines.seam names: `engine_table` (the table and the Spark steps of
`reportgen run`) and `assigned_segments` (`reportgen assign`).
"""

import pyspark  # noqa: F401  (here: a missing pyspark is reported by the seam as one `error:` line)

from reportgen.engines.spark.engine import assigned_segments, engine_table

__all__ = ["assigned_segments", "engine_table"]
