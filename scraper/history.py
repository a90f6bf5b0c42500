"""Stored history through the one classifier: every good state of a page, in order.

SDK maintainers ask "since when is -4087 REDUCE_ONLY_ORDER_PERMISSION on USDⓈ-M?".  The
answer is in the snapshots, but a run's diff only covers two of them.  ``walk`` visits the
good states of each page and locale oldest first and classifies each step with
``scraper.diff.diff_records``, the same classifier ``run`` and ``diff`` use (same config,
``generic_names`` included), so ``history`` can never tell a different story than the
reports did.  Failed and quarantined snapshots are skipped exactly as they are never a
baseline; an unreadable manifest or a corrupt records object is skipped with one warning
(the store's), and the page's previous good state stands.

``code_history`` turns the steps into the events of one code; the catalogue
(``first_seen``/``last_changed``) and the per-code report pages read the same steps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scraper.diff import diff_records
from scraper.errors import StoreError
from scraper.models import GOOD_STATUSES, LOCALES, Change, Record

__all__ = ["EVENT_KINDS", "Step", "code_events", "code_history", "format_history", "walk"]

log = logging.getLogger("errwatch.history")

EVENT_KINDS: tuple[str, ...] = (
    "first_seen",
    "re_added",
    "added",
    "renumbered",
    "renamed",
    "removed",
    "messages_changed",
    "section_changed",
    "description_changed",
)


@dataclass(frozen=True)
class Step:
    """One good state of a page and locale, and what changed since the previous one."""

    page: str
    locale: str
    snapshot: str
    previous: str | None
    records: tuple[Record, ...]
    changes: tuple[Change, ...]


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


def _timelines(
    store: Any, ids: Sequence[str], page: str | None, locale: str | None
) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """(page, locale) -> [(good snapshot id, records hash)] in the store's time order."""
    timelines: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for sid in ids:
        try:
            pages = store.manifest(sid)["pages"]
        except StoreError as exc:  # the store lists readable snapshots; a race or a hand edit
            log.warning("skipping snapshot %s: %s", sid, exc)
            continue
        for entry in pages:
            if page is not None and entry["page"] != page:
                continue
            if locale is not None and entry["locale"] != locale:
                continue
            if entry.get("status") in GOOD_STATUSES and entry.get("records"):
                key = (entry["page"], entry["locale"])
                timelines.setdefault(key, []).append((sid, entry.get("records")))
    return timelines


def walk(
    store: Any,
    *,
    page: str | None = None,
    locale: str | None = None,
    until: str | None = None,
    generic_names: Iterable[str] = (),
) -> Iterator[Step]:
    """Every good state of every page and locale (or the ones named), oldest first.

    Pages come in (page, locale) order, each page's states in time order; a state whose
    records are byte-identical to the previous one (same object hash) is folded into it.
    ``until`` (a snapshot id) stops after that snapshot.
    """
    from scraper.store import id_sort_key

    generic = tuple(generic_names)
    ids = list(store.snapshot_ids())
    if until is not None:
        limit = id_sort_key(until)
        ids = [sid for sid in ids if id_sort_key(sid) <= limit]
    timelines = _timelines(store, ids, page, locale)
    for pg, loc in sorted(timelines, key=lambda k: (k[0], _locale_key(k[1]))):
        prev: tuple[Record, ...] | None = None
        prev_sid: str | None = None
        prev_hash: str | None = None
        for sid, records_hash in timelines[(pg, loc)]:
            if prev is not None and records_hash == prev_hash:
                continue
            records = store.readable_records(sid, pg, loc)  # bad object: one warning, None
            if records is None:
                continue
            changes: tuple[Change, ...] = ()
            if prev is not None:
                changes = tuple(diff_records(pg, loc, prev, records, generic_names=generic))
            yield Step(pg, loc, sid, prev_sid, tuple(records), changes)
            prev, prev_sid, prev_hash = tuple(records), sid, records_hash


def _first(records: Sequence[Record], code: int) -> Record | None:
    return next((r for r in records if r.code == code), None)


def code_events(steps: Iterable[Step], code: int) -> list[dict[str, Any]]:
    """The events of one code in ``steps`` (which may hold other pages and codes too)."""
    events: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    before: dict[tuple[str, str], tuple[Record, ...]] = {}
    for step in steps:
        key = (step.page, step.locale)
        old = before.get(key)
        before[key] = step.records
        found = _step_events(step, old, code, key in seen)
        if _first(step.records, code) is not None:
            seen.add(key)
        events.extend(found)
    return events


def _step_events(
    step: Step, old: tuple[Record, ...] | None, code: int, seen: bool
) -> list[dict[str, Any]]:
    """The events of ``code`` in one step; ``seen``: the page listed it at some earlier time."""
    out: list[dict[str, Any]] = []
    base = {
        "snapshot": step.snapshot,
        "previous": step.previous,
        "page": step.page,
        "locale": step.locale,
        "code": code,
    }

    def ev(kind: str, **fields: Any) -> None:
        out.append({**base, "kind": kind, **fields})

    now = _first(step.records, code)
    if old is None:
        if now is not None:
            ev("first_seen", name=now.name, section=now.section, messages=list(now.messages))
        return out
    gone = _first(old, code)
    had = gone is not None

    def appeared(record: Record | None) -> None:
        if record is not None and not had:
            ev(
                "re_added" if seen else "first_seen",
                name=record.name,
                section=record.section,
                messages=list(record.messages),
            )

    for c in step.changes:
        if c.kind == "renumbered" and code in (c.old_code, c.new_code):
            if c.new_code == code:
                appeared(now)
                ev(
                    "renumbered",
                    name=c.name,
                    old_code=c.old_code,
                    new_code=code,
                    direction="moved_here",
                )
            else:
                ev(
                    "renumbered",
                    name=c.name,
                    old_code=code,
                    new_code=c.new_code,
                    direction="moved_away",
                )
                if now is None and gone is not None:
                    ev("removed", name=c.name, section=gone.section)
        elif c.code != code:
            continue
        elif c.kind == "added":
            if had:
                ev("added", name=c.name, section=c.section)
            else:
                appeared(now)
        elif c.kind == "removed":
            ev("removed", name=c.name, section=gone.section if gone else None)
        elif c.kind == "renamed":
            ev("renamed", old_name=c.old_name, new_name=c.new_name)
        elif c.kind == "messages_changed":
            ev(
                "messages_changed",
                name=c.name,
                added_messages=list(c.added_messages),
                removed_messages=list(c.removed_messages),
            )
        elif c.kind == "section_changed":
            ev("section_changed", name=c.name, old_section=c.old_section, new_section=c.new_section)
        elif c.kind == "description_changed":
            ev(
                "description_changed",
                name=c.name,
                old_description=c.old_description,
                new_description=c.new_description,
            )
    return out


def code_history(
    store: Any,
    code: int,
    page: str | None = None,
    locale: str | None = None,
    *,
    generic_names: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every event of ``code`` across all snapshots, oldest first.

    Event dicts: ``snapshot`` (where it was seen), ``previous`` (the good snapshot it was
    compared with, null for the first), ``page``, ``locale``, ``kind`` (EVENT_KINDS),
    ``code`` and the kind's fields (``name``, ``old_name``/``new_name``,
    ``old_code``/``new_code``/``direction``, ``added_messages``/``removed_messages``,
    ``old_section``/``new_section``, ``old_description``/``new_description``).
    """
    ids = list(store.snapshot_ids())
    events = code_events(walk(store, page=page, locale=locale, generic_names=generic_names), code)
    position = {sid: i for i, sid in enumerate(ids)}  # the store's time order
    events.sort(
        key=lambda e: (
            position.get(e["snapshot"], -1),
            e["page"],
            _locale_key(e["locale"]),
            EVENT_KINDS.index(e["kind"]),
        )
    )
    return events


def _detail(e: Mapping[str, Any]) -> str:
    """The event's own words; every piece of page text made one terminal-safe line."""
    from scraper.textsafe import terminal as t

    kind = e["kind"]
    if kind in ("first_seen", "re_added"):
        text = f"{e['code']} {t(e.get('name') or '(no name)')}"
        return text + (f"  [{t(e['section'])}]" if e.get("section") else "")
    if kind == "renumbered":
        if e.get("direction") == "moved_here":
            return f"{t(e['name'])} moved here from {e['old_code']}"
        return f"{t(e['name'])} moved away to {e['new_code']}"
    if kind == "renamed":
        return f"{t(e.get('old_name'))} → {t(e.get('new_name'))}"
    if kind == "removed":
        return f"{e['code']} {t(e.get('name') or '(no name)')}"
    if kind == "messages_changed":
        lines = [f"- {t(m)}" for m in e.get("removed_messages", ())]
        lines += [f"+ {t(m)}" for m in e.get("added_messages", ())]
        return "messages:" + "".join(f"\n      {line}" for line in lines)
    if kind == "section_changed":
        return f"“{t(e.get('old_section'))}” → “{t(e.get('new_section'))}”"
    if kind == "description_changed":
        return f"“{t(e.get('old_description'))}” → “{t(e.get('new_description'))}”"
    return t(kind)


def format_history(events: Sequence[Mapping[str, Any]]) -> str:
    """A plain-text timeline, one event per line (message edits indented below).

    Every line is terminal-safe (scraper.textsafe.terminal): names and messages from a
    page cannot carry escape sequences, extra lines or workflow commands."""
    from scraper.textsafe import terminal

    if not events:
        return "no history: the code was not found in any good snapshot\n"
    width = max(len(terminal(f"{e['page']}/{e['locale']}")) for e in events)
    lines = []
    for e in events:
        where = terminal(f"{e['page']}/{e['locale']}").ljust(width)
        kind = terminal(e["kind"]).replace("_", " ").ljust(19)
        head, *more = f"{terminal(e['snapshot'])}  {where}  {kind} {_detail(e)}".split("\n")
        lines.append(terminal(head))
        lines.extend(terminal(line) for line in more)
    return "\n".join(lines) + "\n"
