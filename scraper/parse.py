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

A page is read whole or not at all (``UnreadablePage``): bytes are decoded by the HTTP
charset first, then a byte order mark, then ``<meta charset>`` (UTF-8 if none), strictly;
NUL bytes are dropped as browsers drop them and other control characters are stripped
(also when written as ``&#12;``), since lxml refuses them; libxml2 runs with
``huge_tree`` and its error log is read, because past its nesting limit it stops without
raising; and the headings the raw text holds must all be in the tree, so an unclosed
comment, script or attribute that hides the rest of the page fails it instead of
reading as a page that lost its codes.
"""

from __future__ import annotations

import codecs
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from scraper.errors import NotAnErrorPage, UnreadablePage
from scraper.models import ParsedPage, Record

if TYPE_CHECKING:  # pragma: no cover
    from lxml.html import HtmlElement

_T = TypeVar("_T")

# A heading "starts with a code": optional minus sign, 3-7 digits, then a non-word char
# or the end ("10xx - General …" and "6XXX - Savings" are sections, not codes).
_CODE_RE = re.compile(
    r"^\s*([-\u2212\u2013]?)(\d{3,7})(?![\w.,])\s*[:\uff1a\u2013\u2014-]?\s*(.*)$", re.DOTALL
)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
#: C0 controls other than TAB/LF/CR, DEL, C1 controls and the two noncharacters lxml
#: refuses: never text.  NUL is dropped by browsers; the others render as nothing.
CONTROLS = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]))
CONTROLS += "\ufffe\uffff"
_CLEAN = {**INVISIBLE, **dict.fromkeys(map(ord, CONTROLS), None)}
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u300c\u300d"

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HEADINGS_ORDERED = ("h1", "h2", "h3", "h4", "h5", "h6")
# Content a browser does not show: headings in there are no page content to miss.
_NOT_SHOWN = {"template", "script", "style", "noscript"}
# Elements whose children are walked as if they stood in the article itself.
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "details",
    "span",
    "center",
    "font",
    "header",
    "footer",
    "aside",
    "figure",
    "a",
    "strong",
    "em",
    "b",
    "i",
}
# Elements that carry no record content: skipped without a warning.
_IGNORED = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "button",
    "meta",
    "link",
    "hr",
    "br",
    "img",
    "iframe",
    "nav",
    "summary",
    "input",
    "form",
    "picture",
    "video",
    "audio",
    "source",
    "canvas",
    "head",
    "title",
    "colgroup",
    "col",
}


def clean_text(text: str) -> str:
    """Collapse white space (NBSP included), drop zero-width and control characters."""
    return " ".join(text.translate(_CLEAN).split())


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
        if _tag(child) is not None and not _is_hash_link(child):  # comments, PIs: no text
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean_text("".join(parts))


def _heading_anchor(el: HtmlElement) -> str | None:
    anchor = el.get("id")
    if not anchor:
        for child in el:
            if not _is_hash_link(child):
                continue
            href = child.get("href") or ""
            if "#" in href:
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
        self.code_headings = 0  # code headings and code rows of tables
        self.heading_codes = 0  # code headings alone
        self.headings = 0  # every heading visited
        self.li_headings = True  # may a list item hold a heading? (False: skip the check)

    def close(self) -> None:
        if self.current is not None:
            self.records.append(self.current.freeze())
            self.current = None

    def where(self) -> str:
        if self.current is not None and self.current.code is not None:
            return f"under {self.current.code}"
        return f"in section {self.section!r}" if self.section else "before the first section"

    def walk(self, parent: HtmlElement) -> None:
        """Visit ``parent``'s children in document order; containers are entered in place.

        A loop with its own stack, not recursion: nesting as deep as libxml2 allows
        (2048 with ``huge_tree``) must not hit Python's recursion limit.
        """
        self.loose_text(parent.text)
        stack: list[tuple[Iterator[HtmlElement], HtmlElement | None]] = [(iter(parent), None)]
        while stack:
            children, owner = stack[-1]
            el = next(children, None)
            if el is None:
                stack.pop()
                if owner is not None:
                    self.loose_text(owner.tail)
                continue
            tag = _tag(el)
            if tag in _CONTAINERS and (tag != "a" or not _is_hash_link(el)):
                self.loose_text(el.text)
                stack.append((iter(el), el))
                continue
            self.visit(el, tag)
            self.loose_text(el.tail)

    def loose_text(self, text: str | None) -> None:
        """Bare text between blocks (no <p>) still describes the current code."""
        if text and self.current is not None and self.current.code is not None:
            cleaned = clean_text(text)
            if cleaned:
                self.current.description.append(cleaned)

    def visit(self, el: HtmlElement, tag: str | None) -> None:
        """Handle one element (``tag``: its ``_tag``) that is not a container to enter."""
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
            if not _is_hash_link(el):
                self.walk(el)
        else:
            self.warnings.append(f"skipped unknown <{tag}> {self.where()}")

    def heading(self, el: HtmlElement, tag: str) -> None:
        self.headings += 1
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
        self.heading_codes += 1
        self.current = _Draft(code, name, self.section, _heading_anchor(el))

    def bullets(self, lst: Iterable[HtmlElement]) -> None:
        """Every item of a list and of the lists nested in it, in order (no recursion)."""
        stack: list[Iterator[HtmlElement]] = [iter(lst)]
        while stack:
            el = next(stack[-1], None)
            if el is None:
                stack.pop()
                continue
            tag = _tag(el)
            if tag == "li":
                if self.li_headings and next(el.iter(*_HEADINGS_ORDERED), None) is not None:
                    self.walk(el)  # an item holding headings is a container, not a bullet
                    continue
                if self.current is not None and self.current.code is not None:
                    self.current.messages.extend(_bullet_messages(el))
                stack.append(iter([c for c in el if _tag(c) in ("ul", "ol")]))
            elif tag in ("ul", "ol"):
                stack.append(iter(el))
            elif tag is not None:  # a heading, table or paragraph straight in a list
                self.visit(el, tag)

    def bullets_item(self, li: HtmlElement) -> None:
        self.bullets((li,))

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


# --- reading a document whole --------------------------------------------------------

_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Labels whose same-named Python codec is narrower than what browsers decode (WHATWG).
_LABELS = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "gb_2312", "gb_2312-80", "iso-ir-58"),
        "gb18030",
    ),
    **dict.fromkeys(
        (
            "ascii",
            "us-ascii",
            "iso-8859-1",
            "iso8859-1",
            "iso_8859-1",
            "latin1",
            "latin-1",
            "l1",
            "cp819",
        ),
        "cp1252",
    ),
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
}
# Python codecs that are no web encoding (they would read a page as escapes or fail).
_NOT_WEB = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "utf_7"}
_CHARREF_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_CONTROL_RE = re.compile(f"[{re.escape(CONTROLS)}]")


def _codec(label: str, source: str) -> str:
    name = label.strip().lower()
    try:
        codec = codecs.lookup(_LABELS.get(name, name)).name
    except LookupError:
        codec = ""
    if not codec or codec.replace("-", "_") in _NOT_WEB:
        raise UnreadablePage(f"unknown charset {label!r} (from {source})")
    return codec


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """The text of an HTML document: the HTTP charset first, then a BOM, then <meta>.

    UTF-8 when none names one.  Decoding is strict: a body that is not in the charset it
    was given as raises ``UnreadablePage`` (a page read with replacement characters
    would report every damaged message as changed).
    """
    label = source = None
    if content_type:
        m = _HEADER_CHARSET_RE.search(content_type)
        if m:
            label, source = m.group(1), "the HTTP Content-Type header"
    if label is None:
        for bom, encoding in _BOMS:
            if body.startswith(bom):
                label, source = encoding, "its byte order mark"
                break
    if label is None:
        meta = _META_CHARSET_RE.search(body[:4096])
        if meta:
            label, source = meta.group(1).decode("ascii"), "its <meta charset>"
            if label.lower().startswith("utf-16"):  # a <meta> readable as ASCII is no UTF-16
                label = "utf-8"
    if label is None or source is None:
        label, source = "utf-8", "the default"
    codec = _codec(label, source)
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.end][:4].hex(" ")
        raise UnreadablePage(
            f"cannot decode the page as {label} (from {source}): byte {bad} at offset {exc.start}"
        ) from None
    except (UnicodeError, LookupError):
        raise UnreadablePage(f"cannot decode the page as {label} (from {source})") from None
    return text.removeprefix("\ufeff")


def _charref_value(hex_digits: str | None, dec_digits: str) -> str | None:
    """What a numeric reference must become ('' for a control character), None: keep it."""
    digits = (hex_digits or dec_digits).lstrip("0")
    if len(digits) > 8:
        return ""  # far beyond U+10FFFF
    cp = int(digits or "0", 16 if hex_digits else 10)
    if 0x80 <= cp <= 0x9F:  # HTML: &#128; is the windows-1252 character (the euro sign)
        try:
            return bytes([cp]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF or chr(cp) in CONTROLS:
        return ""
    return None


def _charref(m: re.Match[str]) -> str:
    """A numeric character reference as a browser reads it, or '' for a control character."""
    value = _charref_value(m.group(1), m.group(2) or "")
    return m.group(0) if value is None else value


def sanitize_html(text: str) -> str:
    """Drop NUL and the other control characters, raw or as ``&#N;`` references.

    Raw ones first, so one inside a reference (``&#x2\x017;``) cannot change how it reads.
    """
    text = _CONTROL_RE.sub("", text)
    return _CHARREF_RE.sub(_charref, text) if "&#" in text else text


# The same on UTF-8 bytes (what libxml2 is given), a few times faster than on text: C0
# controls and DEL are single bytes, C1 controls two bytes after \xc2, U+FFFE/U+FFFF three.
_C0_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")
_NONCHARS_UTF8_RE = re.compile(rb"\xef\xbf[\xbe\xbf]")
_CHARREF_UTF8_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _charref_utf8(m: re.Match[bytes]) -> bytes:
    hex_digits, dec_digits = m.group(1), m.group(2)
    value = _charref_value(
        hex_digits.decode("ascii") if hex_digits else None,
        dec_digits.decode("ascii") if dec_digits else "",
    )
    return m.group(0) if value is None else value.encode("utf-8")


def _sanitize_utf8(data: bytes) -> bytes:
    """``sanitize_html`` for UTF-8 bytes."""
    data = data.translate(None, _C0_BYTES)
    if _C1_UTF8_RE.search(data):
        data = _C1_UTF8_RE.sub(b"", data)
    if _NONCHARS_UTF8_RE.search(data):
        data = _NONCHARS_UTF8_RE.sub(b"", data)
    return _CHARREF_UTF8_RE.sub(_charref_utf8, data) if b"&#" in data else data


# Tags whose raw text a heading-like "<h3" inside cannot open an element: comments,
# declarations, processing instructions, end tags and the raw-text elements.
_RAW_HEADINGS_RE = re.compile(
    rb"<(?:!--(?:-?>|.*?--!?>)|[!?/][^>]*>"
    rb"|(script|style|textarea|title|xmp|iframe|noembed|noframes)\b.*?</\1\s*>"
    rb"|(h[1-6])[\s/>])",
    re.IGNORECASE | re.DOTALL,
)


def _raw_heading_count(data: bytes) -> int:
    return sum(1 for m in _RAW_HEADINGS_RE.finditer(data) if m.lastindex == 2)


def _check_whole(data: bytes, root: HtmlElement, errors: Any) -> None:
    """Raise UnreadablePage unless libxml2 read the whole document."""
    for entry in errors:
        if entry.level_name == "FATAL":  # e.g. "Excessive depth in document: 2048"
            raise UnreadablePage(
                f"page not read to its end: the HTML parser stopped at line {entry.line} "
                f"({' '.join(str(entry.message).split())})"
            )
    expected = _raw_heading_count(data)
    found = sum(1 for _ in root.iter(*_HEADINGS_ORDERED))
    if found < expected:
        raise UnreadablePage(
            f"page not read to its end: the HTML parser found {found} of its {expected} "
            "headings (an unclosed comment, script, tag or attribute hides the rest)"
        )


def _load(html: str | bytes, content_type: str | None = None) -> HtmlElement:
    import lxml.etree
    import lxml.html

    text = (
        decode_html(html, content_type) if isinstance(html, bytes) else html.removeprefix("\ufeff")
    )
    # UTF-8 bytes with the encoding forced: a <meta charset> or XML declaration in the
    # text can no longer make libxml2 decode it again (str input refuses the latter).
    data = _sanitize_utf8(text.encode("utf-8"))
    if not data.strip():
        raise NotAnErrorPage("empty document")
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnErrorPage(f"not an HTML document ({exc})") from None
    if root is None:
        raise NotAnErrorPage("not an HTML document")
    _check_whole(data, root, parser.error_log)
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
    return (
        "zh-CN"
        if lang.lower().startswith("zh")
        else "en"
        if lang.lower().startswith("en")
        else None
    )


def extract_records(article: HtmlElement) -> tuple[list[Record], list[str], str | None, int]:
    """(records, warnings, h1 title, number of code headings) of an article element.

    Raises UnreadablePage when a code heading sits where the walk cannot read it in place
    (inside a table cell, a button, a summary): a page is read whole or failed.
    """
    # What a browser never shows is no part of a name or message: <template> content is
    # inert, script and style text is not text (their tails stay).
    for el in list(article.iter("template", "script", "style")):
        _drop(el)
    for br in article.iter("br"):  # <br> separates words: "limit.<br>This" is two
        br.tail = "\n" + (br.tail or "")
    try:
        walker = _walk(article)
    except RecursionError:  # lists and containers nested in turn, hundreds deep
        walker = _deep_call(_walk, article)
    if walker.headings < sum(1 for _ in article.iter(*_HEADINGS_ORDERED)):
        in_tree = sum(
            1
            for h in article.iter(*_HEADINGS_ORDERED)
            if _tag(h) != "h1"
            and split_code_heading(_heading_text(h)) is not None
            and not any(_tag(up) in _NOT_SHOWN for up in h.iterancestors())
        )
        if in_tree > walker.heading_codes:
            raise UnreadablePage(
                f"{in_tree - walker.heading_codes} of the page's {in_tree} code headings sit "
                "where they cannot be read in place (inside a table, button or summary)"
            )
    return walker.records, walker.warnings, walker.title, walker.code_headings


def _heading_in_a_list(article: HtmlElement) -> bool:
    """Does any heading of the article sit inside a list item?

    Walks up from each heading (headings x depth) rather than asking XPath for
    ``.//li//h2``, which libxml2 evaluates in quadratic time (10,000 list items: 330 ms).
    """
    for heading in article.iter(*_HEADINGS_ORDERED):
        for up in heading.iterancestors():
            if up is article:
                break
            if up.tag == "li":
                return True
    return False


def _walk(article: HtmlElement) -> _Walker:
    walker = _Walker()
    walker.li_headings = _heading_in_a_list(article)
    walker.walk(article)
    walker.close()
    return walker


# markdownify recurses ~4 frames per nesting level; libxml2 with huge_tree nests 2048 deep.
_DEEP_RECURSION = 16 * 2048 + 1000
_DEEP_STACK = 256 * 1024 * 1024  # virtual; only the pages a deep conversion touches are used


def article_markdown(article: HtmlElement) -> str:
    """markdownify of the article div: links kept, scripts, buttons and hash links dropped.

    A page nested deeper than Python's recursion limit allows is converted again in a
    thread with a large stack and a raised limit, so it is read whole, not failed.
    """
    try:
        return _article_markdown(article)
    except RecursionError:
        return str(_deep_call(_article_markdown, article))


def _deep_call(fn: Callable[[HtmlElement], _T], article: HtmlElement) -> _T:
    """``fn(article)`` in a thread with a large stack and a raised recursion limit."""
    box: dict[str, Any] = {}

    def convert() -> None:
        try:
            box["value"] = fn(article)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(_DEEP_STACK)
    try:
        sys.setrecursionlimit(max(old_limit, _DEEP_RECURSION))
        worker = threading.Thread(target=convert, name="errwatch-markdown", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_stack)
    try:
        worker.join()
    finally:
        sys.setrecursionlimit(old_limit)
    if isinstance(box.get("error"), RecursionError):
        raise UnreadablePage("page nested too deeply to read") from None
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


def _article_markdown(article: HtmlElement) -> str:
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
    md = MarkdownConverter(heading_style=ATX, bullets="*", escape_underscores=False).convert_soup(
        soup
    )
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
    content_type: str | None = None,
    root: HtmlElement | None = None,
) -> ParsedPage:
    """Parse one error-code page (``content_type``: the HTTP header, for bytes input).

    Raises NotAnErrorPage when the document has no Docusaurus article or no error-code
    heading: such a page must never be mistaken for a page whose codes all vanished;
    UnreadablePage (a NotAnErrorPage) when it cannot be decoded or read to its end.
    ``root``: the same document already read by ``_load`` and not yet walked (the
    article fingerprint reads it first), so it is not parsed twice.
    """
    if root is None:
        root = _load(html, content_type)
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
