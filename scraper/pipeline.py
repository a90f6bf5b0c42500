"""crawl / run / diff: the stages wired together (the CLI and the scheduler call these).

A run is: pick each page's baseline (its newest *good* snapshot) -> conditional GET ->
validation gate -> store the snapshot atomically under a lock -> diff the pages that
are ``ok`` against their baselines -> report -> notify.  A page that failed or was
quarantined produces no changes and keeps its old baseline, so a bad fetch never reads
as drift; the exit code sums the run up at the end.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scraper.errors import UsageError
from scraper.models import Change, FetchResult, PageOutcome, PageRef, Record

if TYPE_CHECKING:  # pragma: no cover
    from scraper.config import Config
    from scraper.store import BaselineEntry, SnapshotStore

log = logging.getLogger("errwatch.run")

Key = tuple[str, str]


@dataclass(frozen=True)
class CrawlResult:
    snapshot_id: str
    outcomes: tuple[PageOutcome, ...]
    baselines: dict[Key, BaselineEntry | None]

    @property
    def failed(self) -> tuple[PageOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.good)


@dataclass(frozen=True)
class RunOutcome:
    """What ``run`` and ``diff`` hand back: the report and where it was written."""

    report: dict[str, Any]
    report_dir: Path | None
    changes: tuple[Change, ...] = ()
    failed: tuple[PageOutcome, ...] = field(default_factory=tuple)


def parse_at(value: str | None) -> datetime:
    """``--at`` (ISO 8601; naive means UTC) or the clock, always timezone-aware UTC."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--at {value!r} is not an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def parse_accept(values: Iterable[str], pages: Sequence[PageRef], locales: Sequence[str]) -> frozenset[Key]:
    """``--accept spot`` (both locales) or ``--accept spot:zh-CN``."""
    known = {p.id for p in pages}
    out: set[Key] = set()
    for value in values:
        page, _, locale = value.partition(":")
        if page not in known:
            raise UsageError(f"--accept names unknown page {page!r}")
        if locale and locale not in locales:
            raise UsageError(f"--accept names unknown locale {locale!r}")
        out.update((page, loc) for loc in ([locale] if locale else locales))
    return frozenset(out)


def _store(cfg: Config) -> SnapshotStore:
    from scraper.store import SnapshotStore

    return SnapshotStore(Path(cfg.snapshots))


def crawl(
    cfg: Config,
    *,
    pages: Sequence[PageRef],
    locales: Sequence[str],
    at: datetime | None = None,
    accept: frozenset[Key] = frozenset(),
    progress: bool = True,
    only: frozenset[Key] | None = None,
) -> CrawlResult:
    """Fetch, validate and store one snapshot; never raises for a bad page."""
    from scraper.fetch import FetchRequest, FetchSettings, fetch_all, progress_printer
    from scraper.validate import mark_duplicates, validate

    at = at or parse_at(None)
    store = _store(cfg)
    with store.lock():
        baselines: dict[Key, BaselineEntry | None] = {}
        requests: list[FetchRequest] = []
        refs: dict[str, PageRef] = {p.id: p for p in pages}
        for ref in pages:
            for locale in locales:
                if only is not None and (ref.id, locale) not in only:
                    continue
                base = store.newest_good(ref.id, locale)
                baselines[(ref.id, locale)] = base
                requests.append(FetchRequest(
                    ref.id, locale, ref.url(locale, cfg.base_url),
                    etag=base.etag if base else None,
                    last_modified=base.last_modified if base else None,
                ))
        show = progress_printer(len(requests)) if progress else None
        validated: dict[Key, PageOutcome] = {}

        def on_result(result: FetchResult) -> None:
            """Validate and parse each page as it arrives, while the others download."""
            key = (result.page, result.locale)
            base = baselines[key]
            validated[key] = validate(
                result, refs[result.page],
                baseline_count=base.record_count if base else None,
                loss_threshold=cfg.loss_threshold,
                accept=key in accept,
            )
            if show is not None:
                show(result)

        results = fetch_all(requests, FetchSettings.from_config(cfg), on_result=on_result)
        outcomes = mark_duplicates([validated[(r.page, r.locale)] for r in results])
        snapshot_id = store.new_id(at)
        store.write_snapshot(
            snapshot_id, at, outcomes,
            {k: (b.snapshot_id if b else None) for k, b in baselines.items()},
        )
    for o in outcomes:
        if not o.good:  # the caller prints these; the log keeps them for -v runs
            log.info("%s %s %s: %s", o.page, o.locale, o.status, o.reason)
    return CrawlResult(snapshot_id, tuple(outcomes), baselines)


def crawl_summary(result: CrawlResult) -> str:
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return "\n".join([f"snapshot {result.snapshot_id}: {parts}", *failure_lines(result.failed)])


def failure_lines(failed: Sequence[PageOutcome]) -> list[str]:
    """One indented line per page that failed or was quarantined, with its reason."""
    return [f"  {o.page} {o.locale}: {o.status}: {o.reason}" for o in failed]


def run(
    cfg: Config,
    *,
    pages: Sequence[PageRef],
    locales: Sequence[str],
    at: datetime | None = None,
    accept: frozenset[Key] = frozenset(),
    progress: bool = True,
    formats: Sequence[str] = ("json", "html", "md"),
    command: str = "errwatch run",
    only: frozenset[Key] | None = None,
) -> RunOutcome:
    """crawl + diff every ok page against its own newest good snapshot + report + notify."""
    from scraper.diff import diff_records

    crawled = crawl(cfg, pages=pages, locales=locales, at=at, accept=accept, progress=progress,
                    only=only)
    store = _store(cfg)
    changes: list[Change] = []
    effective: dict[Key, tuple[Record, ...]] = {}
    for o in crawled.outcomes:
        key = (o.page, o.locale)
        base = crawled.baselines.get(key)
        old = base.load_records() if base else None
        if o.status == "ok" and o.records is not None:
            effective[key] = o.records
            if old is not None:
                changes.extend(diff_records(o.page, o.locale, old, o.records,
                                            generic_names=cfg.generic_names))
        elif old is not None:  # not_modified, failed, quarantined: the baseline still stands
            effective[key] = old
    return _report(cfg, store, crawled.snapshot_id, crawled.outcomes,
                   {k: (b.snapshot_id if b else None) for k, b in crawled.baselines.items()},
                   changes, effective, formats, command, notify=True)


def _report(
    cfg: Config,
    store: SnapshotStore,
    snapshot_id: str,
    outcomes: Sequence[PageOutcome],
    baselines: dict[Key, str | None],
    changes: list[Change],
    effective: dict[Key, tuple[Record, ...]],
    formats: Sequence[str],
    command: str,
    *,
    notify: bool,
    report_id: str | None = None,
) -> RunOutcome:
    from scraper.report import build_report, render_markdown, write_reports
    from scraper.store import id_sort_key

    known = [b for b in baselines.values() if b]
    report = build_report(
        snapshot_id=snapshot_id,
        old_snapshot=max(known, key=id_sort_key) if known else None,
        per_page_baselines={f"{p}/{l}": b for (p, l), b in baselines.items()},
        outcomes=outcomes,
        changes=changes,
        effective=effective,
        generic_names=cfg.generic_names,
        command=command,
    )
    if report_id:
        report["id"] = report_id
    # --format github adds annotations; the report files are written all the same
    file_formats = tuple(f for f in formats if f != "github") or ("json", "html", "md")
    report_dir = write_reports(report, Path(cfg.reports), file_formats, store=store) if file_formats else None
    if notify and (cfg.notify_urls or cfg.failure_urls):
        from scraper.notify import default_state_path, notify_run, report_link

        link = report_link(report, cfg) or (str(report_dir / "report.html") if report_dir else None)
        notify_run(report, render_markdown(report, link), cfg, default_state_path(cfg))
    failed = tuple(o for o in outcomes if not o.good)
    return RunOutcome(report, report_dir, tuple(changes), failed)


def diff_snapshots(cfg: Config, old: str, new: str, *, formats: Sequence[str], command: str) -> RunOutcome:
    """Compare two stored snapshots page by page (pages good in both)."""
    from scraper.diff import diff_records

    store = _store(cfg)
    ids = store.snapshot_ids()
    if not ids:
        raise UsageError(f"no snapshots in {cfg.snapshots}")
    aliases = {"latest": ids[-1], "previous": ids[-2] if len(ids) > 1 else ids[-1]}
    old, new = aliases.get(old, old), aliases.get(new, new)
    for sid in (old, new):
        if sid not in ids:
            raise UsageError(f"no snapshot {sid!r} in {cfg.snapshots} (have: {', '.join(ids[-5:])} …)")
    old_pages = {(e["page"], e["locale"]): e for e in store.manifest(old)["pages"]}
    outcomes: list[PageOutcome] = []
    changes: list[Change] = []
    effective: dict[Key, tuple[Record, ...]] = {}
    baselines: dict[Key, str | None] = {}
    for entry in store.manifest(new)["pages"]:
        key = (entry["page"], entry["locale"])
        before = old_pages.get(key)
        good = entry["status"] in ("ok", "not_modified")
        new_records = store.records(new, *key) if good else None
        outcomes.append(PageOutcome(page=key[0], locale=key[1], url=entry.get("url", ""),
                                    status=entry["status"], reason=entry.get("reason"),
                                    records=new_records))
        baselines[key] = old if before else None
        if new_records is not None:
            effective[key] = new_records
            if before and before["status"] in ("ok", "not_modified"):
                old_records = store.records(old, *key)
                if old_records is not None:
                    changes.extend(diff_records(key[0], key[1], old_records, new_records))
    return _report(cfg, store, new, outcomes, baselines, changes, effective, formats, command,
                   notify=False, report_id=f"{new}-vs-{old}")


def exit_code(changes: Sequence[Change], failed: Sequence[PageOutcome], fail_on: str) -> int:
    """0 ok; 1 drift at/above --fail-on; 3 pages failed/quarantined (if not already 1)."""
    from scraper.diff import fails

    if fails(list(changes), fail_on):
        return 1
    return 3 if failed else 0


def finish(outcome: RunOutcome, fail_on: str, formats: Sequence[str], *, quiet: bool,
           always_print: bool = False) -> int:
    """Print what a person or CI needs (nothing on a quiet day) and pick the exit code."""
    from scraper.report import render_github

    report = outcome.report
    if "github" in formats:
        text = render_github(report)
        if text:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    elif not quiet and (outcome.changes or outcome.failed or always_print):
        print("\n".join([summary_line(report, outcome.report_dir), *failure_lines(outcome.failed)]))
    return exit_code(outcome.changes, outcome.failed, fail_on)


def summary_line(report: dict[str, Any], report_dir: Path | None) -> str:
    s = report.get("summary", {})
    pages = s.get("pages", {})
    bad = pages.get("failed", 0) + pages.get("quarantined", 0)
    where = f" — {report_dir / 'report.html'}" if report_dir else ""
    return (f"errwatch {report.get('id')}: {s.get('changes', 0)} changes "
            f"({s.get('breaking', 0)} breaking), {bad} page(s) failed or quarantined{where}")
