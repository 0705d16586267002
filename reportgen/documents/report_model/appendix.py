"""The appendix: the profile table of every measure, reproducibility facts and the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportgen.documents.formats import thousands
from reportgen.documents.report_model.segments import measure_label, measure_unit
from reportgen.documents.report_model.settings_text import config_text
from reportgen.model import (
    Analysis,
)
from reportgen.model.columns import feature_label
from reportgen.period import Period


@dataclass(frozen=True)
class ProfileRow:
    label: str
    feature: str
    overall: float
    values: tuple[float, ...]  # one per segment, in segment order
    unit: str = "number"  # "percent" | "days" | "number", from measure_unit


@dataclass(frozen=True)
class Appendix:
    segment_names: tuple[str, ...]
    rows: tuple[ProfileRow, ...]
    reproducibility: tuple[tuple[str, str], ...]
    configuration: str  # the settings that shaped the analysis, as reportgen.toml text


def no_effect(analysis: Analysis, config: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Return the settings that did nothing on this table: `features.engineered` where no ratio could be built
    (the methodology says why), so the appendix does not show them as having shaped the run."""
    wanted = config.get("features", {}).get("engineered") is True
    built = bool(analysis.features.engineered)
    return (
        (("features", "engineered"),) if wanted and not built and analysis.table.kind == "customers" else ()
    )


def appendix_section(
    analysis: Analysis, labels: Mapping[str, str], period: Period, generator: str, config: Mapping[str, Any]
) -> Appendix:
    profiles = analysis.profiles
    order = list(analysis.features.input_features)
    for p in profiles:
        order += [f for f in p.stats if f not in order]
    total = sum(p.size for p in profiles) or 1
    rows = []
    for feature in order:
        if not all(feature in p.stats for p in profiles):
            continue
        values = tuple(p.stats[feature].mean for p in profiles)
        # the all-customer mean is the size-weighted mean of the segment means
        overall = sum(v * p.size for v, p in zip(values, profiles, strict=True)) / total
        label = labels.get(feature, feature_label(feature))
        rows.append(
            ProfileRow(measure_label(feature, label), feature, overall, values, measure_unit(feature))
        )
    table = analysis.table
    repro = (
        # the table as loaded, not the file's bytes: a DataFrame of the same data shows the same two lines
        ("Input", table.input_name),
        ("Table fingerprint", table.fingerprint),
        ("Rows read", thousands(table.rows)),
        ("Period", str(period)),
        ("Generator", generator),
        ("Random seed", str(config.get("clustering", {}).get("random_state", ""))),
    )
    return Appendix(
        segment_names=tuple(p.name for p in profiles),
        rows=tuple(rows),
        reproducibility=repro,
        configuration=config_text(config, no_effect(analysis, config)),
    )
