"""report.json: the machine contract (docs/ARCHITECTURE.md), built from a run's changes.

Every other format is rendered from this dict alone, so ``errwatch diff`` can re-render an
old report without the snapshots.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scraper import __version__
from scraper.models import (
    BREAKING_KINDS,
    CHANGE_KINDS,
    LOCALES,
    Change,
    PageOutcome,
    Record,
    code_count,
)
from scraper.views import (
    TRADING_PRODUCTS,
    cross_page,
    locale_gaps,
    rank_cross_page,
    shared_list_pages,
)

__all__ = [
    "LIVE_BASE_URL",
    "PAGE_STATUSES",
    "SECTION_MOVE_MIN",
    "build_report",
    "id_order",
    "report_json",
    "section_moves",
]

LIVE_BASE_URL = "https://developers.binance.com"
PAGE_STATUSES = ("ok", "not_modified", "failed", "quarantined")
SECTION_MOVE_MIN = 3  # this many rows sharing one old -> new section read as one heading rename


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


def _primary_code(d: Mapping[str, Any]) -> int | None:
    for key in ("code", "new_code", "old_code"):
        if d.get(key) is not None:
            return int(d[key])
    return None


def id_order(report_id: str) -> tuple[str, int]:
    """Time order of report ids: a snapshot id, or ``<new>-vs-<old>`` from ``errwatch diff``.

    Folders that are not named after a snapshot sort first instead of failing the index.
    """
    from scraper.errors import StoreError
    from scraper.store import id_sort_key

    try:
        return id_sort_key(report_id.split("-vs-", 1)[0])
    except StoreError:
        return ("", 0)


def section_moves(changes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Renamed or moved table headings: every (page, locale, old_section, new_section) that
    SECTION_MOVE_MIN or more ``section_changed`` changes share, in the changes' order."""
    counts: dict[tuple[str, str, Any, Any], int] = {}
    for c in changes:
        if c["kind"] == "section_changed":
            key = (c["page"], c["locale"], c.get("old_section"), c.get("new_section"))
            counts[key] = counts.get(key, 0) + 1
    return [
        {"page": page, "locale": locale, "old_section": old, "new_section": new, "rows": n}
        for (page, locale, old, new), n in counts.items()
        if n >= SECTION_MOVE_MIN
    ]


def build_report(
    *,
    snapshot_id: str,
    old_snapshot: str | None,
    per_page_baselines: Mapping[str, str | None],
    outcomes: Sequence[PageOutcome],
    changes: Sequence[Change],
    effective: Mapping[tuple[str, str], Sequence[Record]],
    generic_names: Iterable[str] = (),
    command: str = "",
    trading_products: Iterable[str] = TRADING_PRODUCTS,
) -> dict[str, Any]:
    """The report.json dict (key order fixed so the file is byte-stable).

    ``effective`` is (page, locale) -> records of the newest good state (this run's
    records, or the baseline's for a page that failed) and feeds the cross-page and
    locale views; ``per_page_baselines`` maps "page/locale" to the snapshot id each
    page was compared with.  Cross-product collisions carry a ``group`` (``trading``,
    ``other``, ``shared_list``: scraper.views.rank_cross_page) and come in that order;
    ``shared_list_pages`` names the pages found to republish one shared list;
    ``trading_products`` (default views.TRADING_PRODUCTS) are the pages one client trades.
    """
    from scraper.diff import change_sort_key, drift_level

    objs = [c if isinstance(c, Change) else Change.from_dict(dict(c)) for c in changes]
    objs.sort(key=lambda c: (c.page, _locale_key(c.locale), *change_sort_key(c)))
    change_dicts = [c.to_dict() for c in objs]
    by_kind = {kind: 0 for kind in CHANGE_KINDS}
    for c in change_dicts:
        by_kind[c["kind"]] = by_kind.get(c["kind"], 0) + 1
    page_counts = {status: 0 for status in PAGE_STATUSES}
    pages: list[dict[str, Any]] = []
    for o in sorted(outcomes, key=lambda o: (o.page, _locale_key(o.locale))):
        page_counts[o.status] = page_counts.get(o.status, 0) + 1
        key = (o.page, o.locale)
        if o.records is not None:
            record_count: int | None = code_count(o.records)
        elif o.good and key in effective:
            record_count = code_count(effective[key])
        else:
            record_count = None
        pages.append(
            {
                "page": o.page,
                "locale": o.locale,
                "url": o.url,
                "status": o.status,
                "reason": o.reason,
                "record_count": record_count,
                "baseline": per_page_baselines.get(f"{o.page}/{o.locale}"),
            }
        )
    trading = tuple(trading_products)
    shared = shared_list_pages(effective, trading)
    return {
        "tool": {"name": "errwatch", "version": __version__, "command": command},
        "id": snapshot_id,
        "old": {"snapshot": old_snapshot, "per_page": dict(sorted(per_page_baselines.items()))},
        "new": {"snapshot": snapshot_id},
        "summary": {
            "changes": len(change_dicts),
            "breaking": sum(1 for c in change_dicts if c["kind"] in BREAKING_KINDS),
            "by_kind": by_kind,
            "pages": page_counts,
            "drift": drift_level(objs),
        },
        "pages": pages,
        "changes": change_dicts,
        "section_moves": section_moves(change_dicts),
        "cross_page": rank_cross_page(cross_page(effective, generic_names), shared, trading),
        "shared_list_pages": list(shared),
        "locale_gaps": locale_gaps(effective),
    }


def report_json(report: Mapping[str, Any]) -> str:
    """The stable serialization of report.json (UTF-8 text, indent 1)."""
    return json.dumps(report, ensure_ascii=False, indent=1) + "\n"
