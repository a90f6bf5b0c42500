"""Content-addressed objects: ``<root>/objects/<sha256[:2]>/<sha256[2:]>``, each stored once.

Objects are written whole or not at all (temp file + ``os.replace``), made read-only
(0444: they are hard-linked into every snapshot that uses them) and never trusted
blindly: an existing object is hashed before a write relies on it (a corrupt one is
rewritten from the fresh content), and every read checks the hash, objects/ first, so
rewriting an object heals every snapshot that refers to it.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

from scraper.errors import StoreError

log = logging.getLogger("scraper.store")

OBJECTS = "objects"
TMP_PREFIX = ".tmp-"
HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def os_error(what: str, path: Path, exc: OSError) -> str:
    """One line naming the operation, the path and the reason, the way the CLI words OS
    errors (no errno number): ``cannot write the lock: s/.lock: no space left on device``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot {what}: {path}: {reason[:1].lower()}{reason[1:]}"


class ObjectsMixin:
    """The object half of SnapshotStore (which provides ``root`` and ``durable``)."""

    root: Path
    durable: bool
    _seq: int
    _checked: dict[str, bool]  # object hash -> its file in objects/ is whole

    @property
    def objects_dir(self) -> Path:
        return self.root / OBJECTS

    def put_object(self, data: bytes) -> str:
        """Store ``data`` once under its sha256 and return the hash."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._object_path(digest)
        if self._checked.get(digest):
            return digest
        state = self._object_state(digest)
        if state != "ok":
            if state == "corrupt":
                log.warning(
                    "object %s in %s is corrupt; rewriting it from fresh content",
                    digest[:12],
                    self.objects_dir,
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._write_file(path, data, read_only=True)
            except OSError as exc:
                raise StoreError(os_error("write object", path, exc)) from exc
        self._checked[digest] = True
        return digest

    def _object_state(self, digest: str) -> str:
        """``ok``, ``missing`` or ``corrupt`` (unreadable or wrong hash) for objects/<hash>."""
        path = self._object_path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "corrupt"
        return "ok" if hashlib.sha256(data).hexdigest() == digest else "corrupt"

    def object_ok(self, digest: str) -> bool:
        """Is the object whole (its sha256 matches)?  Checked once per store object;
        a bad one is reported with one warning."""
        known = self._checked.get(digest)
        if known is not None:
            return known
        state = self._object_state(digest)
        good = state == "ok"
        self._checked[digest] = good
        if not good:
            log.warning(
                "object %s is %s in %s; entries that use it are skipped (errwatch verify --repair)",
                digest[:12],
                state,
                self.objects_dir,
            )
        return good

    def _write_file(
        self, path: Path, data: bytes, *, read_only: bool = False, tmp_dir: Path | None = None
    ) -> None:
        """Write via a temp file in the same folder + ``os.replace``: whole or absent."""
        self._seq += 1
        name = path.name.lstrip(".")[:16]
        tmp = (tmp_dir or path.parent) / f"{TMP_PREFIX}{name}-{os.getpid()}-{self._seq}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                if self.durable:
                    os.fsync(fh.fileno())
            if read_only:  # objects are shared by hard links: guard against edits in place
                os.chmod(tmp, 0o444)
            os.replace(tmp, path)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError) and not exc.filename:  # fh.write: no path in it
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
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
            if exc.errno in (errno.EEXIST, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
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
        if not HASH_RE.match(digest):
            raise StoreError(f"{digest!r} is not a sha256 object name")
        return self.objects_dir / digest[:2] / digest[2:]

    def _read_object(self, digest: str, snapshot_id: str, linked: Path | None = None) -> bytes:
        """Read by hash and check it: objects/ first (a rewritten object heals every
        snapshot that uses it), then the snapshot's own link or copy."""
        problem: str | None = None
        for path in (self._object_path(digest), linked):
            if path is None:
                continue
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                problem = problem or os_error("read", path, exc)
                continue
            if hashlib.sha256(data).hexdigest() == digest:
                return data
            problem = problem or (
                f"{path} is corrupt (sha256 differs from the manifest's {digest[:12]}…)"
            )
        raise StoreError(
            f"snapshot {snapshot_id}: {problem or f'object {digest[:12]}… is missing'}"
        )

    def _clean_object_temps(self) -> list[Path]:
        """Temp files of killed object writes (``objects/*/.tmp-*``, ``objects/.tmp-*``)."""
        removed: list[Path] = []
        try:
            tops = list(os.scandir(self.objects_dir))
        except FileNotFoundError:
            return removed
        except OSError as exc:
            raise StoreError(os_error("list", self.objects_dir, exc)) from exc
        for top in tops:
            if top.name.startswith(TMP_PREFIX):
                removed.append(_remove(Path(top.path)))
            elif top.is_dir(follow_symlinks=False):
                for entry in os.scandir(top.path):
                    if entry.name.startswith(TMP_PREFIX):
                        removed.append(_remove(Path(entry.path)))
        return removed


def _remove(path: Path) -> Path:
    """Remove a file or a folder of a killed run; an error names the path."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(os_error("remove the leftover", path, exc)) from exc
    return path
