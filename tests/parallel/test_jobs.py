"""A job's trip to a render worker: the per-customer tables travel as their column names only."""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
import pytest

from reportgen.parallel.jobs import JobPickler, JobUnpickler, LeftOut


@dataclass(frozen=True)
class _Carrier:
    name: str
    table: object
    column: object


def _trip(obj: object) -> tuple[object, int]:
    sent = io.BytesIO()
    JobPickler(sent).dump(obj)
    return JobUnpickler(io.BytesIO(sent.getvalue())).load(), len(sent.getvalue())


def test_tables_arrive_as_their_column_names_and_everything_else_whole() -> None:
    big = pl.DataFrame({"CUST_ID": [f"C{i}" for i in range(200_000)], "BALANCE": [1.5] * 200_000})
    back, size = _trip(_Carrier("cc", big, big["BALANCE"]))
    assert isinstance(back, _Carrier) and back.name == "cc"
    assert isinstance(back.table, LeftOut) and back.table.columns == ["CUST_ID", "BALANCE"]
    assert size < 1_000  # not the 200,000 rows
    with pytest.raises(AttributeError, match="no per-customer rows"):
        _ = back.table.height  # type: ignore[attr-defined]
    again, _ = _trip(back)  # a stand-in travels on as itself
    assert isinstance(again, _Carrier) and isinstance(again.table, LeftOut)
    assert again.table.columns == ["CUST_ID", "BALANCE"]
