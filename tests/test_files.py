"""scraper/files.py: atomic writes that honour the umask, stale temp files, OSError lines."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from scraper.files import (
    atomic_write_bytes,
    atomic_write_text,
    clean_stale_temps,
    describe_os_error,
    doing,
    is_temp_name,
)


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test changes it."""
    old = os.umask(0o022)
    os.umask(old)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "want"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_atomic_write_honours_the_umask(tmp_path: Path, umask: None, mask: int, want: int) -> None:
    os.umask(mask)
    target = tmp_path / "reports" / "r1" / "report.html"
    atomic_write_text(target, "<p>ok</p>")
    assert target.read_text("utf-8") == "<p>ok</p>"
    assert mode(target) == want
    atomic_write_text(target, "<p>again</p>")  # replacing keeps the umask's mode too
    assert mode(target) == want and target.read_text("utf-8") == "<p>again</p>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_atomic_write_bytes_and_fsync(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b"\x00\xff", fsync=True)
    assert target.read_bytes() == b"\x00\xff"
    atomic_write_text(target, "a\nb\n")
    assert target.read_bytes() == b"a\nb\n"


def test_a_failed_write_leaves_neither_target_nor_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    atomic_write_text(target, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "bad \udc80 surrogate")
    assert target.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


KILLED = """
import os, signal, sys
from pathlib import Path
import scraper.files as files
real = os.replace
def die(src, dst):  # the rename never happens: the temp file stays, like a kill -9 here
    os.kill(os.getpid(), signal.SIGKILL)
files.os.replace = die
files.atomic_write_text(Path(sys.argv[1]), "<html>half</html>")
"""


def _killed_write(target: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(target)],
        check=False,
        env=env,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL


def test_clean_stale_temps_removes_what_killed_writes_left(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _killed_write(reports / "index.html")
    _killed_write(reports / "20260116T060000Z" / "report.html")
    left = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file())
    assert len(left) == 2 and all(is_temp_name(Path(p).name) for p in left), left
    assert left[0].startswith(".index.html.") and left[1].startswith(
        "20260116T060000Z/.report.html."
    )
    # the real files beside them, and other dot files, are kept
    atomic_write_text(reports / "20260116T060000Z" / "report.json", "{}")
    (reports / ".keep.tmp").write_text("not ours")  # no pid and token: not a temp name
    removed = clean_stale_temps(reports)
    assert sorted(p.relative_to(reports).as_posix() for p in removed) == left
    assert sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*")) == [
        ".keep.tmp",
        "20260116T060000Z",
        "20260116T060000Z/report.json",
    ]
    assert clean_stale_temps(reports) == []


def test_clean_stale_temps_leaves_a_live_writer_and_links_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".report.html.{sleeper.pid}.0123456789ab.tmp"
        live.write_text("being written")
        dead = tmp_path / ".report.html.999999999.0123456789ab.tmp"
        dead.write_text("left over")
        legacy = tmp_path / ".index.html.k3j_9xq2.tmp"  # errwatch 0.1.0 (mkstemp) name
        legacy.write_text("left over")
        ours = tmp_path / f".index.html.{os.getpid()}.0123456789ab.tmp"
        ours.write_text("an earlier process with our pid")
        outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
        outside.write_text("keep me")
        link = tmp_path / ".x.html.999999998.0123456789ab.tmp"
        link.symlink_to(outside)
        folder = tmp_path / ".y.html.999999997.0123456789ab.tmp"
        folder.mkdir()
        removed = clean_stale_temps(tmp_path)
        assert sorted(removed) == sorted([dead, legacy, ours])
        assert live.exists() and link.is_symlink() and folder.is_dir()
        assert outside.read_text() == "keep me"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_clean_stale_temps_of_a_missing_folder(tmp_path: Path) -> None:
    assert clean_stale_temps(tmp_path / "nope") == []
    (tmp_path / "file").write_text("x")
    assert clean_stale_temps(tmp_path / "file") == []


# --- one line per OSError ----------------------------------------------------------------


def test_describe_os_error_names_activity_path_and_reason(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info, doing("preparing the demo folder", tmp_path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / ".errwatch-demo"))
    line = describe_os_error(info.value)
    assert line == (
        f"while preparing the demo folder in {tmp_path}: {tmp_path / '.errwatch-demo'}: "
        "read-only file system"
    )
    assert "Errno" not in line and "[" not in line


def test_describe_os_error_uses_roles_then_the_fallback(tmp_path: Path) -> None:
    snaps = tmp_path / "snaps"
    exc = FileExistsError(errno.EEXIST, "File exists", str(snaps / "x"))
    roles = {"using the snapshot folder": snaps, "writing the reports": tmp_path / "reports"}
    assert describe_os_error(exc, "running errwatch run", roles=roles) == (
        f"while using the snapshot folder: {snaps / 'x'}: it exists and is not a folder"
    )
    other = PermissionError(errno.EACCES, "Permission denied", "/elsewhere")
    assert describe_os_error(other, "running errwatch run", roles=roles) == (
        "while running errwatch run: /elsewhere: permission denied"
    )
    nameless = OSError(errno.ENOSPC, "No space left on device")
    assert describe_os_error(nameless) == "file system error: no space left on the device"
    two = OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b")
    assert describe_os_error(two, "moving") == (
        "while moving: /a: invalid cross-device link (and /b)"
    )


def test_the_innermost_doing_wins(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info, doing("outer"), doing("inner", "/p"):
        raise OSError(errno.EACCES, "Permission denied", "/p")
    assert describe_os_error(info.value, "fallback") == "while inner: /p: permission denied"
