"""CSV text: encodings, the header line, the field separator, line numbers of records, the typed read."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import polars as pl

from reportgen.config import SEPARATORS
from reportgen.errors import InputError
from reportgen.io.files import first_line

# Cell texts that mean "no value"; polars applies them before parsing, so they never reach Float64 parsing.
NULL_TOKENS: tuple[str, ...] = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NaN",
    "nan",
    "NAN",
    "null",
    "NULL",
    "Null",
    "None",
    "#N/A",
)


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def as_utf8(raw: bytes) -> bytes:
    return raw.decode("utf-8", errors="reportgen-latin1").encode("utf-8")


def line1(raw: bytes) -> bytes:
    end = raw.find(b"\n")
    return (raw if end < 0 else raw[:end]).rstrip(b"\r")


def csv_header(raw: bytes, sep: str = ",") -> list[str] | None:
    line = line1(raw).decode("utf-8")
    rows = list(csv.reader([line], delimiter=sep))
    return [h.strip() for h in rows[0]] if rows else None


def field_separator(line: str, required: set[str], configured: str, where: str) -> str:
    """Return the field separator of a header line: the configured one (checked), or for "auto" the
    candidate whose fields name the most required columns, then the one giving the most fields."""
    split = {sep: [f.strip() for f in next(csv.reader([line], delimiter=sep), [])] for sep in SEPARATORS}
    if configured != "auto":
        fields = split[configured]
        if len(fields) == 1 and len(split[best := max(split, key=lambda c: len(split[c]))]) > 1:
            raise InputError(
                f"{where}: line 1 has one field on {SEPARATORS[configured]} (data.separator) but "
                f"{len(split[best])} on {SEPARATORS[best]}; looks {SEPARATORS[best]}-separated: set "
                f'data.separator = "auto" or {best!r}'.replace("'\t'", '"\\t"')
            )
        return configured
    # most fields naming the configured columns first, then most fields; ties keep the listed order
    return max(SEPARATORS, key=lambda sep: (len(required & set(split[sep])), len(split[sep])))


def check_data_delimiter(raw: bytes, sep: str, where: str) -> None:
    # A first data line without the header's separator hints at a mixed export.
    lines = raw.split(b"\n", 2)
    if len(lines) < 2 or len(csv_header(raw) or []) < 1:
        return
    second = lines[1].decode("utf-8", errors="replace")
    if sep in second or not second.strip() or sep not in line1(raw).decode("utf-8"):
        return
    for other, label in SEPARATORS.items():
        if other != sep and other in second:
            raise InputError(
                f"{where}: line 2 looks {label}-separated, but the header (line 1) is "
                f"{SEPARATORS[sep]}-separated; expected {SEPARATORS[sep]} on every line"
            )


def read_csv(
    raw: bytes, names: list[str], columns: list[int], dtypes: dict[str, type[pl.Float64]], sep: str = ","
) -> pl.DataFrame:
    return pl.read_csv(
        raw,
        has_header=True,
        new_columns=names,
        columns=columns,
        schema_overrides=dtypes,
        infer_schema=False,
        null_values=list(NULL_TOKENS),
        separator=sep,
    ).with_row_index("_row")


def csv_as_text(
    raw: bytes, names: list[str], columns: list[int], header: list[str], where: str, sep: str = ","
) -> pl.DataFrame:
    try:
        return read_csv(raw, names, columns, {}, sep)
    except pl.exceptions.PolarsError as exc:
        line, count = ragged_line(raw, len(header), sep)
        if line is not None:
            raise InputError(
                f"{where}: line {line} has {count} fields, but the header (line 1) has {len(header)}; "
                f"expected the same number of {SEPARATORS[sep]}-separated fields on every line"
            ) from None
        quote = unclosed_quote_line(raw)
        if quote is not None:
            raise InputError(
                f"{where}: line {quote}: a quoted field opens with '\"' but is never closed; "
                "expected a matching closing quote"
            ) from None
        raise InputError(f"{where}: cannot be read as CSV ({first_line(exc)})") from None


def unclosed_quote_line(raw: bytes) -> int | None:
    if raw.count(b'"') % 2 == 0:
        return None
    # An odd number of quotes: the last place where the parity turned odd opens the field never closed.
    opened, odd = None, False
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.count(b'"') % 2:
            odd = not odd
            if odd:
                opened = number
    return opened


def ragged_line(raw: bytes, width: int, sep: str = ",") -> tuple[int | None, int]:
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=sep)
    next(reader, None)
    start = reader.line_num + 1
    for record in reader:
        if record and len(record) != width and len(record) > width:
            return start, len(record)
        start = reader.line_num + 1
    return None, 0


def line_place(raw: bytes, sep: str) -> Callable[[int], str]:
    """Return how a data row (0-based) is named in messages: its line in the file."""
    return lambda row: f"line {csv_line(raw, row, sep)}"


def csv_line(raw: bytes, row: int, sep: str = ",") -> int:
    """Return the editor line (header = line 1) where data row `row` (0-based) starts."""
    return csv_lines(raw, [row], sep)[0]


def csv_lines(raw: bytes, rows: list[int], sep: str = ",") -> list[int]:
    if b'"' not in raw:
        return [row + 2 for row in rows]
    # Quoted fields may span lines; count records the way the CSV reader does (error paths and notes only).
    wanted, found = set(rows), {}
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=sep)
    next(reader, None)
    start = reader.line_num + 1
    for i, _ in enumerate(reader):
        if i in wanted:
            found[i] = start
            if len(found) == len(wanted):
                break
        start = reader.line_num + 1
    return [found.get(row, row + 2) for row in rows]


def number_format_hint(value: str) -> str:
    """Return how to export a cell a spreadsheet formatted as a number ('' when it does not look like one)."""
    if re.fullmatch(r"[-+]?\d{1,3}((,\d{3}){2,}|(,\d{3})+\.\d+)", value):
        return "; export numbers without thousands separators (',')"
    if re.fullmatch(r"[-+]?[\d.]*,\d+", value):
        return "; use '.' as the decimal mark (and no thousands separators)"
    if re.fullmatch(r"[-+]?\d+(\.\d+)?\s?%", value):
        return "; export percentages as plain numbers, without '%' (12 or 0.12)"
    return ""
