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
from reportgen.interrupts import critical, forget, on_stop

LOCK_FILE = ".reportgen.lock"
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
def output_lock(out_dir: Path, command: str, create: bool = True) -> Iterator[None]:
    """Hold the output folder for one command; a second `run` or `send` on it waits, then is refused.

    Also checks, before any work, that the folder can be created and written to (the lock file is written
    and synced: a read-only folder or a full disk fails here, not after the analysis). The lock is an flock,
    so the system releases it when the holder ends, however it ends. `create=False` (send) does not create
    a missing folder.
    """
    where = f"--out {out_dir}"
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{where}: is a file, expected a folder for the reports; choose another --out")
    if not out_dir.exists() and not create:
        yield
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, _FILE_MODE)
    except OSError as exc:
        raise InputError(f"{where}: cannot write there ({exc.strerror}); choose a writable --out") from None
    try:
        _take_lock(fd, out_dir)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: reportgen {command}\n".encode(), 0)
            os.fsync(fd)
        except OSError as exc:
            raise InputError(
                f"{where}: cannot write there ({exc.strerror}); free some space or choose another --out"
            ) from None
        # the holder's line is for a waiting command's message only: emptied at the end, even by a stop
        handle = on_stop(lambda: _empty(fd))
        try:
            yield
        finally:
            forget(handle)
            _empty(fd)
    finally:
        os.close(fd)  # releases the lock


def _empty(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)


def _take_lock(fd: int, out_dir: Path) -> None:
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                raise InputError(
                    f"{out_dir}: in use by another reportgen ({holder}) for more than {LOCK_WAIT_S:g} s; "
                    "wait for it to finish, or use another --out"
                ) from None
            time.sleep(0.05)
