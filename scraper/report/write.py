"""Write one run's report files, then refresh the index."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from scraper.errors import StoreError, UsageError
from scraper.files import atomic_write_text
from scraper.report.build import report_json
from scraper.report.codes import write_code_pages
from scraper.report.html import history_counts, render_html, when_iso
from scraper.report.index import SUMMARY_CACHE, _summary_entry, write_index
from scraper.report.text import render_markdown

__all__ = ["FORMATS", "write_reports"]

FORMATS = ("json", "html", "md")

log = logging.getLogger("errwatch.report")


def write_reports(
    report: Mapping[str, Any],
    reports_dir: str | Path,
    formats: Iterable[str] = FORMATS,
    store: Any = None,
    *,
    generic_names: Iterable[str] = (),
    report_url: str | None = None,
) -> Path:
    """Write reports/<id>/report.{json,html,md} atomically, then refresh index.html and
    the Atom feeds.

    ``store`` (a SnapshotStore) adds the code-count history to the HTML and, when the
    report is of a stored snapshot, the per-code timeline pages (reports/codes/) its codes
    link to; ``generic_names`` must be the run's (the timelines use the same classifier).
    ``report_url`` (config) makes the feeds' links absolute.
    """
    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown report format {unknown[0]!r}; use: {', '.join(FORMATS)}")
    root = Path(reports_dir)
    out = root / str(report["id"])
    try:
        if "json" in formats:
            atomic_write_text(out / "report.json", report_json(report))
        if "html" in formats:
            code_pages = False
            if (
                store is not None
                and when_iso(report["id"]) is not None
                and "-vs-" not in str(report["id"])
            ):
                try:
                    write_code_pages(report, root, store, generic_names)
                    code_pages = True
                except (
                    StoreError
                ) as exc:  # the store could not be read: the report still is written
                    log.warning("code pages not updated: %s", exc)
            counts = history_counts(store, until=report["id"]) if store is not None else None
            atomic_write_text(
                out / "report.html", render_html(report, counts, code_pages=code_pages)
            )
        if "md" in formats:
            atomic_write_text(out / "report.md", render_markdown(report, str(out / "report.html")))
        if "json" in formats:
            mtime = (out / "report.json").stat().st_mtime_ns
            atomic_write_text(
                out / SUMMARY_CACHE,
                json.dumps(_summary_entry(report, mtime), ensure_ascii=False, indent=1) + "\n",
            )
        news = {c["page"] for c in report["changes"]}
        news |= {p["page"] for p in report["pages"] if p["status"] in ("failed", "quarantined")}
        write_index(root, report_url=report_url, feed_pages=news)
    except OSError as exc:
        raise StoreError(f"cannot write report to {out}: {exc}") from None
    return out
