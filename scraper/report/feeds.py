"""Atom 1.0 feeds: reports/feed.xml (every run with changes or failures) and
reports/feeds/<page>.xml (the runs that changed or failed that page).

Built with xml.etree from the index's per-report summaries, so a feed never re-reads 365
reports.  Newest first, at most FEED_ENTRIES entries; an entry's id is derived from the
report id (and page), so it stays the same every time the feed is rewritten.  The content
is HTML listing the changes, with every piece of page text escaped first (type="html":
readers show the list, never markup from a page); links go to the report's HTML.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import escape

from scraper import __version__
from scraper.files import atomic_write_text
from scraper.report.html import when, when_iso

__all__ = ["FEEDS_DIR", "FEED_ENTRIES", "FEED_ITEMS", "render_feed", "write_feeds"]

ATOM = "http://www.w3.org/2005/Atom"
FEEDS_DIR = "feeds"
FEED_ENTRIES = 50  # entries per feed, newest first
FEED_ITEMS = 50  # change lines listed per entry ("… and N more" after)
_NS = uuid.UUID("5b0f6c1e-3d0e-4f5e-9a43-6d2c0b1e7a11")  # errwatch's feed-id namespace


def entry_id(report_id: str, page: str | None = None) -> str:
    """A stable entry id (urn:uuid): the same report (and page) always gets the same one."""
    return "urn:uuid:" + str(
        uuid.uuid5(_NS, f"report:{report_id}" + (f":page:{page}" if page else ""))
    )


def _updated(report_id: str) -> str:
    return when_iso(report_id) or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(
    items: Sequence[Mapping[str, Any]], total: int, problems: Sequence[Mapping[str, Any]]
) -> str:
    """HTML text (escaped again by the XML writer): one list item per change or problem."""
    lines = [
        f"<li>{escape(i['page'])} {escape(i['locale'])}: <b>{escape(str(i['kind']).replace('_', ' '))}</b> "
        f"{escape(i['text'])}</li>"
        for i in items[:FEED_ITEMS]
    ]
    if total > min(len(items), FEED_ITEMS):
        lines.append(f"<li>… and {total - min(len(items), FEED_ITEMS)} more in the report</li>")
    lines += [
        f"<li>{escape(p['page'])} {escape(p['locale'])}: <b>{escape(p['status'])}</b> (not checked)</li>"
        for p in problems
    ]
    return "<ul>" + "".join(lines) + "</ul>" if lines else "<p>No changes.</p>"


def render_feed(
    entries: Sequence[Mapping[str, Any]],
    *,
    title: str,
    feed_id: str,
    self_href: str,
    prefix: str,
    page: str | None = None,
) -> str:
    """One Atom document from summary entries (newest first, already filtered).

    ``prefix`` is put before every report link: the public URL of the reports folder
    (config ``report_url``), or a relative path, which Atom readers resolve against the
    feed's own address."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    shown = list(entries)[:FEED_ENTRIES]
    sub(feed, "updated", _updated(shown[0]["id"]) if shown else "1970-01-01T00:00:00Z")
    author = sub(feed, "author")
    sub(author, "name", "errwatch")
    sub(feed, "generator", "errwatch", version=__version__)
    sub(feed, "link", rel="self", href=self_href, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=f"{prefix}index.html", type="text/html")
    for e in shown:
        rid = str(e["id"])
        items = [i for i in e.get("items", ()) if page is None or i["page"] == page]
        problems = [p for p in e.get("problems", ()) if page is None or p["page"] == page]
        s = e["summary"]
        total = s["changes"] if page is None else e.get("page_changes", {}).get(page, len(items))
        breaking = s["breaking"] if page is None else sum(1 for i in items if i.get("breaking"))
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(rid, page))
        head = f"{total} change{'s' if total != 1 else ''}, {breaking} breaking"
        if problems:
            head += f", {len(problems)} page{'s' if len(problems) != 1 else ''} not checked"
        sub(entry, "title", f"{(page + ': ') if page else ''}{head} ({when(rid)})")
        sub(entry, "updated", _updated(rid))
        sub(entry, "link", rel="alternate", type="text/html", href=f"{prefix}{e['href']}")
        sub(entry, "summary", f"drift: {s['drift']}; snapshot {rid}")
        sub(entry, "content", _content(items, total, problems), type="html")
    ET.indent(feed, space=" ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _write_if_changed(path: Path, text: str) -> None:
    """Feeds are rewritten after every run; most do not change, so skip those writes."""
    try:
        if path.read_text("utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write_text(path, text)


def _newsworthy(e: Mapping[str, Any], page: str | None) -> bool:
    if page is None:
        return bool(e["summary"]["changes"] or e.get("problems"))
    return (
        any(i["page"] == page for i in e.get("items", ()))
        or bool(e.get("page_changes", {}).get(page))
        or any(p["page"] == page for p in e.get("problems", ()))
    )


def write_feeds(
    root: Path,
    entries: Sequence[Mapping[str, Any]],
    pages: Iterable[str] = (),
    report_url: str | None = None,
    only: Iterable[str] | None = None,
) -> list[Path]:
    """reports/feed.xml and reports/feeds/<page>.xml for every page id seen (or named);
    returns every feed's path.  ``only``: refresh just these page feeds (and any missing
    one): a run's report can change no other page's feed."""
    refresh = None if only is None else set(only)
    base = (
        report_url.rstrip("/") + "/"
        if report_url and report_url.startswith(("https://", "http://"))
        else None
    )
    written = []
    main = [e for e in entries if _newsworthy(e, None)]
    target = root / "feed.xml"
    _write_if_changed(
        target,
        render_feed(
            main,
            title="errwatch: Binance error-code drift",
            feed_id=entry_id("feed"),
            self_href=f"{base or ''}feed.xml",
            prefix=base or "",
        ),
    )
    written.append(target)
    ids = set(pages)
    for e in entries:
        ids |= set(e.get("page_ids", ()))
    for page in sorted(ids):
        if not page or "/" in page or page.startswith("."):
            continue
        target = root / FEEDS_DIR / f"{page}.xml"
        written.append(target)
        if refresh is not None and page not in refresh and target.exists():
            continue
        mine = [e for e in entries if _newsworthy(e, page)]
        _write_if_changed(
            target,
            render_feed(
                mine,
                title=f"errwatch: {page} error-code drift",
                feed_id=entry_id("feed", page),
                self_href=f"{base}{FEEDS_DIR}/{page}.xml" if base else f"{page}.xml",
                prefix=base or "../",
                page=page,
            ),
        )
    return written
