"""Atom feeds (SPEC "Feeds"): reports/feed.xml and reports/feeds/<page>.xml, read with
feedparser as a feed reader would, and with the Atom 1.0 rules checked on the XML itself."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest

from scraper.models import Change, PageOutcome
from scraper.report import build_report, write_index, write_reports
from scraper.report.feeds import FEED_ENTRIES

A = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _sid(i: int) -> str:
    return (T0 + timedelta(hours=6 * i)).strftime("%Y%m%dT%H%M%SZ")


def _report(i: int, changes: list[Change], failed: bool = False) -> dict[str, Any]:
    outcomes = [
        PageOutcome("spot", "en", "https://example.test/spot", "ok", records=()),
        PageOutcome(
            "usds-futures",
            "en",
            "https://example.test/usds",
            "failed" if failed else "ok",
            reason="HTTP 503" if failed else None,
            records=None if failed else (),
        ),
    ]
    return build_report(
        snapshot_id=_sid(i),
        old_snapshot=_sid(i - 1) if i else None,
        per_page_baselines={},
        outcomes=outcomes,
        changes=changes,
        effective={},
    )


def _atom_rules(path: Path) -> ET.Element:
    """RFC 4287 must-haves feedparser would forgive: ids, titles, updated, author, links."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{tag}") is not None, tag
    assert root.find(f"{A}link[@rel='self']") is not None
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert stamp.match(root.findtext(f"{A}updated") or "")
    for entry in root.findall(f"{A}entry"):
        assert (entry.findtext(f"{A}id") or "").startswith("urn:uuid:")
        assert entry.findtext(f"{A}title") and stamp.match(entry.findtext(f"{A}updated") or "")
        assert entry.find(f"{A}link[@rel='alternate']") is not None
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "html"
    return root


def test_demo_feeds_are_valid_atom_linked_from_the_index(tmp_path: Path) -> None:
    from scraper.demo import run_demo

    assert run_demo(tmp_path, quiet=True) == 0
    reports = tmp_path / "reports"
    feed = feedparser.parse((reports / "feed.xml").read_bytes())
    assert not feed.bozo and feed.version == "atom10"
    [entry] = feed.entries  # day 1 has no changes and no failures: only day 2 is news
    assert entry.link == "20260116T060000Z/report.html" and (reports / entry.link).is_file()
    assert entry.updated == "2026-01-16T06:00:00Z"
    assert "9 changes, 6 breaking" in entry.title and "2026-01-16 06:00 UTC" in entry.title
    text = entry.content[0].value
    assert "INVALID_PAIR: -4087 → -4144" in text and "quarantined" in text
    _atom_rules(reports / "feed.xml")
    pages = sorted(p.stem for p in (reports / "feeds").glob("*.xml"))
    assert {"coin-futures", "usds-futures", "wallet"} <= set(pages)
    coin = feedparser.parse((reports / "feeds" / "coin-futures.xml").read_bytes())
    assert not coin.bozo and [e.link for e in coin.entries] == ["../20260116T060000Z/report.html"]
    assert "usds-futures" not in coin.entries[0].content[0].value  # only its own changes
    for page in pages:
        _atom_rules(reports / "feeds" / f"{page}.xml")
    index = (reports / "index.html").read_text("utf-8")
    assert (
        '<link rel="alternate" type="application/atom+xml"' in index and 'href="feed.xml"' in index
    )
    assert 'id="feed-link" href="feed.xml"' in index
    for page in pages:
        assert f'href="feeds/{page}.xml"' in index


def test_feed_content_is_escaped_and_entries_stable(tmp_path: Path) -> None:
    change = Change("renamed", "spot", "en", code=-1, old_name="A" + EVIL, new_name="B]]>&amp;")
    write_reports(_report(0, [change]), tmp_path, formats=("json",))
    first = (tmp_path / "feed.xml").read_text("utf-8")
    assert "<script" not in first and "&lt;script&gt;" not in first.replace("&amp;lt;", "")
    feed = feedparser.parse(first.encode())
    assert not feed.bozo
    html = feed.entries[0].content[0].value  # the HTML a reader renders: page text as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "]]&gt;&amp;amp;" in html
    ids = [e.id for e in feed.entries]
    write_index(tmp_path)  # rewritten: same ids, same bytes
    assert (tmp_path / "feed.xml").read_text("utf-8") == first
    assert [e.id for e in feedparser.parse((tmp_path / "feed.xml").read_bytes()).entries] == ids


def test_feeds_newest_first_bounded_and_only_news(tmp_path: Path) -> None:
    n = FEED_ENTRIES * 3 // 2 + 9  # more news than fits: the oldest fall off
    for i in range(n):
        if i % 3 == 2:
            rep = _report(i, [])  # quiet run: no entry
        else:
            rep = _report(
                i, [Change("added", "spot", "en", code=-1000 - i, name=f"N{i}")], failed=i % 5 == 0
            )
        write_reports(rep, tmp_path, formats=("json",))
    feed = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    news = [_sid(i) for i in range(n) if i % 3 != 2][::-1]
    assert len(feed.entries) == FEED_ENTRIES
    assert [e.link.split("/")[0] for e in feed.entries] == news[:FEED_ENTRIES]
    assert feed.feed.updated == feed.entries[0].updated
    spot = feedparser.parse((tmp_path / "feeds" / "spot.xml").read_bytes())
    usds = feedparser.parse((tmp_path / "feeds" / "usds-futures.xml").read_bytes())
    assert len(spot.entries) == FEED_ENTRIES
    failed = [_sid(i) for i in range(n) if i % 3 != 2 and i % 5 == 0][::-1]
    assert [e.link.split("/")[1] for e in usds.entries] == failed  # its failures only
    assert all("usds-futures en: <b>failed</b>" in e.content[0].value for e in usds.entries)
    assert len({e.id for e in spot.entries} | {e.id for e in feed.entries}) == 2 * FEED_ENTRIES


@pytest.mark.parametrize("url", ["https://reports.example.test/errwatch", "https://r.example/x/"])
def test_report_url_makes_links_absolute(tmp_path: Path, url: str) -> None:
    write_reports(
        _report(0, [Change("added", "spot", "en", code=-1, name="N")]),
        tmp_path,
        formats=("json",),
        report_url=url,
    )
    feed = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    base = url.rstrip("/")
    assert feed.entries[0].link == f"{base}/{_sid(0)}/report.json"
    assert any(link.href == f"{base}/feed.xml" and link.rel == "self" for link in feed.feed.links)
    page = feedparser.parse((tmp_path / "feeds" / "spot.xml").read_bytes())
    assert page.entries[0].link == f"{base}/{_sid(0)}/report.json"
