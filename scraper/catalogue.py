"""The catalogue: the newest good state of every page and locale, as a lockfile.

A project commits ``errwatch export``'s output like a lockfile; ``errwatch run --against
FILE``, ``errwatch diff FILE NEW`` and ``errwatch check --against FILE`` read it back with
``load_catalogue`` wherever a baseline may stand, and re-exporting accepts a change in a
reviewable diff.  So the JSON is stable and git-friendly: keys sorted, pages in (page,
locale) order, records in page order and **one record per line**, so a review diff shows
exactly the records that changed, and re-exporting an unchanged store is byte-identical.

Which state, and its ``snapshot``/``fetched_at``: each page's newest good state as
``scraper.history.walk`` yields it.  ``walk`` folds consecutive snapshots with the same
records into the first of them, so ``snapshot`` (per page and for the catalogue: the
newest of them) and ``fetched_at`` name the snapshot in which the page *first* showed
these records.  A day on which nothing changed therefore leaves the catalogue unchanged.

``first_seen`` / ``last_changed`` per record come from the same walk, i.e. from the one
classifier (``scraper.diff.diff_records``) that ``run``, ``diff`` and ``history`` use; this
module never compares records itself.  A record is identified across states

* coded records by their code and occurrence (the k-th record with that code on the page,
  in page order; a code listed twice keeps both);
* code-less table rows by their messages and name (and occurrence), wherever they sit on
  the page, just as ``diff_records`` pairs them: a row whose section heading was renamed
  keeps its ``first_seen``.

``first_seen`` is the first snapshot (of this store) since which the record has been on
the page without a break: a removed code that comes back starts again, a renumbered name
is new under its new code (as in ``errwatch history CODE``, where that is ``first_seen`` /
``re_added``).  ``last_changed`` is the newest snapshot whose diff reported a change of the
record (added, renamed, renumbered to or from its code, messages, section or description
edited); white space alone is no change, so it does not move ``last_changed``.  A change of
a code listed twice marks every occurrence of it.

Re-exporting over a catalogue (``errwatch export --out FILE`` where FILE is one): a store
that starts after that catalogue (a CI job's fresh crawl) would know every record only
since its own first snapshot, and the review diff would touch every line.  So the old
catalogue stands as the state before the store's first one: ``diff_records`` between the
two says which records changed, and the others keep the catalogue's dates.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper.errors import UsageError
from scraper.models import LOCALES, Change, Record

__all__ = [
    "SCHEMA_VERSION",
    "Catalogue",
    "CataloguePage",
    "CatalogueRecord",
    "build_catalogue",
    "catalogue_csv",
    "catalogue_dict",
    "catalogue_json",
    "is_catalogue_file",
    "load_catalogue",
]

SCHEMA_VERSION = 1
TOOL = "errwatch"
CSV_COLUMNS = (
    "page",
    "locale",
    "code",
    "name",
    "section",
    "messages",
    "first_seen",
    "last_changed",
    "link",
)
_LIVE_BASE_URL = "https://developers.binance.com"
PAGE_FIELDS = ("page", "locale", "url", "fetched_at", "records")
RECORD_FIELDS = (
    "code",
    "name",
    "section",
    "messages",
    "message_langs",
    "description",
    "anchor",
    "first_seen",
    "last_changed",
)


@dataclass(frozen=True)
class CatalogueRecord:
    """A record of the catalogue and when this store first saw it and saw it change."""

    record: Record
    first_seen: str | None
    last_changed: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.record.to_dict(),
            "first_seen": self.first_seen,
            "last_changed": self.last_changed,
        }


@dataclass(frozen=True)
class CataloguePage:
    """One page and locale of the catalogue."""

    page: str
    locale: str
    url: str
    fetched_at: str | None
    records: tuple[CatalogueRecord, ...]
    # the snapshot this state comes from (built from a store; from a file: the catalogue's)
    snapshot: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Catalogue:
    """The newest good state of every page and locale (of a store, or read from a file)."""

    snapshot: str | None
    pages: tuple[CataloguePage, ...]

    def page_entry(self, page: str, locale: str) -> CataloguePage | None:
        for entry in self.pages:
            if entry.page == page and entry.locale == locale:
                return entry
        return None

    def records(self, page: str, locale: str) -> tuple[Record, ...] | None:
        """The page's records, or None when the catalogue does not hold that page."""
        entry = self.page_entry(page, locale)
        if entry is None:
            return None
        return tuple(r.record for r in entry.records)


# ---------------------------------------------------------------------------- build


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


Key = tuple[Any, ...]
Dates = tuple[str | None, str | None]  # first_seen, last_changed


def _record_keys(records: Sequence[Record]) -> list[Key]:
    """The identity of each record across states (see the module docstring)."""
    from scraper.diff import norm_name, norm_text

    seen: dict[Key, int] = defaultdict(int)
    keys: list[Key] = []
    for r in records:
        base: Key
        if r.code is not None:
            base = ("code", r.code)
        else:
            base = ("row", tuple(m for m in map(norm_text, r.messages) if m), norm_name(r.name))
        keys.append((*base, seen[base]))
        seen[base] += 1
    return keys


def _row_message(r: Record) -> str:
    """A code-less row's message as a Change carries it (``diff._row_change``), normalised."""
    from scraper.diff import norm_text

    return norm_text(" / ".join(m for m in r.messages if norm_text(m)))


def _touched(records: Sequence[Record], keys: Sequence[Key], changes: Iterable[Change]) -> set[Key]:
    """Keys of the current records that some change of this step concerns."""
    from scraper.diff import norm_name, norm_text

    by_code: dict[int, list[Key]] = defaultdict(list)
    rows: list[tuple[Record, Key]] = []
    for r, k in zip(records, keys, strict=True):
        if r.code is not None:
            by_code[r.code].append(k)
        else:
            rows.append((r, k))
    touched: set[Key] = set()
    for c in changes:
        codes = {x for x in (c.code, c.old_code, c.new_code) if x is not None}
        for code in codes:
            touched.update(by_code.get(code, ()))
        if codes or not rows:
            continue
        message = norm_text(c.message)
        name = norm_name(c.name)
        same = [(r, k) for r, k in rows if _row_message(r) == message and norm_name(r.name) == name]
        section = norm_text(c.new_section if c.kind == "section_changed" else c.section)
        in_section = [k for r, k in same if norm_text(r.section) == section]
        touched.update(in_section or [k for _, k in same])
    return touched


def build_catalogue(
    store: Any,
    *,
    snapshot: str | None = None,
    pages: Iterable[str] | None = None,
    locales: Iterable[str] | None = None,
    generic_names: Iterable[str] = (),
    previous: Catalogue | None = None,
) -> Catalogue:
    """The catalogue of ``store`` as of ``snapshot`` (default: its newest snapshot).

    ``pages``/``locales`` narrow it (None: all the store holds).  ``previous`` (the
    catalogue being re-exported) lends its dates to a store that starts after it, e.g. a
    fresh CI crawl: records it held unchanged keep their ``first_seen``/``last_changed``,
    so re-exporting accepts a change in a diff of exactly the changed records.  Raises
    UsageError when the snapshot is unknown, a page or locale asked for has no good state,
    or the store holds no good state at all.
    """
    from scraper.history import walk
    from scraper.store import id_sort_key

    root = getattr(store, "root", "the snapshot store")
    ids = list(store.snapshot_ids())
    if snapshot is not None:
        if snapshot == "latest" and ids:
            snapshot = ids[-1]
        if snapshot not in ids:
            have = f" (newest: {ids[-1]})" if ids else ""
            raise UsageError(f"no snapshot {snapshot!r} in {root}{have}")
    want_pages = None if pages is None else list(dict.fromkeys(pages))
    want_locales = None if locales is None else list(dict.fromkeys(locales))
    if want_pages == []:
        want_pages = None
    if want_locales == []:
        want_locales = None
    generic = tuple(generic_names)

    folds: dict[tuple[str, str], _Fold] = {}
    filters: list[str | None] = [*want_pages] if want_pages else [None]
    for page_filter in filters:  # steps come one at a time: only each page's last is kept
        for step in walk(store, page=page_filter, until=snapshot, generic_names=generic):
            if want_locales is not None and step.locale not in want_locales:
                continue
            key = (step.page, step.locale)
            fold = folds.get(key)
            if fold is None:
                prior = previous.page_entry(*key) if previous is not None else None
                fold = folds[key] = _Fold(prior, generic)
            fold.add(step)

    if want_pages is not None:
        missing = [p for p in want_pages if not any(k[0] == p for k in folds)]
        if missing:
            raise UsageError(f"no good state of page {', '.join(missing)} in {root}")
    if want_locales is not None:
        missing = [lc for lc in want_locales if not any(k[1] == lc for k in folds)]
        if missing:
            raise UsageError(f"no good state in locale {', '.join(missing)} in {root}")
    if not folds:
        raise UsageError(f"no good snapshot in {root}; run `errwatch crawl` first")

    out = [folds[k].page(store) for k in sorted(folds, key=lambda k: (k[0], _locale_key(k[1])))]
    newest = max((p.snapshot for p in out if p.snapshot), key=id_sort_key, default=None)
    return Catalogue(snapshot=newest, pages=tuple(out))


def _prior(
    previous: CataloguePage | None, first: Any, generic: tuple[str, ...]
) -> tuple[dict[Key, Dates], tuple[Change, ...] | None]:
    """Dates the previous catalogue gives the first stored state, and the changes to it.

    Only a catalogue older than the store's first state of the page counts (a store whose
    history reaches further back knows better); the changes come from diff_records.
    """
    from scraper.diff import diff_records
    from scraper.errors import StoreError
    from scraper.store import id_sort_key

    if previous is None or previous.snapshot is None:
        return {}, None
    try:
        if id_sort_key(previous.snapshot) >= id_sort_key(first.snapshot):
            return {}, None
    except StoreError:
        return {}, None
    old = tuple(r.record for r in previous.records)
    info = {
        k: (r.first_seen, r.last_changed)
        for k, r in zip(_record_keys(old), previous.records, strict=True)
    }
    changes = tuple(
        diff_records(first.page, first.locale, old, first.records, generic_names=generic)
    )
    return info, changes


class _Fold:
    """One page and locale: its steps folded into record dates, one step at a time."""

    def __init__(self, prior: CataloguePage | None, generic: tuple[str, ...]) -> None:
        self.prior = prior
        self.generic = generic
        self.info: dict[Key, Dates] = {}
        self.keys: list[Key] = []
        self.last: Any = None

    def add(self, step: Any) -> None:
        changes: tuple[Change, ...] = step.changes
        if self.last is None:
            self.info, first_changes = _prior(self.prior, step, self.generic)
            if first_changes is not None:
                changes = first_changes
        keys = _record_keys(step.records)
        touched = _touched(step.records, keys, changes) if changes else set()
        current: dict[Key, Dates] = {}
        for k in keys:
            first, last = self.info.get(k, (step.snapshot, step.snapshot))
            current[k] = (first, step.snapshot if k in touched else last)
        self.info, self.keys, self.last = current, keys, step

    def page(self, store: Any) -> CataloguePage:
        from scraper.errors import StoreError

        last = self.last
        try:
            entry = store.entry(last.snapshot, last.page, last.locale) or {}
            at = store.manifest(last.snapshot).get("at")
        except StoreError:  # the walk has just read this manifest: only a race gets here
            entry, at = {}, None
        records = tuple(
            CatalogueRecord(r, *self.info[k]) for r, k in zip(last.records, self.keys, strict=True)
        )
        return CataloguePage(
            page=last.page,
            locale=last.locale,
            url=str(entry.get("url") or ""),
            fetched_at=at if isinstance(at, str) else None,
            records=records,
            snapshot=last.snapshot,
        )


# ---------------------------------------------------------------------------- write


def catalogue_dict(cat: Catalogue) -> dict[str, Any]:
    """The catalogue as plain JSON data (what ``catalogue_json`` writes)."""
    return {
        "pages": [
            {
                "fetched_at": p.fetched_at,
                "locale": p.locale,
                "page": p.page,
                "records": [r.to_dict() for r in p.records],
                "url": p.url,
            }
            for p in cat.pages
        ],
        "schema": SCHEMA_VERSION,
        "snapshot": cat.snapshot,
        "tool": TOOL,
    }


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def catalogue_json(cat: Catalogue) -> str:
    """Stable JSON: sorted keys, one record per line, a final newline."""

    def members(d: Mapping[str, Any], indent: str, inner: Any) -> list[str]:
        keys = sorted(d)
        out: list[str] = []
        for j, key in enumerate(keys):
            comma = "," if j < len(keys) - 1 else ""
            body = inner(key, d[key])
            if isinstance(body, list):
                out.append(f"{indent}{_dump(key)}: {body[0]}")
                out.extend(body[1:-1])
                out.append(body[-1] + comma)
            else:
                out.append(f"{indent}{_dump(key)}: {body}{comma}")
        return out

    def rows(items: Sequence[Any], indent: str, render: Any) -> list[str] | str:
        if not items:
            return "[]"
        lines = ["["]
        for j, item in enumerate(items):
            rendered = render(item)
            comma = "," if j < len(items) - 1 else ""
            if isinstance(rendered, list):
                lines.extend(rendered[:-1])
                lines.append(rendered[-1] + comma)
            else:
                lines.append(f"{indent} {rendered}{comma}")
        lines.append(f"{indent}]")
        return lines

    def page_value(key: str, value: Any) -> Any:
        return rows(value, "   ", _dump) if key == "records" else _dump(value)

    def page_obj(page: Mapping[str, Any]) -> list[str]:
        return ["  {", *members(page, "   ", page_value), "  }"]

    def top_value(key: str, value: Any) -> Any:
        return rows(value, " ", page_obj) if key == "pages" else _dump(value)

    return "\n".join(["{", *members(catalogue_dict(cat), " ", top_value), "}"]) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    """A text cell a spreadsheet will not run: a leading = + - @ TAB CR gets a quote."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _link(url: str, anchor: str | None, base_url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path if parts.scheme else url
    link = base_url.rstrip("/") + path
    return f"{link}#{anchor}" if anchor else link


def catalogue_csv(cat: Catalogue, base_url: str = _LIVE_BASE_URL) -> str:
    """One row per record; links point at ``base_url`` (the live docs by default).

    Text cells that a spreadsheet would read as a formula (a leading ``=``, ``+``, ``-``,
    ``@``) get a leading ``'``: page text is untrusted.  Codes stay plain numbers.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for page in cat.pages:
        for cr in page.records:
            r = cr.record
            writer.writerow(
                [
                    page.page,
                    page.locale,
                    "" if r.code is None else str(r.code),
                    _cell(r.name),
                    _cell(r.section),
                    _cell(" | ".join(r.messages)),
                    cr.first_seen or "",
                    cr.last_changed or "",
                    _link(page.url, r.anchor, base_url),
                ]
            )
    return buf.getvalue()


# ---------------------------------------------------------------------------- read


class _Invalid(Exception):
    pass


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise _Invalid(f"{where} {what}")


def _str_or_null(value: Any, where: str) -> str | None:
    _need(value is None or isinstance(value, str), where, "must be a string or null")
    return value  # type: ignore[no-any-return]


def _id_or_null(value: Any, where: str) -> str | None:
    from scraper.store import ID_RE

    _need(
        value is None or (isinstance(value, str) and ID_RE.match(value) is not None),
        where,
        "must be a snapshot id (YYYYMMDDTHHMMSSZ) or null",
    )
    return value  # type: ignore[no-any-return]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    _need(
        isinstance(value, list) and all(isinstance(v, str) for v in value),
        where,
        "must be a list of strings",
    )
    return tuple(value)


def _require(d: dict[str, Any], fields: Sequence[str], where: str) -> None:
    for name in fields:
        _need(name in d, where, f"lacks {name!r}")


def _parse_record(d: Any, where: str) -> CatalogueRecord:
    _need(isinstance(d, dict), where, "must be an object")
    _require(d, RECORD_FIELDS, where)
    code = d["code"]
    _need(
        code is None or (isinstance(code, int) and not isinstance(code, bool)),
        f"{where}.code",
        "must be an integer or null",
    )
    messages = _str_list(d["messages"], f"{where}.messages")
    langs = _str_list(d["message_langs"], f"{where}.message_langs")
    _need(
        not langs or len(langs) == len(messages),
        f"{where}.message_langs",
        "must have one entry per message",
    )
    record = Record(
        code=code,
        name=_str_or_null(d["name"], f"{where}.name"),
        section=_str_or_null(d["section"], f"{where}.section"),
        messages=messages,
        message_langs=langs,
        description=_str_or_null(d["description"], f"{where}.description"),
        anchor=_str_or_null(d["anchor"], f"{where}.anchor"),
    )
    return CatalogueRecord(
        record,
        _id_or_null(d["first_seen"], f"{where}.first_seen"),
        _id_or_null(d["last_changed"], f"{where}.last_changed"),
    )


def _parse(data: Any) -> Catalogue:
    _need(isinstance(data, dict), "the document", "must be a JSON object")
    _need(data.get("tool") == TOOL, '"tool"', 'must be "errwatch"')
    schema = data.get("schema")
    _need(
        isinstance(schema, int) and not isinstance(schema, bool), '"schema"', "must be an integer"
    )
    if schema > SCHEMA_VERSION:
        raise _Invalid(
            f"schema {schema} is newer than this errwatch reads ({SCHEMA_VERSION}); "
            "upgrade errwatch"
        )
    _need(schema == SCHEMA_VERSION, '"schema"', f"must be {SCHEMA_VERSION}")
    _require(data, ("snapshot", "pages"), "the document")
    snapshot = _id_or_null(data["snapshot"], '"snapshot"')
    pages = data["pages"]
    _need(isinstance(pages, list), '"pages"', "must be a list")
    out: list[CataloguePage] = []
    seen: set[tuple[str, str]] = set()
    for i, p in enumerate(pages):
        where = f"pages[{i}]"
        _need(isinstance(p, dict), where, "must be an object")
        _require(p, PAGE_FIELDS, where)
        _need(isinstance(p["page"], str) and bool(p["page"]), f"{where}.page", "must be a page id")
        _need(
            isinstance(p["locale"], str) and bool(p["locale"]),
            f"{where}.locale",
            "must be a locale",
        )
        key = (p["page"], p["locale"])
        _need(key not in seen, where, f"repeats page {key[0]}/{key[1]}")
        seen.add(key)
        _need(isinstance(p["url"], str), f"{where}.url", "must be a string")
        _need(isinstance(p["records"], list), f"{where}.records", "must be a list")
        records = tuple(
            _parse_record(r, f"{where}.records[{j}]") for j, r in enumerate(p["records"])
        )
        out.append(
            CataloguePage(
                page=p["page"],
                locale=p["locale"],
                url=p["url"],
                fetched_at=_str_or_null(p["fetched_at"], f"{where}.fetched_at"),
                records=records,
                snapshot=snapshot,
            )
        )
    return Catalogue(snapshot=snapshot, pages=tuple(out))


def _reject_constant(value: str) -> Any:
    raise ValueError(f"{value} is not JSON")


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"catalogue {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"catalogue {path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise UsageError(f"catalogue {path}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"catalogue {path}: cannot read: {exc.strerror or exc}") from None
    try:
        return json.loads(text.removeprefix("\ufeff"), parse_constant=_reject_constant)
    except RecursionError:
        raise UsageError(f"catalogue {path}: not JSON (nested too deeply)") from None
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(f"catalogue {path}: not JSON: {reason}{where}") from None


def load_catalogue(path: str | Path) -> Catalogue:
    """Read a catalogue file; UsageError (one line) if missing, not JSON or not valid."""
    p = Path(path)
    data = _read_json(p)
    try:
        return _parse(data)
    except _Invalid as exc:
        raise UsageError(f"{p} is not an errwatch catalogue: {exc}") from None


def is_catalogue_file(path: str | Path) -> bool:
    """An existing file holding a JSON object with ``"tool": "errwatch"`` and ``"schema"``."""
    p = Path(path)
    try:
        if not p.is_file():
            return False
        data = json.loads(p.read_text("utf-8"), parse_constant=_reject_constant)
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("tool") == TOOL and "schema" in data


def page_records(cat: Catalogue) -> Mapping[tuple[str, str], tuple[Record, ...]]:
    """(page, locale) -> records of every page the catalogue holds."""
    return {(p.page, p.locale): tuple(r.record for r in p.records) for p in cat.pages}
