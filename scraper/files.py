"""Whole-or-absent file writes shared by the report, index, feed and notification stages.

A file is written beside its target under a temporary name and renamed over it, so a
reader (nginx, a browser, the next run) never sees half a file. The temporary file is
created with ``os.open(..., 0o666)``, so the kernel applies the process umask exactly as
for any other file: 0644 under the usual 022, readable by a web server whose workers run
as another user. (``tempfile.mkstemp`` would create 0600 files, which nginx answers 403.)

The temporary name is ``.<target name>.<pid>.<random>.tmp``. A write killed between the
create and the rename leaves that file behind; :func:`clean_stale_temps` removes such
leftovers at the start of the next run, skipping those of a process that is still alive.

:func:`describe_os_error` turns an ``OSError`` into one line that says what errwatch was
doing and on which path, for the CLI's error line; :func:`doing` attaches that context.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write_bytes",
    "atomic_write_text",
    "clean_stale_temps",
    "describe_os_error",
    "doing",
    "is_temp_name",
]

TEMP_SUFFIX = ".tmp"
# .<target>.<pid>.<token>.tmp (this module) or .<target>.<8 chars>.tmp (tempfile.mkstemp
# names of errwatch 0.1.0, which had no pid).
_TEMP_NAME = re.compile(r"^\.(?P<target>.+?)\.(?:(?P<pid>[0-9]+)\.[0-9a-f]{12}|[a-z0-9_]{8})\.tmp$")
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}")


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (temp file + rename), honouring the umask.

    With ``fsync`` the data is flushed to disk before the rename (state that must survive
    a power cut); reports do without it. The parent folder is created if needed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = _temp_path(path)
        try:
            # 0o666 & ~umask, like open(path, "w"): the kernel applies the umask.
            fd = os.open(tmp, _CREATE_FLAGS, 0o666)
        except FileExistsError:  # pragma: no cover - a 48-bit token collided
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, fsync: bool = False) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; see atomic_write_bytes."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def is_temp_name(name: str) -> bool:
    """True for the names atomic writes use for their temporary files."""
    return _TEMP_NAME.match(name) is not None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        # Called at the start of a run, when this process has no write in flight: a temp
        # file with our pid is from an earlier process that had the same pid (a container
        # restarted as pid 7 again, say).
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    except (OverflowError, OSError):
        return False
    return True


def _stale_in(folder: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = match.group("pid")
        if pid is not None and _pid_alive(int(pid)):
            continue  # another errwatch is writing it right now
        yield Path(entry.path)


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove temp files left by killed atomic writes in ``folder`` and its subfolders.

    Looks in ``folder`` itself and one level down (``reports/<id>/``, ``reports/feeds/``),
    only at regular files named like the temp files of :func:`atomic_write_bytes`
    (``.report.html.<pid>.<token>.tmp``, ``.index.html.<pid>.<token>.tmp``, and the
    ``mkstemp`` names of errwatch 0.1.0). A temp file whose pid is a live process other
    than this one is left alone: that process is still writing it. Symbolic links and
    folders are never followed or removed. Returns the paths removed (sorted); a folder
    that does not exist gives ``[]``.
    """
    folder = Path(folder)
    found: list[Path] = list(_stale_in(folder))
    try:
        subfolders = [Path(e.path) for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        subfolders = []
    for sub in subfolders:
        found.extend(_stale_in(sub))
    removed: list[Path] = []
    for path in sorted(found):
        try:
            path.unlink()
        except FileNotFoundError:  # its writer renamed it meanwhile
            continue
        removed.append(path)
    return removed


# --- one line for an OSError ---------------------------------------------------------

_REASONS = {
    errno.EEXIST: "it exists and is not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many levels of symbolic links",
}


@contextmanager
def doing(what: str, path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Attach what errwatch was doing (and on which path) to an OSError raised inside.

    ``with doing("writing the reports", reports_dir): ...``. The innermost context wins;
    :func:`describe_os_error` uses it. The exception propagates unchanged otherwise.
    """
    try:
        yield
    except OSError as exc:
        if getattr(exc, "errwatch_doing", None) is None:
            exc.errwatch_doing = (what, None if path is None else os.fspath(path))  # type: ignore[attr-defined]
        raise


def _within(path: str, folder: str) -> bool:
    p, f = os.path.abspath(path), os.path.abspath(folder)
    return p == f or p.startswith(f.rstrip(os.sep) + os.sep)


def describe_os_error(
    exc: OSError,
    fallback: str | None = None,
    *,
    roles: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> str:
    """One line: what errwatch was doing, on which path, and why it failed.

    ``while using the snapshot folder: /etc/passwd: it exists and is not a folder``.
    The activity comes from a :func:`doing` context if one was attached; else from
    ``roles`` (``{"using the snapshot folder": "snapshots"}``: the first folder that holds
    the failing path names the activity); else from ``fallback``.
    """
    context = getattr(exc, "errwatch_doing", None)
    what, where = context if context is not None else (None, None)
    filename = exc.filename if exc.filename is not None else where
    path = os.fsdecode(filename) if isinstance(filename, (str, bytes, os.PathLike)) else None
    if what is None and path is not None:
        for role, folder in (roles or {}).items():
            if folder is not None and _within(path, os.fspath(folder)):
                what = role
                break
    what = what or fallback
    reason = _REASONS.get(exc.errno or -1) or (exc.strerror or str(exc) or type(exc).__name__)
    reason = reason[0].lower() + reason[1:]
    head = f"while {what}" if what else "file system error"
    if path and where and os.path.normpath(where) != os.path.normpath(path):
        head += f" in {where}"
    line = f"{head}: {path}: {reason}" if path else f"{head}: {reason}"
    if exc.filename2 is not None:
        line += f" (and {os.fsdecode(exc.filename2)})"
    return " ".join(line.split())
