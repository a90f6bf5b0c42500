"""history.py: one code across every stored snapshot, read through the real SnapshotStore."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import code_record as R
from conftest import ok_outcome as ok
from conftest import put_snapshot as put

from scraper.history import code_history, format_history
from scraper.models import PageOutcome
from scraper.store import SnapshotStore

S1, S2, S3, S4, S5 = (f"2026{m:02d}01T060000Z" for m in range(1, 6))


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    """usds-futures over five snapshots: INVALID_PAIR renumbered -4087 -> -4144 in S3."""
    s = SnapshotStore(tmp_path / "snapshots", durable=False)
    coin = ok("coin-futures", [R(-4087, "INVALID_PAIR")])
    put(
        s,
        S1,
        coin,
        ok(
            "usds-futures",
            [
                R(-1000, "UNKNOWN", ("An unknown error occured.",), section="10xx - General"),
                R(-2013, "NO_SUCH_ORDER"),
                R(-4087, "INVALID_PAIR", ("Invalid pair",)),
            ],
        ),
    )
    put(
        s,
        S2,
        coin,
        PageOutcome(
            "usds-futures",
            "en",
            "https://example.test/u",
            "failed",
            reason="HTTP 503",
            records=(R(-4087, "WRONG_PAGE"),),
        ),
    )
    put(
        s,
        S3,
        coin,
        ok(
            "usds-futures",
            [
                R(
                    -1000,
                    "UNKNOWN",
                    ("An  unknown error occured. ", "Try again."),
                    section="10xx - General",
                ),
                R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", ("Reduce only not allowed",)),
                R(-4144, "INVALID_PAIR", ("Invalid pair",)),
            ],
        ),
    )
    put(
        s,
        S4,
        coin,
        ok(
            "usds-futures",
            [
                R(
                    -1000,
                    "UNKNOWN",
                    ("An unknown error occured.", "Try again."),
                    section="11xx - Misc",
                ),
                R(-2013, "NO_SUCH_ORDER"),
                R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", ("Reduce only not allowed",)),
                R(-4144, "INVALID_PAIR", ("Invalid pair",)),
            ],
        ),
    )
    put(
        s,
        S5,
        coin,
        PageOutcome(
            "usds-futures", "en", "https://example.test/u", "not_modified", http_status=304
        ),
    )
    return s


def _brief(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for e in events:
        extra = {
            k: e[k] for k in ("old_code", "new_code", "direction", "old_name", "new_name") if k in e
        }
        out.append((e["snapshot"], e["page"], e["kind"], extra))
    return out


def test_renumbered_code_seen_from_both_ends(store: SnapshotStore) -> None:
    assert _brief(code_history(store, -4087, page="usds-futures")) == [
        (S1, "usds-futures", "first_seen", {}),
        (
            S3,
            "usds-futures",
            "renumbered",
            {"old_code": -4087, "new_code": -4144, "direction": "moved_away"},
        ),
        (
            S3,
            "usds-futures",
            "renamed",
            {"old_name": "INVALID_PAIR", "new_name": "REDUCE_ONLY_ORDER_PERMISSION"},
        ),
    ]
    assert _brief(code_history(store, -4144, page="usds-futures")) == [
        (S3, "usds-futures", "first_seen", {}),
        (
            S3,
            "usds-futures",
            "renumbered",
            {"old_code": -4087, "new_code": -4144, "direction": "moved_here"},
        ),
    ]


def test_renamed_code_does_not_also_report_a_message_edit_as_noise(store: SnapshotStore) -> None:
    [renamed] = [
        e for e in code_history(store, -4087, page="usds-futures") if e["kind"] == "renamed"
    ]
    assert renamed["previous"] == S1  # the failed S2 is skipped, never a baseline


def test_removed_and_re_added(store: SnapshotStore) -> None:
    assert [(e["snapshot"], e["kind"]) for e in code_history(store, -2013)] == [
        (S1, "first_seen"),
        (S3, "removed"),
        (S4, "re_added"),
    ]


def test_messages_and_sections_white_space_alone_is_no_change(store: SnapshotStore) -> None:
    events = code_history(store, -1000)
    assert [(e["snapshot"], e["kind"]) for e in events] == [
        (S1, "first_seen"),
        (S3, "messages_changed"),
        (S4, "section_changed"),
    ]
    assert events[1]["added_messages"] == ["Try again."] and events[1]["removed_messages"] == []
    assert (
        events[2]["old_section"] == "10xx - General" and events[2]["new_section"] == "11xx - Misc"
    )


def test_all_pages_and_filters(store: SnapshotStore) -> None:
    every = code_history(store, -4087)
    assert [(e["page"], e["kind"]) for e in every][:2] == [
        ("coin-futures", "first_seen"),
        ("usds-futures", "first_seen"),
    ]
    assert {e["page"] for e in code_history(store, -4087, page="coin-futures")} == {"coin-futures"}
    assert code_history(store, -4087, locale="zh-CN") == []
    assert code_history(store, -9999) == []


def test_unchanged_records_are_not_reloaded(store: SnapshotStore) -> None:
    calls: list[tuple[str, str]] = []
    real = store.readable_records

    def counting(sid: str, page: str, locale: str) -> Any:
        calls.append((sid, page))
        return real(sid, page, locale)

    store.readable_records = counting  # type: ignore[method-assign]
    code_history(store, -4087)
    assert calls.count((S1, "coin-futures")) == 1
    assert [c for c in calls if c[1] == "coin-futures"] == [
        (S1, "coin-futures")
    ]  # same blob every day
    assert (S5, "usds-futures") not in calls  # 304: same records hash as S4


def test_json_round_trip_and_text(store: SnapshotStore) -> None:
    events = code_history(store, -4087, page="usds-futures")
    assert json.loads(json.dumps(events, ensure_ascii=False)) == events
    assert set(events[0]) >= {"snapshot", "previous", "page", "locale", "kind", "code", "name"}
    text = format_history(events)
    assert text.splitlines() == [
        f"{S1}  usds-futures/en  first seen          -4087 INVALID_PAIR  [40xx - Filters]",
        f"{S3}  usds-futures/en  renumbered          INVALID_PAIR moved away to -4144",
        f"{S3}  usds-futures/en  renamed             INVALID_PAIR → REDUCE_ONLY_ORDER_PERMISSION",
    ]
    assert "messages:" in format_history(code_history(store, -1000))
    assert format_history([]).startswith("no history")


def test_snapshot_order_follows_the_store_not_the_string(tmp_path: Path) -> None:
    s = SnapshotStore(tmp_path, durable=False)
    at = datetime(2026, 1, 1, 6, tzinfo=UTC)
    for sid, name in (
        ("20260101T060000Z", "A"),
        ("20260101T060000Z-2", "B"),
        ("20260101T060000Z-10", "C"),
    ):
        s.write_snapshot(sid, at, [ok("spot", [R(-1, name)])])
    assert [(e["snapshot"], e["kind"], e.get("new_name")) for e in code_history(s, -1)] == [
        ("20260101T060000Z", "first_seen", None),
        ("20260101T060000Z-2", "renamed", "B"),
        ("20260101T060000Z-10", "renamed", "C"),
    ]


def test_hand_written_snapshot_in_the_documented_layout(tmp_path: Path) -> None:
    """manifest.json + objects/ + records.json written by hand, as ARCHITECTURE.md shows."""
    for sid, name in ((S1, "OLD_NAME"), (S2, "NEW_NAME")):
        blob = (json.dumps([R(-1, name).to_dict()], ensure_ascii=False, indent=1) + "\n").encode()
        digest = hashlib.sha256(blob).hexdigest()
        obj = tmp_path / "objects" / digest[:2] / digest[2:]
        obj.parent.mkdir(parents=True, exist_ok=True)
        obj.write_bytes(blob)
        (tmp_path / sid).mkdir()
        (tmp_path / sid / "spot.en.records.json").write_bytes(blob)
        manifest = {
            "id": sid,
            "at": "2026-01-01T06:00:00+00:00",
            "tool": "errwatch 0.1.0",
            "pages": [
                {
                    "page": "spot",
                    "locale": "en",
                    "url": "u",
                    "status": "ok",
                    "reason": None,
                    "http_status": 200,
                    "etag": None,
                    "last_modified": None,
                    "html": None,
                    "markdown": None,
                    "records": digest,
                    "record_count": 1,
                    "baseline": None,
                }
            ],
        }
        (tmp_path / sid / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    events = code_history(SnapshotStore(tmp_path), -1)
    assert [(e["kind"], e.get("old_name"), e.get("new_name")) for e in events] == [
        ("first_seen", None, None),
        ("renamed", "OLD_NAME", "NEW_NAME"),
    ]
