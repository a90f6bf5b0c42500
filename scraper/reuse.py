"""Article-level reuse: a page whose article did not change is not parsed again.

Most days after a docs deploy every page answers 200 with a new Docusaurus shell (new
asset hashes in ``<script>``/``<link>``, a new build) while no article changed.  Parsing
and converting those pages to markdown finds nothing, so a run fingerprints the article
of each page that passed the gate and, when it equals the baseline's, takes the
baseline's records and markdown objects instead.  The snapshot still records the new
fetch (status, ETag, the new HTML); nothing is reported, because the records are the
same objects.

The fingerprint is the sha256 of the article subtree *as the parser sees it*: the
document is read by ``scraper.parse`` exactly as ``parse_html`` reads it (strict
decoding, libxml2 with its whole-document checks), ``div.theme-doc-markdown`` is found
the same way, and that element is serialised without its tail.  So

- it covers the whole article and only the article: the shell around it (head, navbar,
  sidebar, TOC, footer, scripts) cannot change it, and nothing in the article can change
  without changing it;
- it cannot be fooled by markup outside the article that changes how the article
  parses (an unclosed comment before it, another charset), because it is computed on
  the parsed tree, and a document the parser refuses gives no fingerprint (the page is
  then parsed, and fails, as before);
- it names the parser: the source of ``scraper/parse.py`` and the versions of errwatch,
  lxml, BeautifulSoup and markdownify are hashed in, so an upgrade that parses the same
  article differently never reuses records of the old parser.

A false "different" costs one parse; a false "same" would hide drift, so reuse happens
only when everything agrees: equal fingerprints, a baseline entry without warnings (a
parse's warnings are not stored apart from the gate's), and records and markdown that
read back hash-checked from the store.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from scraper.errors import NotAnErrorPage, StoreError
from scraper.models import ParsedPage

if TYPE_CHECKING:  # pragma: no cover
    from lxml.html import HtmlElement

    from scraper.store import BaselineEntry, SnapshotStore

__all__ = ["ArticleReuse", "article_digest", "fingerprint", "parser_id"]

log = logging.getLogger("errwatch.reuse")

#: Bump when what the fingerprint covers changes meaning (old fingerprints then differ).
SCHEME = b"errwatch-article-1"


def _library(module: str, dist: str) -> bytes:
    """A library's installed version, without importing it (``import bs4`` costs ~140 ms
    and ``importlib.metadata`` ~90 ms, on a run that needs neither): the names of its
    ``*.dist-info`` folders, which carry the version, and the size of its main file."""
    from importlib.util import find_spec

    spec = find_spec(module)
    if spec is None or not spec.origin:
        return f"{dist}: absent".encode()
    origin = Path(spec.origin)
    home = origin.parent.parent if origin.name == "__init__.py" else origin.parent
    try:
        found = sorted(p.name for p in home.glob(f"{dist}-*.dist-info"))
        size = origin.stat().st_size
    except OSError:
        found, size = [], -1
    return f"{dist}: {found} {size}".encode()


@lru_cache(maxsize=1)
def parser_id() -> bytes:
    """What produced records and markdown from an article: parse.py and its libraries."""
    import lxml.etree

    from scraper import __version__, parse

    parts = [
        SCHEME,
        __version__.encode(),
        repr(lxml.etree.LXML_VERSION).encode(),
        repr(lxml.etree.LIBXML_VERSION).encode(),
        _library("bs4", "beautifulsoup4"),
        _library("markdownify", "markdownify"),
    ]
    try:
        parts.append(hashlib.sha256(Path(parse.__file__).read_bytes()).digest())
    except OSError:  # no source next to the module (a frozen build): the version stands for it
        parts.append(b"no parse.py source")
    return hashlib.sha256(b"\0".join(parts)).digest()


def article_digest(article: HtmlElement) -> str:
    """sha256 (hex) of one parsed article element, serialised without its tail."""
    import lxml.etree

    # XML serialisation: every text, attribute and comment escaped, so two different
    # trees never serialise alike (the HTML method writes script text raw)
    data = lxml.etree.tostring(article, encoding="utf-8", method="xml", with_tail=False)
    return hashlib.sha256(parser_id() + b"\0" + data).hexdigest()


def fingerprint(text: str | bytes) -> str | None:
    """The article fingerprint of a document, or None when the parser finds no article.

    ``text`` is what the gate hands to ``parse_html`` (decoded and sanitised text, or
    bytes).
    """
    return _fingerprint_tree(text)[0]


def _fingerprint_tree(text: str | bytes) -> tuple[str | None, HtmlElement | None]:
    """(fingerprint, the parsed document) — the tree is handed on to ``parse_html`` when
    the article changed, so a changed page is parsed once, not twice.  Must be called
    before anything walks the tree: the walk edits it."""
    from scraper.parse import _load, find_article

    try:
        root = _load(text)
    except NotAnErrorPage:  # unreadable or not HTML: parse_html fails the page itself
        return None, None
    article = find_article(root)
    return (None if article is None else article_digest(article)), root


@dataclass
class ArticleReuse:
    """The reuse hook of one page: ``validate(..., reuse=hook)`` calls it with the text
    it would parse; it returns the baseline's content when the article is unchanged,
    else None (and ``validate`` parses).  Afterwards ``digest`` is the new page's
    fingerprint and ``reused`` says whether the baseline's objects were taken."""

    baseline: BaselineEntry | None
    store: SnapshotStore
    digest: str | None = None
    reused: bool = False
    tree: HtmlElement | None = None  # the document as parsed for the fingerprint

    def __call__(self, text: str | bytes) -> ParsedPage | None:
        self.tree = None
        try:
            self.digest, tree = _fingerprint_tree(text)
        except Exception:  # never fail a page here: parse_html judges it
            log.debug("article fingerprint failed; parsing", exc_info=True)
            self.digest, tree = None, None
        self.tree = tree  # parse_html may take it instead of reading the text again
        base = self.baseline
        if (
            self.digest is None
            or base is None
            or base.article != self.digest
            or base.warnings
            or base.records_hash is None
            or base.markdown_hash is None
        ):
            return None
        try:
            records = base.load_records()
            markdown = self.store.markdown(base.snapshot_id, base.page, base.locale)
        except StoreError as exc:  # a bad object: parse instead, the store warns about it
            log.debug(
                "%s/%s: baseline objects unreadable, parsing (%s)", base.page, base.locale, exc
            )
            return None
        if markdown is None:
            return None
        self.reused = True
        self.tree = None
        return ParsedPage(page=base.page, locale=base.locale, records=records, markdown=markdown)
