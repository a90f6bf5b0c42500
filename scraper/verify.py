"""``errwatch verify [--repair]``: check every manifest and object of a snapshot store.

What is checked, and what ``--repair`` does about it (under the snapshot lock):

    manifest   unreadable (junk, truncated, wrong shape) or missing: the folder is moved to
               ``<root>/.broken/<id>``, out of the baselines (kept for inspection)
    object     ``objects/<hash>`` missing or not matching its hash: rewritten from a good
               copy of the same hash (a snapshot's file that is a copy, not a link); with
               no good copy, the entries that use it are dropped (below) and the bad file
               removed, so the next fetch of that content stores it afresh
    entry      a page entry whose object has no good copy anywhere: a records object makes
               the entry ``failed`` (the page falls back to its previous good state); an
               html/markdown object is taken out of the entry
    link       a snapshot's file missing or not matching its hash: re-linked from the
               (good) object
    leftover   a temp file or work folder of a killed run: removed

Findings are values (frozen dataclasses); ``VerifyResult.exit_code`` is 0 when the store is
clean (or, after ``--repair``, when everything found was repaired), else 1.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scraper.errors import StoreError
from scraper.store import (
    BROKEN,
    HASH_RE,
    ID_RE,
    KINDS,
    LOCK_NAME,
    MANIFEST,
    OBJECTS,
    PLAIN_MANIFEST,
    TMP_PREFIX,
    SnapshotStore,
    id_sort_key,
    os_error,
)

log = logging.getLogger("scraper.verify")

FINDING_KINDS: tuple[str, ...] = ("manifest", "object", "entry", "link", "leftover")


@dataclass(frozen=True)
class Finding:
    """One thing wrong in the store (``path`` is relative to the store root)."""

    kind: str
    path: str
    problem: str
    snapshot: str | None = None
    repaired: bool = False
    action: str | None = None  # what --repair did, would do, or why it could not

    def line(self) -> str:
        """One line of safe text: ``<kind> <path>: <problem>[; [repaired: ]<action>]``."""
        text = f"{self.kind} {self.path}: {self.problem}"
        if self.action:
            text += f"; {'repaired: ' if self.repaired else ''}{self.action}"
        return safe_text(text)


@dataclass(frozen=True)
class VerifyResult:
    root: str
    snapshots: int  # snapshot folders looked at
    objects: int  # object files hashed
    repair: bool
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def unrepaired(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.repaired)

    @property
    def exit_code(self) -> int:
        return 1 if self.unrepaired else 0

    def summary(self) -> str:
        head = f"{self.snapshots} snapshot(s), {self.objects} object(s) checked in {self.root}"
        if not self.findings:
            return safe_text(f"{head}: the store is clean")
        done = len(self.findings) - len(self.unrepaired)
        fixed = (
            f", {done} repaired" if self.repair else " (errwatch verify --repair fixes what it can)"
        )
        return safe_text(f"{head}: {len(self.findings)} problem(s){fixed}")

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "tool": "errwatch",
            "root": self.root,
            "snapshots": self.snapshots,
            "objects": self.objects,
            "repair": self.repair,
            "ok": self.exit_code == 0,
            "findings": [asdict(f) for f in self.findings],
        }
        return json.dumps(data, ensure_ascii=False, indent=2)


def safe_text(text: str) -> str:
    """No control or format characters in a printed line (paths can hold anything)."""
    return "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
        for c in text
    )


def verify(
    root: str | os.PathLike[str], *, repair: bool = False, durable: bool = True
) -> VerifyResult:
    """Check (and with ``repair``, fix) the snapshot store at ``root``."""
    path = Path(root)
    if not path.is_dir():
        raise StoreError(f"no snapshot folder at {path}")
    store = SnapshotStore(path, durable=durable)
    if not repair:
        return _Verifier(store, repair=False).run()
    litter = list(_temps(path))
    with store.lock():  # taking the lock removes the leftovers of killed runs
        checker = _Verifier(store, repair=True)
        for p in litter:
            if not p.exists():
                checker.add("leftover", p, "left by a killed run", None, True, "removed")
        return checker.run()


@dataclass
class _Use:
    """One reference to an object: a snapshot's entry and its file."""

    snapshot: str
    page: str
    locale: str
    kind: str
    file: Path


class _Verifier:
    def __init__(self, store: SnapshotStore, *, repair: bool) -> None:
        self.store = store
        self.root = store.root
        self.repair = repair
        self.findings: list[Finding] = []
        self.hashed = 0
        self._state: dict[Path, str] = {}

    # ------------------------------------------------------------------ helpers

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def add(
        self,
        kind: str,
        path: Path,
        problem: str,
        snapshot: str | None = None,
        repaired: bool = False,
        action: str | None = None,
    ) -> None:
        self.findings.append(Finding(kind, self.rel(path), problem, snapshot, repaired, action))

    def state(self, path: Path, digest: str) -> str:
        """``ok``, ``missing`` or ``corrupt`` (hash differs or unreadable), memoised."""
        known = self._state.get(path)
        if known is not None:
            return known
        try:
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            self.hashed += 1
            result = "ok" if h.hexdigest() == digest else "corrupt"
        except FileNotFoundError:
            result = "missing"
        except OSError:
            result = "corrupt"
        self._state[path] = result
        return result

    def object_path(self, digest: str) -> Path:
        return self.root / OBJECTS / digest[:2] / digest[2:]

    # ------------------------------------------------------------------ the checks

    def run(self) -> VerifyResult:
        self.leftovers()
        ids, uses = self.manifests()
        self.objects(uses)
        self.unreferenced({d for d in uses})
        return VerifyResult(
            str(self.root), len(ids), self.hashed, self.repair, tuple(self.findings)
        )

    def leftovers(self) -> None:
        if self.repair:
            return  # the lock just removed them (see verify())
        if (self.root / LOCK_NAME).exists():
            return  # a run may be writing right now: its temp files are not litter
        for p in _temps(self.root):
            self.add("leftover", p, "left by a killed run", None, False, "--repair removes it")

    def manifests(self) -> tuple[list[str], dict[str, list[_Use]]]:
        uses: dict[str, list[_Use]] = {}
        ids = sorted(
            (
                e.name
                for e in os.scandir(self.root)
                if ID_RE.match(e.name) and e.is_dir(follow_symlinks=False)
            ),
            key=id_sort_key,
        )
        for sid in ids:
            folder = self.root / sid
            if not ((folder / MANIFEST).exists() or (folder / PLAIN_MANIFEST).exists()):
                problem = "snapshot folder without a manifest"
            else:
                try:
                    manifest = self.store.manifest(sid)
                except StoreError as exc:
                    problem = (
                        str(exc).replace(f"snapshot {sid}: ", "").replace(str(folder) + os.sep, "")
                    )
                else:
                    for e in manifest["pages"]:
                        for kind, ext in KINDS.items():
                            digest = e.get(kind)
                            if digest is not None:
                                uses.setdefault(digest, []).append(
                                    _Use(
                                        sid,
                                        e["page"],
                                        e["locale"],
                                        kind,
                                        folder / f"{e['page']}.{e['locale']}{ext}",
                                    )
                                )
                    continue
            self.broken_snapshot(sid, problem)
        return ids, uses

    def broken_snapshot(self, sid: str, problem: str) -> None:
        folder = self.root / sid
        if not self.repair:
            self.add(
                "manifest", folder, problem, sid, False, f"--repair moves it to {BROKEN}/{sid}"
            )
            return
        dest = self.root / BROKEN / sid
        n = 1
        while dest.exists():
            n += 1
            dest = self.root / BROKEN / f"{sid}.{n}"
        try:
            dest.parent.mkdir(exist_ok=True)
            os.rename(folder, dest)
        except OSError as exc:
            self.add(
                "manifest",
                folder,
                problem,
                sid,
                False,
                "not repaired: " + os_error("move", folder, exc),
            )
            return
        self.add(
            "manifest",
            folder,
            problem,
            sid,
            True,
            f"moved to {self.rel(dest)}, out of the baselines",
        )

    def objects(self, uses: dict[str, list[_Use]]) -> None:
        dropped: dict[str, list[_Use]] = {}
        for digest in sorted(uses):
            obj = self.object_path(digest)
            state = self.state(obj, digest)
            if state == "ok":
                continue
            good = next(
                (
                    u.file
                    for u in uses[digest]
                    if not _same_file(u.file, obj) and self.state(u.file, digest) == "ok"
                ),
                None,
            )
            problem = f"object {digest[:12]}… is {state}"
            if good is not None:
                if not self.repair:
                    self.add(
                        "object",
                        obj,
                        problem,
                        None,
                        False,
                        f"--repair rewrites it from the good copy {self.rel(good)}",
                    )
                    continue
                try:
                    data = good.read_bytes()
                    obj.parent.mkdir(parents=True, exist_ok=True)
                    self.store._write_file(obj, data, read_only=True, tmp_dir=self.root)
                except OSError as exc:
                    self.add(
                        "object",
                        obj,
                        problem,
                        None,
                        False,
                        "not repaired: " + os_error("write", obj, exc),
                    )
                    continue
                self._state[obj] = "ok"
                self.add("object", obj, problem, None, True, f"rewritten from {self.rel(good)}")
            else:
                dropped[digest] = uses[digest]
                self.no_good_copy(digest, obj, state, uses[digest])
        for digest in sorted(uses):
            if digest in dropped:
                continue
            obj = self.object_path(digest)
            for use in uses[digest]:
                self.link(use, digest, obj)

    def no_good_copy(self, digest: str, obj: Path, state: str, users: list[_Use]) -> None:
        problem = f"object {digest[:12]}… is {state} and no good copy exists"
        if not self.repair:
            self.add(
                "object",
                obj,
                problem,
                None,
                False,
                f"--repair drops the {_entries(len(users))} that use it and removes it",
            )
            for use in users:
                self.add(
                    "entry",
                    use.file,
                    _entry_problem(use, digest, state),
                    use.snapshot,
                    False,
                    "--repair marks it failed"
                    if use.kind == "records"
                    else f"--repair takes the {use.kind} out of it",
                )
            return
        ok = True
        by_snapshot: dict[str, list[_Use]] = {}
        for use in users:
            by_snapshot.setdefault(use.snapshot, []).append(use)
        for sid, group in sorted(by_snapshot.items(), key=lambda kv: id_sort_key(kv[0])):
            try:
                self.drop_entries(sid, digest, group)
            except (OSError, StoreError) as exc:
                ok = False
                for use in group:
                    self.add(
                        "entry",
                        use.file,
                        _entry_problem(use, digest, state),
                        sid,
                        False,
                        f"not repaired: {exc}",
                    )
                continue
            for use in group:
                what = (
                    "entry marked failed: the page falls back to its previous good state"
                    if use.kind == "records"
                    else f"{use.kind} taken out of the entry"
                )
                self.add(
                    "entry",
                    use.file,
                    _entry_problem(use, digest, state),
                    sid,
                    True,
                    what,
                )
        if ok:
            self.remove_object(
                obj, problem, "removed; the next fetch of that content stores it afresh"
            )
        else:
            self.add(
                "object",
                obj,
                problem,
                None,
                False,
                "not repaired: its entries could not be dropped",
            )

    def drop_entries(self, sid: str, digest: str, group: list[_Use]) -> None:
        """Rewrite one manifest without the bad object (atomically)."""
        manifest = self.store.manifest(sid)
        for e in manifest["pages"]:
            for kind in KINDS:
                if e.get(kind) != digest:
                    continue
                e[kind] = None
                if kind == "records":
                    e["status"] = "failed"
                    e["record_count"] = None
                    e["reason"] = (
                        f"stored records object {digest[:12]}… was corrupt; "
                        "dropped by errwatch verify --repair"
                    )
        folder = self.root / sid
        text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
        target = folder / MANIFEST
        self.store._write_file(
            target, gzip.compress(text.encode("utf-8"), 9, mtime=0), tmp_dir=self.root
        )
        if (folder / PLAIN_MANIFEST).exists():
            (folder / PLAIN_MANIFEST).unlink()
        for use in group:
            use.file.unlink(missing_ok=True)
        self.store._manifests.pop(sid, None)
        self.store._index.pop(sid, None)

    def link(self, use: _Use, digest: str, obj: Path) -> None:
        if _same_file(use.file, obj):
            return  # the object itself, checked above
        state = self.state(use.file, digest)
        if state == "ok":
            return
        problem = f"{use.page}/{use.locale} {use.kind} file is {state}"
        if not self.repair:
            self.add(
                "link",
                use.file,
                problem,
                use.snapshot,
                False,
                f"--repair re-links it from object {digest[:12]}…",
            )
            return
        self.store._seq += 1
        tmp = self.root / f"{TMP_PREFIX}relink-{os.getpid()}-{self.store._seq}"
        try:
            try:
                os.link(obj, tmp)
            except OSError:
                shutil.copyfile(obj, tmp)
            os.replace(tmp, use.file)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            self.add(
                "link",
                use.file,
                problem,
                use.snapshot,
                False,
                "not repaired: " + os_error("re-link", use.file, exc),
            )
            return
        self._state[use.file] = "ok"
        self.add(
            "link", use.file, problem, use.snapshot, True, f"re-linked from object {digest[:12]}…"
        )

    def unreferenced(self, used: set[str]) -> None:
        """Objects no manifest uses: only a corrupt one is a finding (removed on repair)."""
        for obj in _object_files(self.root / OBJECTS):
            digest = obj.parent.name + obj.name
            if digest in used or not HASH_RE.match(digest):
                continue
            state = self.state(obj, digest)
            if state == "ok":
                continue
            problem = f"unused object {digest[:12]}… is {state}"
            if not self.repair:
                self.add("object", obj, problem, None, False, "--repair removes it")
                continue
            self.remove_object(obj, problem, "removed")

    def remove_object(self, obj: Path, problem: str, done: str) -> None:
        """Remove a bad object file (repair) and record how that went."""
        try:
            obj.unlink(missing_ok=True)
        except OSError as exc:
            self.add(
                "object", obj, problem, None, False, "not repaired: " + os_error("remove", obj, exc)
            )
            return
        self.add("object", obj, problem, None, True, done)


def _entry_problem(use: _Use, digest: str, state: str) -> str:
    """The finding of one manifest entry whose object is bad."""
    return f"{use.page}/{use.locale} {use.kind} object {digest[:12]}… is {state}"


def _entries(n: int) -> str:
    return "1 entry" if n == 1 else f"{n} entries"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _object_files(objects: Path) -> Iterator[Path]:
    try:
        tops = sorted(os.scandir(objects), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for top in tops:
        if not top.is_dir(follow_symlinks=False) or top.name.startswith(TMP_PREFIX):
            continue
        for entry in sorted(os.scandir(top.path), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith(TMP_PREFIX):
                yield Path(entry.path)


def _temps(root: Path) -> Iterator[Path]:
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith(TMP_PREFIX):
            yield Path(entry.path)
    objects = root / OBJECTS
    if objects.is_dir():
        for top in sorted(os.scandir(objects), key=lambda e: e.name):
            if top.name.startswith(TMP_PREFIX):
                yield Path(top.path)
            elif top.is_dir(follow_symlinks=False):
                for entry in sorted(os.scandir(top.path), key=lambda e: e.name):
                    if entry.name.startswith(TMP_PREFIX):
                        yield Path(entry.path)
