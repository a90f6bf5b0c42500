"""errwatch verify [--repair] (issue 10 item 4): every manifest and object checked, repaired
from good copies where one exists, the rest dropped from the baselines."""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.cli import main
from scraper.store import MANIFEST, SnapshotStore
from scraper.verify import Finding, verify
from tests.test_store import DAY, T0, not_modified, ok, recs, write
from tests.test_store_integrity import _corrupt, _records_object


def cli(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, list[str]]:
    code = main(["verify", "--snapshots", str(root), *extra])
    out = capsys.readouterr().out
    return code, out.splitlines()


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # no errwatch.toml of the tree is read
    handlers = list(logging.root.handlers)
    yield
    logging.root.handlers[:] = handlers  # main() set up logging on this test's stderr


def _store(root: Path) -> tuple[SnapshotStore, list[str]]:
    store = SnapshotStore(root)
    margin = recs(2, "MARGIN")
    ids = [
        write(store, T0, ok(records=recs(3)), ok("margin", records=margin)),
        write(store, T0 + DAY, not_modified(), ok("margin", records=margin)),
        write(store, T0 + 2 * DAY, ok(records=recs(4)), not_modified("margin")),
    ]
    return store, ids


def test_clean_store_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "snaps"
    _store(root)
    code, lines = cli(capsys, root)
    assert code == 0
    assert lines == [f"3 snapshot(s), 4 object(s) checked in {root}: the store is clean"] or (
        len(lines) == 1 and lines[0].endswith("the store is clean")
    )
    res = verify(root)
    assert res.findings == () and res.exit_code == 0 and res.snapshots == 3


def test_junk_manifest_is_found_and_moved_out_of_the_baselines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "snaps"
    _, ids = _store(root)
    (root / ids[2] / MANIFEST).chmod(0o644)
    (root / ids[2] / MANIFEST).write_bytes(b"\x1f\x8b\x08junk")
    code, lines = cli(capsys, root)
    assert code == 1
    assert lines[0].startswith(f"manifest {ids[2]}: cannot read ")
    assert lines[-1].endswith("1 problem(s) (errwatch verify --repair fixes what it can)")
    assert (root / ids[2]).is_dir()  # a check alone changes nothing
    code, lines = cli(capsys, root, "--repair")
    assert code == 0
    assert lines[0].endswith(f"repaired: moved to .broken/{ids[2]}, out of the baselines")
    assert (root / ".broken" / ids[2] / MANIFEST).is_file() and not (root / ids[2]).exists()
    assert cli(capsys, root)[0] == 0
    fresh = SnapshotStore(root)
    assert fresh.snapshot_ids() == ids[:2]
    assert fresh.newest_good("spot", "en").snapshot_id == ids[1]  # type: ignore[union-attr]


def test_stale_link_after_a_healed_object_is_relinked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "snaps"
    store, ids = _store(root)
    digest = store.manifest(ids[0])["pages"][0]["records"]  # margin's records, in all three
    obj = _records_object(root, digest)
    _corrupt(obj)
    s4 = write(
        SnapshotStore(root),
        T0 + 3 * DAY,
        ok(records=recs(4)),
        ok("margin", records=recs(2, "MARGIN")),
    )  # the same content again: heals it
    res = verify(root)
    assert res.exit_code == 1
    assert sorted((f.kind, f.snapshot) for f in res.findings) == [
        ("link", ids[0]),
        ("link", ids[1]),
        ("link", ids[2]),
    ]
    assert all(f.path.endswith("margin.en.records.json") for f in res.findings)
    fixed = verify(root, repair=True)
    assert fixed.exit_code == 0 and all(f.repaired for f in fixed.findings)
    for sid in (*ids, s4):
        assert (root / sid / "margin.en.records.json").stat().st_ino == obj.stat().st_ino
    assert verify(root).findings == ()
    assert cli(capsys, root)[0] == 0


def test_corrupt_object_is_rewritten_from_a_good_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system refused hard links, a snapshot holds its own good copy."""

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    root = tmp_path / "snaps"
    with monkeypatch.context() as m:
        m.setattr(os, "link", no_links)
        store, ids = _store(root)
    digest = store.manifest(ids[0])["pages"][1]["html"]  # spot's html
    obj = _records_object(root, digest)
    _corrupt(obj)
    res = verify(root)
    assert [(f.kind, f.path) for f in res.findings] == [("object", str(obj.relative_to(root)))]
    assert "rewrites it from the good copy" in (res.findings[0].action or "")
    fixed = verify(root, repair=True)
    assert fixed.exit_code == 0 and fixed.findings[0].repaired
    assert SnapshotStore(root).html(ids[0], "spot", "en") == b"<html>spot/en</html>"
    assert obj.stat().st_mode & 0o777 == 0o444
    assert verify(root).findings == ()


def test_object_with_no_good_copy_drops_its_entries(tmp_path: Path) -> None:
    root = tmp_path / "snaps"
    store, ids = _store(root)
    digest = store.manifest(ids[2])["pages"][1]["records"]  # spot recs(4): only in ids[2]
    _corrupt(_records_object(root, digest))
    res = verify(root)
    assert res.exit_code == 1
    assert sorted(f.kind for f in res.findings) == ["entry", "object"]
    fixed = verify(root, repair=True)
    assert fixed.exit_code == 0, [f.line() for f in fixed.findings]
    assert not _records_object(root, digest).exists()
    fresh = SnapshotStore(root)
    e = fresh.entry(ids[2], "spot", "en")
    assert e is not None and e["status"] == "failed" and e["records"] is None
    assert "verify --repair" in e["reason"]
    assert fresh.newest_good("spot", "en").snapshot_id == ids[1]  # type: ignore[union-attr]
    assert fresh.records(ids[2], "margin", "en") == recs(2, "MARGIN")  # the rest stays
    assert verify(root).findings == ()
    # the next fetch of the same content stores the object afresh
    s4 = write(fresh, T0 + 3 * DAY, ok(records=recs(4)))
    assert SnapshotStore(root).records(s4, "spot", "en") == recs(4)


def test_missing_link_and_leftovers(tmp_path: Path) -> None:
    root = tmp_path / "snaps"
    _s, ids = _store(root)
    (root / ids[1] / "spot.en.md").unlink()
    (root / ".tmp-20261125T060000Z-99").mkdir()
    (root / ".tmp-reported-99-1").write_text("{")
    res = verify(root)
    assert sorted(f.kind for f in res.findings) == ["leftover", "leftover", "link"]
    fixed = verify(root, repair=True)
    assert fixed.exit_code == 0 and len(fixed.findings) == 3
    assert (root / ids[1] / "spot.en.md").read_text() == ok().markdown
    assert not list(root.glob(".tmp-*"))


def test_json_output_and_safe_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "snap\x1b[31m\u202eshots"
    _s, ids = _store(root)
    (root / ids[0] / "margin.en.html.gz").unlink()
    code, lines = cli(capsys, root)
    assert code == 1 and len(lines) == 2
    for line in lines:
        assert all(c.isprintable() for c in line), line
    assert "\\x1b[31m" in lines[-1] and "\\u202e" in lines[-1]
    code = main(["verify", "--snapshots", str(root), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False and data["tool"] == "errwatch"
    assert data["findings"] == [
        {
            "kind": "link",
            "path": f"{ids[0]}/margin.en.html.gz",
            "problem": "margin/en html file is missing",
            "snapshot": ids[0],
            "repaired": False,
            "action": data["findings"][0]["action"],
        }
    ]
    assert isinstance(Finding(**data["findings"][0]), Finding)


def test_missing_store_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["verify", "--snapshots", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and err == f"errwatch: error: no snapshot folder at {tmp_path / 'nope'}\n"


def test_repair_refuses_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    root = tmp_path / "snaps"
    store, ids = _store(root)
    (root / ids[0] / MANIFEST).chmod(0o644)
    (root / ids[0] / MANIFEST).write_bytes(gzip.compress(b"[]"))
    with store.lock():
        from scraper.errors import LockError

        with pytest.raises(LockError):
            verify(root, repair=True)
        assert verify(root).exit_code == 1  # checking alone needs no lock
    assert verify(root, repair=True).exit_code == 0
