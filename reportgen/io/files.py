"""The input file itself: readable, its format from its first bytes, text or binary, gzip, fingerprint."""

from __future__ import annotations

import codecs
import hashlib
import stat
from pathlib import Path

from reportgen.errors import InputError

BOM = b"\xef\xbb\xbf"
SNIFF = 8192
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_CHUNK = 1 << 20


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
    check_readable(path)
    with path.open("rb") as fh:
        head = fh.read(SNIFF)
    if head.startswith(_GZIP_MAGIC):
        return "csv.gz"
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    check_text(head, str(path))
    return "csv"


def check_readable(path: Path) -> None:
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


def check_text(head: bytes, where: str, inside_gzip: bool = False) -> None:
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
    if not head.strip().removeprefix(BOM).strip():
        raise InputError(f"{where}: the file is empty; expected a header line and one row per customer")


def format_notes(path: Path, fmt: str) -> tuple[str, ...]:
    name = path.name.lower()
    claimed = "parquet" if name.endswith((".parquet", ".pq")) else "csv.gz" if name.endswith(".gz") else None
    if claimed is not None and claimed != fmt:
        return (f"{path.name} is named like {claimed} but its content is {fmt}; read it as {fmt}",)
    return ()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")
