"""The snapshot store: ``SnapshotStore`` and the names other modules use.

    scraper.store.snapshots   snapshots, manifests, baselines, two phases (SnapshotStore)
    scraper.store.objects     content-addressed objects, checked on every read and write
    scraper.store.lock        the run lock with its heartbeat

See docs/ARCHITECTURE.md ("Snapshot layout", "The lock") for the layout and the rules.
"""

from __future__ import annotations

import os  # noqa: F401 - tests patch store.os.link to simulate file systems without links

from scraper.store.lock import (
    DEFAULT_HEARTBEAT,
    DEFAULT_STALE_AFTER,
    LOCK_NAME,
    StoreLock,
    pid_alive,
    proc_start,
)
from scraper.store.objects import HASH_RE, OBJECTS, TMP_PREFIX, ObjectsMixin, os_error
from scraper.store.snapshots import (
    BROKEN,
    ID_RE,
    KINDS,
    MANIFEST,
    PHASES,
    PLAIN_MANIFEST,
    REPORTED,
    BaselineEntry,
    SnapshotStore,
    id_sort_key,
    manifest_problem,
    records_json,
)

__all__ = [
    "BROKEN",
    "DEFAULT_HEARTBEAT",
    "DEFAULT_STALE_AFTER",
    "HASH_RE",
    "ID_RE",
    "KINDS",
    "LOCK_NAME",
    "MANIFEST",
    "OBJECTS",
    "PHASES",
    "PLAIN_MANIFEST",
    "REPORTED",
    "TMP_PREFIX",
    "BaselineEntry",
    "ObjectsMixin",
    "SnapshotStore",
    "StoreLock",
    "id_sort_key",
    "manifest_problem",
    "os_error",
    "pid_alive",
    "proc_start",
    "records_json",
]
