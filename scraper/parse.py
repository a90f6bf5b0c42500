"""HTML of a Binance error-code page -> canonical records (and its markdown).

Docusaurus renders each page as ``article div.theme-doc-markdown`` holding ``h2``
sections, ``h3``/``h4`` code headings (``-1000 UNKNOWN`` + an ``a.hash-link`` carrying a
zero-width space) followed by ``ul > li`` messages, ``p`` descriptions and, for some
sections, message tables.  We walk that div once, in document order (a per-heading
sibling search is quadratic on large pages), with lxml: building a BeautifulSoup tree of
the real spot page costs ~20 ms against ~1 ms for lxml, and the records need nothing
BeautifulSoup adds.  BeautifulSoup (on lxml) is still what feeds markdownify, which
requires its tree, and only for the article div.

Unknown markup never raises: it is skipped and named in ``ParsedPage.warnings``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from scraper.errors import NotAnErrorPage
from scraper.models import ParsedPage, Record

if TYPE_CHECKING:  # pragma: no cover
    from lxml.html import HtmlElement

# A heading "starts with a code": optional minus sign, 3-7 digits, then a non-word char
# or the end ("10xx - General …" and "6XXX - Savings" are sections, not codes).
_CODE_RE = re.compile(r"^\s*([-\u2212\u2013]?)(\d{3,7})(?![\w.,])\s*[:\uff1a\u2013\u2014-]?\s*(.*)$", re.DOTALL)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u300c\u300d"

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements whose children are walked as if they stood in the article itself.
_CONTAINERS = {
    "div", "section", "article", "main", "blockquote", "details", "span", "center",
    "font", "header", "footer", "aside", "figure", "a", "strong", "em", "b", "i",
}
# Elements that carry no record content: skipped without a warning.
_IGNORED = {
    "script", "style", "noscript", "template", "svg", "button", "meta", "link", "hr",
    "br", "img", "iframe", "nav", "summary", "input", "form", "picture", "video",
    "audio", "source", "canvas", "head", "title", "colgroup", "col",
}


def clean_text(text: str) -> str:
    """Collapse white space (NBSP included) and drop zero-width characters."""
    return " ".join(text.translate(INVISIBLE).split())


def detect_lang(text: str) -> str:
    """``zh`` when CJK characters outweigh Latin words, else ``en``.

    zh-CN pages pair each English bullet with its translation; a stray Chinese word in
    an English sentence ("An unexpected 响应 was received …") stays ``en``.
    """
    cjk = len(_CJK_RE.findall(text))
    if not cjk:
        return "en"
    return "zh" if cjk >= len(_LATIN_WORD_RE.findall(text)) else "en"


def split_code_heading(text: str) -> tuple[int, str | None] | None:
    """``"-1000 UNKNOWN"`` -> ``(-1000, "UNKNOWN")``; ``"-20204"`` -> ``(-20204, None)``."""
    m = _CODE_RE.match(text)
    if not m:
        return None
    sign, digits, rest = m.groups()
    code = int(digits) * (-1 if sign else 1)
    name = clean_text(rest) or None
    return code, name


def _tag(el: Any) -> str | None:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else None  # comments, PIs -> None


def _is_hash_link(el: HtmlElement) -> bool:
    return _tag(el) == "a" and "hash-link" in (el.get("class") or "").split()


def _heading_text(el: HtmlElement) -> str:
    """Heading text without its ``a.hash-link`` (which holds a zero-width space)."""
    parts: list[str] = [el.text or ""]
    for child in el:
        if not _is_hash_link(child):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean_text("".join(parts))


def _heading_anchor(el: HtmlElement) -> str | None:
    anchor = el.get("id")
    if not anchor:
        for child in el:
            href = child.get("href") or ""
            if _is_hash_link(child) and "#" in href:
                anchor = href.split("#", 1)[1]
                break
    anchor = (anchor or "").translate(INVISIBLE).strip()
    return anchor or None


def _text_without_lists(el: HtmlElement) -> str:
    """Text of a list item, leaving out nested lists (their items are messages too)."""
    parts: list[str] = [el.text or ""]
    for child in el:
        tag = _tag(child)
        if tag is not None and tag not in ("ul", "ol") and tag not in _IGNORED:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


_GLUED_RE = re.compile(r"\n|\s[*\u2022]\s+")


def _bullet_messages(li: HtmlElement) -> list[str]:
    """One message per bullet.

    A bullet that holds an English message and its translation (``English<br>中文`` or,
    as converters sometimes glue them, ``English.  * 中文``) becomes two messages; a
    bullet whose parts share a language (``price * quantity``) stays whole.
    """
    raw = _text_without_lists(li)
    parts = [p for p in (clean_text(part) for part in _GLUED_RE.split(raw)) if p]
    if len(parts) > 1 and len({detect_lang(p) for p in parts}) > 1:
        return parts
    text = clean_text(raw)
    return [text] if text else []


_QUOTED_RE = re.compile(r"[\"\u201c]([^\"\u201c\u201d]+)[\"\u201d]")
_SEPARATORS_RE = re.compile(r"(?:[\s/,.;|]|\bor\b|\u6216)*")


def table_messages(cell: str) -> list[str]:
    """Messages of a table cell: ``"A" / "B"`` gives two, stray quotes are dropped."""
    quoted = _QUOTED_RE.findall(cell)
    if quoted and _SEPARATORS_RE.fullmatch(_QUOTED_RE.sub("", cell)):
        return [m for m in (clean_text(q) for q in quoted) if m]
    text = cell.strip(_QUOTES + " ")
    return [text] if text else []


@dataclass
class _Draft:
    """A record being assembled while the walk is under its heading."""

    code: int | None
    name: str | None
    section: str | None
    anchor: str | None
    messages: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)

    def freeze(self) -> Record:
        return Record(
            code=self.code,
            name=self.name,
            section=self.section,
            messages=tuple(self.messages),
            message_langs=tuple(detect_lang(m) for m in self.messages),
            description="\n".join(self.description) or None,
            anchor=self.anchor,
        )


class _Walker:
    """One pass over the article: headings open records, content fills them."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.warnings: list[str] = []
        self.section: str | None = None
        self.title: str | None = None
        self.current: _Draft | None = None
        self.code_headings = 0

    def close(self) -> None:
        if self.current is not None:
            self.records.append(self.current.freeze())
            self.current = None

    def where(self) -> str:
        if self.current is not None and self.current.code is not None:
            return f"under {self.current.code}"
        return f"in section {self.section!r}" if self.section else "before the first section"

    def walk(self, parent: HtmlElement) -> None:
        self.loose_text(parent.text)
        for el in parent:
            self.visit(el)
            self.loose_text(el.tail)

    def loose_text(self, text: str | None) -> None:
        """Bare text between blocks (no <p>) still describes the current code."""
        if text and self.current is not None and self.current.code is not None:
            cleaned = clean_text(text)
            if cleaned:
                self.current.description.append(cleaned)

    def visit(self, el: HtmlElement) -> None:
        tag = _tag(el)
        if tag is None or tag in _IGNORED:
            return
        if tag in _HEADINGS:
            self.heading(el, tag)
        elif tag in ("ul", "ol"):
            self.bullets(el)
        elif tag == "li":  # a stray <li> outside a list
            self.bullets_item(el)
        elif tag == "table":
            self.table(el)
        elif tag in ("p", "pre", "dl", "code"):
            self.paragraph(el)
        elif tag in _CONTAINERS:
            if _is_hash_link(el):
                return
            self.walk(el)
        else:
            self.warnings.append(f"skipped unknown <{tag}> {self.where()}")

    def heading(self, el: HtmlElement, tag: str) -> None:
        text = _heading_text(el)
        if tag == "h1":
            self.close()
            self.title = self.title or text or None
            return
        parsed = split_code_heading(text)
        self.close()
        if parsed is None:
            self.section = text or self.section
            return
        code, name = parsed
        self.code_headings += 1
        self.current = _Draft(code, name, self.section, _heading_anchor(el))

    def bullets(self, lst: HtmlElement) -> None:
        for li in lst:
            tag = _tag(li)
            if tag == "li":
                self.bullets_item(li)
            elif tag in ("ul", "ol"):
                self.bullets(li)

    def bullets_item(self, li: HtmlElement) -> None:
        if self.current is not None and self.current.code is not None:
            self.current.messages.extend(_bullet_messages(li))
        for child in li:
            if _tag(child) in ("ul", "ol"):
                self.bullets(child)

    def paragraph(self, el: HtmlElement) -> None:
        if self.current is None or self.current.code is None:
            return  # section intros and page prose are not records
        text = clean_text(el.text_content())
        if text:
            self.current.description.append(text)

    def table(self, table: HtmlElement) -> None:
        """Message tables ("Filter failures") become code-less records, one per row."""
        rows = [tr for tr in table.iter("tr")]
        body = [tr for tr in rows if not any(_tag(c) == "th" for c in tr)]
        if self.current is not None and self.current.code is not None:
            for tr in body:  # a table under a code heading lists that code's messages
                texts = [clean_text(td.text_content()) for td in tr if _tag(td) in ("td", "th")]
                if texts and texts[0]:
                    self.current.messages.extend(table_messages(texts[0]))
                    if len(texts) > 1 and any(texts[1:]):
                        self.current.description.append(" | ".join(c for c in texts[1:] if c))
            return
        self.close()
        for tr in body:
            cells: list[HtmlElement] = [td for td in tr if _tag(td) in ("td", "th")]
            if not cells:
                continue
            first = clean_text(cells[0].text_content())
            rest = [clean_text(td.text_content()) for td in cells[1:]]
            parsed = split_code_heading(first)
            if parsed is not None:  # a table of codes: code | name | message
                code, name = parsed
                if name is None and rest:
                    name, rest = rest[0] or None, rest[1:]
                messages = table_messages(rest[0]) if rest else []
                desc = " | ".join(c for c in rest[1:] if c) or None
                self.code_headings += 1
            else:
                code, name = None, None
                messages = table_messages(first)
                if not messages:
                    continue
                desc = " | ".join(c for c in rest if c) or None
            self.records.append(
                Record(
                    code=code,
                    name=name,
                    section=self.section,
                    messages=tuple(messages),
                    message_langs=tuple(detect_lang(m) for m in messages),
                    description=desc,
                    anchor=None,
                )
            )


def _load(html: str | bytes) -> HtmlElement:
    import lxml.etree
    import lxml.html

    if isinstance(html, bytes):
        head = html[:4096].lower()
        m = re.search(rb"charset=[\"']?([a-z0-9_-]+)", head)
        encoding = m.group(1).decode("ascii") if m else "utf-8"
        try:
            parser = lxml.html.HTMLParser(encoding=encoding)
        except LookupError:
            parser = lxml.html.HTMLParser(encoding="utf-8")
        data: str | bytes = html
    else:
        parser = lxml.html.HTMLParser()
        data = html
    if not data.strip():
        raise NotAnErrorPage("empty document")
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnErrorPage(f"not an HTML document ({exc})") from None
    if root is None:
        raise NotAnErrorPage("not an HTML document")
    return root


def find_article(root: HtmlElement) -> HtmlElement | None:
    """The Docusaurus markdown body: ``article div.theme-doc-markdown``."""
    found = root.xpath(
        "//article//div[contains(concat(' ', normalize-space(@class), ' '), ' theme-doc-markdown ')]"
    ) or root.xpath(
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' theme-doc-markdown ')]"
    )
    return found[0] if found else None


def _meta(root: HtmlElement) -> tuple[str | None, str | None, str | None]:
    """(canonical URL or og:url, <title>, html lang)."""
    canonical = None
    for xp in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        hit = root.xpath(xp)
        if hit and str(hit[0]).strip():
            canonical = str(hit[0]).strip()
            break
    title_el = root.find(".//title")
    title = clean_text(title_el.text_content()) if title_el is not None else None
    return canonical, title or None, root.get("lang")


def _locale_from_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    return "zh-CN" if lang.lower().startswith("zh") else "en" if lang.lower().startswith("en") else None


def extract_records(article: HtmlElement) -> tuple[list[Record], list[str], str | None, int]:
    """(records, warnings, h1 title, number of code headings) of an article element."""
    for br in article.iter("br"):  # <br> separates words: "limit.<br>This" is two
        br.tail = "\n" + (br.tail or "")
    walker = _Walker()
    walker.walk(article)
    walker.close()
    return walker.records, walker.warnings, walker.title, walker.code_headings


def article_markdown(article: HtmlElement) -> str:
    """markdownify of the article div: links kept, scripts, buttons and hash links dropped."""
    import lxml.html
    from bs4 import BeautifulSoup, Tag
    from markdownify import ATX, MarkdownConverter

    for el in list(article.iter("script", "style", "button", "noscript", "nav", "svg")):
        _drop(el)
    for el in list(article.iter("a")):
        if _is_hash_link(el):
            _drop(el)
    html = lxml.html.tostring(article, encoding="unicode")
    soup = BeautifulSoup(html, "lxml", element_classes={Tag: _markdown_tag_class()})
    md = MarkdownConverter(heading_style=ATX, bullets="*", escape_underscores=False).convert_soup(soup)
    md = md.translate(INVISIBLE)
    return re.sub(r"\n{3,}", "\n\n", md).strip() + "\n"


@lru_cache(maxsize=1)
def _markdown_tag_class() -> type:
    """bs4 Tag whose ``find_parent(name)`` walks up by name only.

    markdownify asks every tag ``find_parent("pre")``; bs4's general matcher builds a
    filter per call, a third of markdownify's time on the real pages (spot: 13.8 ms ->
    8.5 ms for the same output).
    """
    from bs4 import Tag

    class _Tag(Tag):
        def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
            if isinstance(name, str) and not attrs and not kwargs:
                parent = self.parent
                while parent is not None:
                    if parent.name == name:
                        return parent
                    parent = parent.parent
                return None
            return super().find_parent(name, attrs, **kwargs)

    return _Tag


def _drop(el: HtmlElement) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    parent.remove(el)
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def parse_html(
    html: str | bytes,
    page: str | None = None,
    locale: str | None = None,
    *,
    with_markdown: bool = True,
) -> ParsedPage:
    """Parse one error-code page.

    Raises NotAnErrorPage when the document has no Docusaurus article or no error-code
    heading: such a page must never be mistaken for a page whose codes all vanished.
    """
    root = _load(html)
    article = find_article(root)
    if article is None:
        raise NotAnErrorPage("no Docusaurus article (article div.theme-doc-markdown) in the page")
    canonical, title, lang = _meta(root)
    records, warnings, h1, code_headings = extract_records(article)
    if code_headings == 0:
        raise NotAnErrorPage(f"no error-code headings in the article (title: {h1 or title!r})")
    markdown = article_markdown(article) if with_markdown else ""
    return ParsedPage(
        page=page,
        locale=locale or _locale_from_lang(lang),
        records=tuple(records),
        markdown=markdown,
        title=h1 or title,
        canonical_url=canonical,
        warnings=tuple(warnings),
    )


def iter_code_records(records: tuple[Record, ...]) -> Iterator[Record]:
    """Only the records that carry a code (tables of messages are left out)."""
    return (r for r in records if r.code is not None)
