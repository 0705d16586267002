"""Read and validate input tables (CSV, gzip-compressed CSV, Parquet) into a LoadedTable."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import stat
from collections.abc import Callable
from pathlib import Path

import polars as pl

from reportgen.config import DataConfig
from reportgen.errors import InputError
from reportgen.io.guards import check_id_text, check_magnitude, guarded_csv, gunzip_capped
from reportgen.model import ID, LoadedTable

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
_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20
_SNIFF = 8192
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # Decode only the invalid bytes as Latin-1, so valid UTF-8 elsewhere in the file stays intact.
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("reportgen-latin1", _latin1_fallback)


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """Return "csv", "csv.gz" or "parquet" from the leading bytes; raise InputError for anything else."""
    _check_readable(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF)
    if head.startswith(_GZIP_MAGIC):
        return "csv.gz"
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    _check_text(head, str(path))
    return "csv"


def load_customers(path: Path, data: DataConfig) -> LoadedTable:
    """Read a customer table and return it validated: `customer_id` text, then the features as Float64."""
    where = str(path)
    fmt = detect_format(path)
    notes = _format_notes(path, fmt)
    if fmt == "parquet":
        frame, rows, more = _parquet_customers(path, data, where)
    else:
        raw = path.read_bytes()
        if fmt == "csv.gz":
            raw = gunzip_capped(raw, where)
            _check_text(raw[:_SNIFF], where, inside_gzip=True)
        raw, guarded = guarded_csv(raw, where)
        notes = (*notes, *guarded)
        frame, rows, more = _csv_customers(raw, data, where)
    return LoadedTable(
        path=path,
        sha256=file_sha256(path),
        frame=frame,
        features=tuple(data.features),
        rows=rows,
        kind="customers",
        notes=(*notes, *more),
    )


def require_customers(table: LoadedTable, k_needed: int, where: str) -> None:
    """Raise InputError unless the table has more customers than `k_needed` segments (named by `where`)."""
    n = table.frame.height
    need = k_needed + 1  # silhouette and K-Means need more customers than segments
    if n < need:
        noun = "customer" if n == 1 else "customers"
        raise InputError(
            f"{table.path}: {n} {noun}, but {where}={k_needed} needs at least {need}; "
            f"lower {where} or add data"
        )


# --- checks shared by every format -----------------------------------------------------------------


def _check_readable(path: Path) -> None:
    where = str(path)
    if not path.exists():
        looked = "" if path.is_absolute() else f" (looked for {path.resolve()})"
        raise InputError(f"{where}: file not found{looked}")
    if path.is_dir():
        raise InputError(f"{where}: is a directory, expected a CSV, gzip-compressed CSV or Parquet file")
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):  # a device (/dev/zero) never ends, a FIFO waits for a writer
            raise InputError(
                f"{where}: is not a regular file (a device, FIFO or socket); expected a CSV, "
                "gzip-compressed CSV or Parquet file"
            )
        with path.open("rb") as fh:
            # the size in stat is not to be trusted (/proc files say 0): look for a first byte instead
            empty = fh.read(1) == b""
    except OSError as exc:
        raise InputError(f"{where}: cannot read the file ({exc.strerror})") from None
    if empty:
        raise InputError(f"{where}: the file is empty; expected a header line and one row per customer")


def _check_text(head: bytes, where: str, inside_gzip: bool = False) -> None:
    what = "the gzip file holds" if inside_gzip else "the file is"
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{where}: {what} a ZIP archive (an Excel .xlsx workbook?), not CSV; "
            "save the sheet as CSV (UTF-8)"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{where}: {what} an old Excel .xls workbook, not CSV; save the sheet as CSV (UTF-8)"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{where}: {what} UTF-16 text; save it as CSV (UTF-8)")
    control = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D))
    if b"\x00" in head or control > len(head) // 20:
        raise InputError(
            f"{where}: {what} binary data, not CSV or Parquet; expected comma-separated text, "
            "gzip-compressed CSV or a Parquet file"
        )
    if not head.strip().removeprefix(_BOM).strip():
        raise InputError(f"{where}: the file is empty; expected a header line and one row per customer")


def _format_notes(path: Path, fmt: str) -> tuple[str, ...]:
    name = path.name.lower()
    claimed = "parquet" if name.endswith((".parquet", ".pq")) else "csv.gz" if name.endswith(".gz") else None
    if claimed is not None and claimed != fmt:
        return (f"{path.name} is named like {claimed} but its content is {fmt}; read it as {fmt}",)
    return ()


def _check_columns(found: list[str], data: DataConfig, where: str) -> list[str]:
    required = [data.id_column, *data.features]
    missing = [c for c in required if c not in found]
    if missing:
        found_text = ", ".join(found[:40]) + (f", ... ({len(found)} columns)" if len(found) > 40 else "")
        if missing == [data.id_column]:
            raise InputError(
                f"{where}: id column {data.id_column} (data.id_column) is not in the file; "
                f"found: {found_text}"
            )
        if data.id_column not in missing:
            s = "s" if len(missing) > 1 else ""
            verb = "are" if len(missing) > 1 else "is"
            raise InputError(
                f"{where}: data.features names column{s} {', '.join(missing)} that {verb} not in the file; "
                f"found: {found_text}"
            )
        raise InputError(f"{where}: missing required columns {', '.join(missing)}; found: {found_text}")
    for name in required:
        if found.count(name) > 1:
            places = [str(i + 1) for i, f in enumerate(found) if f == name]
            raise InputError(
                f"{where}: column {name} appears more than once in the header (columns {', '.join(places)})"
            )
    return [c for c in found if c not in required]


def _extra_note(extra: list[str]) -> tuple[str, ...]:
    if not extra:
        return ()
    shown = ", ".join(extra[:10]) + (", ..." if len(extra) > 10 else "")
    s = "s" if len(extra) > 1 else ""
    return (f"ignored {len(extra)} extra column{s}: {shown}",)


# --- CSV ----------------------------------------------------------------------------------------------


def _csv_customers(raw: bytes, data: DataConfig, where: str) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    notes: list[str] = []
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    latin1 = not _is_utf8(_line1(raw))
    if latin1:
        raw = _as_utf8(raw)
    header = _csv_header(raw)
    if header is None or not any(header):
        raise InputError(f"{where}: line 1 is empty; expected a header line naming the columns")
    _check_delimiter(raw, header, data, where)
    extra = _check_columns(header, data, where)
    notes.extend(_extra_note(extra))

    id_idx = header.index(data.id_column)
    feat_idx = [header.index(f) for f in data.features]
    names = [f"c{i}" for i in range(len(header))]
    wanted = [names[id_idx]] + [names[i] for i in feat_idx]
    while True:
        try:
            frame = _read_csv(raw, names, [id_idx, *feat_idx], {names[i]: pl.Float64 for i in feat_idx})
            frame = frame.with_columns(pl.col(wanted[1:]).fill_nan(None))
        except pl.exceptions.PolarsError:
            # Validating UTF-8 costs a full pass, so it is done only once the fast read has failed.
            if not latin1 and not _is_utf8(raw):
                raw, latin1 = _as_utf8(raw), True
                continue
            # Slow path, only for files the typed read rejects: read text, then find the first bad cell.
            frame = _csv_as_text(raw, names, [id_idx, *feat_idx], header, where)
            frame = _numbers_from_text(frame, wanted[1:], data.features, raw, where)
            notes.append("trimmed spaces around cell values")
        break
    if latin1:
        notes.append("the file is not valid UTF-8: decoded ids and names as Latin-1")
    frame = frame.select("_row", pl.col(wanted[0]).str.strip_chars().alias(ID), *wanted[1:]).rename(
        dict(zip(wanted[1:], data.features, strict=True))
    )
    frame, blank = _drop_blank_rows(frame)
    if blank.len():
        lines = ", ".join(str(n) for n in _csv_lines(raw, [int(r) for r in blank[:5]]))
        s = "s" if blank.len() > 1 else ""
        notes.append(
            f"skipped {blank.len()} blank line{s} (line{s} {lines}{', ...' if blank.len() > 5 else ''})"
        )
    if frame.height == 0:
        raise InputError(
            f"{where}: has a header line but no data rows; expected one row per customer from line 2"
        )
    _validate(frame, data, where, lambda r: f"line {_csv_line(raw, r)}")
    return frame.drop("_row"), frame.height, tuple(notes)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_utf8(raw: bytes) -> bytes:
    return raw.decode("utf-8", errors="reportgen-latin1").encode("utf-8")


def _line1(raw: bytes) -> bytes:
    end = raw.find(b"\n")
    return (raw if end < 0 else raw[:end]).rstrip(b"\r")


def _csv_header(raw: bytes) -> list[str] | None:
    line = _line1(raw).decode("utf-8")
    rows = list(csv.reader([line]))
    return [h.strip() for h in rows[0]] if rows else None


def _check_delimiter(raw: bytes, header: list[str], data: DataConfig, where: str) -> None:
    required = {data.id_column, *data.features}
    if len(header) > 1 and required & set(header):
        _check_data_delimiter(raw, where)
        return
    line = _line1(raw).decode("utf-8")
    for sep, label in _OTHER_DELIMITERS.items():
        fields = [f.strip().strip('"') for f in line.split(sep)]
        if len(fields) > max(len(header), 1) and (required & set(fields) or len(header) == 1):
            raise InputError(
                f"{where}: looks {label}-separated, expected ',' (line 1 splits into {len(fields)} fields "
                f"on {label} and has no commas); save it as comma-separated CSV"
                if "," not in line
                else f"{where}: looks {label}-separated, expected ','; save it as comma-separated CSV"
            )


def _check_data_delimiter(raw: bytes, where: str) -> None:
    # The header is comma-separated; a first data line without commas hints at a mixed export.
    lines = raw.split(b"\n", 2)
    if len(lines) < 2:
        return
    second = lines[1].decode("utf-8", errors="replace")
    if "," in second:
        return
    for sep, label in _OTHER_DELIMITERS.items():
        if sep in second:
            raise InputError(
                f"{where}: line 2 looks {label}-separated, but the header (line 1) is ','-separated; "
                "expected ',' on every line"
            )


def _read_csv(
    raw: bytes, names: list[str], columns: list[int], dtypes: dict[str, type[pl.Float64]]
) -> pl.DataFrame:
    return pl.read_csv(
        raw,
        has_header=True,
        new_columns=names,
        columns=columns,
        schema_overrides=dtypes,
        infer_schema=False,
        null_values=list(NULL_TOKENS),
    ).with_row_index("_row")


def _csv_as_text(
    raw: bytes, names: list[str], columns: list[int], header: list[str], where: str
) -> pl.DataFrame:
    try:
        return _read_csv(raw, names, columns, {})
    except pl.exceptions.PolarsError as exc:
        line, count = _ragged_line(raw, len(header))
        if line is not None:
            raise InputError(
                f"{where}: line {line} has {count} fields, but the header (line 1) has {len(header)}; "
                "expected the same number of comma-separated fields on every line"
            ) from None
        quote = _unclosed_quote_line(raw)
        if quote is not None:
            raise InputError(
                f"{where}: line {quote}: a quoted field opens with '\"' but is never closed; "
                "expected a matching closing quote"
            ) from None
        raise InputError(f"{where}: cannot be read as CSV ({_first_line(exc)})") from None


def _unclosed_quote_line(raw: bytes) -> int | None:
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


def _ragged_line(raw: bytes, width: int) -> tuple[int | None, int]:
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    next(reader, None)
    start = reader.line_num + 1
    for record in reader:
        if record and len(record) != width and len(record) > width:
            return start, len(record)
        start = reader.line_num + 1
    return None, 0


def _numbers_from_text(
    frame: pl.DataFrame, cols: list[str], features: tuple[str, ...], raw: bytes, where: str
) -> pl.DataFrame:
    out = []
    for col, name in zip(cols, features, strict=True):
        text = frame[col].str.strip_chars()
        text = pl.select(pl.when(text.is_in(NULL_TOKENS)).then(None).otherwise(text)).to_series()
        numbers = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & numbers.is_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            value = str(text[row])
            hint = "; use '.' as the decimal mark" if "," in value else ""
            raise InputError(
                f"{where}: column {name}, line {_csv_line(raw, row)}: {_show(value)} is not a number{hint}"
            )
        out.append(numbers.fill_nan(None).alias(col))
    return frame.with_columns(out)


def _csv_line(raw: bytes, row: int) -> int:
    """Return the editor line (header = line 1) where data row `row` (0-based) starts."""
    return _csv_lines(raw, [row])[0]


def _csv_lines(raw: bytes, rows: list[int]) -> list[int]:
    if b'"' not in raw:
        return [row + 2 for row in rows]
    # Quoted fields may span lines; count records the way the CSV reader does (error paths and notes only).
    wanted, found = set(rows), {}
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    next(reader, None)
    start = reader.line_num + 1
    for i, _ in enumerate(reader):
        if i in wanted:
            found[i] = start
            if len(found) == len(wanted):
                break
        start = reader.line_num + 1
    return [found.get(row, row + 2) for row in rows]


# --- Parquet ------------------------------------------------------------------------------------------


def _parquet_customers(path: Path, data: DataConfig, where: str) -> tuple[pl.DataFrame, int, tuple[str, ...]]:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars / arrow raise many types for damaged files
        raise InputError(
            f"{where}: unreadable or corrupt Parquet file ({_first_line(exc)}); export it again"
        ) from None
    original = list(schema)
    found = [name.strip() for name in original]
    extra = _check_columns(found, data, where)
    notes = list(_extra_note(extra))
    wanted = [original[found.index(c)] for c in (data.id_column, *data.features)]
    try:
        frame = pl.read_parquet(path, columns=wanted)
    except Exception as exc:
        raise InputError(
            f"{where}: unreadable or corrupt Parquet file ({_first_line(exc)}); export it again"
        ) from None
    if frame.height == 0:
        raise InputError(f"{where}: has columns but no rows; expected one row per customer")
    frame = frame.with_row_index("_row")
    ids = frame[wanted[0]]
    if ids.dtype not in (pl.String, pl.Categorical, pl.Enum) and not ids.dtype.is_integer():
        raise InputError(
            f"{where}: id column {data.id_column} has type {ids.dtype}, expected text or integers"
        )
    columns = [frame["_row"], ids.cast(pl.String).str.strip_chars().alias(ID)]
    nans = 0
    for col, name in zip(wanted[1:], data.features, strict=True):
        s = frame[col]
        if s.dtype == pl.String:
            text = s.str.strip_chars()
            text = pl.select(pl.when(text.is_in(NULL_TOKENS)).then(None).otherwise(text)).to_series()
            s = text.cast(pl.Float64, strict=False)
            bad = text.is_not_null() & s.is_null()
            if bad.any():
                row = int(bad.arg_true()[0])
                raise InputError(
                    f"{where}: column {name}, row {row + 1}: {_show(str(text[row]))} is not a number"
                )
        elif s.dtype.is_numeric() or s.dtype in (pl.Boolean, pl.Null):
            s = s.cast(pl.Float64)
        else:
            raise InputError(f"{where}: column {name} has type {s.dtype}, expected numbers")
        nans += int(s.is_nan().sum())
        columns.append(s.fill_nan(None).alias(name))
    if nans:
        notes.append(f"treated {nans} NaN value{'s' if nans > 1 else ''} as missing")
    out = pl.DataFrame(columns)
    _validate(out, data, where, lambda r: f"row {r + 1}")
    return out.drop("_row"), out.height, tuple(notes)


# --- validation common to every format ----------------------------------------------------------------


def _drop_blank_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    values = [c for c in frame.columns if c != "_row"]
    blank = pl.all_horizontal(
        *[pl.col(c).is_null() | (pl.col(c) == "") if c == ID else pl.col(c).is_null() for c in values]
    )
    rows = frame.filter(blank)["_row"]
    return (frame.filter(~blank) if rows.len() else frame), rows


def _validate(frame: pl.DataFrame, data: DataConfig, where: str, place: Callable[[int], str]) -> None:
    ids = frame[ID]
    check_id_text(frame, data.id_column, where, lambda r: place(int(frame["_row"][r])))
    empty = ids.is_null() | (ids == "")
    if empty.any():
        row = int(frame["_row"][int(empty.arg_true()[0])])
        raise InputError(
            f"{where}: empty customer id in column {data.id_column}, {place(row)}; every row needs an id"
        )
    if ids.n_unique() < ids.len():
        dup = ids.is_duplicated()
        later = ~ids.is_first_distinct() & dup
        i = int(later.arg_true()[0])
        value = ids[i]
        first = int((ids == value).arg_true()[0])
        count = int(ids.filter(dup).n_unique())
        more = f" ({count - 1} more id{'s repeat' if count > 2 else ' repeats'})" if count > 1 else ""
        rows = frame["_row"]
        raise InputError(
            f"{where}: customer id {_show(value)} appears more than once, on {place(int(rows[first]))} "
            f"and {place(int(rows[i]))}{more}; expected one row per customer in column {data.id_column}"
        )
    for name in data.features:
        col = frame[name]
        infinite = col.is_infinite()
        if infinite.any():
            row = int(infinite.arg_true()[0])
            raise InputError(
                f"{where}: column {name}, {place(int(frame['_row'][row]))}: infinite value {col[row]}; "
                "expected a finite number"
            )
        check_magnitude(frame, name, where, lambda r: place(int(frame["_row"][r])))
        if col.null_count() == col.len():
            raise InputError(f"{where}: column {name} is empty on every row; expected numbers")


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
