"""The page registry: which error-code pages exist, shipped as package data."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources

from scraper.errors import ConfigError, UsageError
from scraper.models import LOCALES, PageRef

DEFAULT_BASE_URL = "https://developers.binance.com"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def default_pages() -> dict[str, str]:
    """Page id -> docs path, in registry order."""
    text = resources.files("scraper").joinpath("data/pages.toml").read_text("utf-8")
    return dict(tomllib.loads(text)["pages"])


def build_registry(
    extra: Mapping[str, str] | None = None, drop: Iterable[str] = ()
) -> tuple[PageRef, ...]:
    """The default pages, overridden/extended by ``extra`` and without ``drop``."""
    pages = default_pages()
    for page_id, path in (extra or {}).items():
        if not _ID_RE.match(page_id):
            raise ConfigError(
                f"invalid page id {page_id!r}: use lower-case letters, digits, - and _"
            )
        if not isinstance(path, str) or not path.strip("/"):
            raise ConfigError(f"page {page_id!r}: path must be a non-empty string")
        pages[page_id] = path.strip("/")
    for page_id in drop:
        if page_id not in pages:
            raise ConfigError(f"drop_pages names unknown page {page_id!r}")
        del pages[page_id]
    return tuple(PageRef(page_id, path) for page_id, path in pages.items())


def select(
    registry: tuple[PageRef, ...], page_ids: Iterable[str] = (), locales: Iterable[str] = ()
) -> tuple[tuple[PageRef, ...], tuple[str, ...]]:
    """Filter by ``--page``/``--locale``; unknown names are a usage error."""
    known = {p.id: p for p in registry}
    wanted = list(dict.fromkeys(page_ids))
    for page_id in wanted:
        if page_id not in known:
            raise UsageError(f"unknown page {page_id!r}; known pages: {', '.join(known)}")
    locs = list(dict.fromkeys(locales)) or list(LOCALES)
    for loc in locs:
        if loc not in LOCALES:
            raise UsageError(f"unknown locale {loc!r}; use one of: {', '.join(LOCALES)}")
    pages = tuple(known[i] for i in wanted) if wanted else registry
    return pages, tuple(locs)
