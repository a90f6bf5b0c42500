"""The snapshot lock: one writer per store, a heartbeat, and no takeover of a live run.

``<root>/.lock`` is created with O_EXCL and names pid, host, process start and a token.
While a run holds it, a daemon thread touches the file every ``heartbeat`` seconds (its
mtime is the heartbeat), so another run can tell a working holder from a dead one:

- same host, holder's pid gone (or reused by another process): taken over;
- same host, holder alive: never taken over, however old or quiet the lock is;
- another host (the pid cannot be checked): taken over only when the heartbeat is
  older than ``stale_after`` seconds (default 5 minutes); otherwise one line tells the
  user which file to delete once they are sure that run is gone.

Checks and takeovers happen under a short ``flock`` on the root folder, so two runs that
find the same stale lock cannot both take it.  A lock file that could not be written
whole (a full disk) is removed again, and every OS error names its path and operation.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scraper.errors import LockError, StoreError
from scraper.store.objects import os_error

log = logging.getLogger("scraper.store")

LOCK_NAME = ".lock"
DEFAULT_HEARTBEAT = 10.0  # seconds between two touches of the lock file
DEFAULT_STALE_AFTER = 300.0  # a heartbeat this old means the holder on another host died


class StoreLock:
    """``root/.lock`` for one run; ``acquire()`` then ``release()`` (or ``held()``)."""

    def __init__(
        self,
        root: Path,
        *,
        durable: bool = True,
        stale_after: float = DEFAULT_STALE_AFTER,
        heartbeat: float = DEFAULT_HEARTBEAT,
    ) -> None:
        self.root = root
        self.path = root / LOCK_NAME
        self.durable = durable
        self.stale_after = stale_after
        self.heartbeat = heartbeat
        self.token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ take / give back

    def acquire(self, token: str) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(os_error("create the snapshot folder", self.root, exc)) from exc
        with self.guard():
            self._create(token)
        self.token = token
        self._stop.clear()
        if self.heartbeat > 0:
            self._thread = threading.Thread(
                target=self._beat_loop, name="errwatch-lock-heartbeat", daemon=True
            )
            self._thread.start()

    def release(self) -> None:
        token, self.token = self.token, None
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if token is None:
            return
        with self.guard():
            info = self._read()
            if info is None:
                log.warning("lock %s vanished while this run held it", self.path)
            elif info.get("token") == token:
                try:
                    self.path.unlink(missing_ok=True)
                except OSError as exc:
                    raise StoreError(os_error("remove the lock", self.path, exc)) from exc
            else:
                log.warning(
                    "lock %s was taken over by another run (pid %s); leaving it",
                    self.path,
                    info.get("pid"),
                )

    @contextmanager
    def guard(self) -> Iterator[None]:
        """A short exclusive flock on the root folder around lock-file checks."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        try:
            fd = os.open(self.root, os.O_RDONLY)
        except OSError as exc:
            raise StoreError(os_error("open the snapshot folder", self.root, exc)) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # file systems without flock: the O_EXCL file still works
                pass
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _create(self, token: str) -> None:
        now = time.time()
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
            "epoch": now,
            "start": proc_start(os.getpid()),  # tells a reused pid from the holder
            "heartbeat": self.heartbeat,  # the file's mtime is refreshed this often
            "token": token,
        }
        data = (json.dumps(info) + "\n").encode()
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._check_existing()
                continue
            except OSError as exc:
                raise StoreError(os_error("create the lock", self.path, exc)) from exc
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                if self.durable:
                    os.fsync(fd)
            except BaseException as exc:
                os.close(fd)
                # half a lock file reads as "a killed run" to the next one: remove it
                self.path.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise StoreError(os_error("write the lock", self.path, exc)) from exc
                raise
            try:
                os.close(fd)
            except OSError as exc:
                self.path.unlink(missing_ok=True)
                raise StoreError(os_error("write the lock", self.path, exc)) from exc
            return
        raise LockError(f"could not take {self.path}: it keeps reappearing")

    def _read(self) -> dict[str, object] | None:
        """The lock file's content; None if it is gone; {} if it is unreadable."""
        try:
            raw = self.path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(os_error("read the lock", self.path, exc)) from exc
        try:
            info = json.loads(raw)
        except ValueError:
            return {}
        return info if isinstance(info, dict) else {}

    def _check_existing(self) -> None:
        """Raise LockError for a live holder; remove a dead one's lock (with a warning)."""
        path = self.path
        info = self._read()
        if info is None:
            return  # released meanwhile: try again
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(os_error("read the lock", path, exc)) from exc
        try:
            pid = int(info["pid"])  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            # Writers fill the file under the guard and remove it if they cannot, so
            # unreadable content means the writer died between creating and filling it.
            log.warning(
                "removing unreadable lock file %s (its writer died before filling it)", path
            )
            _unlink(path)
            return
        host = str(info.get("host") or "")
        when = str(info.get("time") or "?")
        quiet = time.time() - mtime  # seconds since the holder's last heartbeat
        every = info.get("heartbeat")
        beats = isinstance(every, (int, float)) and not isinstance(every, bool) and every > 0
        same_host = host == socket.gethostname()
        start = info.get("start")
        if same_host and not pid_alive(pid):
            why = f"pid {pid} is gone"
        elif same_host and start is not None and proc_start(pid) not in (None, start):
            why = f"pid {pid} now belongs to another process"
        elif not same_host and beats and quiet > self.stale_after:
            why = f"no heartbeat for {_ago(quiet)} (more than {_ago(self.stale_after)})"
        elif same_host:
            stuck = (
                f"; its heartbeat stopped {_ago(quiet)} ago, so it may be hung: "
                f"stop pid {pid} if it is"
                if beats and quiet > self.stale_after
                else ""
            )
            raise LockError(
                f"another errwatch run (pid {pid}, since {when}) holds {path}; "
                f"wait for it to finish{stuck}"
            )
        else:
            beat = f", last heartbeat {_ago(quiet)} ago" if beats else ""
            raise LockError(
                f"another errwatch run (pid {pid} on host {host or '?'}, since {when}{beat}) "
                f"holds {path}; only if you are sure that run is gone, delete {path}"
            )
        log.warning(
            "recovering stale lock %s left by pid %s on %s at %s: %s",
            path,
            pid,
            host or "?",
            when,
            why,
        )
        _unlink(path)

    # ------------------------------------------------------------------ heartbeat

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat):
            if not self.beat():
                return

    def beat(self) -> bool:
        """Refresh the heartbeat (the lock file's mtime) if the lock is still ours."""
        token = self.token
        if token is None:
            return False
        try:
            with self.guard():
                info = self._read()
                if info is None or info.get("token") != token:
                    log.warning("lock %s is no longer this run's; heartbeat stopped", self.path)
                    return False
                os.utime(self.path)
        except (OSError, StoreError) as exc:  # keep trying: the disk may come back
            log.warning("cannot refresh the heartbeat of %s: %s", self.path, exc)
        return True


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(os_error("remove the stale lock", path, exc)) from exc


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def proc_start(pid: int) -> int | None:
    """Start time of a process (clock ticks since boot, Linux), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
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
