"""reports/codes/<code>.html: every code's timeline, from one walk over a real SnapshotStore.

The timelines must tell exactly what ``history.code_history`` (the one classifier) tells,
for every code, whether built from one walk or fed run by run from the reports' changes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scraper.diff import diff_records
from scraper.history import code_history
from scraper.models import PageOutcome, Record
from scraper.report import build_report, write_reports
from scraper.report.codes import TIMELINE_CACHE, Timeline, build_timeline
from scraper.store import SnapshotStore

KEYS = (("usds-futures", "en"), ("coin-futures", "en"), ("coin-futures", "zh-CN"))
T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


def _sid(i: int) -> str:
    return (T0 + timedelta(days=i)).strftime("%Y%m%dT%H%M%SZ")


def _mutate(rng: random.Random, recs: list[Record], serial: list[int]) -> list[Record]:
    recs = list(recs)
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(("rename", "renumber", "remove", "add", "msg", "section", "readd"))
        i = rng.randrange(len(recs))
        r = recs[i]
        if op == "rename":
            recs[i] = Record(r.code, f"NAME_{serial[0]}", r.section, r.messages, r.message_langs)
        elif op == "renumber":
            recs[i] = Record(-5000 - serial[0], r.name, r.section, r.messages, r.message_langs)
        elif op == "remove" and len(recs) > 3:
            del recs[i]
        elif op in ("add", "readd"):
            code = -1000 - rng.randrange(12) if op == "readd" else -6000 - serial[0]
            if all(x.code != code for x in recs):
                recs.append(Record(code, f"NEW_{serial[0]}", "10xx", ("m",), ("en",)))
        elif op == "msg":
            recs[i] = Record(
                r.code,
                r.name,
                r.section,
                (*r.messages, f"msg {serial[0]}"),
                (*r.message_langs, "en"),
            )
        else:
            recs[i] = Record(
                r.code, r.name, f"section {serial[0] % 3}", r.messages, r.message_langs
            )
        serial[0] += 1
    return recs


def _history(
    tmp_path: Path,
    seed: int,
    days: int = 9,
    on_report: Callable[[SnapshotStore, dict[str, Any]], None] | None = None,
) -> tuple[SnapshotStore, list[dict[str, Any]]]:
    """A store with ``days`` snapshots of random edits (one failed fetch among them) and the
    report of each day, built the way a run builds it (diff of baseline -> new records);
    ``on_report`` is called with each report right after its snapshot is stored, as a run does."""
    rng = random.Random(seed)
    store = SnapshotStore(tmp_path / "snapshots", durable=False)
    state = {
        k: [Record(-1000 - i, f"CODE_{i}", "10xx", (f"m{i}",), ("en",)) for i in range(8)]
        for k in KEYS
    }
    base: dict[tuple[str, str], tuple[str, tuple[Record, ...]]] = {}
    serial = [0]
    reports = []
    for day in range(days):
        sid = _sid(day)
        outcomes, changes, baselines, effective = [], [], {}, {}
        for key in KEYS:
            page, locale = key
            url = f"https://example.test/{page}/{locale}"
            if day and rng.random() < 0.15:
                outcomes.append(PageOutcome(page, locale, url, "failed", reason="HTTP 503"))
                baselines[f"{page}/{locale}"] = base[key][0]
                effective[key] = base[key][1]
                continue
            if day and rng.random() < 0.8:
                state[key] = _mutate(rng, state[key], serial)
            records = tuple(state[key])
            outcomes.append(
                PageOutcome(
                    page, locale, url, "ok", http_status=200, records=records, markdown="md"
                )
            )
            if key in base:
                baselines[f"{page}/{locale}"] = base[key][0]
                changes += diff_records(page, locale, base[key][1], records)
            effective[key] = records
            base[key] = (sid, records)
        store.write_snapshot(sid, T0 + timedelta(days=day), outcomes)
        reports.append(
            build_report(
                snapshot_id=sid,
                old_snapshot=_sid(day - 1) if day else None,
                per_page_baselines=baselines,
                outcomes=outcomes,
                changes=changes,
                effective=effective,
            )
        )
        if on_report is not None:
            on_report(store, reports[-1])
    return store, reports


def _all_codes(store: SnapshotStore) -> set[int]:
    return {
        r.code
        for sid in store.snapshot_ids()
        for page, locale in KEYS
        for r in (store.records(sid, page, locale) or ())
        if r.code is not None
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_one_walk_gives_code_history_of_every_code(tmp_path: Path, seed: int) -> None:
    store, _ = _history(tmp_path, seed)
    timeline = build_timeline(store)
    codes = _all_codes(store)
    assert len(codes) > 10
    for code in codes:
        assert timeline.history(code) == code_history(store, code), code


@pytest.mark.parametrize("seed", [5, 6])
def test_runs_feed_the_cache_and_equal_one_walk(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scraper.history

    walks = []
    real_walk = scraper.history.walk

    def counting_walk(*args: Any, **kwargs: Any) -> Any:
        walks.append(kwargs.get("until"))
        return real_walk(*args, **kwargs)

    monkeypatch.setattr(scraper.history, "walk", counting_walk)
    root = tmp_path / "reports"
    written: list[str] = []

    def run(store: SnapshotStore, report: dict[str, Any]) -> None:
        if len(written) == 4:  # an upgrade (no cache yet): one walk, then runs are fed again
            (root / "codes" / TIMELINE_CACHE).unlink()
        write_reports(report, root, store=store)
        written.append(report["id"])

    store, reports = _history(tmp_path, seed, on_report=run)
    assert walks == [reports[0]["id"], reports[4]["id"]]
    cached = Timeline.from_json((root / "codes" / TIMELINE_CACHE).read_text("utf-8"))
    assert cached is not None
    for code in _all_codes(store):
        assert cached.history(code) == code_history(store, code), code
    # every code the last report links has its page, and each page lists its events
    last = (root / reports[-1]["id"] / "report.html").read_text("utf-8")
    linked = set(re.findall(r'href="\.\./codes/(-?\d+)\.html"', last))
    assert linked
    for code in linked:
        page = (root / "codes" / f"{code}.html").read_text("utf-8")
        assert page.count('class="event"') == len(code_history(store, int(code)))


def test_backfill_or_foreign_cache_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scraper.history

    root = tmp_path / "reports"
    store, reports = _history(
        tmp_path, 7, days=4, on_report=lambda st, rep: write_reports(rep, root, store=st) and None
    )
    calls = []
    real_walk = scraper.history.walk
    monkeypatch.setattr(
        scraper.history, "walk", lambda *a, **k: calls.append(1) or real_walk(*a, **k)
    )
    write_reports(reports[1], root, store=store)  # an older report again: not this run's past
    assert calls == [1]
    cache = root / "codes" / TIMELINE_CACHE
    good = cache.read_text("utf-8")
    broken = [
        "{not json",
        "[]",
        good.replace('\\"kind\\":\\"first_seen\\"', '\\"kind\\":7'),
        good.replace('"events":{', '"events":{"-1":[null],', 1),
        good.replace('"cursor":{', '"cursor":{"x/en":[1],', 1),
    ]
    for n, text in enumerate(broken, start=2):
        cache.write_text(text, "utf-8")  # a foreign, truncated or hand-edited cache: rebuilt
        write_reports(reports[-1], root, store=store)
        assert calls == [1] * n, text[:40]
    cached = Timeline.from_json((root / "codes" / TIMELINE_CACHE).read_text("utf-8"))
    assert cached is not None and cached.history(-1000) == code_history(store, -1000)


def test_code_page_is_escaped_and_links_only_to_docs_and_reports(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots", durable=False)
    evil = "<script>alert(1)</script>"
    url = "https://example.test/spot/en"
    for day, name in enumerate(("GOOD", "BAD_" + evil)):
        recs = (Record(-1121, name, "s" + evil, ("m " + evil,), ("en",)),)
        store.write_snapshot(
            _sid(day),
            T0 + timedelta(days=day),
            [PageOutcome("spot", "en", url, "ok", http_status=200, records=recs, markdown="m")],
        )
    old = store.records(_sid(0), "spot", "en") or ()
    new = store.records(_sid(1), "spot", "en") or ()
    root = tmp_path / "reports"
    for day in range(2):
        changes = diff_records("spot", "en", old, new) if day else []
        write_reports(
            build_report(
                snapshot_id=_sid(day),
                old_snapshot=_sid(0) if day else None,
                per_page_baselines={"spot/en": _sid(0)} if day else {},
                outcomes=[PageOutcome("spot", "en", url, "ok", records=new if day else old)],
                changes=changes,
                effective={("spot", "en"): new if day else old},
            ),
            root,
            store=store,
        )
    html = (root / "codes" / "-1121.html").read_text("utf-8")
    assert "<script" not in html and evil not in html and "&lt;script&gt;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(
        h.startswith(("https://developers.binance.com/", "../", "data:"))
        or re.fullmatch(r"-?\d+\.html", h)
        for h in hrefs
    ), hrefs
    assert "2026-01-02 06:00 UTC" in html and 'class="event" data-kind="renamed"' in html
    report_html = (root / _sid(1) / "report.html").read_text("utf-8")
    assert 'href="../codes/-1121.html"' in report_html


def test_writing_the_newest_report_again_needs_no_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pending report retried after a crash is written twice: same pages, no rebuild."""
    import scraper.history

    root = tmp_path / "reports"
    store, reports = _history(
        tmp_path, 8, days=3, on_report=lambda st, rep: write_reports(rep, root, store=st) and None
    )
    before = {p.name: p.read_text("utf-8") for p in (root / "codes").glob("*.html")}
    monkeypatch.setattr(scraper.history, "walk", lambda *a, **k: pytest.fail("walked again"))
    write_reports(reports[-1], root, store=store)
    after = {p.name: p.read_text("utf-8") for p in (root / "codes").glob("*.html")}
    assert after == before


def test_code_page_shows_the_newest_events_and_says_how_many_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scraper.report import codes

    store, _ = _history(tmp_path, 9)
    timeline = build_timeline(store)
    code = max(timeline.events, key=lambda c: len(timeline.events[c]))
    events = timeline.history(code)
    assert len(events) > 3
    monkeypatch.setattr(codes, "CODE_PAGE_EVENTS", 3)
    html = codes.render_code_page(code, timeline)
    shown = re.findall(r'<li class="event" data-kind="(\w+)"[^>]*data-snapshot="(\w+)"', html)
    assert shown == [(e["kind"], e["snapshot"]) for e in events[-3:]]
    assert f"{len(events) - 3} older event" in html and f"{len(events)} event" in html
