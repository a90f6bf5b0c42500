"""Bad stored files are values, not crashes (issue 10 items 3 and 4).

One junk manifest is skipped everywhere with one warning; a corrupt or missing object is
never trusted, never linked onward, and is healed by the next write of the same content.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest

from scraper.errors import StoreError
from scraper.history import code_history
from scraper.store import MANIFEST, SnapshotStore, records_json
from tests.test_store import DAY, T0, not_modified, ok, recs, write

JUNK = {
    "garbage": b"\x00\xffnot a manifest at all\x13\x37",
    "truncated-gzip": gzip.compress(json.dumps({"id": "x", "pages": []}).encode() * 50)[:40],
    "bad-deflate": gzip.compress(b'{"pages": []}')[:10] + b"\xff" * 20,
    "wrong-shape": gzip.compress(b'{"id": "x", "pages": {"spot": 1}}'),
    "wrong-entry": gzip.compress(b'{"pages": [{"page": "spot", "locale": "en", "status": 3}]}'),
    "bad-hash": gzip.compress(
        b'{"pages": [{"page": "spot", "locale": "en", "status": "ok",'
        b' "records": "../../etc/passwd"}]}'
    ),
    "list": gzip.compress(b"[1, 2, 3]"),
    "empty": b"",
}


def _junk(root: Path, sid: str, data: bytes) -> None:
    path = root / sid / MANIFEST
    path.chmod(0o644)
    path.write_bytes(data)


def _corrupt(path: Path) -> None:
    """Flip one byte of a stored (read-only, hard-linked) file in place."""
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    with open(path, "r+b") as fh:  # in place: every hard link sees it, as on a bad disk
        fh.write(bytes(data))
    path.chmod(0o444)


def _records_object(root: Path, digest: str) -> Path:
    return root / "objects" / digest[:2] / digest[2:]


# ---------------------------------------------------------------- item 3: junk manifests


@pytest.mark.parametrize("kind", sorted(JUNK))
@pytest.mark.parametrize("where", ["oldest", "middle", "newest"])
def test_one_junk_manifest_is_skipped_everywhere_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str, where: str
) -> None:
    store = SnapshotStore(tmp_path)
    ids = [write(store, T0 + i * DAY, ok(records=recs(3 + i))) for i in range(3)]
    bad = {"oldest": ids[0], "middle": ids[1], "newest": ids[2]}[where]
    _junk(tmp_path, bad, JUNK[kind])
    good = [sid for sid in ids if sid != bad]

    fresh = SnapshotStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert fresh.snapshot_ids() == good
        assert fresh.snapshot_ids() == good  # cached: no second warning
        base = fresh.newest_good("spot", "en")
        assert fresh.pending_ids() == good
        events = code_history(fresh, -1000)
    assert base is not None and base.snapshot_id == good[-1]
    assert base.load_records() == recs(3 + ids.index(good[-1]))
    assert [e["snapshot"] for e in events][:1] == [good[0]]
    warnings = [r for r in caplog.records if bad in r.getMessage() and r.name == "scraper.store"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "skipping snapshot" in warnings[0].getMessage()
    assert fresh.skipped_ids() == [bad]
    # asked directly, it is an error (one line)
    for call in (
        lambda: fresh.manifest(bad),
        lambda: fresh.records(bad, "spot", "en"),
        lambda: fresh.is_reported(bad),
    ):
        with pytest.raises(StoreError, match=f"snapshot {bad}") as info:
            call()
        assert "\n" not in str(info.value)
    assert fresh.readable_records(bad, "spot", "en") is None
    # a new snapshot can still be written after it (and a 304 still finds content)
    sid = write(fresh, T0 + 5 * DAY, not_modified())
    assert fresh.records(sid, "spot", "en") == base.load_records()


def test_junk_manifest_does_not_make_every_run_pay(tmp_path: Path) -> None:
    """snapshot_ids() reads each manifest once per store object, and never again."""
    store = SnapshotStore(tmp_path)
    ids = [write(store, T0 + i * DAY, ok()) for i in range(4)]
    _junk(tmp_path, ids[1], b"junk")
    fresh = SnapshotStore(tmp_path)
    fresh.snapshot_ids()
    for sid in ids:
        (tmp_path / sid / MANIFEST).chmod(0o000)  # any further read would fail loudly
    try:
        assert fresh.snapshot_ids() == [ids[0], ids[2], ids[3]]
        assert fresh.newest_good("spot", "en").snapshot_id == ids[3]  # type: ignore[union-attr]
    finally:
        for sid in ids:
            (tmp_path / sid / MANIFEST).chmod(0o444)


# ---------------------------------------------------------------- item 4: corrupt objects


def test_put_object_rewrites_a_corrupt_object_of_the_right_size(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok())
    digest = store.manifest(s1)["pages"][0]["records"]
    obj = _records_object(tmp_path, digest)
    _corrupt(obj)
    with caplog.at_level(logging.WARNING):
        s2 = write(SnapshotStore(tmp_path), T0 + DAY, ok())  # same content, 200 again
    assert "corrupt" in caplog.text
    assert hashlib.sha256(obj.read_bytes()).hexdigest() == digest
    assert obj.stat().st_mode & 0o777 == 0o444
    fresh = SnapshotStore(tmp_path)
    assert fresh.records(s2, "spot", "en") == recs()
    # the old snapshot's link still holds the bad bytes; reads go through objects/ first
    assert fresh.records(s1, "spot", "en") == recs()
    assert fresh.newest_good("spot", "en").snapshot_id == s2  # type: ignore[union-attr]


@pytest.mark.parametrize("damage", ["flip", "missing"])
def test_newest_good_skips_an_entry_whose_records_object_is_bad(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(3)))
    s2 = write(store, T0 + DAY, ok(records=recs(4)))
    s3 = write(store, T0 + 2 * DAY, not_modified(), baselines={("spot", "en"): s2})
    digest = store.manifest(s2)["pages"][0]["records"]
    obj = _records_object(tmp_path, digest)
    if damage == "flip":
        _corrupt(obj)
    else:
        obj.unlink()
    fresh = SnapshotStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        base = fresh.newest_good("spot", "en")
        again = fresh.newest_good("spot", "en")
        events = code_history(fresh, -1003)  # only in recs(4): in the bad object alone
    assert base is not None and base.snapshot_id == s1 and base.load_records() == recs(3)
    assert again == base
    assert events == []
    store_warnings = [r for r in caplog.records if r.name == "scraper.store"]
    assert sum(digest[:12] in r.getMessage() for r in store_warnings) == 1
    assert fresh.readable_records(s3, "spot", "en") is None
    if damage == "flip":
        with pytest.raises(StoreError, match="corrupt"):
            fresh.records(s3, "spot", "en")
    # a 304 that names the bad snapshot as baseline takes the previous good content
    s4 = write(fresh, T0 + 3 * DAY, not_modified(), baselines={("spot", "en"): s3})
    assert fresh.manifest(s4)["pages"][0]["records"] == store.manifest(s1)["pages"][0]["records"]
    assert fresh.records(s4, "spot", "en") == recs(3)


def test_a_fresh_fetch_heals_corruption_for_every_later_run(tmp_path: Path) -> None:
    """The issue's case: a flipped byte in an unchanged page's records object."""
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(3)))
    s2 = write(store, T0 + DAY, not_modified())
    digest = store.manifest(s1)["pages"][0]["records"]
    _corrupt(_records_object(tmp_path, digest))
    run2 = SnapshotStore(tmp_path)
    assert run2.newest_good("spot", "en") is None  # nothing good: the run fetches anew
    s3 = write(run2, T0 + 2 * DAY, ok(records=recs(3)))  # the same content arrives (200)
    run3 = SnapshotStore(tmp_path)
    base = run3.newest_good("spot", "en")
    assert base is not None and base.snapshot_id == s3
    s4 = write(run3, T0 + 3 * DAY, not_modified(), baselines={("spot", "en"): s3})
    for sid in (s1, s2, s3, s4):
        assert run3.records(sid, "spot", "en") == recs(3)


def test_corrupt_html_and_markdown_objects_are_noticed_and_not_linked_onward(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(html=b"<html>" + b"x" * 500 + b"</html>"))
    entry = store.manifest(s1)["pages"][0]
    _corrupt(_records_object(tmp_path, entry["html"]))
    _corrupt(_records_object(tmp_path, entry["markdown"]))
    fresh = SnapshotStore(tmp_path)
    with pytest.raises(StoreError, match="corrupt"):
        fresh.html(s1, "spot", "en")
    with pytest.raises(StoreError, match="corrupt"):
        fresh.markdown(s1, "spot", "en")
    with caplog.at_level(logging.WARNING):
        s2 = write(fresh, T0 + DAY, not_modified(), baselines={("spot", "en"): s1})
    e2 = fresh.manifest(s2)["pages"][0]
    assert e2["records"] == entry["records"] and e2["html"] is None and e2["markdown"] is None
    assert fresh.records(s2, "spot", "en") == recs()
    assert not (tmp_path / s2 / "spot.en.html.gz").exists()
    assert entry["html"][:12] in caplog.text
    # the same page served again (200) rewrites both objects
    s3 = write(fresh, T0 + 2 * DAY, ok(html=b"<html>" + b"x" * 500 + b"</html>"))
    assert SnapshotStore(tmp_path).html(s1, "spot", "en") == b"<html>" + b"x" * 500 + b"</html>"
    assert SnapshotStore(tmp_path).markdown(s3, "spot", "en") == ok().markdown


def test_records_object_that_hashes_right_but_does_not_parse(tmp_path: Path) -> None:
    """A hand-made store: the hash matches, the content is not records."""
    store = SnapshotStore(tmp_path)
    s1 = write(store, T0, ok(records=recs(2)))
    bogus = b'{"not": "a list"}'
    digest = store.put_object(bogus)
    s2 = write(store, T0 + DAY, ok(records=recs(2)))
    path = tmp_path / s2 / MANIFEST
    m = json.loads(gzip.decompress(path.read_bytes()))
    m["pages"][0]["records"] = digest
    path.chmod(0o644)
    path.write_bytes(gzip.compress(json.dumps(m).encode()))
    fresh = SnapshotStore(tmp_path)
    with pytest.raises(StoreError, match="unreadable"):
        fresh.records(s2, "spot", "en")
    assert fresh.readable_records(s2, "spot", "en") is None
    assert fresh.readable_records(s1, "spot", "en") == recs(2)
    assert records_json(recs(2)) == (tmp_path / s1 / "spot.en.records.json").read_bytes()


def test_listing_cache_sees_snapshots_written_by_another_store_object(tmp_path: Path) -> None:
    """The baseline lookups reuse one directory scan while the root folder is unchanged."""
    writer = SnapshotStore(tmp_path)
    s1 = write(writer, T0, ok(records=recs(3)))
    old = time.time() - 60
    os.utime(tmp_path, (old, old))  # a settled folder: its scan is reused
    reader = SnapshotStore(tmp_path)
    assert reader.newest_good("spot", "en").snapshot_id == s1  # type: ignore[union-attr]
    s2 = write(SnapshotStore(tmp_path), T0 + DAY, ok(records=recs(4)))
    assert reader.newest_good("spot", "en").snapshot_id == s2  # type: ignore[union-attr]
    assert reader.pending_ids() == [s1, s2] and reader.snapshot_ids() == [s1, s2]
    shutil.rmtree(tmp_path / s1)
    assert reader.snapshot_ids() == [s2]
