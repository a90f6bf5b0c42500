"""Two-phase snapshots (issue 10 item 1, store side): pending until the report is written."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scraper.store import MANIFEST, REPORTED, SnapshotStore
from tests.test_store import DAY, T0, not_modified, ok, recs, write

ROOT = Path(__file__).resolve().parent.parent


def test_new_snapshots_are_pending_until_marked_reported(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(3)))
    assert store.manifest(s1)["phases"] == 2
    assert not store.is_reported(s1)
    assert store.pending_ids() == [s1]
    assert store.newest_good("spot", "en", reported_only=True) is None
    assert store.newest_good("spot", "en").snapshot_id == s1  # type: ignore[union-attr]

    store.mark_reported(s1, "20261121T060000Z")
    store.mark_reported(s1, "again")  # idempotent: the first mark stands
    marker = tmp_path / s1 / REPORTED
    assert marker.is_file() and marker.stat().st_size == 0  # no disk block per day
    s2 = write(store, T0 + DAY, ok(records=recs(5)))
    s3 = write(store, T0 + 2 * DAY, ok(records=recs(6)))
    fresh = SnapshotStore(tmp_path)  # a later run reads the markers from disk
    assert fresh.is_reported(s1) and not fresh.is_reported(s2)
    assert fresh.pending_ids() == [s2, s3]
    base = fresh.newest_good("spot", "en", reported_only=True)
    assert base is not None and base.snapshot_id == s1 and base.load_records() == recs(3)
    assert fresh.newest_good("spot", "en", before=s3, reported_only=True).snapshot_id == s1  # type: ignore[union-attr]
    fresh.mark_reported(s3, "r3")
    assert fresh.pending_ids() == [s2]
    assert fresh.newest_good("spot", "en", reported_only=True).snapshot_id == s3  # type: ignore[union-attr]
    assert not list(tmp_path.glob(".tmp-*"))


def test_manifests_of_older_errwatch_count_as_reported(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    sid = write(store, T0, ok())
    path = tmp_path / sid / MANIFEST
    m = json.loads(gzip.decompress(path.read_bytes()))
    del m["phases"]  # what errwatch wrote before two-phase runs
    path.chmod(0o644)
    path.write_bytes(gzip.compress(json.dumps(m).encode()))
    fresh = SnapshotStore(tmp_path)
    assert fresh.is_reported(sid) and fresh.pending_ids() == []
    assert fresh.newest_good("spot", "en", reported_only=True).snapshot_id == sid  # type: ignore[union-attr]


def test_not_modified_after_a_pending_snapshot_takes_content_from_it(tmp_path: Path) -> None:
    """A 304 answers the ETag the run sent; the content is the baseline's, reported or not."""
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(3)))
    store.mark_reported(s1, s1)
    s2 = write(store, T0 + DAY, ok(records=recs(4)))  # pending: its run died before the report
    s3 = write(store, T0 + 2 * DAY, not_modified(), baselines={("spot", "en"): s1})
    assert store.records(s3, "spot", "en") == recs(3)
    assert store.records(s2, "spot", "en") == recs(4)


KILL_AT = """
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from scraper.models import PageOutcome, Record
    from scraper.store import SnapshotStore
    root = Path(sys.argv[1])
    recs = tuple(Record(-2000 - i, f"NEW_{i}", "S", ("m",), ("en",)) for i in range(5))
    outs = [PageOutcome(p, "en", "u", "ok", records=recs, markdown="# " + p,
                        raw_html=b"<html>new</html>") for p in ("margin", "spot")]
    store = SnapshotStore(root)
    with store.lock():
        at = datetime(2026, 11, 22, 6, tzinfo=timezone.utc)
        store.write_snapshot(store.new_id(at), at, outs, {})
    print("survived")
"""


@pytest.mark.parametrize("phase", ["objects", "snapshot"])
def test_kill_at_store_checkpoints(tmp_path: Path, phase: str) -> None:
    root = tmp_path / "snaps"
    store = SnapshotStore(root)
    s1 = write(store, T0, ok(), ok("margin"))
    store.mark_reported(s1, s1)
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(KILL_AT))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ERRWATCH_KILL_AT": phase}
    proc = subprocess.run(
        [sys.executable, str(script), str(root)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -9 and b"survived" not in proc.stdout
    fresh = SnapshotStore(root)
    if phase == "objects":  # everything written but the rename: no snapshot
        assert fresh.snapshot_ids() == [s1]
        assert list(root.glob(".tmp-20261122T060000Z-*"))
    else:  # renamed into place, not reported: pending
        assert fresh.snapshot_ids() == [s1, "20261122T060000Z"]
        assert fresh.pending_ids() == ["20261122T060000Z"]
        assert fresh.records("20261122T060000Z", "spot", "en") is not None
    assert fresh.newest_good("spot", "en", reported_only=True).snapshot_id == s1  # type: ignore[union-attr]
    with fresh.lock():
        assert not list(root.glob(".tmp-*"))


def test_killed_mark_reported_leaves_a_temp_the_lock_cleans(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    sid = write(store, T0, ok())
    (tmp_path / ".tmp-reported-999-1").write_text('{"report": "x"')  # killed mid-write
    assert store.pending_ids() == [sid]
    with store.lock():
        assert not (tmp_path / ".tmp-reported-999-1").exists()
    store.mark_reported(sid, "r")
    assert store.pending_ids() == []
