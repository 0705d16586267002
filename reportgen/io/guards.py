"""Limits on input tables: what a hostile or broken file is stopped by before it exhausts the machine.

Each limit is far above real extracts and far below what makes a run hang or crash; the README lists them
(Reliability). The readers (`io.load`, and through `pipeline` every kind of table) call these checks.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import polars as pl

from reportgen.errors import InputError
from reportgen.model import ID, LoadedTable

MAX_UNCOMPRESSED_BYTES = 4 << 30  # what a .csv.gz may expand to: 4 GiB, about 40 million customers
MAX_COLUMNS = 10_000  # in the header line
MAX_ABS_VALUE = 1e15  # a feature value beyond this is an export error (1e308 overflows the statistics)
MAX_ID_CHARS = 200
# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20

Place = Callable[[int], str]  # row index -> "line 12" / "row 12", as the reader counts


def gunzip_capped(raw: bytes, where: str) -> bytes:
    """Decompress every gzip member in 1 MiB steps, refusing to expand past MAX_UNCOMPRESSED_BYTES."""
    out = bytearray()
    data = raw
    try:
        while data:
            member = zlib.decompressobj(wbits=31)  # one gzip member
            while not member.eof:
                out += member.decompress(data, _CHUNK)
                data = member.unconsumed_tail
                if len(out) > MAX_UNCOMPRESSED_BYTES:
                    limit = _size_text(MAX_UNCOMPRESSED_BYTES)
                    raise InputError(
                        f"{where}: expands to more than {limit} of text (a gzip bomb, or a table beyond the "
                        f"{limit} limit); split the extract or export it as Parquet"
                    )
                if not data and not member.eof:
                    out += member.flush()
                    if not member.eof:
                        raise EOFError
            data = member.unused_data.lstrip(b"\x00")  # some tools pad with zeros
            if data and not data.startswith(_GZIP_MAGIC):
                raise gzip.BadGzipFile("trailing bytes that are not gzip data")
    except EOFError:
        raise InputError(
            f"{where}: truncated gzip file (it ends before the end of the compressed data); "
            "copy or download it again"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"{where}: corrupt gzip file ({exc}); copy or download it again") from None
    return bytes(out)


def _size_text(size: int) -> str:
    return f"{size >> 30} GiB" if size % (1 << 30) == 0 else f"{size >> 20:,} MiB"


def guarded_csv(raw: bytes, where: str) -> tuple[bytes, tuple[str, ...]]:
    """Return CSV bytes the reader can take safely (a bounded header, line ends it reads), and notes."""
    first = raw.find(b"\n")
    line = raw if first < 0 else raw[:first]
    cr_only = first < 0 and b"\r" in raw.rstrip(b"\r")
    if cr_only:
        line = raw[: raw.find(b"\r")]
    widest = max(line.count(sep) for sep in (b",", b";", b"\t", b"|")) + 1
    if widest > MAX_COLUMNS:
        raise InputError(
            f"{where}: line 1 has {widest:,} columns; at most {MAX_COLUMNS:,} are read: "
            "export only the id and feature columns"
        )
    if cr_only:  # classic Mac line ends (Excel's "CSV (Macintosh)")
        note = "the file ends its lines with CR only (old Mac style); read as lines"
        return raw.replace(b"\r", b"\n"), (note,)
    return raw, ()


def check_id_text(frame: pl.DataFrame, column: str, where: str, place: Place) -> None:
    """Refuse ids with control characters (NUL, line breaks) or beyond MAX_ID_CHARS characters."""
    ids = frame[ID]
    control = ids.str.contains(r"[\x00-\x1f\x7f]").fill_null(False)
    if control.any():
        row = int(control.arg_true()[0])
        raise InputError(
            f"{where}: customer id {_shown(str(ids[row]))} in column {column}, {place(row)}, holds a control "
            "character (e.g. NUL or a line break); expected printable text"
        )
    long = (ids.str.len_chars() > MAX_ID_CHARS).fill_null(False)
    if long.any():
        row = int(long.arg_true()[0])
        raise InputError(
            f"{where}: customer id in column {column}, {place(row)}, is {ids.str.len_chars()[row]:,} "
            f"characters; at most {MAX_ID_CHARS} are accepted"
        )


def check_magnitude(frame: pl.DataFrame, name: str, where: str, place: Place) -> None:
    """Refuse a feature value beyond MAX_ABS_VALUE, naming the column and the place of the first one."""
    col = frame[name]
    huge = (col.abs() > MAX_ABS_VALUE).fill_null(False)
    if huge.any():
        row = int(huge.arg_true()[0])
        raise InputError(
            f"{where}: column {name}, {place(row)}: value {col[row]:g} is beyond +/-{MAX_ABS_VALUE:g}; "
            "expected amounts, counts or rates (check the export)"
        )


def refuse_unusable_values(table: LoadedTable) -> None:
    """Raise InputError for a feature value no statistic survives: non-finite, or beyond MAX_ABS_VALUE.

    The customer-table readers already name the offending line; this covers what other readers build, e.g.
    a transaction log's per-customer sums (1e308 x 2 is infinite).
    """
    for name in table.features:
        if name not in table.frame.columns or not table.frame[name].dtype.is_float():
            continue
        col = table.frame[name]
        bad = (col.is_infinite() | col.is_nan() | (col.abs() > MAX_ABS_VALUE)).fill_null(False)
        if bad.any():
            row = int(bad.arg_true()[0])
            raise InputError(
                f"{table.path}: {name} of customer {_shown(str(table.frame[ID][row]))} is {col[row]:g}, "
                f"beyond +/-{MAX_ABS_VALUE:g}; expected amounts and counts (check that customer's rows)"
            )


def refuse_formula_ids(table: LoadedTable, allowed: bool) -> None:
    """Raise InputError for a customer id a spreadsheet would run as a formula, unless `allowed`.

    segments.csv keeps ids exact (CRM imports match on them), so such an id is refused rather than altered;
    `report.allow_formula_ids = true` writes it as it is. Plain numbers ("-17", "+4420") are numbers to a
    spreadsheet, not formulas, and pass.
    """
    if allowed or table.frame.height == 0:
        return
    ids = table.frame[ID]
    risky = ids.str.starts_with(FORMULA_STARTS[0])
    for start in FORMULA_STARTS[1:]:
        risky = risky | ids.str.starts_with(start)
    risky = (risky & ~ids.str.contains(_PLAIN_NUMBER)).fill_null(False)
    if risky.any():
        row = int(risky.arg_true()[0])
        value = str(ids[row])
        count = int(risky.sum())
        raise InputError(
            f"{table.path}: customer id {_shown(value)} (data row {row + 1}) starts with {value[0]!r}, which "
            "a spreadsheet opening segments.csv runs as a formula; ids are written exactly, so it is refused: "
            "fix the ids, or set report.allow_formula_ids = true to write them as they are "
            f"({count:,} such id{'s' if count > 1 else ''})"
        )


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")
