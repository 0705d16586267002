"""The files of a period folder, by name: what the pipeline publishes, io reads back and delivery records."""

from __future__ import annotations

MODEL_FILE = "model.json"
BRIEFING_FILE = "briefing.eml"
SEGMENTS_FILE = "segments.csv"
SENT_FILE = "sent.json"  # the record of a sent briefing (delivery), kept when a period is re-run
# what every run publishes, in this order
PERIOD_FILES = ("report.pdf", "report.html", "summary.json", SEGMENTS_FILE, MODEL_FILE, BRIEFING_FILE)
