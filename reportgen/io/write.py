"""Atomic writes under the output folder: a failed run never leaves a half-written or mixed period."""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

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
    """Write every file of a period into a staging folder, then swap it in place of DIR/<period> whole."""
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
