"""One error code across every stored snapshot: when it appeared, moved, changed, left.

SDK maintainers ask "since when is -4087 REDUCE_ONLY_ORDER_PERMISSION on USDⓈ-M?".  The
answer is in the snapshots, but a run's diff only covers two of them; this walks all good
snapshots of each page and locale in order and compares the code's own records between
consecutive states.  Failed and quarantined snapshots are skipped, exactly as they are
never a baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scraper.diff import norm_text
from scraper.models import GOOD_STATUSES, LOCALES, Record
from scraper.views import normalize_name

__all__ = ["EVENT_KINDS", "code_history", "format_history"]

EVENT_KINDS: tuple[str, ...] = (
    "first_seen", "re_added", "renumbered", "renamed", "removed",
    "messages_changed", "section_changed", "description_changed",
)


def _norm_text(text: str | None) -> str:
    return norm_text(text)


@dataclass(frozen=True)
class _State:
    """The code's records in one snapshot, plus which codes carry which names there."""

    snapshot: str
    records: tuple[Record, ...]  # records carrying the code (a code may repeat on a page)
    name_codes: Mapping[str, frozenset[int]]  # normalized name -> codes on the page


def _manifest_pages(manifest: Any) -> list[Mapping[str, Any]]:
    pages = manifest["pages"] if isinstance(manifest, Mapping) else manifest.pages
    return [p if isinstance(p, Mapping) else vars(p) for p in pages]


def _load(store: Any, sid: str, page: str, locale: str, code: int) -> _State | None:
    stored = store.records(sid, page, locale)
    if stored is None:
        return None  # a good entry without records: nothing to compare, skip it
    recs = [r if isinstance(r, Record) else Record.from_dict(r) for r in stored]
    name_codes: dict[str, set[int]] = {}
    for r in recs:
        if r.code is not None and r.name:
            name_codes.setdefault(normalize_name(r.name), set()).add(r.code)
    return _State(
        snapshot=sid,
        records=tuple(r for r in recs if r.code == code),
        name_codes={k: frozenset(v) for k, v in name_codes.items()},
    )


def _names(recs: Sequence[Record]) -> dict[str, str]:
    return {normalize_name(r.name): r.name for r in recs if r.name}


def _compare(prev: _State, cur: _State, code: int, base: dict[str, Any], seen: bool) -> list[dict[str, Any]]:
    """Events for one code between two consecutive good states of a page."""
    events: list[dict[str, Any]] = []

    def ev(kind: str, **fields: Any) -> None:
        events.append({**base, "snapshot": cur.snapshot, "previous": prev.snapshot,
                       "kind": kind, "code": code, **fields})

    old, new = prev.records, cur.records
    if not old and new:
        ev("re_added" if seen else "first_seen", name=new[0].name, section=new[0].section,
           messages=list(new[0].messages))
    old_names, new_names = _names(old), _names(new)
    # A name that left this code for another one, or came here from another code.
    for norm, name in old_names.items():
        if norm in new_names:
            continue
        elsewhere = sorted(cur.name_codes.get(norm, frozenset()) - {code}, key=abs)
        for other in elsewhere:
            if other not in prev.name_codes.get(norm, frozenset()):
                ev("renumbered", name=name, old_code=code, new_code=other, direction="moved_away")
    for norm, name in new_names.items():
        if norm in old_names:
            continue
        before = sorted(prev.name_codes.get(norm, frozenset()) - {code}, key=abs)
        for other in before:
            if other not in cur.name_codes.get(norm, frozenset()):
                ev("renumbered", name=name, old_code=other, new_code=code, direction="moved_here")
    if old and new:
        o, n = old[0], new[0]
        if (o.name and n.name and normalize_name(o.name) != normalize_name(n.name)) or (bool(o.name) != bool(n.name)):
            ev("renamed", old_name=o.name, new_name=n.name)
        if any(e["kind"] == "renumbered" and e["direction"] == "moved_away" for e in events):
            return events  # the code now means something else: its old text moved with the name
        old_msgs = {_norm_text(m) for m in o.messages}
        new_msgs = {_norm_text(m) for m in n.messages}
        added = [m for m in n.messages if _norm_text(m) not in old_msgs]
        removed = [m for m in o.messages if _norm_text(m) not in new_msgs]
        if added or removed:
            ev("messages_changed", name=n.name, added_messages=added, removed_messages=removed)
        if _norm_text(o.section) != _norm_text(n.section):
            ev("section_changed", name=n.name, old_section=o.section, new_section=n.section)
        if _norm_text(o.description) != _norm_text(n.description):
            ev("description_changed", name=n.name, old_description=o.description,
               new_description=n.description)
    if old and not new:
        ev("removed", name=old[0].name, section=old[0].section)
    return events


def code_history(
    store: Any, code: int, page: str | None = None, locale: str | None = None
) -> list[dict[str, Any]]:
    """Every event of ``code`` across all snapshots, oldest first.

    Event dicts: ``snapshot`` (where it was seen), ``previous`` (the good snapshot it was
    compared with, null for the first), ``page``, ``locale``, ``kind`` (EVENT_KINDS),
    ``code`` and the kind's fields (``name``, ``old_name``/``new_name``,
    ``old_code``/``new_code``/``direction``, ``added_messages``/``removed_messages``,
    ``old_section``/``new_section``, ``old_description``/``new_description``).
    """
    ids = list(store.snapshot_ids())
    # (page, locale) -> [(good snapshot id, records hash)] in order
    timelines: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for sid in ids:
        for entry in _manifest_pages(store.manifest(sid)):
            if page is not None and entry["page"] != page:
                continue
            if locale is not None and entry["locale"] != locale:
                continue
            if entry.get("status") in GOOD_STATUSES:
                key = (entry["page"], entry["locale"])
                timelines.setdefault(key, []).append((sid, entry.get("records")))
    events: list[dict[str, Any]] = []
    for (pg, loc), sids in timelines.items():
        base = {"page": pg, "locale": loc}
        prev: _State | None = None
        prev_hash: str | None = None
        seen = False
        for sid, records_hash in sids:
            if prev is not None and records_hash is not None and records_hash == prev_hash:
                prev = replace(prev, snapshot=sid)  # same records blob: nothing to compare
                continue
            cur = _load(store, sid, pg, loc, code)
            if cur is None:
                continue
            prev_hash = records_hash
            if prev is None:
                if cur.records:
                    r = cur.records[0]
                    events.append({**base, "snapshot": sid, "previous": None, "kind": "first_seen",
                                   "code": code, "name": r.name, "section": r.section,
                                   "messages": list(r.messages)})
            else:
                events.extend(_compare(prev, cur, code, base, seen))
            seen = seen or bool(cur.records)
            prev = cur
    loc_order = {loc: i for i, loc in enumerate(LOCALES)}
    position = {sid: i for i, sid in enumerate(ids)}  # the store's time order
    events.sort(key=lambda e: (position[e["snapshot"]], e["page"], loc_order.get(e["locale"], 99),
                               EVENT_KINDS.index(e["kind"])))
    return events


def _detail(e: Mapping[str, Any]) -> str:
    kind = e["kind"]
    if kind in ("first_seen", "re_added"):
        text = f"{e['code']} {e.get('name') or '(no name)'}"
        return text + (f"  [{e['section']}]" if e.get("section") else "")
    if kind == "renumbered":
        if e.get("direction") == "moved_here":
            return f"{e['name']} moved here from {e['old_code']}"
        return f"{e['name']} moved away to {e['new_code']}"
    if kind == "renamed":
        return f"{e.get('old_name')} → {e.get('new_name')}"
    if kind == "removed":
        return f"{e['code']} {e.get('name') or '(no name)'}"
    if kind == "messages_changed":
        lines = [f"- {m}" for m in e.get("removed_messages", ())]
        lines += [f"+ {m}" for m in e.get("added_messages", ())]
        return "messages:" + "".join(f"\n      {line}" for line in lines)
    if kind == "section_changed":
        return f"{e.get('old_section')!r} → {e.get('new_section')!r}"
    if kind == "description_changed":
        return f"{e.get('old_description')!r} → {e.get('new_description')!r}"
    return kind


def format_history(events: Sequence[Mapping[str, Any]]) -> str:
    """A plain-text timeline, one event per line (message edits indented below)."""
    if not events:
        return "no history: the code was not found in any good snapshot\n"
    width = max(len(f"{e['page']}/{e['locale']}") for e in events)
    lines = []
    for e in events:
        where = f"{e['page']}/{e['locale']}".ljust(width)
        kind = e["kind"].replace("_", " ").ljust(19)
        lines.append(f"{e['snapshot']}  {where}  {kind} {_detail(e)}")
    return "\n".join(lines) + "\n"
