"""Issue 9, items 1, 2 and 7: no false alarm from a renamed heading, one classifier for
run / diff / history, and time that only moves forward (against the local server)."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, LocalSite, Reply

from scraper.cli import main
from scraper.diff import diff_records
from scraper.history import code_events, code_history, walk
from scraper.models import Change, PageOutcome, Record
from scraper.parse import parse_html
from scraper.store import SnapshotStore

SPOT_EN = "/docs/binance-spot-api-docs/errors"
REAL = (FIXTURES / "pages" / "spot.en.html").read_text("utf-8")
NEW_HEADING = (
    "Messages for -1010 ERROR_MSG_RECEIVED, -2010 NEW_ORDER_REJECTED, "
    "-2011 CANCEL_REJECTED, and -2038 ORDER_AMEND_REJECTED"
)
OLD_HEADING = (
    "Messages for -1010 ERROR_MSG_RECEIVED, -2010 NEW_ORDER_REJECTED, -2011 CANCEL_REJECTED"
)


def older_spot() -> str:
    """The real page as it read before Binance renamed the two table headings."""
    assert NEW_HEADING in REAL and ">Filter failures<" in REAL.replace("\u200b", "")
    html = REAL.replace(NEW_HEADING, OLD_HEADING)
    return html.replace(">Filter failures<", ">-9xxx Filter failures<")


class Cli:
    def __init__(self, tmp: Path, site: LocalSite) -> None:
        self.tmp, self.site = tmp, site
        self.snapshots, self.reports = tmp / "snapshots", tmp / "reports"
        self.config = tmp / "errwatch.toml"
        self.config.write_text("retries = 0\nbackoff = 0\nread_timeout = 2\n", "utf-8")

    def run(self, *args: str, at: str) -> int:
        return main(
            [
                "run",
                "--snapshots",
                str(self.snapshots),
                "--reports",
                str(self.reports),
                "--base-url",
                self.site.base_url,
                "--config",
                str(self.config),
                "--page",
                "spot",
                "--locale",
                "en",
                "--at",
                at,
                *args,
            ]
        )

    def report(self, sid: str) -> dict[str, Any]:
        return json.loads((self.reports / sid / "report.json").read_text("utf-8"))


@pytest.fixture
def cli(tmp_path: Path, site: LocalSite) -> Cli:
    return Cli(tmp_path, site)


def serve(site: LocalSite, html: str) -> None:
    site.set(SPOT_EN, Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"}))


# ------------------------------------------------------------------ item 1: renamed headings


def test_renamed_table_headings_are_section_moves_not_breaking_removals(
    cli: Cli, site: LocalSite
) -> None:
    serve(site, older_spot())
    assert cli.run("--fail-on", "breaking", at="2026-03-01T06:00:00Z") == 0
    serve(site, REAL)
    assert cli.run("--fail-on", "breaking", at="2026-03-02T06:00:00Z") == 0
    report = cli.report("20260302T060000Z")
    kinds = Counter(c["kind"] for c in report["changes"])
    rows = [r for r in parse_html(REAL).records if r.code is None]
    assert set(kinds) == {"section_changed"}, kinds
    assert kinds["section_changed"] == len(rows) > 30
    assert report["summary"]["breaking"] == 0
    moves = {(c["old_section"], c["new_section"]) for c in report["changes"]}
    assert moves == {(OLD_HEADING, NEW_HEADING), ("-9xxx Filter failures", "Filter failures")}


def test_a_row_that_really_left_is_still_removed_beside_the_moves() -> None:
    old = [Record(None, None, "A", ("x",)), Record(None, None, "A", ("y",))]
    new = [Record(None, None, "B", ("x",))]
    got = [
        (c.kind, c.message, c.old_section, c.new_section)
        for c in diff_records("spot", "en", old, new)
    ]
    assert got == [("removed", "y", None, None), ("section_changed", "x", "A", "B")]


def test_repeated_rows_move_one_for_one() -> None:
    old = [Record(None, None, "A", ("x",)), Record(None, None, "A", ("x",))]
    new = [Record(None, None, "B", ("x",)), Record(None, None, "A", ("x",))]
    got = [(c.kind, c.old_section, c.new_section) for c in diff_records("spot", "en", old, new)]
    assert got == [("section_changed", "A", "B")]


# ------------------------------------------------------------------ item 2: one classifier


def rec(code: int, name: str | None, *messages: str, section: str = "S") -> Record:
    return Record(code, name, section, tuple(messages), ("en",) * len(messages))


def ok(records: list[Record], page: str = "spot") -> PageOutcome:
    return PageOutcome(
        page,
        "en",
        f"https://example.test/{page}",
        "ok",
        http_status=200,
        records=tuple(records),
        markdown="md",
    )


def write(store: SnapshotStore, sid: str, records: list[Record]) -> None:
    from datetime import UTC, datetime

    store.write_snapshot(
        sid, datetime.strptime(sid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), [ok(records)]
    )


def test_messages_are_multisets_in_diff_and_history_alike(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, durable=False)
    write(store, "20260101T000000Z", [rec(-1, "A", "An error.")])
    write(store, "20260102T000000Z", [rec(-1, "A", "An error.", "An error.")])
    [change] = diff_records(
        "spot", "en", [rec(-1, "A", "An error.")], [rec(-1, "A", "An error.", "An error.")]
    )
    assert change.kind == "messages_changed" and change.added_messages == ("An error.",)
    kinds = [e["kind"] for e in code_history(store, -1)]
    assert kinds == ["first_seen", "messages_changed"]


def test_generic_names_reach_diff_history_and_run_alike(tmp_path: Path) -> None:
    store_dir = tmp_path / "snapshots"
    store = SnapshotStore(store_dir, durable=False)
    write(store, "20260101T000000Z", [rec(-1, "SYSTEM_ERROR", "x")])
    write(store, "20260102T000000Z", [rec(-2, "SYSTEM_ERROR", "x")])
    config = tmp_path / "errwatch.toml"
    config.write_text('generic_names = ["SYSTEM_ERROR"]\n', "utf-8")
    assert (
        main(
            [
                "diff",
                "20260101T000000Z",
                "20260102T000000Z",
                "--snapshots",
                str(store_dir),
                "--reports",
                str(tmp_path / "reports"),
                "--config",
                str(config),
                "-q",
            ]
        )
        == 0
    )
    report = json.loads(next((tmp_path / "reports").glob("*-vs-*/report.json")).read_text())
    assert sorted(c["kind"] for c in report["changes"]) == ["added", "removed"]
    events = code_history(store, -1, generic_names=["SYSTEM_ERROR"])
    assert [e["kind"] for e in events] == ["first_seen", "removed"]
    assert [e["kind"] for e in code_history(store, -1)] == ["first_seen", "renumbered", "removed"]


def _random_page(rng: random.Random) -> list[Record]:
    names = ["A", "B", "C", "D", "E", None, "SYSTEM_ERROR"]
    out = []
    for _ in range(rng.randint(0, 6)):
        code = -rng.randint(1000, 1008)
        msgs = tuple(rng.choice(["m1", "m2", "m3", "m1 "]) for _ in range(rng.randint(0, 3)))
        out.append(rec(code, rng.choice(names), *msgs, section=rng.choice(["S", "T"])))
    for _ in range(rng.randint(0, 2)):
        out.append(
            Record(None, None, rng.choice(["Filters", "Other"]), (rng.choice(["r1", "r2"]),))
        )
    return out


def _touches(c: Change, code: int) -> bool:
    return code in (c.code, c.old_code, c.new_code)


def test_history_tells_what_diff_records_says_for_random_histories(tmp_path: Path) -> None:
    """history events of every code are exactly the diff's changes that name the code."""
    rng = random.Random(9)
    for trial in range(25):
        store = SnapshotStore(tmp_path / f"s{trial}", durable=False)
        states = [_random_page(rng) for _ in range(4)]
        for day, records in enumerate(states, start=1):
            write(store, f"202601{day:02d}T000000Z", records)
        steps = list(walk(store, generic_names=["SYSTEM_ERROR"]))
        for step in steps[1:]:
            prev = next(s for s in steps if s.snapshot == step.previous)
            assert step.changes == tuple(
                diff_records(
                    "spot", "en", prev.records, step.records, generic_names=["SYSTEM_ERROR"]
                )
            )
        codes = {r.code for s in states for r in s if r.code is not None}
        for code in codes:
            events = code_events(steps, code)
            from_diff = Counter(
                (s.snapshot, c.kind)
                for s in steps
                for c in s.changes
                if _touches(c, code) and c.kind not in ("added", "removed")
            )
            from_history = Counter(
                (e["snapshot"], e["kind"])
                for e in events
                if e["kind"] not in ("first_seen", "re_added", "added", "removed")
            )
            assert from_history == from_diff, (trial, code)


# ------------------------------------------------------------------ item 7: time


def test_at_earlier_than_the_newest_snapshot_is_refused(
    cli: Cli, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(site, older_spot())
    assert cli.run(at="2026-03-02T06:00:00Z") == 0
    capsys.readouterr()
    assert cli.run(at="2026-03-01T06:00:00Z") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--backfill" in err[0] and "20260302T060000Z" in err[0]
    assert SnapshotStore(cli.snapshots).snapshot_ids() == ["20260302T060000Z"]


def test_backfill_inserts_in_order_without_reporting_later_drift_again(
    cli: Cli, site: LocalSite
) -> None:
    serve(site, older_spot())
    assert cli.run(at="2026-03-01T06:00:00Z") == 0
    serve(site, REAL)
    assert cli.run(at="2026-03-03T06:00:00Z") == 0
    later = cli.report("20260303T060000Z")["changes"]
    assert later
    serve(site, older_spot())  # the day in between still read as the old page
    assert cli.run("--backfill", "--fail-on", "any", at="2026-03-02T06:00:00Z") == 0
    assert cli.report("20260302T060000Z")["changes"] == []
    assert cli.report("20260303T060000Z")["changes"] == later  # not rewritten
    store = SnapshotStore(cli.snapshots)
    assert store.snapshot_ids() == ["20260301T060000Z", "20260302T060000Z", "20260303T060000Z"]
    assert store.pending_ids() == []
    # history sees the move once, forward: no invented reverse rename
    kinds = [(e["snapshot"], e["kind"]) for e in code_history(store, -1013)]
    assert kinds.count(("20260303T060000Z", "section_changed")) <= 1
    assert all(k != "renamed" for _, k in kinds)
    serve(site, REAL)
    assert cli.run("--fail-on", "any", at="2026-03-04T06:00:00Z") == 0  # nothing new


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1900-01-01T00:00:00Z", "yesterday"],
)
def test_out_of_range_at_is_one_line_exit_2(
    cli: Cli, site: LocalSite, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(site, REAL)
    assert cli.run(at=value) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("errwatch: error: --at")


def test_history_walk_skips_failed_states_and_folds_identical_ones(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, durable=False)
    write(store, "20260101T000000Z", [rec(-1, "A", "x")])
    from datetime import UTC, datetime

    store.write_snapshot(
        "20260102T000000Z",
        datetime(2026, 1, 2, tzinfo=UTC),
        [replace(ok([rec(-1, "WRONG", "x")]), status="failed", reason="HTTP 503")],
    )
    write(store, "20260103T000000Z", [rec(-1, "A", "x")])
    write(store, "20260104T000000Z", [rec(-1, "B", "x")])
    steps = list(walk(store))
    assert [(s.snapshot, s.previous, [c.kind for c in s.changes]) for s in steps] == [
        ("20260101T000000Z", None, []),
        ("20260104T000000Z", "20260101T000000Z", ["renamed"]),
    ]


def test_the_time_check_reads_only_the_newest_readable_manifest(tmp_path: Path) -> None:
    """``--at`` is checked against ``snapshot_ids()[-1]``, found from the newest end."""
    store = SnapshotStore(tmp_path, durable=False)
    for day in (1, 2, 3):
        write(store, f"2026010{day}T000000Z", [rec(-1, "A", "x")])
    junk = tmp_path / "20260103T000000Z" / "manifest.json.gz"
    junk.chmod(0o644)
    junk.write_bytes(b"junk")
    fresh = SnapshotStore(tmp_path)
    assert fresh.newest_id() == "20260102T000000Z"
    assert sorted(fresh._manifests) == ["20260102T000000Z"]  # one good manifest read
    assert fresh.newest_id() == SnapshotStore(tmp_path).snapshot_ids()[-1]
