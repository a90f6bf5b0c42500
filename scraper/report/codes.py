"""reports/codes/<code>.html: one page per error code, its whole life in the stored history.

A code's timeline covers every page and locale: when it first appeared, every rename,
renumbering, removal, section move and message or description edit, each dated and
linked to the report of that run.  The events are the ones ``scraper.history.code_history``
gives (built on ``walk``, the one classifier): ``Timeline.feed`` applies the same rules as
``history.code_events`` to every code of a step at once, so all code pages come from ONE
walk over the store instead of one walk per code.

The walk is not repeated on every run: the timeline (events per code, plus per page and
locale the codes present and the last state fed) is cached in ``codes/.timeline.json``.
A run whose baselines are exactly the cached states only feeds its own steps (this run's
records and the changes already in its report, which come from the same diff_records with
the same config); anything else (no or foreign cache, other ``generic_names``, a backfill,
a baseline that is not the last state fed) rebuilds the timeline from one walk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from scraper.errors import StoreError
from scraper.files import atomic_write_text
from scraper.history import EVENT_KINDS
from scraper.models import GOOD_STATUSES, LOCALES, Change, Record
from scraper.report.build import LIVE_BASE_URL, id_order

__all__ = [
    "CODES_DIR",
    "TIMELINE_CACHE",
    "Timeline",
    "build_timeline",
    "render_code_page",
    "report_codes",
    "write_code_pages",
]

log = logging.getLogger("errwatch.report")

CODES_DIR = "codes"
CODE_PAGE_EVENTS = 1000  # a page shows the newest this many events (and says how many more)
TIMELINE_CACHE = ".timeline.json"
_CACHE_FORMAT = 1
_EVENT_DEFAULTS: dict[str, Any] = {
    "name": None,
    "section": None,
    "old_name": None,
    "new_name": None,
    "old_code": None,
    "new_code": None,
    "direction": None,
    "old_section": None,
    "new_section": None,
    "old_description": None,
    "new_description": None,
    "messages": (),
    "added_messages": (),
    "removed_messages": (),
}  # every field the code page reads, so a partial event never breaks the template


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


class Timeline:
    """Events of every code, fed one history step at a time (oldest first per page)."""

    def __init__(self, generic_names: Iterable[str] = ()) -> None:
        self.generic = sorted(set(generic_names))
        self.events: dict[int, list[dict[str, Any]]] = {}
        # events of codes not needed yet, still JSON text: loading the cache decodes only
        # the codes a run touches or renders, and saving re-encodes only those
        self._raw: dict[int, str] = {}
        # "page/locale" -> code -> [name, section] of its first record in the last state
        self.present: dict[str, dict[int, list[Any]]] = {}
        self.seen: dict[str, set[int]] = {}
        # "page/locale" -> [snapshot of the last state fed, its records hash]
        self.cursor: dict[str, list[Any]] = {}

    # ------------------------------------------------------------------ feeding

    def feed(
        self,
        page: str,
        locale: str,
        snapshot: str,
        previous: str | None,
        records: Sequence[Record],
        changes: Sequence[Change],
        records_hash: str | None = None,
    ) -> set[int]:
        """One step (a ``history.Step``'s fields); returns the codes that got events."""
        key = f"{page}/{locale}"
        old = self.present.get(key)
        now: dict[int, Record] = {}
        for r in records:
            if r.code is not None:
                now.setdefault(r.code, r)
        self.present[key] = {c: [r.name, r.section] for c, r in now.items()}
        self.cursor[key] = [snapshot, records_hash]
        seen = self.seen.setdefault(key, set())
        touched: set[int] = set()
        base = {"snapshot": snapshot, "previous": previous, "page": page, "locale": locale}

        def ev(code: int, kind: str, **fields: Any) -> None:
            self.of(code).append({**base, "code": code, "kind": kind, **fields})
            touched.add(code)

        if old is None:
            for code, rec in now.items():
                seen.add(code)
                ev(
                    code,
                    "first_seen",
                    name=rec.name,
                    section=rec.section,
                    messages=list(rec.messages),
                )
            return touched

        def appeared(code: int) -> None:
            rec = now.get(code)
            if rec is None or code in old:
                return
            ev(
                code,
                "re_added" if code in seen else "first_seen",
                name=rec.name,
                section=rec.section,
                messages=list(rec.messages),
            )
            seen.add(code)

        for c in changes:
            if c.kind == "renumbered" and c.new_code is not None and c.old_code is not None:
                appeared(c.new_code)
                ev(
                    c.new_code,
                    "renumbered",
                    name=c.name,
                    old_code=c.old_code,
                    new_code=c.new_code,
                    direction="moved_here",
                )
                ev(
                    c.old_code,
                    "renumbered",
                    name=c.name,
                    old_code=c.old_code,
                    new_code=c.new_code,
                    direction="moved_away",
                )
                if c.old_code not in now and c.old_code in old:
                    ev(c.old_code, "removed", name=c.name, section=old[c.old_code][1])
                continue
            if c.code is None:
                continue
            code = c.code
            if c.kind == "added":
                if code in old:
                    ev(code, "added", name=c.name, section=c.section)
                else:
                    appeared(code)
            elif c.kind == "removed":
                ev(code, "removed", name=c.name, section=old[code][1] if code in old else None)
            elif c.kind == "renamed":
                ev(code, "renamed", old_name=c.old_name, new_name=c.new_name)
            elif c.kind == "messages_changed":
                ev(
                    code,
                    "messages_changed",
                    name=c.name,
                    added_messages=list(c.added_messages),
                    removed_messages=list(c.removed_messages),
                )
            elif c.kind == "section_changed":
                ev(
                    code,
                    "section_changed",
                    name=c.name,
                    old_section=c.old_section,
                    new_section=c.new_section,
                )
            elif c.kind == "description_changed":
                ev(
                    code,
                    "description_changed",
                    name=c.name,
                    old_description=c.old_description,
                    new_description=c.new_description,
                )
        return touched

    def of(self, code: int) -> list[dict[str, Any]]:
        """The (mutable) event list of one code, decoded from the cache on first use.

        Raises ValueError when the cached text is not a list of events."""
        if code in self._raw:
            events = json.loads(self._raw.pop(code))
            if not isinstance(events, list) or not all(
                isinstance(e, dict)
                and e.get("kind") in EVENT_KINDS
                and all(isinstance(e.get(k), str) for k in ("snapshot", "page", "locale"))
                for e in events
            ):
                raise ValueError(f"cached events of {code} are not events")
            self.events[code] = events
        return self.events.setdefault(code, [])

    def codes(self) -> set[int]:
        return set(self.events) | set(self._raw)

    def history(self, code: int) -> list[dict[str, Any]]:
        """The events of one code in ``history.code_history``'s order."""
        return sorted(
            self.of(code),
            key=lambda e: (
                id_order(e["snapshot"]),
                e["page"],
                _locale_key(e["locale"]),
                EVENT_KINDS.index(e["kind"]),
            ),
        )

    def current(self, code: int) -> list[tuple[str, str, Any, Any]]:
        """(page, locale, name, section) wherever the code stands in the newest states."""
        out = []
        for key in sorted(
            self.present, key=lambda k: (k.split("/", 1)[0], _locale_key(k.split("/", 1)[1]))
        ):
            if code in self.present[key]:
                page, locale = key.split("/", 1)
                name, section = self.present[key][code]
                out.append((page, locale, name, section))
        return out

    # ------------------------------------------------------------------ cache

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "format": _CACHE_FORMAT,
                    "generic_names": self.generic,
                    "cursor": self.cursor,
                    "present": {
                        k: {str(c): v for c, v in m.items()} for k, m in self.present.items()
                    },
                    "seen": {k: sorted(v) for k, v in self.seen.items()},
                    "events": {
                        **{str(c): raw for c, raw in self._raw.items()},
                        **{str(c): _compact(evs) for c, evs in self.events.items()},
                    },
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> Timeline | None:
        """The cached timeline, or None when it is missing parts (then it is rebuilt)."""
        try:
            data = json.loads(text)
            if data.get("format") != _CACHE_FORMAT:
                return None
            t = cls(data["generic_names"])
            t.cursor = {str(k): list(v) for k, v in data["cursor"].items()}
            t.present = {
                str(k): {int(c): list(v) for c, v in m.items()} for k, m in data["present"].items()
            }
            t.seen = {str(k): {int(c) for c in v} for k, v in data["seen"].items()}
            t._raw = {int(c): raw for c, raw in data["events"].items()}
            ok = all(len(v) == 2 and isinstance(v[0], str) for v in t.cursor.values()) and all(
                isinstance(v, list) and len(v) == 2 for m in t.present.values() for v in m.values()
            )
            if not ok or not all(isinstance(raw, str) for raw in t._raw.values()):
                return None
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return t


def _compact(events: list[dict[str, Any]]) -> str:
    return json.dumps(events, ensure_ascii=False, separators=(",", ":"))


def build_timeline(
    store: Any, *, until: str | None = None, generic_names: Iterable[str] = ()
) -> Timeline:
    """Every code's events from ONE ``history.walk`` over the store."""
    from scraper.history import walk

    generic = tuple(generic_names)
    t = Timeline(generic)
    good = _good_states(store, until)
    for step in walk(store, until=until, generic_names=generic):
        key = f"{step.page}/{step.locale}"
        t.feed(
            step.page,
            step.locale,
            step.snapshot,
            step.previous,
            step.records,
            step.changes,
            dict(good.get(key, ())).get(step.snapshot),
        )
    return t


def _good_states(store: Any, until: str | None) -> dict[str, list[tuple[str, str | None]]]:
    """ "page/locale" -> [(snapshot, records hash)] of its good entries, oldest first."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for sid in store.snapshot_ids():
        if until is not None and id_order(sid) > id_order(until):
            continue
        try:
            pages = store.manifest(sid)["pages"]
        except StoreError:
            continue
        for e in pages:
            if e.get("status") in GOOD_STATUSES and e.get("records"):
                out.setdefault(f"{e['page']}/{e['locale']}", []).append((sid, e.get("records")))
    return out


def _incremental(t: Timeline, report: Mapping[str, Any], store: Any) -> set[int] | None:
    """Feed this run's steps into the cached timeline; None when it must be rebuilt.

    Only the report of the store's newest snapshot is fed (anything else is a backfill or
    a re-render), and only when every changed page was compared with the state the
    timeline holds for it (the same snapshot, or a later one with the same records)."""
    sid = str(report["id"])
    try:
        ids = store.snapshot_ids()  # manifests are cached: history_counts reads them anyway
        entries = store.manifest(sid)["pages"]
    except (StoreError, KeyError, TypeError):
        return None
    if not ids or ids[-1] != sid:
        return None
    if any(cur[0] == sid for cur in t.cursor.values()):
        # already fed (a report written again, e.g. a pending report retried): nothing new
        return {
            int(c[k])
            for c in report["changes"]
            for k in ("code", "old_code", "new_code")
            if c.get(k) is not None
        }
    baselines = report.get("old", {}).get("per_page", {})
    by_key: dict[str, list[Change]] = {}
    for c in report["changes"]:
        by_key.setdefault(f"{c['page']}/{c['locale']}", []).append(Change.from_dict(dict(c)))
    steps = []
    for e in entries:
        key = f"{e['page']}/{e['locale']}"
        if e.get("status") not in GOOD_STATUSES or not e.get("records"):
            continue
        cur = t.cursor.get(key)
        if cur is not None and cur[1] == e["records"]:
            if key in by_key:
                return None
            continue  # folded, as walk folds identical states
        if cur is None:
            if key in by_key:
                return None
        elif not _same_state(store, baselines.get(key), e["page"], e["locale"], cur):
            return None  # compared with a state the timeline does not hold last
        steps.append((e, cur, by_key.get(key, [])))
    touched: set[int] = set()
    for e, cur, changes in steps:
        try:
            records = store.records(sid, e["page"], e["locale"])
        except StoreError:
            return None
        if records is None:
            return None
        touched |= t.feed(
            e["page"], e["locale"], sid, cur[0] if cur else None, records, changes, e["records"]
        )
    return touched


def _same_state(
    store: Any, baseline: str | None, page: str, locale: str, cur: Sequence[Any]
) -> bool:
    if baseline is None:
        return False
    if baseline == cur[0]:
        return True
    try:
        entry = next(
            (
                e
                for e in store.manifest(baseline)["pages"]
                if e["page"] == page and e["locale"] == locale
            ),
            None,
        )
    except (StoreError, KeyError, TypeError):
        return False
    return entry is not None and entry.get("records") is not None and entry.get("records") == cur[1]


def report_codes(report: Mapping[str, Any]) -> set[int]:
    """Every code a report's HTML links a timeline for (changes, collisions, gaps)."""
    codes: set[int] = set()
    for c in report["changes"]:
        codes |= {int(c[k]) for k in ("code", "old_code", "new_code") if c.get(k) is not None}
    for e in report.get("cross_page", ()):
        if e["kind"] == "same_name_different_code":
            for v in e["codes"].values():
                codes |= {int(x) for x in (v if isinstance(v, list) else [v])}
        elif e.get("code") is not None:
            codes.add(int(e["code"]))
    codes |= {int(g["code"]) for g in report.get("locale_gaps", ()) if g.get("code") is not None}
    return codes


def _live_url(page: str, locale: str, refs: Mapping[str, Any]) -> str | None:
    ref = refs.get(page)
    return str(ref.url(locale, LIVE_BASE_URL)) if ref is not None else None


def render_code_page(
    code: int,
    t: Timeline,
    reports: Iterable[str] = (),
    pages: Iterable[int] | None = None,
    refs: Mapping[str, Any] | None = None,
) -> str:
    """The timeline page of one code (links to the docs, to reports and, for a
    renumbering, to the other code's page when it is in ``pages``, all when None)."""
    from scraper.registry import build_registry
    from scraper.report.html import _environment, _href, _slug, csp

    if refs is None:
        refs = {r.id: r for r in build_registry()}
    have = set(reports)
    linkable = None if pages is None else set(pages)
    events = []
    history = t.history(code)
    older = max(0, len(history) - CODE_PAGE_EVENTS)
    for e in history[older:]:
        name = e.get("name") or e.get("new_name")
        other = e.get("old_code") if e.get("direction") == "moved_here" else e.get("new_code")
        base = _live_url(e["page"], e["locale"], refs)
        events.append(
            {
                **_EVENT_DEFAULTS,
                **e,
                "report": f"../{e['snapshot']}/report.html" if e["snapshot"] in have else None,
                "href": _href(base, _slug(code, name)) if e["kind"] != "removed" else None,
                "other": other
                if other is not None and (linkable is None or other in linkable)
                else None,
            }
        )
    now = [
        {
            "page": p,
            "locale": loc,
            "name": n,
            "section": s,
            "href": _href(_live_url(p, loc, refs), _slug(code, n)),
        }
        for p, loc, n, s in t.current(code)
    ]
    from scraper import __version__

    return (
        _environment()
        .get_template("code.html.j2")
        .render(
            code=code,
            events=events,
            now=now,
            csp=csp(),
            version=__version__,
            older=older,
            total=len(history),
        )
    )


def _existing(folder: Path) -> Iterator[int]:
    if folder.is_dir():
        for p in folder.glob("*.html"):
            try:
                yield int(p.stem)
            except ValueError:
                continue


def write_code_pages(
    report: Mapping[str, Any], reports_dir: Path, store: Any, generic_names: Iterable[str] = ()
) -> list[Path]:
    """Bring reports/codes/ up to date after this run; returns the pages written.

    Written: every code this report links to, plus every code that got events (all
    existing pages after a rebuild, so none is left stale).  OSError propagates (the
    caller turns it into one StoreError line).
    """
    folder = reports_dir / CODES_DIR
    cache = folder / TIMELINE_CACHE
    generic = sorted(set(generic_names))
    t: Timeline | None = None
    dirty = True
    try:
        t = Timeline.from_json(cache.read_text("utf-8"))
    except OSError:
        t = None
    touched: set[int] | None = None
    existing = set(_existing(folder))
    wanted: set[int] = set()
    if t is not None and t.generic == generic:
        before = t.cursor.copy()
        try:
            touched = _incremental(t, report, store)
            wanted = report_codes(report) | (touched or set())
            for code in wanted:
                if code in (touched or ()) or code not in existing:
                    t.of(code)  # decode now: a broken cache entry means a rebuild
        except ValueError as exc:
            log.warning("rebuilding the code timelines: %s", exc)
            touched = None
        dirty = touched is None or t.cursor != before
    if touched is None:
        dirty = True
        t = build_timeline(store, until=str(report["id"]), generic_names=generic)
        touched = (existing | t.codes()) & (existing | report_codes(report))
        wanted = report_codes(report) | touched
    assert t is not None
    have_reports = (
        {p.name for p in reports_dir.iterdir() if p.is_dir()} if reports_dir.is_dir() else set()
    )
    have_reports.add(str(report["id"]))
    from scraper.registry import build_registry

    refs = {r.id: r for r in build_registry()}
    written = []
    for code in sorted(wanted):
        if code not in touched and code in existing:
            continue  # nothing new for it: the page written earlier is still right
        path = folder / f"{code}.html"
        atomic_write_text(path, render_code_page(code, t, have_reports, existing | wanted, refs))
        written.append(path)
    if dirty:
        atomic_write_text(cache, t.to_json())
    return written
