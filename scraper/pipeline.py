"""crawl / run / diff: the stages wired together (the CLI and the scheduler call these).

A run has two phases, both under the snapshot lock:

1. **Store.** Pick each page's baseline (its newest *reported* good snapshot), conditional
   GET, the validation gate, then store the snapshot atomically.  The new snapshot is
   *pending*: it holds drift nobody has been told about yet.
2. **Report.** Every pending snapshot, oldest first (a run that died or failed after
   storing leaves one behind; this run's own is the last), gets a report of its own:
   diff of each good page against the newest reported good state before it, the report
   files, the notification (queued in the outbox before it is sent), and only then the
   ``.reported`` mark that makes it a baseline.  A kill anywhere in between leaves the
   snapshot pending, and the next run reports exactly that drift; reports are keyed by
   snapshot id, so writing one again is idempotent and the outbox sends each id once.

A page that failed or was quarantined produces no changes and keeps its old baseline, so
a bad fetch never reads as drift; the exit code sums every report of the run up.  With
``--against FILE`` the baselines come from a catalogue instead (see scraper/catalogue.py),
and pending snapshots are left for a run against the store.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scraper.errors import StoreError, UsageError
from scraper.faults import checkpoint
from scraper.models import GOOD_STATUSES, Change, FetchResult, PageOutcome, PageRef, Record

if TYPE_CHECKING:  # pragma: no cover
    from scraper.catalogue import Catalogue
    from scraper.config import Config
    from scraper.store import BaselineEntry, SnapshotStore

log = logging.getLogger("errwatch.run")

Key = tuple[str, str]
_MIN_YEAR, _MAX_YEAR = 1970, 9999


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
    """What ``run`` and ``diff`` hand back: the report and where it was written.

    ``earlier`` holds the reports of pending snapshots that this run found and reported
    first (drift of a run that died or failed after storing its snapshot).
    """

    report: dict[str, Any]
    report_dir: Path | None
    changes: tuple[Change, ...] = ()
    failed: tuple[PageOutcome, ...] = field(default_factory=tuple)
    earlier: tuple[RunOutcome, ...] = ()

    @property
    def all_changes(self) -> tuple[Change, ...]:
        """The drift of every report this run wrote (pending ones first)."""
        out: list[Change] = []
        for o in self.earlier:
            out.extend(o.changes)
        out.extend(self.changes)
        return tuple(out)


# ---------------------------------------------------------------------------- options


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
    try:
        at = at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise UsageError(f"--at {value!r} is out of range") from None
    if not _MIN_YEAR <= at.year <= _MAX_YEAR:
        raise UsageError(f"--at {value!r} is out of range (years {_MIN_YEAR}–{_MAX_YEAR})")
    return at


def parse_accept(
    values: Iterable[str], pages: Sequence[PageRef], locales: Sequence[str]
) -> frozenset[Key]:
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


def _check_time(store: SnapshotStore, snapshot_id: str, backfill: bool) -> None:
    """``--at`` earlier than the newest snapshot is refused unless ``--backfill``."""
    from scraper.store import id_sort_key

    newest = store.newest_id()
    if newest is None or backfill or id_sort_key(snapshot_id) > id_sort_key(newest):
        return
    raise UsageError(
        f"--at gives snapshot {snapshot_id}, not later than the newest snapshot {newest} in "
        f"{store.root}; add --backfill to insert it in time order"
    )


# ---------------------------------------------------------------------------- phase 1


def crawl(
    cfg: Config,
    *,
    pages: Sequence[PageRef],
    locales: Sequence[str],
    at: datetime | None = None,
    accept: frozenset[Key] = frozenset(),
    progress: bool = True,
    only: frozenset[Key] | None = None,
    backfill: bool = False,
) -> CrawlResult:
    """Fetch, validate and store one (pending) snapshot; never raises for a bad page."""
    store = _store(cfg)
    with store.lock():
        checkpoint("lock")
        return _crawl_locked(
            cfg,
            store,
            pages=pages,
            locales=locales,
            at=at,
            accept=accept,
            progress=progress,
            only=only,
            backfill=backfill,
        )


def _crawl_locked(
    cfg: Config,
    store: SnapshotStore,
    *,
    pages: Sequence[PageRef],
    locales: Sequence[str],
    at: datetime | None,
    accept: frozenset[Key],
    progress: bool,
    only: frozenset[Key] | None,
    backfill: bool,
) -> CrawlResult:
    from dataclasses import replace

    from scraper.fetch import FetchRequest, FetchSettings, fetch_all, progress_printer
    from scraper.reuse import ArticleReuse
    from scraper.validate import mark_duplicates, validate

    at = at or parse_at(None)
    snapshot_id = store.new_id(at)
    _check_time(store, snapshot_id, backfill)
    before = snapshot_id if backfill else None
    baselines: dict[Key, BaselineEntry | None] = {}
    requests: list[FetchRequest] = []
    refs: dict[str, PageRef] = {p.id: p for p in pages}
    for ref in pages:
        for locale in locales:
            if only is not None and (ref.id, locale) not in only:
                continue
            base = store.newest_good(ref.id, locale, before, reported_only=True)
            baselines[(ref.id, locale)] = base
            requests.append(
                FetchRequest(
                    ref.id,
                    locale,
                    ref.url(locale, cfg.base_url),
                    etag=base.etag if base else None,
                    last_modified=base.last_modified if base else None,
                )
            )
    show = progress_printer(len(requests)) if progress else None
    validated: dict[Key, PageOutcome] = {}

    def on_result(result: FetchResult) -> None:
        """Validate and parse each page as it arrives, while the others download.

        ``validate`` never raises for what a page holds (one odd page is that page's
        ``failed`` outcome), so nothing here needs its own guard.
        """
        key = (result.page, result.locale)
        base = baselines[key]
        # an article unchanged since the baseline reuses its records and markdown
        # (new shell, same article: the day after a docs deploy); see scraper/reuse.py
        hook = ArticleReuse(base, store)
        outcome = validate(
            result,
            refs[result.page],
            baseline_count=base.record_count if base else None,
            loss_threshold=cfg.loss_threshold,
            accept=key in accept,
            reuse=hook,
        )
        if outcome.status in ("ok", "quarantined") and hook.digest is not None:
            reused = base if hook.reused else None
            outcome = replace(
                outcome,
                article=hook.digest,
                records_hash=reused.records_hash if reused else None,
                markdown_hash=reused.markdown_hash if reused else None,
            )
        validated[key] = outcome
        if show is not None:
            show(result)

    results = fetch_all(requests, FetchSettings.from_config(cfg), on_result=on_result)
    outcomes = mark_duplicates([validated[(r.page, r.locale)] for r in results])
    store.write_snapshot(
        snapshot_id,
        at,
        outcomes,
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
    from scraper.textsafe import terminal

    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    head = terminal(f"snapshot {result.snapshot_id}: {parts}")
    return "\n".join([head, *failure_lines(result.failed)])


def failure_lines(failed: Sequence[PageOutcome]) -> list[str]:
    """One indented line per page that failed or was quarantined, with its reason.

    Each line is terminal-safe (scraper.textsafe): a reason quoting a decoded canonical or
    redirect path cannot add lines, escape sequences or workflow commands."""
    from scraper.textsafe import terminal

    return [terminal(f"  {o.page} {o.locale}: {o.status}: {o.reason}") for o in failed]


# ---------------------------------------------------------------------------- run


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
    against: Catalogue | None = None,
    backfill: bool = False,
) -> RunOutcome:
    """Report pending drift, crawl, then report this run's snapshot (module docstring)."""
    _clean_reports(cfg)
    store = _store(cfg)
    with store.lock():
        checkpoint("lock")
        earlier: list[RunOutcome] = []
        if against is None:
            for sid in store.pending_ids():
                log.warning(
                    "snapshot %s was stored but never reported: reporting its drift now", sid
                )
                earlier.append(_report_stored(cfg, store, sid, formats, command))
        crawled = _crawl_locked(
            cfg,
            store,
            pages=pages,
            locales=locales,
            at=at,
            accept=accept,
            progress=progress,
            only=only,
            backfill=backfill,
        )
        own = _report_stored(
            cfg,
            store,
            crawled.snapshot_id,
            formats,
            command,
            against=against,
            fresh={(o.page, o.locale): o for o in crawled.outcomes},
        )
    return RunOutcome(own.report, own.report_dir, own.changes, own.failed, tuple(earlier))


def _clean_reports(cfg: Config) -> None:
    """Temp files of report writes killed mid-way, inside the folder a web server serves."""
    try:
        from scraper.files import clean_stale_temps
    except ImportError:  # pragma: no cover - older files.py
        return
    folder = Path(cfg.reports)
    if folder.is_dir():
        clean_stale_temps(folder)


def _outcome_from_entry(
    entry: Mapping[str, Any],
    records: tuple[Record, ...] | None,
    status: str | None = None,
    reason: str | None = None,
) -> PageOutcome:
    return PageOutcome(
        page=entry["page"],
        locale=entry["locale"],
        url=entry.get("url") or "",
        status=status or entry["status"],
        reason=reason if status else entry.get("reason"),
        http_status=entry.get("http_status"),
        records=records,
    )


def _report_stored(
    cfg: Config,
    store: SnapshotStore,
    snapshot_id: str,
    formats: Sequence[str],
    command: str,
    *,
    against: Catalogue | None = None,
    fresh: Mapping[Key, PageOutcome] | None = None,
) -> RunOutcome:
    """Phase 2 for one stored snapshot: diff, report, notify, then mark it reported.

    Records are read back from the store (hash-checked), so a pending snapshot of an
    earlier run and this run's own go through the same path.  ``fresh`` holds this run's
    outcomes, which keep the warnings and reasons of the crawl.
    """
    from scraper.diff import diff_records

    entries = store.manifest(snapshot_id)["pages"]
    outcomes: list[PageOutcome] = []
    changes: list[Change] = []
    effective: dict[Key, tuple[Record, ...]] = {}
    baselines: dict[Key, str | None] = {}
    for entry in entries:
        key: Key = (entry["page"], entry["locale"])
        good = entry["status"] in GOOD_STATUSES and entry.get("records") is not None
        new_records: tuple[Record, ...] | None = None
        status: str | None = None
        reason: str | None = None
        if good:
            try:
                new_records = store.records(snapshot_id, *key)
            except StoreError as exc:
                log.warning("%s/%s: %s", *key, exc)
                status, reason = "failed", f"stored records unreadable: {exc}"
        outcome = _outcome_from_entry(entry, new_records, status, reason)
        mine = fresh.get(key) if fresh is not None else None
        if mine is not None and status is None and mine.status == entry["status"]:
            outcome = mine  # this run's own outcome keeps the crawl's warnings
        outcomes.append(outcome)
        old_id, old_hash, old_records = _baseline_records(store, snapshot_id, key, against)
        baselines[key] = old_id
        if new_records is not None:
            effective[key] = new_records
            if old_records is not None and old_hash != entry.get("records"):
                changes.extend(
                    diff_records(
                        key[0], key[1], old_records, new_records, generic_names=cfg.generic_names
                    )
                )
        elif old_records is not None:  # failed or quarantined: the baseline still stands
            effective[key] = old_records
    result = _report(
        cfg,
        store,
        snapshot_id,
        outcomes,
        baselines,
        changes,
        effective,
        formats,
        command,
        notify=True,
        old_label=(against.snapshot if against is not None else None),
    )
    store.mark_reported(snapshot_id, str(result.report.get("id") or snapshot_id))
    return result


def _baseline_records(
    store: SnapshotStore, snapshot_id: str, key: Key, against: Catalogue | None
) -> tuple[str | None, str | None, tuple[Record, ...] | None]:
    """(baseline id, its records hash, its records) of one page for ``snapshot_id``."""
    if against is not None:
        return against.snapshot, None, against.records(*key)
    base = store.newest_good(key[0], key[1], snapshot_id, reported_only=True)
    while base is not None:
        try:
            return base.snapshot_id, base.records_hash, base.load_records()
        except StoreError as exc:  # the store checked it; a race or a fault since
            log.warning(
                "%s/%s: baseline %s unreadable (%s); trying an older one",
                *key,
                base.snapshot_id,
                exc,
            )
            base = store.newest_good(key[0], key[1], base.snapshot_id, reported_only=True)
    return None, None, None


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
    old_label: str | None = None,
) -> RunOutcome:
    from scraper.report import build_report, render_markdown, write_reports
    from scraper.store import id_sort_key

    known = [b for b in baselines.values() if b]
    try:
        old_snapshot = old_label or (max(known, key=id_sort_key) if known else None)
    except StoreError:
        old_snapshot = None
    report = build_report(
        snapshot_id=snapshot_id,
        old_snapshot=old_snapshot,
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
    report_dir = write_reports(
        report,
        Path(cfg.reports),
        file_formats,
        store=store,
        generic_names=cfg.generic_names,
        report_url=cfg.report_url,
    )
    checkpoint("report")
    if notify and (cfg.notify_urls or cfg.failure_urls):
        from scraper.notify import default_state_path, notify_run, report_link

        link = report_link(report, cfg) or (str(report_dir / "report.html") if report_dir else None)
        notify_run(report, render_markdown(report, link), cfg, default_state_path(cfg))
    checkpoint("notify")
    failed = tuple(o for o in outcomes if not o.good)
    return RunOutcome(report, report_dir, tuple(changes), failed)


# ---------------------------------------------------------------------------- diff


def _resolve(store: SnapshotStore, ids: Sequence[str], value: str, where: str) -> str:
    aliases = {"latest": ids[-1], "previous": ids[-2] if len(ids) > 1 else ids[-1]}
    sid = aliases.get(value, value)
    if sid not in ids:
        have = ", ".join(ids[-5:])
        raise UsageError(f"no snapshot {value!r} in {where} (newest: {have})")
    return sid


def _side(cfg: Config, store: SnapshotStore, value: str) -> tuple[str, Catalogue | None]:
    """A diff side: a snapshot id or alias, or the path of a catalogue file."""
    from scraper.catalogue import is_catalogue_file, load_catalogue

    if is_catalogue_file(value) or (Path(value).suffix.lower() == ".json" and Path(value).exists()):
        cat = load_catalogue(value)
        return (cat.snapshot or Path(value).stem), cat
    ids = store.snapshot_ids()
    if not ids:
        raise UsageError(
            f"no snapshots in {cfg.snapshots}: run `errwatch run` first, or give "
            "a catalogue file (errwatch export)"
        )
    return _resolve(store, ids, value, str(cfg.snapshots)), None


def diff_snapshots(
    cfg: Config, old: str, new: str, *, formats: Sequence[str], command: str
) -> RunOutcome:
    """Compare two states page by page (pages good in both): stored snapshots or catalogues."""
    from scraper.diff import diff_records

    store = _store(cfg)
    old_id, old_cat = _side(cfg, store, old)
    new_id, new_cat = _side(cfg, store, new)
    old_pages = _states(store, old_id, old_cat)
    outcomes: list[PageOutcome] = []
    changes: list[Change] = []
    effective: dict[Key, tuple[Record, ...]] = {}
    baselines: dict[Key, str | None] = {}
    for key, (entry, new_records) in _states(store, new_id, new_cat).items():
        outcomes.append(_outcome_from_entry(entry, new_records))
        before = old_pages.get(key)
        baselines[key] = old_id if before else None
        if new_records is not None:
            effective[key] = new_records
            old_records = before[1] if before else None
            if old_records is not None:
                changes.extend(
                    diff_records(
                        key[0], key[1], old_records, new_records, generic_names=cfg.generic_names
                    )
                )
    report_id = f"{_id_part(new_id)}-vs-{_id_part(old_id)}"
    snapshot = new_id if new_cat is None else (new_cat.snapshot or new_id)
    return _report(
        cfg,
        store,
        snapshot,
        outcomes,
        baselines,
        changes,
        effective,
        formats,
        command,
        notify=False,
        report_id=report_id,
        old_label=old_id if old_cat is not None else None,
    )


def _id_part(value: str) -> str:
    """A report folder name part: snapshot ids as they are, anything else made safe."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value)[:80] or "catalogue"


def _states(
    store: SnapshotStore, sid: str, cat: Catalogue | None
) -> dict[Key, tuple[Mapping[str, Any], tuple[Record, ...] | None]]:
    """(page, locale) -> (manifest-like entry, records if good) of one side of a diff."""
    out: dict[Key, tuple[Mapping[str, Any], tuple[Record, ...] | None]] = {}
    if cat is not None:
        for p in cat.pages:
            entry = {"page": p.page, "locale": p.locale, "url": p.url, "status": "ok"}
            out[(p.page, p.locale)] = (entry, tuple(r.record for r in p.records))
        return out
    for entry in store.manifest(sid)["pages"]:
        key = (entry["page"], entry["locale"])
        records = None
        if entry["status"] in GOOD_STATUSES:
            try:
                records = store.records(sid, *key)
            except StoreError as exc:
                log.warning("%s/%s in %s: %s", *key, sid, exc)
                entry = {**entry, "status": "failed", "reason": f"stored records unreadable: {exc}"}
        out[key] = (entry, records)
    return out


# ---------------------------------------------------------------------------- exit


def exit_code(changes: Sequence[Change], failed: Sequence[PageOutcome], fail_on: str) -> int:
    """0 ok; 1 drift at/above --fail-on; 3 pages failed/quarantined (if not already 1)."""
    from scraper.diff import fails

    if fails(list(changes), fail_on):
        return 1
    return 3 if failed else 0


def finish(
    outcome: RunOutcome,
    fail_on: str,
    formats: Sequence[str],
    *,
    quiet: bool,
    always_print: bool = False,
) -> int:
    """Print what a person or CI needs (nothing on a quiet day) and pick the exit code.

    Reports of pending snapshots (``outcome.earlier``) are printed first and their drift
    counts towards ``--fail-on``: it was never reported before.
    """
    from scraper.report import render_github

    for item in (*outcome.earlier, outcome):
        report = item.report
        own = item is outcome
        if "github" in formats:
            text = render_github(report)
            if text:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
        elif not quiet and (item.changes or (own and (item.failed or always_print))):
            lines = [summary_line(report, item.report_dir)]
            if own:
                lines.extend(failure_lines(item.failed))
            print("\n".join(lines))
    return exit_code(outcome.all_changes, outcome.failed, fail_on)


def summary_line(report: dict[str, Any], report_dir: Path | None) -> str:
    s = report.get("summary", {})
    pages = s.get("pages", {})
    bad = pages.get("failed", 0) + pages.get("quarantined", 0)
    where = f" — {report_dir / 'report.html'}" if report_dir else ""
    from scraper.textsafe import terminal

    return terminal(
        f"errwatch {report.get('id')}: {s.get('changes', 0)} changes "
        f"({s.get('breaking', 0)} breaking), {bad} page(s) failed or quarantined{where}"
    )
