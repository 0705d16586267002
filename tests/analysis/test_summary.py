"""summary.json and segments.csv: the machine-readable views of an analysis, field by field."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from reportgen.analysis.summary import (
    SCHEMA_VERSION,
    portable_summary,
    segments_csv,
    summary_document,
    summary_json,
)
from reportgen.model import (
    ID,
    Flow,
    Matching,
    Migration,
    MonthOverMonth,
    SegmentChange,
    SegmentMatch,
    VanishedSegment,
)
from reportgen.period import Period
from tests.documents.test_report_model import SEGMENTS, sample_analysis

NOVEMBER, OCTOBER = Period(2026, 11), Period(2026, 10)


def _document(history: MonthOverMonth | None = None) -> dict[str, object]:
    analysis = replace(sample_analysis(), history=history)
    return summary_document(analysis, period=NOVEMBER, generator="reportgen test", input_label="data/x.csv")


def test_a_first_month_has_no_month_over_month_blocks() -> None:
    doc = _document()
    assert doc["schema_version"] == SCHEMA_VERSION and doc["period"] == "2026-11"
    assert doc["generator"] == "reportgen test" and doc["input"]["path"] == "data/x.csv"  # type: ignore[index]
    assert "migration" not in doc and "segment_matching" not in doc
    segments = doc["segments"]
    assert [s["name"] for s in segments] == [s[0] for s in SEGMENTS.values()]  # type: ignore[union-attr]
    # the shares are the segment sizes over all customers, rounded for JSON
    sizes = [s[2] for s in SEGMENTS.values()]
    assert [s["share"] for s in segments] == [round(n / sum(sizes), 6) for n in sizes]  # type: ignore[union-attr]


def test_month_over_month_is_written_as_the_typed_values_say() -> None:
    history = MonthOverMonth(
        from_period=OCTOBER,
        migration=Migration(OCTOBER, 950, 50, 40, (Flow(0, 0, 100), Flow(2, 1, 31))),
        matching=Matching(
            OCTOBER,
            (
                SegmentMatch(0, 0, "Big spenders", 0.123456789, 0.5, False),
                SegmentMatch(1, 5, None, None, None, True),
            ),
            (VanishedSegment(4, "High spenders", 675, 2.5),),
            rule="distance <= 0.5 x distance to nearest other previous centroid",
        ),
        changes=(SegmentChange(0, "Big spenders", 120, 0.12, False, 150, 0.15, -30, ()),),
    )
    doc = _document(history)
    assert doc["migration"] == {
        "from_period": "2026-10",
        "customers_in_both": 950,
        "new_customers": 50,
        "lost_customers": 40,
        "flows": [{"from": 0, "to": 0, "customers": 100}, {"from": 2, "to": 1, "customers": 31}],
    }
    assert doc["segment_matching"] == {
        "from_period": "2026-10",
        "tolerance_rule": "distance <= 0.5 x distance to nearest other previous centroid",
        "matched": [
            {"id": 0, "name": "Big spenders", "renamed": False, "distance": 0.1235, "tolerance": 0.5}
        ],
        "new": [5],
        "vanished": [{"id": 4, "name": "High spenders", "previous_size": 675}],
        "note": None,
        "redefined": [],  # as the typed values say: this history lists no redefinition
    }
    first = doc["segments"][0]  # type: ignore[index]
    assert (first["new"], first["previous_size"], first["size_change"]) == (False, 150, -30)
    assert first["redefined"] is False


def test_summary_json_is_deterministic_readable_and_refuses_nan() -> None:
    doc = _document()
    raw = summary_json(doc)
    assert raw == summary_json(_document()) and raw.endswith(b"\n")
    assert json.loads(raw) == doc
    with pytest.raises(ValueError):
        summary_json({**doc, "bad": float("nan")})


def test_segments_csv_has_one_row_per_customer_with_its_segment_name() -> None:
    base = sample_analysis()
    ids = pl.Series(ID, [f"c{i:04d}" for i in range(len(base.segmentation.labels))])
    analysis = replace(base, features=replace(base.features, customer_ids=ids))
    table = pl.read_csv(segments_csv(analysis), schema_overrides={ID: pl.Utf8})
    assert table.columns == [ID, "segment_id", "segment_name"]
    assert table.height == len(analysis.segmentation.labels) and table[ID].to_list() == ids.to_list()
    names = {i: s[0] for i, s in SEGMENTS.items()}
    assert all(names[i] == n for i, n in table.select("segment_id", "segment_name").iter_rows())


def test_the_embedded_summary_carries_no_local_path_nor_file_hash() -> None:
    document = {
        "schema_version": 1,
        "input": {
            "path": "/home/ana/exports/crm.csv",
            "name": "crm.csv",
            "sha256": "ab" * 32,
            "fingerprint": "cd",
        },
        "segments": [],
    }
    embedded = json.loads(portable_summary(summary_json(document)))
    assert embedded["input"] == {"path": None, "name": "crm.csv", "sha256": None, "fingerprint": "cd"}
    assert {k: v for k, v in embedded.items() if k != "input"} == {"schema_version": 1, "segments": []}
