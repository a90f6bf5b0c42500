"""The snapshot lock: heartbeat, takeover rules, full disks and OS errors (issue 10 items 5, 7)."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.errors import LockError, StoreError
from scraper.store import SnapshotStore
from scraper.store import lock as lock_mod
from tests.test_store import DAY, T0, ok, write

ROOT = Path(__file__).resolve().parent.parent


def _child(
    tmp_path: Path, body: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    script = tmp_path / f"child_{time.monotonic_ns()}.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited {proc.returncode}: {proc.communicate()[1]!r}")
        assert time.monotonic() < deadline, f"timed out waiting for {path}"
        time.sleep(0.02)


def _reap(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


# A holder on "another host": gethostname is patched in the child only.
FOREIGN_HOLDER = """
    import socket, sys, time
    from pathlib import Path
    socket.gethostname = lambda: "far-away-host"
    from scraper.store import SnapshotStore
    root, ready = Path(sys.argv[1]), Path(sys.argv[2])
    with SnapshotStore(root, heartbeat=0.1).lock():
        ready.write_text("held")
        time.sleep(600)
"""


def test_heartbeat_keeps_a_foreign_lock_alive_and_its_silence_frees_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, ready = tmp_path / "snaps", tmp_path / "ready"
    child = _child(tmp_path, FOREIGN_HOLDER, str(root), str(ready))
    try:
        _wait_for(ready, child)
        lock = root / ".lock"
        first = lock.stat().st_mtime
        info = json.loads(lock.read_text())
        assert info["host"] == "far-away-host" and info["heartbeat"] == 0.1
        deadline = time.monotonic() + 10
        while lock.stat().st_mtime == first:  # the holder's thread refreshes it
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.05)
        # older than stale_after by its start time, but beating: never taken over
        time.sleep(1.2)
        with (
            pytest.raises(LockError, match="far-away-host.*last heartbeat 0 s ago") as exc,
            SnapshotStore(root, stale_after=1.0).lock(),
        ):
            pass
        assert f"delete {lock}" in str(exc.value)
        child.send_signal(signal.SIGKILL)  # the holder dies; nobody refreshes the lock now
        child.communicate(timeout=30)
        time.sleep(1.3)
        with caplog.at_level(logging.WARNING), SnapshotStore(root, stale_after=1.0).lock():
            assert json.loads(lock.read_text())["pid"] == os.getpid()
        assert "recovering stale lock" in caplog.text and "no heartbeat for" in caplog.text
    finally:
        _reap(child)


def test_holder_refreshes_its_heartbeat_and_stops_on_release(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, heartbeat=0.05)
    before = threading.active_count()
    with store.lock():
        lock = tmp_path / ".lock"
        os.utime(lock, (time.time() - 3600, time.time() - 3600))
        deadline = time.monotonic() + 10
        while time.time() - lock.stat().st_mtime > 60:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.02)
        assert threading.active_count() == before + 1
    assert threading.active_count() == before
    assert not lock.exists()


def test_heartbeat_never_touches_a_lock_taken_over_by_another_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path, heartbeat=0.05)
    with caplog.at_level(logging.WARNING), store.lock():
        lock = tmp_path / ".lock"
        lock.write_text(json.dumps({"pid": 4242, "host": "other", "token": "theirs"}))
        os.utime(lock, (1_000_000, 1_000_000))
        deadline = time.monotonic() + 10
        while "heartbeat stopped" not in caplog.text:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert lock.stat().st_mtime == 1_000_000
    assert json.loads(lock.read_text())["token"] == "theirs"  # release left it too


def test_a_live_holder_on_this_host_is_never_taken_over(tmp_path: Path) -> None:
    """Even with a silent heartbeat (a stopped process): only its death frees the lock."""
    root, ready = tmp_path / "snaps", tmp_path / "ready"
    holder = """
        import sys, time
        from pathlib import Path
        from scraper.store import SnapshotStore
        with SnapshotStore(Path(sys.argv[1]), heartbeat=0.1).lock():
            Path(sys.argv[2]).write_text("held")
            time.sleep(600)
    """
    child = _child(tmp_path, holder, str(root), str(ready))
    try:
        _wait_for(ready, child)
        child.send_signal(signal.SIGSTOP)
        time.sleep(1.2)
        with (
            pytest.raises(LockError, match=f"pid {child.pid}.*heartbeat stopped"),
            SnapshotStore(root, stale_after=1.0).lock(),
        ):
            pass
        child.send_signal(signal.SIGCONT)
    finally:
        _reap(child)
    with SnapshotStore(root).lock():  # dead now: recovered
        pass


# ---------------------------------------------------------------- full disk, OS errors


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, tiny tmpfs (root can mount one), filled up; else a disk whose writes fail."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if not mounted:  # not root: fail os.write the way a full disk does
        real_write = os.write

        def enospc(fd: int, data: bytes) -> int:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(mnt)):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        lock_mod.os.write = enospc  # type: ignore[assignment]
    try:
        yield mnt
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], check=True)
        else:
            lock_mod.os.write = real_write


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    try:
        with open(filler, "wb") as fh:
            for _ in range(1024):  # 4 MB at most: the tmpfs holds 256 KB
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk_at_the_lock_names_the_path_and_leaves_no_lock(
    full_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = full_disk / "snaps"
    root.mkdir()
    filler = _fill(full_disk)
    with pytest.raises(StoreError) as info, SnapshotStore(root).lock():
        pass
    msg = str(info.value)
    assert msg == f"cannot write the lock: {root / '.lock'}: no space left on device"
    assert not (root / ".lock").exists()  # an empty .lock would read as "a killed run"
    filler.unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING), SnapshotStore(root).lock():
        pass
    assert "unreadable lock" not in caplog.text and "stale" not in caplog.text


def test_full_disk_while_writing_names_the_path(full_disk: Path) -> None:
    root = full_disk / "snaps"
    store = SnapshotStore(root)
    with store.lock():
        s1 = write(store, T0, ok())
        _fill(full_disk)
        big = ok(html=os.urandom(400_000))  # cannot fit
        with pytest.raises(StoreError) as info:
            write(store, T0 + DAY, big)
    msg = str(info.value)
    assert "no space left on device" in msg and str(root) in msg and "\n" not in msg
    assert store.snapshot_ids() == [s1]
    assert not list(root.glob(".tmp-*")) and not list(root.glob("objects/*/.tmp-*"))


def test_full_disk_does_not_stop_mark_reported(full_disk: Path) -> None:
    """The marker is an empty file: it needs an inode but no block, so a disk that filled
    up while the report was written still lets the snapshot become a baseline."""
    root = full_disk / "snaps"
    store = SnapshotStore(root)
    sid = write(store, T0, ok())
    _fill(full_disk)
    store.mark_reported(sid, "r")
    assert SnapshotStore(root).pending_ids() == []
    assert not list(root.glob(".tmp-*"))


def test_unwritable_marker_names_the_path(tmp_path: Path) -> None:
    root = tmp_path / "snaps"
    store = SnapshotStore(root)
    sid = write(store, T0, ok())
    (root / sid / ".reported").mkdir()  # something in the way that os.replace cannot replace
    with pytest.raises(StoreError, match=rf"cannot mark snapshot reported: {root / sid}"):
        SnapshotStore(root).mark_reported(sid, "r")
    assert not list(root.glob(".tmp-*"))


def test_snapshots_path_that_is_a_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "snapshots"
    path.write_text("not a folder")
    with (
        pytest.raises(
            StoreError,
            match=rf"cannot create the snapshot folder: {path}: file exists",
        ),
        SnapshotStore(path).lock(),
    ):
        pass
    with pytest.raises(StoreError, match=rf"cannot list snapshots: {path}: not a directory"):
        SnapshotStore(path).snapshot_ids()


# ---------------------------------------------------------------- leftovers of killed runs


KILL_AT_REPLACE = """
    import os, signal, sys
    from datetime import datetime, timezone
    from pathlib import Path
    from scraper.models import PageOutcome, Record
    from scraper.store import SnapshotStore
    root, target = Path(sys.argv[1]), sys.argv[2]
    real = os.replace
    def replace(src, dst, *a, **kw):
        if target in str(dst):
            os.kill(os.getpid(), signal.SIGKILL)  # the temp file is written, not renamed
        return real(src, dst, *a, **kw)
    os.replace = replace
    store = SnapshotStore(root)
    recs = (Record(-1, "X", "S", ("m",), ("en",)),)
    at = datetime(2026, 11, 22, 6, tzinfo=timezone.utc)
    with store.lock():
        sid = store.new_id(at)
        store.write_snapshot(sid, at, [PageOutcome("spot", "en", "u", "ok", records=recs,
                             markdown="# fresh", raw_html=b"<html>fresh</html>")], {})
    store.mark_reported(sid, sid)
"""


@pytest.mark.parametrize("target", ["/objects/", "/manifest.json.gz", "/.reported"])
def test_every_temp_name_of_a_killed_write_is_cleaned_at_lock_time(
    tmp_path: Path, target: str
) -> None:
    root = tmp_path / "snaps"
    write(SnapshotStore(root), T0, ok())
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    child = _child(tmp_path, KILL_AT_REPLACE, str(root), target)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    leftovers = [p for p in root.rglob(".tmp-*") if ".tmp-" in p.name]
    assert leftovers, "the kill left no temp file: the test did not reach its point"
    store = SnapshotStore(root)
    with store.lock():
        assert not [p for p in root.rglob("*") if p.name.startswith(".tmp-")]
    after = sorted(p.relative_to(root) for p in root.rglob("*"))
    if target != "/.reported":  # the snapshot never finished: only whole objects were added
        assert [p for p in after if p.parts[0] != "objects"] == [
            p for p in before if p.parts[0] != "objects"
        ]
    else:
        assert store.snapshot_ids() == ["20261121T060000Z", "20261122T060000Z"]
        assert store.pending_ids() == ["20261121T060000Z", "20261122T060000Z"]
    for obj in (p for p in root.glob("objects/*/*")):
        assert hashlib.sha256(obj.read_bytes()).hexdigest() == obj.parent.name + obj.name
