"""Deterministic crash points for the kill tests (issue 10: "kills at each phase boundary").

``checkpoint(name)`` does nothing unless the environment variable ``ERRWATCH_KILL_AT``
names that phase; then the process SIGKILLs itself right there, exactly as a power cut or
``kill -9`` would.  Phases, in run order:

    lock      the snapshot lock has just been taken
    objects   every content object of the new snapshot is written, the folder is not
    snapshot  the snapshot folder has just been renamed into place (pending)
    report    the report files are written, the snapshot is not yet marked reported
    notify    notifications are sent (or queued), nothing after

``ERRWATCH_KILL_AT=objects:2`` kills at the second time the phase is reached (a run
that also reports a pending snapshot passes ``report`` twice).  Production runs never
set the variable; the check is one dict lookup.
"""

from __future__ import annotations

import os
import signal

PHASES: tuple[str, ...] = ("lock", "objects", "snapshot", "report", "notify")
_seen: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """SIGKILL this process if ``ERRWATCH_KILL_AT`` asks for a kill at ``name``."""
    wanted = os.environ.get("ERRWATCH_KILL_AT")
    if not wanted:
        return
    phase, _, nth = wanted.partition(":")
    if phase != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
