"""Dated snapshots on disk: content-addressed, atomic, locked.

Layout (see docs/ARCHITECTURE.md)::

    <root>/.lock                               pid + host + time of the run holding it
    <root>/objects/<sha256[:2]>/<sha256[2:]>   each piece of content stored once
    <root>/<id>/manifest.json.gz               the only new file of an unchanged day
    <root>/<id>/<page>.<locale>.html.gz        hard links into objects/ (copies if
    <root>/<id>/<page>.<locale>.md             the file system refuses links)
    <root>/<id>/<page>.<locale>.records.json

Why this shape: an unchanged page gives byte-identical files, so a day where nothing
changed costs one small manifest plus directory entries (365 days stay cheap), and the
records files diff quietly in git.  A snapshot is built in ``.tmp-<id>-<pid>/`` and
renamed into place, so a killed run never leaves a partial snapshot that a later run
would compare against.  The lock keeps two runs from writing at once.
"""

from __future__ import annotations

import copy
import errno
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scraper import __version__
from scraper.errors import LockError, StoreError
from scraper.models import GOOD_STATUSES, PageOutcome, Record, code_count

log = logging.getLogger(__name__)

MANIFEST = "manifest.json.gz"
PLAIN_MANIFEST = "manifest.json"  # also read, for stores written by hand or by older tools
LOCK_NAME = ".lock"
TMP_PREFIX = ".tmp-"
OBJECTS = "objects"
DEFAULT_STALE_AFTER = 6 * 3600.0  # seconds; no crawl of 28 pages takes this long

ID_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:-([1-9]\d*))?$")
_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_KINDS = {"html": ".html.gz", "markdown": ".md", "records": ".records.json"}


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
    _store: SnapshotStore | None = field(default=None, repr=False, compare=False)

    def load_records(self) -> tuple[Record, ...]:
        if self._store is None or self.records_hash is None:
            raise StoreError(f"snapshot {self.snapshot_id}: no records for {self.page}/{self.locale}")
        return self._store.load_records_object(self.records_hash, self.snapshot_id)


@dataclass
class _LockState:
    token: str
    path: Path


class SnapshotStore:
    """All reads and writes of one snapshot folder (``--snapshots DIR``)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        tool: str | None = None,
        durable: bool = True,
        stale_after: float = DEFAULT_STALE_AFTER,
    ) -> None:
        self.root = Path(root)
        self.tool = tool or f"errwatch {__version__}"
        self.durable = durable  # fsync files and folders; tests of bulk history may skip it
        self.stale_after = stale_after
        self._manifests: dict[str, dict[str, Any]] = {}
        self._index: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._bad: set[str] = set()  # ids already warned about
        self._records_cache: OrderedDict[str, tuple[Record, ...]] = OrderedDict()
        self._held: _LockState | None = None
        self._seq = 0
        self._ids_for_write: list[str] | None = None

    @property
    def objects_dir(self) -> Path:
        return self.root / OBJECTS

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    # ------------------------------------------------------------------ lock

    @contextmanager
    def lock(self) -> Iterator[SnapshotStore]:
        """Hold ``root/.lock`` for the body; stale locks of dead runs are recovered.

        The lock file is created with O_EXCL and names pid, host and time.  Checking and
        recovering a stale lock happens under ``flock`` on the root folder, so two runs
        that find the same stale lock cannot both take it over.  Stray ``.tmp-*`` work
        folders of killed runs are removed once the lock is held.
        """
        if self._held is not None:
            raise LockError(f"this errwatch run already holds {self.lock_path}")
        self.root.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        with self._guard():
            self._acquire(token)
        self._held = _LockState(token, self.lock_path)
        try:
            self.cleanup_tmp()
            yield self
        finally:
            self._held = None
            with self._guard():
                self._release(token)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A short exclusive flock on the root folder around lock-file checks."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        fd = os.open(self.root, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # file systems without flock: the O_EXCL file still works
                pass
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _acquire(self, token: str) -> None:
        now = time.time()
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
            "epoch": now,
            "start": _proc_start(os.getpid()),  # tells a reused pid from the holder
            "token": token,
        }
        data = (json.dumps(info) + "\n").encode()
        for _attempt in range(3):
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._check_existing()
                continue
            try:
                os.write(fd, data)
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            return
        raise LockError(f"could not take {self.lock_path}: it keeps reappearing")

    def _check_existing(self) -> None:
        """Raise LockError for a live holder; remove a stale lock (with a warning)."""
        path = self.lock_path
        try:
            raw = path.read_text("utf-8", errors="replace")
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return  # released meanwhile: try again
        try:
            info = json.loads(raw)
            pid = int(info["pid"])
            host = str(info.get("host") or "")
            since = float(info.get("epoch") or mtime)
        except (ValueError, KeyError, TypeError):
            # Writers fill the file under the guard, so unreadable content means the
            # writer died between creating and filling it.
            log.warning("removing unreadable lock file %s (left by a killed run)", path)
            path.unlink(missing_ok=True)
            return
        age = time.time() - since
        when = info.get("time") or "?"
        same_host = host == socket.gethostname()
        start = info.get("start")
        if same_host and not _pid_alive(pid):
            why = f"pid {pid} is gone"
        elif same_host and start is not None and _proc_start(pid) not in (None, start):
            why = f"pid {pid} now belongs to another process"
        elif age > self.stale_after:
            why = f"it is {age / 3600:.1f} h old"
        else:
            where = "" if same_host else f" on host {host}"
            raise LockError(
                f"another errwatch run (pid {pid}{where}, since {when}) holds {path}; "
                "wait for it to finish, or delete the file if that run is gone"
            )
        log.warning("recovering stale lock %s left by pid %s on %s at %s: %s",
                    path, pid, host or "?", when, why)
        path.unlink(missing_ok=True)

    def _release(self, token: str) -> None:
        path = self.lock_path
        try:
            info = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            log.warning("lock %s vanished while this run held it", path)
            return
        except ValueError:
            info = {}
        if info.get("token") == token:
            path.unlink(missing_ok=True)
        else:
            log.warning("lock %s was taken over by another run (pid %s); leaving it",
                        path, info.get("pid"))

    def cleanup_tmp(self) -> list[Path]:
        """Remove work folders and object temp files of killed runs (needs the lock)."""
        if self._held is None:
            raise StoreError("cleanup_tmp() must run while holding the snapshot lock")
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for entry in os.scandir(self.root):
            if entry.name.startswith(TMP_PREFIX):
                p = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed.append(p)
        if self.objects_dir.is_dir():
            for sub in os.scandir(self.objects_dir):
                if not sub.is_dir(follow_symlinks=False):
                    continue
                for entry in os.scandir(sub.path):
                    if entry.name.startswith(TMP_PREFIX):
                        Path(entry.path).unlink(missing_ok=True)
                        removed.append(Path(entry.path))
        if removed:
            log.warning("removed %d leftover(s) of interrupted runs: %s", len(removed),
                        ", ".join(p.name for p in removed[:5]))
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
        """Complete snapshots in time order (work folders, objects/, strays ignored)."""
        if not self.root.is_dir():
            return []
        ids = []
        for entry in os.scandir(self.root):
            if not ID_RE.match(entry.name) or not entry.is_dir():
                continue
            folder = Path(entry.path)
            if (entry.name in self._manifests or (folder / MANIFEST).is_file()
                    or (folder / PLAIN_MANIFEST).is_file()):
                ids.append(entry.name)
        ids.sort(key=id_sort_key)
        return ids

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
                "pages": entries,
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
            self._write_file(tmp / MANIFEST, gzip.compress(text.encode("utf-8"), 9, mtime=0))
            self._fsync_dir(tmp)
            os.rename(tmp, final)
            self._fsync_dir(self.root)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot write snapshot {snapshot_id} in {self.root}: {exc}") from exc
            raise
        self._remember(snapshot_id, manifest)
        return final

    def _write_entry(
        self, tmp: Path, o: PageOutcome, snapshot_id: str, baseline: str | None
    ) -> dict[str, Any]:
        hashes: dict[str, str | None] = {"html": None, "markdown": None, "records": None}
        count: int | None = None
        status, reason = o.status, o.reason
        if o.raw_html is not None:
            hashes["html"] = self.put_object(gzip.compress(o.raw_html, 9, mtime=0))
        if o.markdown is not None:
            hashes["markdown"] = self.put_object(o.markdown.encode("utf-8"))
        if o.records is not None:
            hashes["records"] = self.put_object(records_json(o.records))
            count = code_count(o.records)
        if status == "not_modified" and hashes["records"] is None:
            source = self._content_source(o.page, o.locale, baseline, snapshot_id)
            if source is None:
                status = "failed"
                reason = "not modified (HTTP 304) but no earlier good snapshot holds this page"
                log.warning("%s/%s: %s", o.page, o.locale, reason)
            else:
                hashes["html"] = hashes["html"] or source.html_hash
                hashes["markdown"] = hashes["markdown"] or source.markdown_hash
                hashes["records"] = source.records_hash
                count = source.record_count
        for kind, digest in hashes.items():
            if digest is not None:
                self._link(digest, tmp / f"{o.page}.{o.locale}{_KINDS[kind]}")
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
            if entry is not None and _is_good(entry):
                return self._baseline(baseline, entry)
        if self._ids_for_write is None:  # list the store once per write, not per page
            self._ids_for_write = self.snapshot_ids()
        return self._newest_good(page, locale, self._ids_for_write, before)

    def put_object(self, data: bytes) -> str:
        """Store ``data`` once under its sha256 and return the hash."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._object_path(digest)
        try:
            if path.stat().st_size == len(data):
                return digest
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_file(path, data, read_only=True)
        return digest

    def _write_file(self, path: Path, data: bytes, *, read_only: bool = False) -> None:
        """Write via a temp file in the same folder + ``os.replace``: whole or absent."""
        self._seq += 1
        tmp = path.parent / f"{TMP_PREFIX}{path.name[:16]}-{os.getpid()}-{self._seq}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self.durable:
                    os.fsync(fh.fileno())
            if read_only:  # objects are shared by hard links: guard against edits in place
                os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if read_only:
            self._fsync_dir(path.parent)

    def _link(self, digest: str, dest: Path) -> None:
        """Hard-link an object into a snapshot folder; copy where links are refused."""
        src = self._object_path(digest)
        if not src.is_file():
            raise StoreError(f"object {digest} is missing from {self.objects_dir}")
        try:
            os.link(src, dest)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise
            log.debug("hard link %s -> %s failed (%s); copying", src, dest, exc)
            shutil.copyfile(src, dest)
            if self.durable:
                with open(dest, "rb") as fh:
                    os.fsync(fh.fileno())

    def _fsync_dir(self, path: Path) -> None:
        if not self.durable:
            return
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _object_path(self, digest: str) -> Path:
        if not _HASH_RE.match(digest):
            raise StoreError(f"{digest!r} is not a sha256 object name")
        return self.objects_dir / digest[:2] / digest[2:]

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
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise StoreError(f"snapshot {snapshot_id}: cannot read {path}: {exc}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"snapshot {snapshot_id}: {path} is not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("pages"), list) or not all(
            isinstance(e, dict) and "page" in e and "locale" in e for e in data["pages"]
        ):
            raise StoreError(f"snapshot {snapshot_id}: {path} is not an errwatch manifest")
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
        return self._read_object(entry[kind], snapshot_id,
                                 self.root / snapshot_id / f"{page}.{locale}{_KINDS[kind]}")

    def _read_object(self, digest: str, snapshot_id: str, linked: Path | None = None) -> bytes:
        """Read by hash (snapshot's link first, then objects/) and check the hash."""
        for path in (linked, self._object_path(digest)):
            if path is None:
                continue
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"snapshot {snapshot_id}: cannot read {path}: {exc}") from exc
            if hashlib.sha256(data).hexdigest() != digest:
                raise StoreError(f"snapshot {snapshot_id}: {path} is corrupt (sha256 differs "
                                 f"from the manifest's {digest[:12]}…)")
            return data
        raise StoreError(f"snapshot {snapshot_id}: object {digest[:12]}… is missing")

    def records(self, snapshot_id: str, page: str, locale: str) -> tuple[Record, ...] | None:
        """A page's records in that snapshot; None if it has none (not crawled, failed)."""
        entry = self._entry(snapshot_id, page, locale)
        if entry is None or entry.get("records") is None:
            return None
        return self.load_records_object(entry["records"], snapshot_id)

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
            raise StoreError(f"snapshot {snapshot_id}: records {digest[:12]}… unreadable: {exc}") from exc
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
        self, page: str, locale: str, before: str | None = None
    ) -> BaselineEntry | None:
        """The newest snapshot (older than ``before``) whose entry for this page is good.

        Per page, not per run: a page that failed today keeps yesterday's baseline while
        the others move on.  Only manifests are read (and cached); corrupt ones are
        skipped with a warning.
        """
        return self._newest_good(page, locale, self.snapshot_ids(), before)

    def _newest_good(
        self, page: str, locale: str, ids: list[str], before: str | None
    ) -> BaselineEntry | None:
        limit = id_sort_key(before) if before is not None else None
        for snapshot_id in reversed(ids):
            if limit is not None and id_sort_key(snapshot_id) >= limit:
                continue
            try:
                entry = self._entry(snapshot_id, page, locale)
            except StoreError as exc:
                if snapshot_id not in self._bad:
                    self._bad.add(snapshot_id)
                    log.warning("skipping snapshot %s: %s", snapshot_id, exc)
                continue
            if entry is not None and _is_good(entry):
                return self._baseline(snapshot_id, entry)
        return None

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
            _store=self,
        )


def _is_good(entry: Mapping[str, Any]) -> bool:
    return entry.get("status") in GOOD_STATUSES and entry.get("records") is not None


def _proc_start(pid: int) -> int | None:
    """Start time of a process (clock ticks since boot, Linux), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    """Is ``pid`` a running process on this host?  Zombies count as dead."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        state = stat.rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True
