"""The Spark engine: imported only when `[engine] kind = "spark"` (or --engine spark) is chosen."""
