"""Dated snapshots on disk: content-addressed, atomic, locked, checked, two-phase.

Layout (see docs/ARCHITECTURE.md)::

    <root>/.lock                               pid + host + token of the run holding it;
                                               its mtime is the holder's heartbeat
    <root>/objects/<sha256[:2]>/<sha256[2:]>   each piece of content stored once
    <root>/.broken/<id>/                       snapshots ``verify --repair`` moved aside
    <root>/<id>/manifest.json.gz               the only new file of an unchanged day
    <root>/<id>/.reported                      written once the snapshot's report is
    <root>/<id>/<page>.<locale>.html.gz        hard links into objects/ (copies if
    <root>/<id>/<page>.<locale>.md             the file system refuses links)
    <root>/<id>/<page>.<locale>.records.json

Why this shape: an unchanged page gives byte-identical files, so a day where nothing
changed costs one small manifest plus directory entries (365 days stay cheap), and the
records files diff quietly in git.  A snapshot is built in ``.tmp-<id>-<pid>/`` and
renamed into place, so a killed run never leaves a partial snapshot that a later run
would compare against.  The lock keeps two runs from writing at once.

Two phases: a new manifest says ``"phases": 2`` and the snapshot is *pending* until
``mark_reported`` writes ``.reported``; ``newest_good(..., reported_only=True)`` is the
baseline a run compares against.  Manifests without ``phases`` (older errwatch) count as
reported.  Nothing read is trusted: an unreadable manifest drops its snapshot from
``snapshot_ids()`` (one warning), a corrupt or missing records object drops that entry
from the baselines (one warning), and the page falls back to its previous good state.
"""

from __future__ import annotations

import copy
import gzip
import json
import logging
import os
import re
import shutil
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scraper import __version__, faults
from scraper.errors import LockError, StoreError
from scraper.models import GOOD_STATUSES, PageOutcome, Record, code_count
from scraper.store.lock import DEFAULT_HEARTBEAT, DEFAULT_STALE_AFTER, LOCK_NAME, StoreLock
from scraper.store.objects import HASH_RE, TMP_PREFIX, ObjectsMixin, _remove, os_error

log = logging.getLogger("scraper.store")

MANIFEST = "manifest.json.gz"
PLAIN_MANIFEST = "manifest.json"  # also read, for stores written by hand or by older tools
BROKEN = ".broken"  # <root>/.broken/<id>: moved out of the baselines by verify --repair
REPORTED = ".reported"  # <id>/.reported: the snapshot's report is written (two-phase runs)
PHASES = 2  # manifests with "phases": 2 are pending until REPORTED exists

ID_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:-([1-9]\d*))?$")
_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
KINDS = {"html": ".html.gz", "markdown": ".md", "records": ".records.json"}


def id_sort_key(snapshot_id: str) -> tuple[str, int]:
    """Time order: ``…Z`` < ``…Z-2`` < ``…Z-10`` (plain string order gets -10 wrong)."""
    m = ID_RE.match(snapshot_id)
    if not m:
        raise StoreError(f"{snapshot_id!r} is not a snapshot id (YYYYMMDDTHHMMSSZ[-N])")
    return m.group(1), int(m.group(2) or 1)


def records_json(records: Sequence[Record]) -> bytes:
    """The stored form of a page's records: stable, so unchanged pages are byte-identical."""
    text = json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=1) + "\n"
    return text.encode("utf-8")


def _utc(at: datetime) -> datetime:
    """Naive datetimes are taken as UTC (``--at 2026-11-21T06:00``)."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


@dataclass(frozen=True)
class BaselineEntry:
    """A page's newest good entry: what a run compares against and sends ETags from.

    Records are loaded only when asked for (``load_records()``), so finding baselines
    for 28 pages reads 28 manifest entries, not 28 record files per snapshot.
    """

    snapshot_id: str
    page: str
    locale: str
    status: str
    url: str | None
    etag: str | None
    last_modified: str | None
    record_count: int | None
    html_hash: str | None
    markdown_hash: str | None
    records_hash: str | None
    article: str | None = None  # fingerprint of the article subtree (scraper.reuse)
    warnings: tuple[str, ...] = ()
    _store: SnapshotStore | None = field(default=None, repr=False, compare=False)

    def load_records(self) -> tuple[Record, ...]:
        if self._store is None or self.records_hash is None:
            raise StoreError(
                f"snapshot {self.snapshot_id}: no records for {self.page}/{self.locale}"
            )
        return self._store.load_records_object(self.records_hash, self.snapshot_id)


class SnapshotStore(ObjectsMixin):
    """All reads and writes of one snapshot folder (``--snapshots DIR``)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        tool: str | None = None,
        durable: bool = True,
        stale_after: float = DEFAULT_STALE_AFTER,
        heartbeat: float = DEFAULT_HEARTBEAT,
    ) -> None:
        self.root = Path(root)
        self.tool = tool or f"errwatch {__version__}"
        self.durable = durable  # fsync files and folders; tests of bulk history may skip it
        self.stale_after = stale_after  # seconds without a heartbeat: a foreign holder is dead
        self.heartbeat = heartbeat  # seconds between two refreshes of a held lock
        self._manifests: dict[str, dict[str, Any]] = {}
        self._index: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._bad: set[str] = set()  # ids already warned about
        self._reported: set[str] = set()  # ids whose .reported marker was seen
        self._has_manifest: set[str] = set()  # ids seen with a manifest file (not yet read)
        self._listing: tuple[tuple[int, int, int], list[str]] | None = None  # see _listed()
        self._written: set[str] = set()  # snapshots this object wrote
        self._checked: dict[str, bool] = {}  # object hash -> its file in objects/ is whole
        self._records_cache: OrderedDict[str, tuple[Record, ...]] = OrderedDict()
        self._held: StoreLock | None = None
        self._seq = 0
        self._ids_for_write: list[str] | None = None

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    # ------------------------------------------------------------------ lock

    @contextmanager
    def lock(self) -> Iterator[SnapshotStore]:
        """Hold ``root/.lock`` for the body (see scraper.store.lock for the rules).

        A dead holder's lock is recovered; a live one's never (a foreign host's only
        when its heartbeat is stale).  While held, a daemon thread refreshes the
        heartbeat.  Leftovers of killed runs (``.tmp-*``) are removed once it is held.
        """
        if self._held is not None:
            raise LockError(f"this errwatch run already holds {self.lock_path}")
        held = StoreLock(
            self.root, durable=self.durable, stale_after=self.stale_after, heartbeat=self.heartbeat
        )
        held.acquire(uuid.uuid4().hex)
        self._held = held
        try:
            self.cleanup_tmp()
            yield self
        finally:
            self._held = None
            held.release()

    def cleanup_tmp(self) -> list[Path]:
        """Remove work folders and object temp files of killed runs (needs the lock)."""
        if self._held is None:
            raise StoreError("cleanup_tmp() must run while holding the snapshot lock")
        # Every temp name the store uses: snapshot work folders and the temps of
        # .reported markers and verify's re-links (root), object temps (objects/*/).
        removed: list[Path] = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return removed
        except OSError as exc:
            raise StoreError(os_error("list", self.root, exc)) from exc
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX):
                removed.append(_remove(Path(entry.path)))
        removed.extend(self._clean_object_temps())
        if removed:
            log.warning(
                "removed %d leftover(s) of interrupted runs: %s",
                len(removed),
                ", ".join(p.name for p in removed[:5]),
            )
        return removed

    # ------------------------------------------------------------------ ids

    def new_id(self, at: datetime) -> str:
        """``YYYYMMDDTHHMMSSZ`` of ``at`` in UTC; ``-2``, ``-3`` … if already taken."""
        base = _utc(at).strftime("%Y%m%dT%H%M%SZ")
        candidate, n = base, 1
        while (self.root / candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def snapshot_ids(self) -> list[str]:
        """Readable snapshots in time order (work folders, objects/, strays ignored).

        A snapshot whose manifest cannot be read (junk bytes, truncated gzip, JSON of
        the wrong shape, an empty file) is left out with one warning per store object,
        so every caller (history, reports, diff) skips it alike; asking for it directly
        (``manifest()``, ``records()``) still raises StoreError.  Manifests are read once
        and cached.  The baseline lookups of a run do not need this full read: they use
        the cheap listing and check each manifest they reach (``newest_good``).
        """
        ids = []
        for name in self._listed():
            try:
                self._load_manifest(name)
            except StoreError as exc:
                self._skip(name, exc)
                continue
            ids.append(name)
        return ids

    def newest_id(self) -> str | None:
        """``snapshot_ids()[-1]`` without reading every manifest: the listing from the
        newest end, skipping unreadable ones (usually one manifest read, which the run's
        baseline lookup reads anyway)."""
        for name in reversed(self._listed()):
            try:
                self._load_manifest(name)
            except StoreError as exc:
                self._skip(name, exc)
                continue
            return name
        return None

    def _listed(self) -> list[str]:
        """Folders that look like snapshots (id name, a manifest file), minus those found
        unreadable; in time order.  One directory scan, reused while the root folder is
        unchanged (its mtime and link count; a scan of a folder changed in the last
        second is not reused, as a second change in the same clock tick would not show)."""
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(os_error("list snapshots", self.root, exc)) from exc
        stamp = (st.st_mtime_ns, st.st_nlink, st.st_ino)
        reused = self._listing is not None and self._listing[0] == stamp
        if self._listing is not None and reused:
            names = self._listing[1]
        else:
            try:
                entries = list(os.scandir(self.root))
            except OSError as exc:
                raise StoreError(os_error("list snapshots", self.root, exc)) from exc
            names = []
            for entry in entries:
                name = entry.name
                if name in self._manifests or name in self._has_manifest:
                    names.append(name)
                    continue
                if not ID_RE.match(name) or not entry.is_dir():
                    continue
                folder = Path(entry.path)
                if not ((folder / MANIFEST).is_file() or (folder / PLAIN_MANIFEST).is_file()):
                    continue  # an interrupted hand copy, or a folder being moved
                self._has_manifest.add(name)
                names.append(name)
            names.sort(key=id_sort_key)
            settled = time.time() - st.st_mtime_ns / 1e9 > 1.0
            self._listing = (stamp, names) if settled else None
        ids = [sid for sid in names if sid not in self._bad]
        if reused and self._written:  # written by this object since the scan was cached
            known = set(ids)
            own = [sid for sid in self._written if sid not in known]
            if own:
                ids = sorted(known.union(own), key=id_sort_key)
        return ids

    def _skip(self, snapshot_id: str, exc: StoreError) -> None:
        """Warn once per store object about an unreadable snapshot."""
        if snapshot_id not in self._bad:
            self._bad.add(snapshot_id)
            log.warning("skipping snapshot %s: %s", snapshot_id, exc)

    def skipped_ids(self) -> list[str]:
        """Snapshots left out by ``snapshot_ids()`` because their manifest is unreadable."""
        self.snapshot_ids()
        return sorted(self._bad, key=id_sort_key)

    # ------------------------------------------------------------------ two phases

    def mark_reported(self, snapshot_id: str, report_id: str) -> None:
        """Record that ``snapshot_id``'s report is written: it may now be a baseline.

        Writes an empty ``<root>/<id>/.reported`` (its mtime is when; the report is
        ``reports/<id>/``, named ``report_id``) whole or not at all: empty, it costs an
        inode but no disk block, so an unchanged day stays within its 10 KB (``du``).  The
        temp file lives in the root, so the lock-time cleanup finds it after a kill.
        Idempotent: a snapshot already reported is left as it is.
        """
        if self.is_reported(snapshot_id):
            return
        log.debug("snapshot %s reported as %s", snapshot_id, report_id)
        data = b""
        target = self.root / snapshot_id / REPORTED
        try:
            self._write_file(target, data, tmp_dir=self.root)
        except OSError as exc:
            raise StoreError(os_error("mark snapshot reported", target, exc)) from exc
        self._fsync_dir(target.parent)
        self._reported.add(snapshot_id)

    def is_reported(self, snapshot_id: str) -> bool:
        """Has this snapshot's report been written?  Older (one-phase) snapshots count."""
        if snapshot_id in self._reported:
            return True
        manifest = self._load_manifest(snapshot_id)
        phases = manifest.get("phases")
        if not isinstance(phases, int) or phases < PHASES:
            self._reported.add(snapshot_id)
            return True
        if (self.root / snapshot_id / REPORTED).is_file():
            self._reported.add(snapshot_id)
            return True
        return False

    def pending_ids(self) -> list[str]:
        """Readable snapshots whose report was never written, oldest first.

        Cheap on a quiet store: a snapshot with its ``.reported`` marker costs one
        ``stat``; only the others' manifests are read (unreadable ones are skipped).
        """
        pending = []
        for sid in self._listed():
            if sid in self._reported:
                continue
            if (self.root / sid / REPORTED).is_file():
                self._reported.add(sid)
                continue
            try:
                if not self.is_reported(sid):
                    pending.append(sid)
            except StoreError as exc:
                self._skip(sid, exc)
        return pending

    # ------------------------------------------------------------------ write

    def write_snapshot(
        self,
        snapshot_id: str,
        at: datetime,
        outcomes: Sequence[PageOutcome],
        baselines: Mapping[tuple[str, str], str | None] | None = None,
    ) -> Path:
        """Store one run atomically and return its folder.

        Objects go first (each via temp file + ``os.replace``), then the snapshot is
        assembled in ``.tmp-<id>-<pid>/`` from hard links and renamed into place.  A
        ``not_modified`` outcome without content reuses the objects of the page's
        newest good entry; with no such entry it is stored as ``failed`` (it cannot be
        a baseline with nothing behind it).  ``baselines`` maps (page, locale) to the
        snapshot id that run compared against; it is recorded in the manifest.
        """
        id_sort_key(snapshot_id)
        baselines = baselines or {}
        final = self.root / snapshot_id
        if final.exists():
            raise StoreError(f"snapshot {snapshot_id} already exists in {self.root}")
        seen: set[tuple[str, str]] = set()
        for o in outcomes:
            for part in (o.page, o.locale):
                if not _SAFE_RE.match(part):
                    raise StoreError(f"unsafe page id or locale {part!r} for a file name")
            if (o.page, o.locale) in seen:
                raise StoreError(f"snapshot {snapshot_id}: {o.page}/{o.locale} given twice")
            seen.add((o.page, o.locale))

        tmp = self.root / f"{TMP_PREFIX}{snapshot_id}-{os.getpid()}"
        self._ids_for_write = None
        try:
            self.objects_dir.mkdir(parents=True, exist_ok=True)
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir()
            entries = [
                self._write_entry(tmp, o, snapshot_id, baselines.get((o.page, o.locale)))
                for o in sorted(outcomes, key=lambda o: (o.page, o.locale))
            ]
            manifest = {
                "id": snapshot_id,
                "at": _utc(at).isoformat(),
                "tool": self.tool,
                "phases": PHASES,
                "pages": entries,
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
            self._write_file(tmp / MANIFEST, gzip.compress(text.encode("utf-8"), 9, mtime=0))
            self._fsync_dir(tmp)
            faults.checkpoint("objects")
            os.rename(tmp, final)
            self._fsync_dir(self.root)
            faults.checkpoint("snapshot")
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                where = Path(exc.filename) if exc.filename else tmp
                raise StoreError(
                    f"snapshot {snapshot_id}: {os_error('write', where, exc)}"
                ) from exc
            raise
        self._remember(snapshot_id, manifest)
        self._written.add(snapshot_id)
        return final

    def _write_entry(
        self, tmp: Path, o: PageOutcome, snapshot_id: str, baseline: str | None
    ) -> dict[str, Any]:
        hashes: dict[str, str | None] = {"html": None, "markdown": None, "records": None}
        count: int | None = None
        status, reason = o.status, o.reason
        article = o.article
        if o.raw_html is not None:  # level 6: the size of level 9 on these pages, 20% faster
            hashes["html"] = self.put_object(gzip.compress(o.raw_html, 6, mtime=0))
        if o.markdown is not None:  # an unchanged article links the baseline's objects
            if o.markdown_hash is not None and self.object_ok(o.markdown_hash):
                hashes["markdown"] = o.markdown_hash
            else:
                hashes["markdown"] = self.put_object(o.markdown.encode("utf-8"))
        if o.records is not None:
            if o.records_hash is not None and self.object_ok(o.records_hash):
                hashes["records"] = o.records_hash
            else:
                hashes["records"] = self.put_object(records_json(o.records))
            count = code_count(o.records)
        if status == "not_modified" and hashes["records"] is None:
            source = self._content_source(o.page, o.locale, baseline, snapshot_id)
            if source is None:
                status = "failed"
                reason = "not modified (HTTP 304) but no earlier good snapshot holds this page"
                log.warning("%s/%s: %s", o.page, o.locale, reason)
            else:
                # a corrupt html/markdown object is left out rather than linked onward
                for kind, digest in (
                    ("html", source.html_hash),
                    ("markdown", source.markdown_hash),
                ):
                    if hashes[kind] is None and digest is not None and self.object_ok(digest):
                        hashes[kind] = digest
                hashes["records"] = source.records_hash
                count = source.record_count
                article = source.article
        for kind, digest in hashes.items():
            if digest is not None:
                self._link(digest, tmp / f"{o.page}.{o.locale}{KINDS[kind]}")
        entry: dict[str, Any] = {
            "page": o.page,
            "locale": o.locale,
            "url": o.url,
            "status": status,
            "reason": reason,
            "http_status": o.http_status,
            "etag": o.etag,
            "last_modified": o.last_modified,
            "html": hashes["html"],
            "markdown": hashes["markdown"],
            "records": hashes["records"],
            "record_count": count,
            "baseline": baseline,
            "article": article,
        }
        if o.warnings:
            entry["warnings"] = list(o.warnings)
        return entry

    def _content_source(
        self, page: str, locale: str, baseline: str | None, before: str
    ) -> BaselineEntry | None:
        """Where a bodiless 304 takes its content: the run's baseline, else newest good."""
        if baseline is not None:
            try:
                entry = self._entry(baseline, page, locale)
            except StoreError:
                entry = None
            if entry is not None and _is_good(entry) and self.object_ok(entry["records"]):
                return self._baseline(baseline, entry)
        if self._ids_for_write is None:  # list the store once per write, not per page
            self._ids_for_write = self._listed()
        return self._newest_good(page, locale, self._ids_for_write, before)

    # ------------------------------------------------------------------ read

    def manifest(self, snapshot_id: str) -> dict[str, Any]:
        """The manifest of one snapshot (a copy: callers may change it)."""
        m = self._load_manifest(snapshot_id)
        if any(isinstance(v, (list, dict)) for e in m["pages"] for v in e.values()):
            return copy.deepcopy(m)
        return {**m, "pages": [dict(e) for e in m["pages"]]}  # cheap: history reads all 365

    def _load_manifest(self, snapshot_id: str) -> dict[str, Any]:
        cached = self._manifests.get(snapshot_id)
        if cached is not None:
            return cached
        id_sort_key(snapshot_id)
        folder = self.root / snapshot_id
        path = folder / MANIFEST
        try:
            if path.is_file():
                text = gzip.decompress(path.read_bytes()).decode("utf-8")
            else:
                path = folder / PLAIN_MANIFEST
                text = path.read_text("utf-8")
        except FileNotFoundError:
            if not folder.is_dir():
                raise StoreError(f"no snapshot {snapshot_id} in {self.root}") from None
            raise StoreError(f"snapshot {snapshot_id} has no manifest ({folder})") from None
        except OSError as exc:
            raise StoreError(f"snapshot {snapshot_id}: {os_error('read', path, exc)}") from exc
        except (EOFError, UnicodeDecodeError, zlib.error) as exc:
            raise StoreError(f"snapshot {snapshot_id}: cannot read {path}: {exc}") from exc
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise StoreError(f"snapshot {snapshot_id}: {path} is not valid JSON ({exc})") from exc
        problem = manifest_problem(data)
        if problem or not isinstance(data, dict):
            raise StoreError(
                f"snapshot {snapshot_id}: {path} is not an errwatch manifest ({problem})"
            )
        self._remember(snapshot_id, data)
        return data

    def _remember(self, snapshot_id: str, data: dict[str, Any]) -> None:
        self._manifests[snapshot_id] = data
        self._index[snapshot_id] = {(e["page"], e["locale"]): e for e in data["pages"]}

    def _entry(self, snapshot_id: str, page: str, locale: str) -> dict[str, Any] | None:
        self._load_manifest(snapshot_id)
        return self._index[snapshot_id].get((page, locale))

    def entry(self, snapshot_id: str, page: str, locale: str) -> dict[str, Any] | None:
        """One page's manifest entry, or None if the snapshot did not crawl it."""
        e = self._entry(snapshot_id, page, locale)
        return None if e is None else dict(e)

    def _blob(self, snapshot_id: str, page: str, locale: str, kind: str) -> bytes | None:
        entry = self._entry(snapshot_id, page, locale)
        if entry is None or entry.get(kind) is None:
            return None
        return self._read_object(
            entry[kind], snapshot_id, self.root / snapshot_id / f"{page}.{locale}{KINDS[kind]}"
        )

    def records(self, snapshot_id: str, page: str, locale: str) -> tuple[Record, ...] | None:
        """A page's records in that snapshot; None if it has none (not crawled, failed)."""
        entry = self._entry(snapshot_id, page, locale)
        if entry is None or entry.get("records") is None:
            return None
        return self.load_records_object(entry["records"], snapshot_id)

    def readable_records(
        self, snapshot_id: str, page: str, locale: str
    ) -> tuple[Record, ...] | None:
        """Like ``records()``, but a snapshot or records object that cannot be read is
        None (one warning) instead of StoreError: for walks over the whole history."""
        try:
            entry = self._entry(snapshot_id, page, locale)
        except StoreError as exc:
            self._skip(snapshot_id, exc)
            return None
        if entry is None or entry.get("records") is None:
            return None
        digest = entry["records"]
        try:
            return self.load_records_object(digest, snapshot_id)
        except StoreError as exc:
            if self._checked.get(digest) is not False:
                self._checked[digest] = False
                log.warning("skipping %s/%s of snapshot %s: %s", page, locale, snapshot_id, exc)
            return None

    def load_records_object(self, digest: str, snapshot_id: str = "?") -> tuple[Record, ...]:
        """Records by object hash; the last few are cached (baselines are read repeatedly)."""
        cached = self._records_cache.get(digest)
        if cached is not None:
            self._records_cache.move_to_end(digest)
            return cached
        data = self._read_object(digest, snapshot_id)
        try:
            rows = json.loads(data.decode("utf-8"))
            recs = tuple(Record.from_dict(r) for r in rows)
        except (ValueError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"snapshot {snapshot_id}: records {digest[:12]}… unreadable: {exc}"
            ) from exc
        self._records_cache[digest] = recs
        if len(self._records_cache) > 64:
            self._records_cache.popitem(last=False)
        return recs

    def markdown(self, snapshot_id: str, page: str, locale: str) -> str | None:
        data = self._blob(snapshot_id, page, locale, "markdown")
        return None if data is None else data.decode("utf-8")

    def html(self, snapshot_id: str, page: str, locale: str) -> bytes | None:
        """The raw HTML as received (decompressed)."""
        data = self._blob(snapshot_id, page, locale, "html")
        return None if data is None else gzip.decompress(data)

    def newest_good(
        self,
        page: str,
        locale: str,
        before: str | None = None,
        *,
        reported_only: bool = False,
    ) -> BaselineEntry | None:
        """The newest snapshot (older than ``before``) whose entry for this page is good.

        Per page, not per run: a page that failed today keeps yesterday's baseline while
        the others move on.  Only manifests are read (and cached); corrupt ones are
        skipped with a warning.  ``reported_only`` skips pending snapshots (stored, but
        their report was never written): the baseline of a run is the newest *reported*
        good state.
        """
        return self._newest_good(page, locale, self._listed(), before, reported_only=reported_only)

    def _newest_good(
        self,
        page: str,
        locale: str,
        ids: list[str],
        before: str | None,
        *,
        reported_only: bool = False,
    ) -> BaselineEntry | None:
        limit = id_sort_key(before) if before is not None else None
        for snapshot_id in reversed(ids):
            if limit is not None and id_sort_key(snapshot_id) >= limit:
                continue
            try:
                entry = self._entry(snapshot_id, page, locale)
            except StoreError as exc:
                self._skip(snapshot_id, exc)
                continue
            if entry is None or not _is_good(entry):
                continue
            if reported_only and not self._reported_quietly(snapshot_id):
                continue
            if self.object_ok(entry["records"]):
                return self._baseline(snapshot_id, entry)
        return None

    def _reported_quietly(self, snapshot_id: str) -> bool:
        try:
            return self.is_reported(snapshot_id)
        except StoreError:
            return False

    def _baseline(self, snapshot_id: str, e: Mapping[str, Any]) -> BaselineEntry:
        return BaselineEntry(
            snapshot_id=snapshot_id,
            page=e["page"],
            locale=e["locale"],
            status=e["status"],
            url=e.get("url"),
            etag=e.get("etag"),
            last_modified=e.get("last_modified"),
            record_count=e.get("record_count"),
            html_hash=e.get("html"),
            markdown_hash=e.get("markdown"),
            records_hash=e.get("records"),
            article=e["article"] if isinstance(e.get("article"), str) else None,
            warnings=tuple(str(w) for w in e.get("warnings") or () if isinstance(w, str)),
            _store=self,
        )


def manifest_problem(data: object) -> str | None:
    """What makes ``data`` not a manifest every reader can use, or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    pages = data.get("pages")
    if not isinstance(pages, list):
        return '"pages" is not a list'
    seen: set[tuple[str, str]] = set()
    for i, e in enumerate(pages):
        if not isinstance(e, dict):
            return f"page entry {i} is not an object"
        page, locale, status = e.get("page"), e.get("locale"), e.get("status")
        if not (
            isinstance(page, str)
            and _SAFE_RE.match(page)
            and isinstance(locale, str)
            and _SAFE_RE.match(locale)
        ):
            return f"page entry {i} has no valid page/locale"
        if not isinstance(status, str):
            return f"page entry {i} has no status"
        for kind in KINDS:
            value = e.get(kind)
            if value is not None and not (isinstance(value, str) and HASH_RE.match(value)):
                return f"page entry {i} has a bad {kind} hash"
        count = e.get("record_count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            return f"page entry {i} has a bad record_count"
        if (page, locale) in seen:
            return f"{page}/{locale} appears twice"
        seen.add((page, locale))
    return None


def _is_good(entry: Mapping[str, Any]) -> bool:
    return entry.get("status") in GOOD_STATUSES and entry.get("records") is not None
