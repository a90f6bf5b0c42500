"""reports/index.html: every report, newest first, from small per-report summary caches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scraper import __version__
from scraper.errors import StoreError
from scraper.files import atomic_write_text
from scraper.models import CHANGE_KINDS
from scraper.report.build import id_order
from scraper.report.feeds import FEEDS_DIR, write_feeds
from scraper.report.html import _environment

__all__ = ["SUMMARY_CACHE", "render_index", "write_index"]

SUMMARY_CACHE = (
    ".summary.json"  # per report: what index.html needs, so it never re-reads 365 reports
)
SUMMARY_FORMAT = 2  # caches of another format (older errwatch) are rebuilt from report.json


def _summary_entry(report: Mapping[str, Any], mtime_ns: int) -> dict[str, Any]:
    """What the index and the feeds need of one report (its change lines bounded per page)."""
    from scraper.models import BREAKING_KINDS
    from scraper.report.feeds import FEED_ITEMS
    from scraper.report.text import describe_change

    items: list[dict[str, Any]] = []
    per_page: dict[str, int] = {}
    for c in report["changes"]:
        per_page[c["page"]] = per_page.get(c["page"], 0) + 1
        if per_page[c["page"]] <= FEED_ITEMS:
            items.append(
                {
                    "page": c["page"],
                    "locale": c["locale"],
                    "kind": c["kind"],
                    "breaking": c["kind"] in BREAKING_KINDS,
                    "text": describe_change(c),
                }
            )
    return {
        "format": SUMMARY_FORMAT,
        "id": report["id"],
        "old": report["old"]["snapshot"],
        "version": report["tool"]["version"],
        "summary": report["summary"],
        "problems": [
            {"page": p["page"], "locale": p["locale"], "status": p["status"]}
            for p in report["pages"]
            if p["status"] in ("failed", "quarantined")
        ],
        "page_ids": sorted({p["page"] for p in report["pages"]}),
        "page_changes": per_page,
        "items": items,
        "report_mtime_ns": mtime_ns,
    }


def _index_entry(folder: Path) -> dict[str, Any] | None:
    """The cached summary of one report, rebuilt when report.json is newer."""
    report_path = folder / "report.json"
    try:
        mtime = report_path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cache = folder / SUMMARY_CACHE
    try:
        entry = json.loads(cache.read_text("utf-8"))
        if entry.get("report_mtime_ns") == mtime and entry.get("format") == SUMMARY_FORMAT:
            return dict(entry)
    except (OSError, ValueError):
        pass
    try:
        report = json.loads(report_path.read_text("utf-8"))
        entry = _summary_entry(report, mtime)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a foreign or broken folder: leave it out of the index
    try:
        atomic_write_text(cache, json.dumps(entry, ensure_ascii=False, indent=1) + "\n")
    except OSError:
        pass  # read-only reports folder: the index is still right, just slower next time
    return entry


def render_index(entries: Sequence[Mapping[str, Any]], page_feeds: Sequence[str] = ()) -> str:
    """index.html from summary entries (newest first, each with an ``href``); runs
    without changes or page problems are folded into one compact row per stretch.
    It links feed.xml (``<link rel="alternate">`` and visibly) and ``page_feeds``."""
    from scraper.report.html import csp

    rows: list[dict[str, Any]] = []
    for e in entries:
        quiet = e["summary"]["changes"] == 0 and not e.get("problems")
        entry = {**e, "href": e.get("href") or f"{e['id']}/report.html"}
        if quiet and rows and rows[-1]["quiet"]:
            rows[-1]["runs"].append(entry)
        elif quiet:
            rows.append({"quiet": True, "runs": [entry]})
        else:
            rows.append({"quiet": False, "run": entry})
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            rows=rows,
            total=len(entries),
            version=__version__,
            kinds=CHANGE_KINDS,
            csp=csp(),
            page_feeds=list(page_feeds),
            feeds_dir=FEEDS_DIR,
            has_problems=any(e.get("problems") for e in entries),
        )
    )


def write_index(
    reports_dir: str | Path,
    *,
    report_url: str | None = None,
    feed_pages: Iterable[str] | None = None,
) -> Path:
    """reports/index.html: every report, newest first, with its counts; then the Atom
    feeds (reports/feed.xml, reports/feeds/<page>.xml) from the same summaries.
    ``report_url`` (the reports folder's public URL) makes the feeds' links absolute;
    ``feed_pages`` limits the page feeds refreshed to those (None: all)."""
    root = Path(reports_dir)
    entries = []
    if root.is_dir():
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: id_order(p.name),
            reverse=True,
        )
        for folder in folders:
            entry = _index_entry(folder)
            if entry is None:
                continue
            name = "report.html" if (folder / "report.html").exists() else "report.json"
            entries.append({**entry, "href": f"{folder.name}/{name}"})
    target = root / "index.html"
    try:
        feeds = write_feeds(root, entries, report_url=report_url, only=feed_pages)
        page_feeds = [p.stem for p in feeds if p.parent.name == FEEDS_DIR]
        atomic_write_text(target, render_index(entries, page_feeds))
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc}") from None
    return target
