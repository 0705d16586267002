"""Atomic publishing: a failed, killed or repeated run never leaves a mixed or damaged archive."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reportgen.io import write
from reportgen.io.write import publish_period, recover_period, write_atomic

OLD = {
    "report.pdf": b"%PDF-1.7 october",
    "report.html": b"<html>october</html>",
    "summary.json": b'{"period": "2026-10"}',
}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every visible file under folder (hidden staging folders excluded) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    publish_period(out, "2026-09", {**OLD, "summary.json": b'{"period": "2026-09"}'})
    publish_period(out, "2026-10", OLD)
    write_atomic(out / "index.html", b"<html>index</html>")
    return out


def test_rerun_replaces_the_period_whole(archive: Path) -> None:
    publish_period(archive, "2026-10", {"report.pdf": b"new", "summary.json": b"{}"})
    assert sorted(p.name for p in (archive / "2026-10").iterdir()) == ["report.pdf", "summary.json"]
    assert (archive / "2026-10" / "report.pdf").read_bytes() == b"new"
    assert sorted(p.name for p in archive.iterdir()) == ["2026-09", "2026-10", "index.html"]


def test_failure_after_the_pdf_leaves_the_archive_byte_identical(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(archive)
    real_write = Path.write_bytes

    def failing_write(self: Path, data: bytes) -> int:
        if self.name == "report.html":
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    new = {"report.pdf": b"%PDF new", "report.html": b"<html>new</html>", "summary.json": b"{}"}
    with pytest.raises(OSError, match="No space"):
        publish_period(archive, "2026-10", new)
    with pytest.raises(OSError, match="No space"):
        publish_period(archive, "2026-11", new)
    assert snapshot(archive) == before
    assert [p.name for p in archive.iterdir() if p.name.startswith(".")] == []


def test_killed_run_leaves_the_archive_byte_identical(archive: Path) -> None:
    """A real SIGKILL right after report.pdf reaches the staging folder, then the next run cleans up."""
    before = snapshot(archive)
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from reportgen.io.write import publish_period

        class KillAfterPdf(dict):
            def items(self):
                yield "report.pdf", b"%PDF half"
                os.kill(os.getpid(), signal.SIGKILL)

        publish_period(Path({str(archive)!r}), "2026-10", KillAfterPdf())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr.decode()
    assert snapshot(archive) == before
    assert any(p.name.startswith(".staging-2026-10-") for p in archive.iterdir())  # what the kill left

    publish_period(archive, "2026-10", {"report.pdf": b"%PDF whole"})
    assert not any(p.name.startswith(".") for p in archive.iterdir())
    assert (archive / "2026-10" / "report.pdf").read_bytes() == b"%PDF whole"


def test_kill_between_the_two_renames_is_recovered(archive: Path) -> None:
    """Without an atomic exchange the old folder is moved aside first; the next run puts it back."""
    before = snapshot(archive)
    retired = archive / ".retired-2026-10-x"
    retired.mkdir()
    os.replace(archive / "2026-10", retired / "2026-10")  # the state a kill at that moment leaves
    recover_period(archive, "2026-10")
    assert snapshot(archive) == before
    assert not retired.exists()


def test_fallback_without_exchange_still_replaces_whole(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    publish_period(archive, "2026-10", {"summary.json": b"{}"})
    assert [p.name for p in (archive / "2026-10").iterdir()] == ["summary.json"]
    assert not any(p.name.startswith(".") for p in archive.iterdir())


def test_write_atomic_failure_keeps_the_old_file(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(archive / "index.html", b"<html>new</html>")
    assert (archive / "index.html").read_bytes() == b"<html>index</html>"
    assert [p.name for p in archive.iterdir() if p.name.startswith(".")] == []
