"""Atomic writes under the output folder: a failed run never leaves a half-written or mixed period."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from reportgen.errors import InputError
from reportgen.interrupts import critical

PROBE_PREFIX = ".reportgen-probe-"
LOCK_WAIT_S = 5.0  # how long a second run or send waits for the one holding the output folder
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
_DIR_MODE = 0o777 & ~_umask()


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to path through a temporary file and a rename, so readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; the archive is meant to be read by a web server
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish_period(out_dir: Path, period: str, files: Mapping[str, bytes]) -> Path:
    """Write every file of a period into a staging folder, then swap it in place of DIR/<period> whole.

    A stop (Ctrl-C) waits until the swap is done or undone: the folder is always the old one or the new one.
    """
    with critical():
        return _publish(out_dir, period, files)


def _publish(out_dir: Path, period: str, files: Mapping[str, bytes]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    recover_period(out_dir, period)
    target = out_dir / period
    # hidden names: the archive, load_previous_model and web servers' listings all skip them
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{period}-", dir=out_dir))
    os.chmod(staging, _DIR_MODE)
    try:
        for name, data in files.items():
            if "/" in name:  # a partitioned table (segments/segment_id=0/part-0.parquet)
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        _fsync_dir(staging)
        if target.exists():
            _replace_dir(staging, target, out_dir, period)
        else:
            os.replace(staging, target)
        _fsync_path(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def recover_period(out_dir: Path, period: str) -> None:
    """Undo what a killed publish of `period` left behind: restore a retired folder, drop staging ones."""
    target = out_dir / period
    for retired in sorted(out_dir.glob(f".retired-{period}-*")):
        kept = retired / period
        if not target.exists() and kept.is_dir():
            # killed between moving the old period aside and moving the new one in: put the old one back
            os.replace(kept, target)
        shutil.rmtree(retired, ignore_errors=True)
    for staging in out_dir.glob(f".staging-{period}-*"):
        shutil.rmtree(staging, ignore_errors=True)


def _replace_dir(staging: Path, target: Path, out_dir: Path, period: str) -> None:
    if _exchange(staging, target):
        # staging now holds the previous period; the new one is already in place
        shutil.rmtree(staging, ignore_errors=True)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".retired-{period}-", dir=out_dir))
    os.replace(target, retired / period)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step where the OS allows it (Linux renameat2); False otherwise."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    # file systems without exchange support (some network shares) fall back to two renames
    return bool(done == 0)


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir():
            _fsync_dir(child)
            continue
        with open(child, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_path(path)


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the data files are already synced
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_lock(out_dir: Path, create: bool = True) -> Iterator[None]:
    """Hold the output folder for one command; a second `run` or `send` on it waits, then is refused.

    The lock is an flock on the folder itself (no lock file to leave behind), so the system releases it
    when the holder ends, however it ends. Before any work, it also checks that the folder can be written
    to: a small probe file is written, synced and deleted, so a read-only folder or a full disk fails here,
    not after the analysis. `create=False` (send) does not create a missing folder.
    """
    where = f"--out {out_dir}"
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{where}: is a file, expected a folder for the reports; choose another --out")
    if not out_dir.exists() and not create:
        yield
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir, os.O_RDONLY)
    except OSError as exc:
        raise InputError(f"{where}: cannot write there ({exc.strerror}); choose a writable --out") from None
    try:
        _take_lock(fd, out_dir)
        with critical():  # a stop (Ctrl-C) never leaves the probe file behind
            _probe_write(out_dir, where)
        yield
    finally:
        os.close(fd)  # releases the lock


def _probe_write(out_dir: Path, where: str) -> None:
    for stale in out_dir.glob(f"{PROBE_PREFIX}*"):  # left by a holder killed in the instant below
        stale.unlink(missing_ok=True)
    try:
        fd, name = tempfile.mkstemp(prefix=PROBE_PREFIX, dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as fh:  # write() repeats until every byte is in (or fails)
                fh.write(b"reportgen checks that it can write here\n" * 100)
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            Path(name).unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(
            f"{where}: cannot write there ({exc.strerror}); make it writable, free some space, or choose "
            "another --out"
        ) from None


def _take_lock(fd: int, out_dir: Path) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise InputError(
                    f"{out_dir}: in use by another reportgen ({_holder(fd)}) for more than {LOCK_WAIT_S:g} s; "
                    "wait for it to finish, or use another --out"
                ) from None
            time.sleep(0.05)
        except OSError:
            return  # a file system without flock on folders (some network shares): run unlocked


def _holder(fd: int) -> str:
    """Describe the process holding the flock on fd's folder (Linux /proc/locks), or say 'another process'."""
    inode = os.fstat(fd).st_ino
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "another process"
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            pid = fields[4]
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                return f"pid {pid}"
            words = [a.decode("utf-8", "replace") for a in argv if a]
            shown = " ".join(words[words.index("reportgen") :] if "reportgen" in words else words[-4:])
            return f"pid {pid}: {shown}"
    return "another process"
