"""SnapshotStore: layout, content addressing, baselines, lock, atomicity, storage cost."""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from scraper import store as store_mod
from scraper.errors import LockError, StoreError
from scraper.models import PageOutcome, Record
from scraper.registry import build_registry
from scraper.store import MANIFEST, SnapshotStore, records_json

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def recs(n: int = 3, prefix: str = "ERR") -> tuple[Record, ...]:
    return tuple(
        Record(
            code=-1000 - i,
            name=f"{prefix}_{i}",
            section="10xx - General",
            messages=(f"message {i}",),
            message_langs=("en",),
            anchor=f"-{1000 + i}-{prefix.lower()}_{i}",
        )
        for i in range(n)
    )


def ok(
    page: str = "spot",
    locale: str = "en",
    records: tuple[Record, ...] | None = None,
    html: bytes | None = None,
    **kw: object,
) -> PageOutcome:
    records = recs() if records is None else records
    return PageOutcome(
        page=page,
        locale=locale,
        url=f"https://developers.binance.com/docs/{page}",
        status=kw.pop("status", "ok"),
        http_status=kw.pop("http_status", 200),  # type: ignore[arg-type]
        etag=kw.pop("etag", '"v1"'),
        last_modified="Wed, 19 Nov 2025 10:12:33 GMT",  # type: ignore[arg-type]
        records=records,
        markdown=f"# {page} {locale}\n\n" + "\n".join(r.name or "" for r in records),
        raw_html=html if html is not None else f"<html>{page}/{locale}</html>".encode(),
        **kw,  # type: ignore[arg-type]
    )


def not_modified(page: str = "spot", locale: str = "en") -> PageOutcome:
    return PageOutcome(
        page=page,
        locale=locale,
        url=f"https://developers.binance.com/docs/{page}",
        status="not_modified",
        http_status=304,
        etag='"v1"',
    )


def failed(page: str = "spot", locale: str = "en", body: bytes | None = None) -> PageOutcome:
    return PageOutcome(
        page=page,
        locale=locale,
        url=f"https://developers.binance.com/docs/{page}",
        status="failed",
        reason="HTTP 503",
        http_status=503,
        raw_html=body,
    )


def write(
    store: SnapshotStore,
    at: datetime,
    *outcomes: PageOutcome,
    baselines: dict[tuple[str, str], str | None] | None = None,
) -> str:
    sid = store.new_id(at)
    store.write_snapshot(sid, at, outcomes, baselines or {})
    return sid


def object_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "objects").rglob("*") if p.is_file())


# ---------------------------------------------------------------- ids and layout


def test_new_id_is_utc_and_suffixes_collisions(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    plus2 = timezone(timedelta(hours=2))
    assert store.new_id(datetime(2026, 11, 21, 8, 0, 5, tzinfo=plus2)) == "20261121T060005Z"
    assert store.new_id(datetime(2026, 11, 21, 6, 0, 5)) == "20261121T060005Z"  # naive = UTC
    ids = [write(store, T0, ok()) for _ in range(3)]
    assert ids == ["20261121T060000Z", "20261121T060000Z-2", "20261121T060000Z-3"]


def test_snapshot_ids_sorted_by_time_and_ignore_strays(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    for _ in range(11):
        write(store, T0, ok())
    write(store, T0 - DAY, ok())
    (tmp_path / ".tmp-20261122T060000Z-123").mkdir()
    (tmp_path / "20261123T060000Z").mkdir()  # no manifest: an interrupted hand copy
    (tmp_path / "notes").mkdir()
    (tmp_path / "20261124T060000Z.txt").write_text("x")
    ids = store.snapshot_ids()
    assert ids[0] == "20261120T060000Z"
    assert ids[1:4] == ["20261121T060000Z", "20261121T060000Z-2", "20261121T060000Z-3"]
    assert ids[-1] == "20261121T060000Z-11"
    assert len(ids) == 12


def test_write_and_read_back(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    records = recs(5) + (
        Record(
            None,
            None,
            "Filter failures",
            ("Filter failure: PRICE_FILTER",),
            ("en",),
            "price too high",
        ),
    )
    html = "<html>spot 现货</html>".encode()
    sid = write(
        store,
        T0,
        ok(records=records, html=html),
        ok("spot", "zh-CN"),
        baselines={("spot", "en"): "20261120T060000Z"},
    )
    folder = tmp_path / sid
    assert sorted(p.name for p in folder.iterdir()) == [
        MANIFEST,
        "spot.en.html.gz",
        "spot.en.md",
        "spot.en.records.json",
        "spot.zh-CN.html.gz",
        "spot.zh-CN.md",
        "spot.zh-CN.records.json",
    ]
    assert store.records(sid, "spot", "en") == records
    assert store.html(sid, "spot", "en") == html
    assert store.markdown(sid, "spot", "en") == ok(records=records).markdown
    assert store.records(sid, "margin", "en") is None  # not crawled in that run

    text = (folder / "spot.en.records.json").read_text("utf-8")
    assert text == json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=1) + "\n"
    gz = (folder / "spot.en.html.gz").read_bytes()
    assert gz[4:8] == b"\0\0\0\0"  # gzip mtime 0: deterministic

    m = store.manifest(sid)
    assert list(m) == ["id", "at", "tool", "phases", "pages"] and m["phases"] == 2
    assert m["id"] == sid and m["at"] == "2026-11-21T06:00:00+00:00"
    assert m["tool"].startswith("errwatch ")
    assert [(e["page"], e["locale"]) for e in m["pages"]] == [("spot", "en"), ("spot", "zh-CN")]
    e = m["pages"][0]
    assert list(e) == [
        "page",
        "locale",
        "url",
        "status",
        "reason",
        "http_status",
        "etag",
        "last_modified",
        "html",
        "markdown",
        "records",
        "record_count",
        "baseline",
        "article",
    ]
    assert e["record_count"] == 5 and e["baseline"] == "20261120T060000Z"  # codes, not table rows
    assert m["pages"][1]["baseline"] is None
    # every file is a hard link of its object
    obj = {p.stat().st_ino for p in object_files(tmp_path)}
    for name in ("spot.en.html.gz", "spot.en.md", "spot.en.records.json"):
        assert (folder / name).stat().st_ino in obj
    assert e["records"] == __import__("hashlib").sha256(records_json(records)).hexdigest()


def test_unchanged_content_is_stored_once(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    a = write(store, T0, ok(), ok("margin"))
    n_objects = len(object_files(tmp_path))
    b = write(store, T0 + DAY, ok(), ok("margin"))
    assert len(object_files(tmp_path)) == n_objects
    pa, pb = store.manifest(a)["pages"], store.manifest(b)["pages"]
    assert [(e["html"], e["markdown"], e["records"]) for e in pa] == [
        (e["html"], e["markdown"], e["records"]) for e in pb
    ]
    assert (tmp_path / a / "spot.en.records.json").read_bytes() == (
        tmp_path / b / "spot.en.records.json"
    ).read_bytes()


def test_link_failure_falls_back_to_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    store = SnapshotStore(tmp_path)
    monkeypatch.setattr(store_mod.os, "link", no_links)
    sid = write(store, T0, ok())
    assert (tmp_path / sid / "spot.en.records.json").stat().st_nlink == 1
    assert store.records(sid, "spot", "en") == recs()


def test_write_rejects_existing_id_duplicates_and_unsafe_names(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    sid = write(store, T0, ok())
    with pytest.raises(StoreError, match="already exists"):
        store.write_snapshot(sid, T0, [ok()], {})
    with pytest.raises(StoreError, match="given twice"):
        store.write_snapshot("20261122T060000Z", T0, [ok(), ok()], {})
    with pytest.raises(StoreError, match="unsafe"):
        store.write_snapshot("20261122T060000Z", T0, [ok(page="../evil")], {})
    with pytest.raises(StoreError, match="not a snapshot id"):
        store.write_snapshot("latest", T0, [ok()], {})
    assert store.snapshot_ids() == [sid]
    assert not list(tmp_path.glob(".tmp-*"))


# ---------------------------------------------------------------- baselines


def test_not_modified_reuses_newest_good_objects(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(7)))
    s2 = write(store, T0 + DAY, failed(body=b"<html>503</html>"))
    s3 = write(store, T0 + 2 * DAY, not_modified(), baselines={("spot", "en"): s1})
    e1 = store.manifest(s1)["pages"][0]
    e3 = store.manifest(s3)["pages"][0]
    assert e3["status"] == "not_modified" and e3["http_status"] == 304
    assert (e3["html"], e3["markdown"], e3["records"], e3["record_count"]) == (
        e1["html"],
        e1["markdown"],
        e1["records"],
        7,
    )
    assert e3["baseline"] == s1
    assert store.records(s3, "spot", "en") == recs(7)
    assert store.html(s2, "spot", "en") == b"<html>503</html>"  # kept for inspection
    # without a baseline given, the newest good entry is used too
    s4 = write(store, T0 + 3 * DAY, not_modified())
    assert store.manifest(s4)["pages"][0]["records"] == e1["records"]


def test_not_modified_without_any_good_entry_is_stored_as_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        sid = write(store, T0, not_modified())
    e = store.manifest(sid)["pages"][0]
    assert e["status"] == "failed" and "304" in e["reason"] and e["records"] is None
    assert store.newest_good("spot", "en") is None
    assert "no earlier good snapshot" in caplog.text


def test_newest_good_is_per_page_and_lazy(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(3)), ok("margin", records=recs(4)))
    s2 = write(store, T0 + DAY, failed(), ok("margin", records=recs(5)))
    s3 = write(
        store,
        T0 + 2 * DAY,
        ok(status="quarantined", reason="lost 90% of codes", records=recs(1)),
        failed("margin"),
    )
    fresh = SnapshotStore(tmp_path)
    spot = fresh.newest_good("spot", "en")
    assert spot is not None and spot.snapshot_id == s1 and spot.record_count == 3
    assert spot.etag == '"v1"' and spot.last_modified
    margin = fresh.newest_good("margin", "en")
    assert margin is not None and margin.snapshot_id == s2
    assert margin.load_records() == recs(5)
    prior = fresh.newest_good("margin", "en", before=s2)
    assert prior is not None and prior.snapshot_id == s1
    assert fresh.newest_good("margin", "en", before=s1) is None
    assert fresh.newest_good("wallet", "en") is None
    assert fresh.records(s3, "spot", "en") == recs(1)  # quarantined content kept
    assert fresh.entry(s3, "margin", "en")["status"] == "failed"  # type: ignore[index]
    assert [e["page"] for e in fresh.manifest(s3)["pages"]] == ["margin", "spot"]  # sorted


def test_corrupt_manifest_is_an_error_when_read_and_skipped_when_scanning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok())
    s2 = write(store, T0 + DAY, ok())
    (tmp_path / s2 / MANIFEST).chmod(0o644)
    (tmp_path / s2 / MANIFEST).write_bytes(gzip.compress(b"{not json"))
    fresh = SnapshotStore(tmp_path)
    with pytest.raises(StoreError, match=f"snapshot {s2}: .*not valid JSON"):
        fresh.manifest(s2)
    with caplog.at_level(logging.WARNING):
        base = fresh.newest_good("spot", "en")
    assert base is not None and base.snapshot_id == s1
    assert f"skipping snapshot {s2}" in caplog.text
    (tmp_path / s2 / MANIFEST).write_bytes(b"\x1f\x8b truncated")
    with pytest.raises(StoreError, match="cannot read"):
        SnapshotStore(tmp_path).manifest(s2)
    with pytest.raises(StoreError, match="no snapshot 20300101T000000Z"):
        fresh.manifest("20300101T000000Z")


def test_plain_manifest_json_is_read_too(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    sid = write(store, T0, ok())
    folder = tmp_path / sid
    (folder / "manifest.json").write_bytes(gzip.decompress((folder / MANIFEST).read_bytes()))
    (folder / MANIFEST).unlink()
    fresh = SnapshotStore(tmp_path)
    assert fresh.snapshot_ids() == [sid]
    assert fresh.records(sid, "spot", "en") == recs()


def test_corrupt_object_is_detected(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    sid = write(store, T0, ok())
    f = tmp_path / sid / "spot.en.records.json"
    f.chmod(0o644)
    f.write_text("[]\n")
    with pytest.raises(StoreError, match="corrupt"):
        SnapshotStore(tmp_path).records(sid, "spot", "en")


# ---------------------------------------------------------------- storage cost


def _all_pages() -> list[tuple[str, str]]:
    return [(ref.id, loc) for ref in build_registry() for loc in ("en", "zh-CN")]


def _new_bytes(root: Path, sid: str, object_inodes: set[int]) -> tuple[int, int, list[str]]:
    """Apparent bytes of files that are new inodes, the folder's size, their names."""
    folder = root / sid
    new = [p for p in folder.iterdir() if p.stat().st_ino not in object_inodes]
    return sum(p.stat().st_size for p in new), folder.stat().st_size, sorted(p.name for p in new)


@pytest.mark.parametrize("mode", ["304", "200-same-content"])
def test_thirty_unchanged_days_add_only_a_small_manifest(
    tmp_path: Path, spot_html: str, mode: str
) -> None:
    """Target: <= 10 KB per unchanged day (28 page/locale entries)."""
    store = SnapshotStore(tmp_path)
    pages = _all_pages()
    html = spot_html.encode()
    records = recs(103)
    first = [
        ok(
            p,
            loc,
            records=records,
            html=html + p.encode() + loc.encode(),
            etag='W/"5f1e2d3c4b5a6978-gzip"',
        )
        for p, loc in pages
    ]
    prev = write(store, T0, *first)
    objects = object_files(tmp_path)
    inodes = {p.stat().st_ino for p in objects}
    sizes = []
    for day in range(1, 31):
        if mode == "304":
            outs = [not_modified(p, loc) for p, loc in pages]
        else:
            outs = first
        prev = write(store, T0 + day * DAY, *outs, baselines={k: prev for k in pages})
        new_bytes, dir_bytes, names = _new_bytes(tmp_path, prev, inodes)
        assert names == [MANIFEST]
        assert all(
            (tmp_path / prev / f"{p}.{loc}.records.json").stat().st_ino in inodes
            for p, loc in pages
        )
        sizes.append(new_bytes + dir_bytes)
    assert object_files(tmp_path) == objects
    assert max(sizes) <= 10 * 1024, sizes
    print(f"\n[{mode}] new bytes per unchanged day: manifest {new_bytes} B + folder {dir_bytes} B")


def test_baseline_lookup_stays_fast_with_365_snapshots(tmp_path: Path) -> None:
    pages = _all_pages()
    store = SnapshotStore(tmp_path, durable=False)
    prev = write(store, T0, *[ok(p, loc) for p, loc in pages])
    for day in range(1, 365):
        # wallet/zh-CN has failed ever since day 1: its lookup walks all 365 manifests
        outs = [
            failed(p, loc) if (p, loc) == ("wallet", "zh-CN") else not_modified(p, loc)
            for p, loc in pages
        ]
        prev = write(store, T0 + day * DAY, *outs)
    fresh = SnapshotStore(tmp_path)
    start = time.perf_counter()
    found = {k: fresh.newest_good(*k) for k in pages}
    elapsed = time.perf_counter() - start
    assert found[("wallet", "zh-CN")].snapshot_id == "20261121T060000Z"  # type: ignore[union-attr]
    assert found[("spot", "en")].snapshot_id == prev  # type: ignore[union-attr]
    assert elapsed < 2.0, elapsed  # ≈ 0.1 s measured; no record file is read
    assert fresh._records_cache == {}


# ---------------------------------------------------------------- lock


def _spawn(tmp_path: Path, body: str) -> subprocess.Popen[bytes]:
    script = tmp_path / f"child_{time.monotonic_ns()}.py"
    script.write_text(textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _out, err = proc.communicate()
            raise AssertionError(f"child exited {proc.returncode}: {err.decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.01)


HOLDER = """
    import sys, time
    from pathlib import Path
    from scraper.store import SnapshotStore
    root, ready, release = map(Path, {args!r})
    with SnapshotStore(root).lock():
        ready.write_text("held")
        while not release.exists():
            time.sleep(0.01)
"""


def test_second_lock_in_same_process_fails(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    with store.lock():
        with pytest.raises(LockError, match=f"pid {os.getpid()}"), SnapshotStore(tmp_path).lock():
            pass
        with pytest.raises(LockError), store.lock():
            pass
    assert not (tmp_path / ".lock").exists()


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    ready, release = tmp_path / "ready", tmp_path / "release"
    root = tmp_path / "snaps"
    child = _spawn(tmp_path, HOLDER.format(args=[str(root), str(ready), str(release)]))
    try:
        _wait_for(ready, child)
        info = json.loads((root / ".lock").read_text())
        assert info["pid"] == child.pid and info["host"] == socket.gethostname()
        busy = rf"another errwatch run \(pid {child.pid}, since .*\) holds .*\.lock"
        with pytest.raises(LockError, match=busy), SnapshotStore(root).lock():
            pass
    finally:
        release.write_text("go")
        child.communicate(timeout=30)
        assert child.returncode == 0
    assert not (root / ".lock").exists()
    with SnapshotStore(root).lock():
        pass


def test_lock_of_a_killed_process_is_recovered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ready, release = tmp_path / "ready", tmp_path / "release"
    root = tmp_path / "snaps"
    child = _spawn(tmp_path, HOLDER.format(args=[str(root), str(ready), str(release)]))
    _wait_for(ready, child)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert json.loads((root / ".lock").read_text())["pid"] == child.pid
    with caplog.at_level(logging.WARNING), SnapshotStore(root).lock():
        assert json.loads((root / ".lock").read_text())["pid"] == os.getpid()
    assert "recovering stale lock" in caplog.text and f"pid {child.pid} is gone" in caplog.text
    assert not (root / ".lock").exists()


def _plant_lock(
    root: Path, pid: int, host: str, age: float, *, heartbeat: float | None = 10.0
) -> None:
    """A lock file as another run would leave it, last refreshed ``age`` seconds ago."""
    root.mkdir(parents=True, exist_ok=True)
    epoch = time.time() - age
    info: dict[str, object] = {
        "pid": pid,
        "host": host,
        "epoch": epoch,
        "time": "then",
        "token": "x",
    }
    if heartbeat is not None:
        info["heartbeat"] = heartbeat
    (root / ".lock").write_text(json.dumps(info))
    os.utime(root / ".lock", (epoch, epoch))


def test_locks_are_taken_over_only_from_dead_or_silent_holders(tmp_path: Path) -> None:
    """Issue 10 item 5: never by age alone (the 6-hour rule let two runs write at once)."""
    me = socket.gethostname()
    _plant_lock(tmp_path, os.getpid(), me, age=7 * 3600)  # live pid on this host, 7 h old
    with (
        pytest.raises(LockError, match=rf"pid {os.getpid()}, since then\) holds .*wait"),
        SnapshotStore(tmp_path).lock(),
    ):
        pass
    _plant_lock(tmp_path, 12345, "other-host", age=60)  # heard from a minute ago
    with (
        pytest.raises(LockError, match="pid 12345 on host other-host") as info,
        SnapshotStore(tmp_path).lock(),
    ):
        pass
    lock = str(tmp_path / ".lock")
    assert f"only if you are sure that run is gone, delete {lock}" in str(info.value)
    assert "\n" not in str(info.value)
    _plant_lock(tmp_path, 12345, "other-host", age=7 * 3600, heartbeat=None)  # no heartbeat
    with pytest.raises(LockError, match="other-host"), SnapshotStore(tmp_path).lock():
        pass
    _plant_lock(tmp_path, 12345, "other-host", age=301)  # heartbeat silent for 5 minutes
    with SnapshotStore(tmp_path).lock():
        pass
    live = {
        "pid": os.getpid(),
        "host": me,
        "epoch": time.time(),
        "start": 1,
        "token": "x",
    }  # our pid, but a different process start: the pid was reused
    (tmp_path / ".lock").write_text(json.dumps(live))
    with SnapshotStore(tmp_path).lock():
        assert json.loads((tmp_path / ".lock").read_text())["start"] != 1
    (tmp_path / ".lock").write_text("")  # killed between creating and filling the file
    with SnapshotStore(tmp_path).lock():
        pass
    assert not (tmp_path / ".lock").exists()


def test_release_leaves_a_lock_taken_over_by_another_run(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    with store.lock():
        _plant_lock(tmp_path, 4242, "other-host", age=0)
    assert json.loads((tmp_path / ".lock").read_text())["pid"] == 4242


def test_cleanup_tmp_needs_the_lock_and_runs_when_it_is_taken(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    write(store, T0, ok())
    stray = tmp_path / ".tmp-20261122T060000Z-999"
    stray.mkdir()
    (stray / "spot.en.md").write_text("partial")
    obj_tmp = next((tmp_path / "objects").iterdir()) / ".tmp-abc-999-1"
    obj_tmp.write_bytes(b"partial")
    with pytest.raises(StoreError, match="lock"):
        store.cleanup_tmp()
    with store.lock():
        assert not stray.exists() and not obj_tmp.exists()
        assert store.cleanup_tmp() == []


# ---------------------------------------------------------------- atomicity


def test_error_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(), ok("margin"))
    real = SnapshotStore._link
    calls = []

    def flaky(self: SnapshotStore, digest: str, dest: Path) -> None:
        calls.append(dest)
        if len(calls) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, digest, dest)

    monkeypatch.setattr(SnapshotStore, "_link", flaky)
    with pytest.raises(StoreError, match="no space left on device"):
        write(store, T0 + DAY, ok(records=recs(9)), ok("margin"))
    monkeypatch.undo()
    assert store.snapshot_ids() == [s1]
    assert not list(tmp_path.glob(".tmp-*"))
    s2 = write(store, T0 + DAY, ok(records=recs(9)), ok("margin"))
    assert store.snapshot_ids() == [s1, s2]
    assert store.records(s2, "spot", "en") == recs(9)


KILLED_WRITER = """
    import time
    from datetime import datetime, timezone
    from pathlib import Path
    from scraper.models import PageOutcome, Record
    from scraper.store import SnapshotStore
    root, paused = map(Path, {args!r})
    real = SnapshotStore._link
    n = 0
    def slow_link(self, digest, dest):
        global n
        real(self, digest, dest)
        n += 1
        if n == 4:  # two pages written into the work folder, manifest not yet
            paused.write_text("paused")
            time.sleep(600)
    SnapshotStore._link = slow_link
    recs = tuple(Record(-2000 - i, f"NEW_{{i}}", "S", ("m",), ("en",)) for i in range(50))
    outs = [PageOutcome(p, "en", "u", "ok", records=recs, markdown="# new " + p,
                        raw_html=b"<html>new</html>") for p in ("margin", "spot", "wallet")]
    store = SnapshotStore(root)
    with store.lock():
        at = datetime(2026, 11, 22, 6, tzinfo=timezone.utc)
        store.write_snapshot(store.new_id(at), at, outs, {{}})
"""


def test_run_killed_mid_write_leaves_previous_snapshot_intact(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "snaps"
    store = SnapshotStore(root)
    with store.lock():
        s1 = write(store, T0, ok(), ok("margin"))
    paused = tmp_path / "paused"
    child = _spawn(tmp_path, KILLED_WRITER.format(args=[str(root), str(paused)]))
    _wait_for(paused, child)
    assert list(root.glob(".tmp-20261122T060000Z-*"))  # the half-built snapshot
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)

    fresh = SnapshotStore(root)
    assert fresh.snapshot_ids() == [s1]
    base = fresh.newest_good("spot", "en")
    assert base is not None and base.snapshot_id == s1 and base.load_records() == recs()
    # taking the lock recovers the dead writer's lock and removes its work folder
    with caplog.at_level(logging.WARNING), fresh.lock():
        assert not list(root.glob(".tmp-*"))
        s2 = write(fresh, T0 + DAY, ok(records=recs(4)), not_modified("margin"))
    assert "recovering stale lock" in caplog.text
    assert fresh.snapshot_ids() == [s1, s2] and s2 == "20261122T060000Z"
    assert fresh.records(s2, "spot", "en") == recs(4)
    assert fresh.records(s2, "margin", "en") == recs()
