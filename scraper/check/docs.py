"""The docs state a table is held against: one locale's records of every page.

Three sources, all through the catalogue (scraper.catalogue): the newest good state of
every page in a snapshot store (``build_catalogue``), a catalogue file (``load_catalogue``),
or a fresh crawl into a temporary store.  From a store the older names of each code come
along (``history.walk``), for ``renamed_in_docs``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scraper.errors import UsageError
from scraper.models import Record


@dataclass(frozen=True)
class DocsRecord:
    record: Record
    first_seen: str | None


@dataclass(frozen=True)
class DocsPage:
    page: str
    locale: str
    url: str
    records: tuple[DocsRecord, ...]

    def link(self, anchor: str | None) -> str:
        return f"{self.url}#{anchor}" if anchor else self.url


@dataclass(frozen=True)
class DocsState:
    source: str  # snapshots | catalogue | crawl
    snapshot: str | None
    locale: str
    pages: Mapping[str, DocsPage]
    # (page, code) -> names the docs gave this code before its current one, oldest first
    older_names: Mapping[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)


def _from_catalogue(
    cat: Any,
    locale: str,
    source: str,
    older: Mapping[tuple[str, int], tuple[str, ...]] | None = None,
) -> DocsState:
    pages: dict[str, DocsPage] = {}
    for p in cat.pages:
        if p.locale != locale:
            continue
        pages[p.page] = DocsPage(
            p.page, p.locale, p.url, tuple(DocsRecord(r.record, r.first_seen) for r in p.records)
        )
    if not pages:
        raise UsageError(f"no docs state to compare against: no {locale} pages in the {source}")
    return DocsState(source, cat.snapshot, locale, pages, dict(older or {}))


def _older_names(
    store: Any, locale: str, current: Mapping[str, DocsPage]
) -> dict[tuple[str, int], tuple[str, ...]]:
    from scraper.history import walk

    seen: dict[tuple[str, int], list[str]] = {}
    for step in walk(store, locale=locale):
        for r in step.records:
            if r.code is None or not r.name:
                continue
            names = seen.setdefault((step.page, r.code), [])
            if r.name not in names:
                names.append(r.name)
    out: dict[tuple[str, int], tuple[str, ...]] = {}
    for (page, code), names in seen.items():
        docs_page = current.get(page)
        now = (
            {r.record.name for r in docs_page.records if r.record.code == code}
            if docs_page
            else set()
        )
        older = tuple(n for n in names if n not in now)
        if older:
            out[(page, code)] = older
    return out


def from_store(
    root: str | Path, locale: str, *, generic_names: Sequence[str] = (), source: str = "snapshots"
) -> DocsState:
    from scraper.catalogue import build_catalogue
    from scraper.store import SnapshotStore

    path = Path(root)
    if not path.is_dir():
        raise UsageError(
            f"no docs state to compare against: {path} is not a snapshot folder "
            "(use --snapshots DIR, --against FILE or --crawl)"
        )
    store = SnapshotStore(path)
    try:
        cat = build_catalogue(store, locales=[locale], generic_names=generic_names)
    except UsageError as exc:
        raise UsageError(f"no docs state to compare against in {path}: {exc}") from None
    state = _from_catalogue(cat, locale, source)
    return replace(state, older_names=_older_names(store, locale, state.pages))


def from_file(path: str | Path, locale: str) -> DocsState:
    from scraper.catalogue import load_catalogue

    return _from_catalogue(load_catalogue(path), locale, "catalogue")


def from_crawl(cfg: Any, locale: str) -> DocsState:
    """Crawl every registry page of ``locale`` into a temporary store and read it back."""
    from scraper import pipeline

    with tempfile.TemporaryDirectory(prefix="errwatch-check-") as tmp:
        crawl_cfg = replace(cfg, snapshots=tmp)
        result = pipeline.crawl(crawl_cfg, pages=cfg.pages, locales=(locale,), progress=False)
        if not any(o.good for o in result.outcomes):
            raise UsageError("no docs state to compare against: every page of the crawl failed")
        return from_store(tmp, locale, generic_names=cfg.generic_names, source="crawl")
